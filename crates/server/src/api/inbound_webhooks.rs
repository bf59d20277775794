//! `POST /v1/inbound/{connection_id}/{token}`: where vendors send webhooks. No API key: each
//! request is verified per connection — the unguessable token in the path, plus the
//! vendor's own signature or shared key where it has one.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::error::ApiResult;
use crate::service::inbound_webhooks::{self, InboundAck};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_webhook))
}

/// Receive a vendor webhook. Answered as soon as it is stored (de-duplicated against vendor
/// retries); the interview is updated right after. Unverified requests are 401 and nothing
/// is stored; a deleted connection answers 410 so the vendor stops sending.
#[utoipa::path(post, path = "/v1/inbound/{connection_id}/{token}", tag = "inbound", security(()),
    params(
        ("connection_id" = String, Path, description = "The connection the vendor account belongs to"),
        ("token" = String, Path, description = "The connection's inbound token (see `inbound_webhook_url`)"),
    ),
    request_body(content = Object, description = "The vendor's payload, as the vendor sends it"),
    responses(
        (status = 200, body = InboundAck),
        (status = 400, body = crate::http::error::Problem, content_type = "application/problem+json", description = "Not a webhook this vendor sends"),
        (status = 401, body = crate::http::error::Problem, content_type = "application/problem+json", description = "Unverified: nothing was stored"),
        (status = 410, body = crate::http::error::Problem, content_type = "application/problem+json", description = "The connection was deleted"),
        (status = 413, body = crate::http::error::Problem, content_type = "application/problem+json", description = "Body too large"),
    ))]
pub async fn receive_webhook(
    State(state): State<AppState>,
    Path((connection_id, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<InboundAck>> {
    let (ack, fresh) = inbound_webhooks::receive(
        &state,
        &connection_id,
        &token,
        &headers,
        query.as_deref(),
        &body,
    )
    .await?;
    if !fresh.is_empty() {
        let state = state.clone();
        tokio::spawn(async move {
            for receipt in fresh {
                inbound_webhooks::process(&state, receipt).await;
            }
        });
    }
    Ok(Json(ack))
}
