//! TapTalent's partner API for assessment flows, as
//! `shared/vendor-docs/taptalent-assessment-flows.txt` and notes.md document it:
//! `Authorization: Bearer sk_live_…|sk_test_…`, the `{"status":"success","data":…}` envelope,
//! errors `{"error":{code,type,message,details}}`, flows whose existing stages cannot be
//! changed or removed (only thresholds adjusted and stages appended), flow candidates paged
//! with `page` and `pageSize`/`perPage` (default 10, max 100), `search` and `status`
//! filters, assignment by email or `jobCandidateId`, and single assessments under
//! `/assessment` (`pageNumber`, `perPage` one of 10/20/40/80/100).
//!
//! Where the documents are silent the simulator picks the plain reading and says so here:
//! - a missing or unknown key answers 401 `{"error":{"code":"UNAUTHORIZED",
//!   "type":"authentication_error",…}}`; an inactive account 403 `ACCOUNT_INACTIVE`;
//! - create answers 201 with the flow; `PATCH` takes the create shape (`flowName` and
//!   `steps` required) and answers the updated flow; flow `status` is `ACTIVE` or `INACTIVE`;
//! - ids are numbers; a non-numeric flow id is a missing flow (404 `NOT_FOUND`);
//! - the candidate list answers `{"candidates":[…],"pagination":{"page","limit","total"}}`
//!   (the shape of the assessment list); each candidate carries its assignment `id`,
//!   `status`, `currentStep`, and `attempts[]` with per-step `score`, `passThreshold` and
//!   `passed`;
//! - assigning a candidate already on the flow is refused (400 `INVALID_REQUEST`);
//! - a step scored below its `passThreshold` ends the assignment `FAILED`; passing the last
//!   step ends it `COMPLETED`;
//! - webhooks (one URL and key per company) are named `assessment.started`,
//!   `assessment.scoring_completed`, `assessment.ended` and `assessment.error`, with
//!   `data: {flowId, assignmentId, assessmentId, email, status, score}`; a failed delivery is
//!   retried twice.

mod api;
mod control;
mod model;

use axum::response::{IntoResponse, Response};
use axum::Router;
use http::StatusCode;
use serde_json::{json, Map, Value};

pub use model::State;

use crate::shared::Shared;

/// The vendor API, mounted at `/taptalent` (paths under `/v1/partner`).
pub fn routes(shared: Shared) -> Router {
    api::routes(shared)
}

/// Controls for tests, mounted at `/_control/taptalent`.
pub fn control(shared: Shared) -> Router {
    control::routes(shared)
}

/// TapTalent's error envelope.
pub fn error(status: StatusCode, message: &str) -> Response {
    let (code, kind) = match status.as_u16() {
        400 => ("INVALID_REQUEST", "validation_error"),
        401 => ("UNAUTHORIZED", "authentication_error"),
        403 => ("FORBIDDEN", "permission_error"),
        404 => ("NOT_FOUND", "not_found_error"),
        _ => ("INTERNAL_ERROR", "api_error"),
    };
    coded(status, code, kind, message, None)
}

/// An error with an explicit code, and per-field details for validation failures.
pub fn coded(
    status: StatusCode,
    code: &str,
    kind: &str,
    message: &str,
    details: Option<Map<String, Value>>,
) -> Response {
    let mut e = json!({"code": code, "type": kind, "message": message});
    if let Some(d) = details {
        e["details"] = Value::Object(d);
    }
    (status, axum::Json(json!({ "error": e }))).into_response()
}

/// 400 `INVALID_REQUEST` naming each bad field.
pub fn invalid(details: Map<String, Value>) -> Response {
    let message = details
        .iter()
        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ");
    coded(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        "validation_error",
        &message,
        Some(details),
    )
}

/// The success envelope.
pub fn success(status: StatusCode, data: Value) -> Response {
    (
        status,
        axum::Json(json!({"status": "success", "data": data})),
    )
        .into_response()
}
