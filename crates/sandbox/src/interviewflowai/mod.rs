//! InterviewFlowAI, as `shared/vendor-docs/interviewflowai-ingest.md`,
//! `interviewflowai-fetch.txt` and notes.md document it: `X-API-KEY`; ingest
//! (`POST /api/external/ingest/candidates`) with `interviewerId`, `status`
//! (`shortlisted`/`draft`, omitted = public interviewer → shortlisted, private → draft;
//! shortlisting needs resume screening and screening questions off), `skills[]` and
//! `data[]` (name and email required, `additionalFields`, `metadata`,
//! `metadata.sendEmailAfter` 1–96 hours); fetch (`POST /api/external/fetch/candidates`)
//! paginated by `page`/`limit`, one candidate by `interviewId`, filtered by
//! `additionalFields` (a number matches values at least that number, a string matches
//! exactly); dashboard webhooks `interview.started`, `interview.in_progress`,
//! `interview.completed`, `interview.report_available`, retried, carrying a webhook id.
//!
//! Where the documents are silent (response bodies, errors, webhook payloads are not
//! published) the simulator picks the plain reading and says so here:
//! - errors are `{"success": false, "message", "errors"?: [{field, message}]}`: 401 for a
//!   missing or unknown key, 400 for validation, 404 for an unknown interviewer or
//!   interview id;
//! - `skills` is accepted at the top level (the table) and per candidate (the example);
//! - ingest answers `{"success": true, "message", "data": {"ingested": [{interviewId,
//!   email, name, status}], "skipped": [{email, reason}]}}`; a candidate already in the
//!   interviewer's pipeline is skipped. An account created with `bare_ingest` answers only
//!   `{"success": true, "message"}` — an adapter must cope with not being told the ids;
//! - fetch answers `{"success": true, "data": [candidate…], "pagination": {page, limit,
//!   total, totalPages}}` with `limit` defaulting to 10 and capped at 100; a candidate is
//!   `{interviewId, interviewerId, name, email, status, interviewStatus (pending, started,
//!   in_progress, completed), reportAvailable, score (0–100), report {summary, strengths,
//!   weaknesses, reportUrl}, additionalFields, metadata, skills, interviewLink, createdAt,
//!   updatedAt}`;
//! - webhooks are `{"id": "wh_…", "event", "createdAt", "data": <candidate>}`, unsigned,
//!   retried twice.

mod api;
mod control;
mod model;

use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;
use serde_json::{json, Value};

pub use model::State;

use crate::shared::Shared;

/// The vendor API, mounted at `/interviewflowai`.
pub fn routes(shared: Shared) -> Router {
    api::routes(shared)
}

/// Controls for tests, mounted at `/_control/interviewflowai`.
pub fn control(shared: Shared) -> Router {
    control::routes(shared)
}

/// The vendor's error response for `status`.
pub fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"success": false, "message": message})),
    )
        .into_response()
}

/// 400 naming each bad field.
pub fn validation(errors: Vec<(String, String)>) -> Response {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|(field, message)| json!({"field": field, "message": message}))
        .collect();
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"success": false, "message": "Validation failed", "errors": errors})),
    )
        .into_response()
}
