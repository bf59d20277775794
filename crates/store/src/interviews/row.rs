//! One interview joined with its candidate, as every read selects it.

use chrono::{DateTime, Utc};
use gateway_core::{
    Candidate, CandidateId, ConnectionId, Interview, InterviewId, InterviewResult, InterviewStatus,
    ProviderRefs, TemplateId,
};
use sqlx::types::Json;
use uuid::Uuid;

use super::NewInterview;
use crate::error::{StoreError, StoreResult};

#[derive(sqlx::FromRow)]
pub(super) struct InterviewRow {
    pub(super) id: Uuid,
    template_id: Uuid,
    connection_id: Uuid,
    provider: String,
    status: String,
    outcome: Option<String>,
    interview_url: Option<String>,
    provider_refs: Json<ProviderRefs>,
    result: Option<Json<InterviewResult>>,
    error: Option<String>,
    remote_data: Json<serde_json::Value>,
    external_id: Option<String>,
    metadata: Json<serde_json::Value>,
    superseded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_synced_at: Option<DateTime<Utc>>,
    pub(super) version: i64,
    c_id: Uuid,
    c_email: String,
    c_name: Option<String>,
    c_first_name: Option<String>,
    c_last_name: Option<String>,
    c_phone: Option<String>,
    c_external_id: Option<String>,
    c_resume_url: Option<String>,
    c_metadata: Json<serde_json::Value>,
    c_created_at: DateTime<Utc>,
    c_updated_at: DateTime<Utc>,
    c_erased_at: Option<DateTime<Utc>>,
}

impl TryFrom<InterviewRow> for Interview {
    type Error = StoreError;
    fn try_from(r: InterviewRow) -> StoreResult<Self> {
        Ok(Interview {
            id: InterviewId::from_uuid(r.id),
            template_id: TemplateId::from_uuid(r.template_id),
            connection_id: ConnectionId::from_uuid(r.connection_id),
            provider: r.provider,
            candidate: Candidate {
                id: CandidateId::from_uuid(r.c_id),
                email: r.c_email,
                name: r.c_name,
                first_name: r.c_first_name,
                last_name: r.c_last_name,
                phone: r.c_phone,
                external_id: r.c_external_id,
                resume_url: r.c_resume_url,
                metadata: r.c_metadata.0,
                created_at: r.c_created_at,
                updated_at: r.c_updated_at,
                erased_at: r.c_erased_at,
            },
            status: r.status.parse().map_err(StoreError::Corrupt)?,
            outcome: r
                .outcome
                .map(|o| o.parse())
                .transpose()
                .map_err(StoreError::Corrupt)?,
            interview_url: r.interview_url,
            provider_refs: r.provider_refs.0,
            result: r.result.map(|j| j.0),
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_synced_at: r.last_synced_at,
            remote_data: r.remote_data.0,
            external_id: r.external_id,
            metadata: r.metadata.0,
            superseded_by: r.superseded_by.map(InterviewId::from_uuid),
        })
    }
}

pub(crate) const SELECT: &str = "SELECT i.id, i.template_id, i.connection_id, i.provider, i.status, i.outcome, \
     i.interview_url, i.provider_refs, i.result, i.error, i.remote_data, i.external_id, i.metadata, i.superseded_by, i.created_at, i.updated_at, \
     i.last_synced_at, i.version, c.id AS c_id, c.email AS c_email, c.name AS c_name, \
     c.first_name AS c_first_name, c.last_name AS c_last_name, c.phone AS c_phone, \
     c.external_id AS c_external_id, c.resume_url AS c_resume_url, c.metadata AS c_metadata, \
     c.created_at AS c_created_at, c.updated_at AS c_updated_at, c.erased_at AS c_erased_at \
     FROM interviews i JOIN candidates c ON c.id = i.candidate_id";

/// The unique-index key a new row holds (see the lifecycle migration).
pub(super) fn open_key(n: &NewInterview) -> Option<&'static str> {
    if n.status.is_terminal() {
        None
    } else if n.retake {
        (n.status == InterviewStatus::Pending).then_some("retake")
    } else {
        Some("interview")
    }
}
