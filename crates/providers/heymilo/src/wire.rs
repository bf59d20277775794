//! HeyMilo's request and response bodies, as `heymilo.md` documents them.
//!
//! Documented fields are typed; numbers are `f64` because the document shows both
//! integers and floats for the same field. Everything is optional where a real payload
//! could omit it (a fresh interview has no score, no `agentic_data`), unknown fields are
//! ignored, and nested sections that do not match are dropped rather than failing the whole
//! payload — the raw JSON is kept beside these types for anything they miss.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Decode a section, or `None` when it is absent or shaped unlike the document.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

// ── errors ──────────────────────────────────────────────────────────────────────────────

/// `{"detail": "…", "status_code": 422, "error_type": "validation_error"}`. FastAPI's own
/// validation errors put a list of `{loc, msg, type}` in `detail`, so it stays a `Value`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub detail: Value,
    pub status_code: Option<u16>,
    pub error_type: Option<String>,
}

// ── health ──────────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Deserialize)]
pub struct Health {
    pub message: String,
    pub status: u16,
}

// ── postings ────────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Deserialize)]
pub struct PostingsPage {
    #[serde(default)]
    pub postings: Vec<Value>,
    pub total: Option<u64>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub total_pages: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Posting {
    pub posting_id: String,
    pub title: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub company_id: Option<String>,
    pub created_at: Option<f64>,
    pub last_updated: Option<f64>,
    #[serde(default)]
    pub archived: bool,
    pub deadline: Option<f64>,
    pub finalized: Option<bool>,
    pub phone_number_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub root_level_configs: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    pub agentic_workflow: Option<Vec<WorkflowConfig>>,
    pub url_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowConfig {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub unique_id: Option<String>,
    #[serde(default)]
    pub config: Value,
}

// ── interviews ──────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Deserialize)]
pub struct InterviewsPage {
    #[serde(default)]
    pub candidates: Vec<Value>,
    pub total: Option<u64>,
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub total_pages: Option<u64>,
}

/// One interview (`GET /api/interview/{id}`, and each entry of the posting listing).
#[derive(Debug, Clone, Deserialize)]
pub struct Interview {
    pub interview_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub details: Option<Details>,
    #[serde(default, deserialize_with = "lenient")]
    pub workflow: Option<Workflow>,
    #[serde(default, deserialize_with = "lenient")]
    pub agentic_data: Option<AgenticData>,
    pub company_name: Option<String>,
    pub company_image: Option<String>,
    pub posting_title: Option<String>,
    pub posting_interview_type: Option<String>,
    pub posting_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Details {
    pub interview_id: Option<String>,
    pub candidate_id: Option<String>,
    pub interviewed_on: Option<f64>,
    pub score: Option<f64>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub workflow_status: Option<Workflow>,
    #[serde(default, deserialize_with = "lenient")]
    pub metadata: Option<DetailsMetadata>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DetailsMetadata {
    #[serde(default, deserialize_with = "lenient")]
    pub resume: Option<FileLink>,
    #[serde(default, deserialize_with = "lenient")]
    pub web_interview: Option<WebInterviewMeta>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileLink {
    pub file_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebInterviewMeta {
    pub final_score: Option<f64>,
    #[serde(default)]
    pub skill_highlights: Vec<String>,
    pub audio_recording_link: Option<String>,
    pub video_recording_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Workflow {
    #[serde(default)]
    pub step_by_step: Vec<WorkflowStep>,
    pub all_complete: Option<bool>,
    pub last_engagement: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowStep {
    pub complete: Option<bool>,
    pub required: Option<bool>,
    pub order: Option<f64>,
    pub id: Option<String>,
    pub started: Option<bool>,
    pub is_analyzing_call: Option<bool>,
    pub last_updated_timestamp: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AgenticData {
    #[serde(default, deserialize_with = "lenient")]
    pub web_interview_info: Option<WebInterviewInfo>,
    #[serde(default, deserialize_with = "lenient")]
    pub resume_interview_info: Option<ResumeInterviewInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebInterviewInfo {
    #[serde(default, deserialize_with = "lenient")]
    pub summary: Option<Summary>,
    #[serde(default, deserialize_with = "lenient")]
    pub scorecard: Option<Scorecard>,
    #[serde(default, deserialize_with = "lenient")]
    pub transcript: Option<TranscriptSection>,
    pub audio_recording_link: Option<String>,
    pub video_recording_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub highlights: Vec<String>,
    #[serde(default)]
    pub lowlights: Vec<String>,
    pub match_score: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scorecard {
    #[serde(default)]
    pub match_details: Vec<String>,
    #[serde(default)]
    pub questions: Vec<ScorecardQuestion>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScorecardQuestion {
    pub question_id: Option<String>,
    pub question: Option<String>,
    pub evaluation_summary: Option<String>,
    pub evaluation_criteria: Option<String>,
    pub evaluation_score: Option<f64>,
    pub rank: Option<f64>,
    pub score_weight: Option<f64>,
    #[serde(default)]
    pub not_scored: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TranscriptSection {
    #[serde(default)]
    pub transcript: Vec<Utterance>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Utterance {
    pub speaker: Option<String>,
    pub text: Option<String>,
    pub timestamp: Option<f64>,
    pub timestamp_str: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResumeInterviewInfo {
    #[serde(default, deserialize_with = "lenient")]
    pub score_criteria: Option<ScoreCriteria>,
    #[serde(default, deserialize_with = "lenient")]
    pub eligibility_criteria: Option<EligibilityCriteria>,
    pub resume_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScoreCriteria {
    pub overall_score: Option<f64>,
    #[serde(default)]
    pub criteria: Vec<ScoredCriterion>,
    #[serde(default)]
    pub highlights: Vec<String>,
    #[serde(default)]
    pub improvement_areas: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScoredCriterion {
    pub criteria_text: Option<String>,
    pub score: Option<f64>,
    #[serde(default)]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EligibilityCriteria {
    pub is_eligible: Option<bool>,
    #[serde(default)]
    pub criteria: Vec<EligibilityCriterion>,
    #[serde(default)]
    pub skill_gaps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EligibilityCriterion {
    pub criteria_text: Option<String>,
    pub pass_criteria: Option<bool>,
    #[serde(default)]
    pub reasons: Vec<String>,
}

// ── export ──────────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Serialize)]
pub struct ExportRequest<'a> {
    pub posting_id: &'a str,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ExportJob {
    pub job_id: String,
    pub status: String,
    pub file_url: Option<String>,
}

// ── webhooks ────────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, Serialize)]
pub struct CreateWebhook<'a> {
    pub posting_id: &'a str,
    pub url: &'a str,
    pub event_type: &'a str,
    pub http_method: &'a str,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Webhook {
    pub webhook_id: String,
    pub posting_id: Option<String>,
    pub url: Option<String>,
    pub event_type: Option<String>,
    pub http_method: Option<String>,
    #[serde(default = "yes")]
    pub is_active: bool,
    pub created_at: Option<f64>,
    pub updated_at: Option<f64>,
}

fn yes() -> bool {
    true
}

/// The three documented event types.
pub const EVENT_TYPES: [&str; 3] = [
    "interview_started",
    "interview_completed",
    "report_available",
];

// ── ingest ──────────────────────────────────────────────────────────────────────────────

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestCandidate {
    pub name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    pub metadata: Value,
    pub data: Value,
    pub retake: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkIngest<'a> {
    pub data: &'a [IngestCandidate],
}

#[derive(Debug, Clone, Deserialize)]
pub struct IngestResponse {
    pub message: Option<String>,
    pub ingestion_id: Option<String>,
    #[serde(default)]
    pub interview_details: Vec<InterviewDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewDetail {
    pub interview_id: String,
    pub interview_link: Option<String>,
}
