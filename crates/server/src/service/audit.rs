//! Recording security-relevant actions. An entry names the actor key, the action, the
//! target and the request id — never a secret (details carry names and flags only).

use gateway_core::time::now;
use gateway_core::{ApiKeyId, WorkspaceId};
use gateway_store::AuditEntry;

use crate::http::request_context::current_request_id;
use crate::state::AppState;

pub struct Action<'a> {
    pub workspace: WorkspaceId,
    pub actor: Option<ApiKeyId>,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    pub details: serde_json::Value,
    pub state: &'a AppState,
}

/// Write the entry. The action itself already happened; a failure to record it is logged
/// loudly rather than undoing it.
pub async fn record(a: Action<'_>) {
    let entry = AuditEntry {
        id: uuid::Uuid::now_v7(),
        workspace_id: a.workspace,
        at: now(),
        actor_key_id: a.actor,
        action: a.action.to_string(),
        target_type: a.target_type.to_string(),
        target_id: a.target_id,
        request_id: current_request_id(),
        details: a.details,
    };
    if let Err(e) = a.state.store.record_audit(&entry).await {
        tracing::error!(action = a.action, target_id = %entry.target_id, error = %e, "could not write the audit log");
    }
}
