//! InterviewFlowAI's request bodies, as the ingest and fetch docs give them. Responses are
//! not published, so they are read as JSON values by `translate`, field by field.

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IngestBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub interviewer_id: String,
    pub data: Vec<IngestCandidate>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IngestCandidate {
    pub name: String,
    pub email: String,
    /// Per candidate, as in the doc's example request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub additional_fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct FetchBody {
    pub interviewer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interview_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_fields: Option<Map<String, Value>>,
}
