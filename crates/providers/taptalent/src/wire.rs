//! TapTalent's JSON, as the partner API documents it. Reads are tolerant: ids may be
//! numbers or strings, and fields the documents do not promise are optional.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"status":"success","data":…}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    #[allow(dead_code)]
    pub status: Option<String>,
    pub data: T,
}

/// `{"error":{code,type,message,details}}`.
#[derive(Debug, Deserialize, Default)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize, Default)]
pub struct ErrorDetail {
    pub code: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub message: Option<String>,
    pub details: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub id: Value,
    pub flow_name: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub candidate_count: Option<u64>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub assessment_id: Option<Value>,
    pub assessment_type: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub pass_threshold: Option<f64>,
    pub pass_action: Option<String>,
    pub assessment_name: Option<String>,
}

/// Create and update take the same body (PATCH: "same shape as create").
#[derive(Debug, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FlowBody {
    pub flow_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub steps: Vec<StepBody>,
}

#[derive(Debug, Serialize, Default, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StepBody {
    pub assessment_id: String,
    pub pass_threshold: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_action: Option<String>,
}

#[derive(Debug, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AssignBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_candidate_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub talent_id: Option<Value>,
}

/// A flow candidate (an assignment), from assign or the candidate list.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub id: Option<Value>,
    pub assignment_id: Option<Value>,
    pub email: Option<String>,
    pub status: Option<String>,
    pub assessment_url: Option<String>,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub step_id: Option<Value>,
    pub assessment_id: Option<Value>,
    pub status: Option<String>,
    pub score: Option<f64>,
    pub pass_threshold: Option<f64>,
    pub passed: Option<bool>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub report_url: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct Pagination {
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub total: Option<u64>,
}

/// A number or a string id as text.
pub fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
