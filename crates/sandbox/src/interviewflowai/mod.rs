//! The interviewflowai simulator (to be built by its issue).

use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;

use crate::shared::Shared;

/// In-memory state: accounts by API key and everything they own.
#[derive(Default)]
pub struct State {}

/// The vendor API, mounted at `/interviewflowai`.
pub fn routes(_shared: Shared) -> Router {
    Router::new()
}

/// Controls for tests, mounted at `/_control/interviewflowai`.
pub fn control(_shared: Shared) -> Router {
    Router::new()
}

/// The vendor's error response for `status`.
pub fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}
