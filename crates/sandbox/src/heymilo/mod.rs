//! HeyMilo, as `shared/vendor-docs/heymilo.md` documents it: `X-API-KEY` on every call,
//! 300 requests per minute per key (429 beyond), errors `{detail, status_code, error_type}`,
//! paths under `/api/…`.
//!
//! Where the document is silent the simulator picks the plain reading and says so here:
//! - ingest requires `name` and `email`; a bulk ingest with any invalid candidate is refused
//!   whole (422 naming `data[i].field`);
//! - `GET /api/webhook/all` answers a JSON array of webhook objects;
//!   `POST /api/webhook/deactivate/{id}` answers the webhook, now inactive;
//! - webhook deliveries (payload unpublished) carry
//!   `{event_type, webhook_id, posting_id, interview_id, timestamp}` as JSON for `post`
//!   webhooks, or as query parameters for `get` ones;
//! - interview `details.status` moves `pending → in_progress → evaluating → completed`;
//!   `score` is `null` until completed.

mod api;
mod control;
mod model;

use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;

pub use model::State;

use crate::shared::Shared;

/// The vendor API, mounted at `/heymilo`.
pub fn routes(shared: Shared) -> Router {
    api::routes(shared)
}

/// Controls for tests, mounted at `/_control/heymilo`.
pub fn control(shared: Shared) -> Router {
    control::routes(shared)
}

/// HeyMilo's documented error shape.
pub fn error(status: StatusCode, message: &str) -> Response {
    let error_type = match status.as_u16() {
        401 => "authentication_error",
        404 => "not_found",
        422 => "validation_error",
        429 => "rate_limit_error",
        _ => "internal_server_error",
    };
    (
        status,
        axum::Json(serde_json::json!({
            "detail": message,
            "status_code": status.as_u16(),
            "error_type": error_type,
        })),
    )
        .into_response()
}
