//! The vendor call log of one connection: every attempt the gateway made at the vendor for
//! it, newest first — what it sent (method, path without query), what came back (status,
//! outcome, latency), and which client request and trace caused it. Never a credential, a
//! body or a candidate's personal data (see `service::call_log`).

use axum::extract::State;
use chrono::{DateTime, Utc};
use gateway_core::{ConnectionId, Scope};
use gateway_store::{CallFilter, CallOutcome, VendorCallEntry};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::service::connections as svc;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_connection_calls))
}

list_of!(VendorCallList, VendorCallEntry);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallParams {
    /// Only this adapter operation (`invite`, `get_interview`, `list_templates`…).
    #[param(max_length = 100)]
    pub operation: Option<String>,
    pub outcome: Option<CallOutcome>,
    /// Only calls the vendor answered with this HTTP status.
    #[param(minimum = 100, maximum = 599)]
    pub status: Option<u16>,
    /// Calls made at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Calls made before this time.
    pub until: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// The connection's vendor calls, newest first, one entry per attempt (a retried call has
/// several). Kept `call_log.retention_days` and at most `call_log.max_rows_per_connection`
/// per connection; written off the request path, so a call shows up a moment after it ends.
#[utoipa::path(get, path = "/v1/connections/{id}/calls", tag = "connections",
    params(("id" = ConnectionId, Path, description = "Connection id"), CallParams),
    responses((status = 200, body = VendorCallList)))]
pub async fn list_connection_calls(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
    ApiQuery(q): ApiQuery<CallParams>,
) -> ApiResult<VendorCallList> {
    principal.require(Scope::ConnectionsRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    if q.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err(ApiError::malformed(
            "`status` must be an HTTP status (100–599)",
        ));
    }
    if q.operation.as_ref().is_some_and(|o| o.len() > 100) {
        return Err(ApiError::malformed("`operation` is at most 100 characters"));
    }
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if since >= until {
            return Err(ApiError::malformed("`since` must be before `until`"));
        }
    }
    // 404 for a connection of another workspace (or none), before anything is listed.
    svc::load(&state, principal.workspace_id, id).await?;
    let filter = CallFilter {
        operation: q.operation,
        outcome: q.outcome,
        status: q.status,
        since: q.since,
        until: q.until,
    };
    Ok(state
        .store
        .list_vendor_calls(principal.workspace_id, id, &filter, page)
        .await?
        .into())
}
