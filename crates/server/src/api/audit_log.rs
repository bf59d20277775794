use axum::extract::State;
use gateway_core::{Scope, WorkspaceId};
use gateway_store::{AuditEntry, AuditFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiQuery;
use crate::http::pagination::{list_of, page_request};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

list_of!(AuditLog, AuditEntry);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Another workspace's log; defaults to the caller's.
    pub workspace_id: Option<WorkspaceId>,
    /// Only this action (`api_key.created`, `connection.updated`…).
    pub action: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// Security-relevant actions (keys, connections, workspaces, webhook endpoints), newest
/// first: who, what, when, from which request. Admin keys only.
#[utoipa::path(get, path = "/v1/audit-log", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditLog)))]
pub async fn list_audit_log(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<AuditLog> {
    principal.require(Scope::Admin)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let ws = q.workspace_id.unwrap_or(principal.workspace_id);
    if ws != principal.workspace_id {
        state
            .store
            .get_workspace(ws)
            .await?
            .ok_or_else(|| ApiError::not_found(ws))?;
    }
    let filter = AuditFilter { action: q.action };
    Ok(state.store.list_audit(ws, &filter, page).await?.into())
}
