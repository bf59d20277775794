use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::candidate::Candidate;
use crate::id::{ConnectionId, InterviewId, TemplateId};
use crate::result::InterviewResult;
use crate::status::{InterviewStatus, Outcome};

/// The vendor's ids for one interview, by name (`interview_id`, `invitation_id`,
/// `submission_id`, `assignment_id`…). Each adapter documents the names it sets.
pub type ProviderRefs = BTreeMap<String, String>;

/// One candidate on one template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interview {
    pub id: InterviewId,
    pub template_id: TemplateId,
    pub connection_id: ConnectionId,
    #[schema(example = "heymilo")]
    pub provider: String,
    pub candidate: Candidate,
    pub status: InterviewStatus,
    pub outcome: Option<Outcome>,
    /// Where the candidate takes the interview, when the vendor gives a link.
    pub interview_url: Option<String>,
    #[schema(value_type = Object, example = json!({"interview_id": "int_abc123"}))]
    pub provider_refs: ProviderRefs,
    pub result: Option<InterviewResult>,
    /// Why the interview is in `error`, or what went wrong on the last vendor call.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// The vendor's last raw payload, for fields the unified model lacks.
    pub remote_data: serde_json::Value,
    /// The caller's own reference (an application id…); unique in the workspace.
    #[schema(example = "app_4711")]
    pub external_id: Option<String>,
    /// The caller's flat key/value data (strings, numbers, booleans, null), carried in
    /// every event about the interview.
    #[schema(value_type = Object, example = json!({"job": "backend-2", "stage": "screen"}))]
    pub metadata: serde_json::Value,
    /// When `status` is `superseded`: the interview this one was folded into (the same
    /// candidate and template, the one the vendor confirmed).
    pub superseded_by: Option<InterviewId>,
}
