//! Flowmingo, as `shared/vendor-docs/flowmingo.txt` and notes.md document it: `X-API-Key:
//! fl_live_<id>.<secret>` with optional scopes (`create_set`, `invite_candidates`), the
//! `results` envelope, per-candidate errors, a CV-entry path, dashboard webhooks signed
//! with HMAC.
//!
//! Where the documents are silent the simulator picks the plain reading and says so here:
//! - error bodies (unpublished) are NestJS-style: `{"statusCode", "error", "message"}` where
//!   `message` is a string, or a list of strings for validation failures (400);
//! - `GET /company/integration/me/v1` answers `{"results": {organization_id, key_id, scopes}}`;
//! - a candidate with an invalid email gets `error_message`; one already invited to the set
//!   gets `invitation_error_message` (no second invitation); a candidate without email but
//!   with `cv_link` is queued for CV entry: `candidate_entry: {id, status_text: "queued"}`;
//! - `send_invite: false` creates the submission without an invitation;
//! - webhooks: envelope `{schema_version, event_type, event_id, organization_id, is_test,
//!   data}`, header `X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//!   keyed with the secret string as configured (`whsec_…`), retried up to 3 times.

mod api;
mod control;
mod model;

use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;

pub use model::State;

use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    api::routes(shared)
}

pub fn control(shared: Shared) -> Router {
    control::routes(shared)
}

/// Flowmingo's error shape (NestJS-style; see the module docs).
pub fn error(status: StatusCode, message: &str) -> Response {
    let error = status.canonical_reason().unwrap_or("Error");
    (
        status,
        axum::Json(
            serde_json::json!({"statusCode": status.as_u16(), "error": error, "message": message}),
        ),
    )
        .into_response()
}

/// A 400 listing every validation failure, as class-validator reports them.
pub fn validation(messages: Vec<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(
            serde_json::json!({"statusCode": 400, "error": "Bad Request", "message": messages}),
        ),
    )
        .into_response()
}
