//! Flowmingo's request and response bodies, as `flowmingo.txt` documents them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /company/integration/interview/set/v1` (§3.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateSet {
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interview_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_retakes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub iai_questions: Vec<Question>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub iai_requirements: Vec<Requirement>,
}

/// §3.2.1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Question {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cfg_question_mode_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cfg_question_type_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cfg_prioritization_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// `{ id, title, titles, content, contents, priority }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Value>>,
}

/// §3.2.2 (and `cfg_importance_id`, which the sample sends).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cfg_importance_id: Option<i64>,
}

/// The `results` envelope every answer comes in.
#[derive(Debug, Clone, Deserialize)]
pub struct Results<T> {
    pub results: T,
}

/// §3.4: the created set.
#[derive(Debug, Clone, Deserialize)]
pub struct InterviewSet {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub com_project_id: Option<String>,
}

/// `POST /company/integration/interview/candidate/invite/v1` (§4.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com_interview_set_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com_project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com_job_post_id: Option<String>,
    pub candidates: Vec<InviteCandidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_message: Option<String>,
    pub send_invite: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteCandidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ats_candidate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv_link: Option<String>,
}

/// §4.4: one candidate's result, with the per-candidate error fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InviteResult {
    pub email_address: Option<String>,
    pub cv_link: Option<String>,
    pub invitation: Option<Invitation>,
    pub submission: Option<SubmissionRef>,
    pub error_message: Option<String>,
    pub invitation_error_message: Option<String>,
    pub application_error_message: Option<String>,
    pub submission_error_message: Option<String>,
    pub candidate_entry_error_message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: Option<String>,
    pub status_text: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubmissionRef {
    pub id: String,
    pub status_text: Option<String>,
}

/// Webhook envelope (notes.md; the fields past `event_id` are unconfirmed).
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEnvelope {
    pub schema_version: Option<String>,
    pub event_type: String,
    pub event_id: String,
    #[serde(default)]
    pub data: Value,
}
