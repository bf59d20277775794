//! Interviews: one candidate on one template.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gateway_core::provider::InviteOptions;
use gateway_core::{
    CandidateId, CandidateInput, Interview, InterviewId, InterviewStatus, Scope, TemplateId,
};
use gateway_store::InterviewFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult, Problem};
use crate::http::extract::{ApiBatchJson, ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::{self, Checks};
use crate::service::interviews::{self as svc, Invited};
use crate::state::AppState;

pub const MAX_BATCH: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_interview, list_interviews))
        .routes(routes!(batch_interviews))
        .routes(routes!(get_interview))
        .routes(routes!(sync_interview))
}

list_of!(InterviewList, Interview);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewIn {
    pub template_id: TemplateId,
    pub candidate: CandidateInput,
    /// The invitation's text, where the vendor takes one (Flowmingo: at least 10 characters).
    #[schema(max_length = 5000)]
    pub message: Option<String>,
    /// Whether the vendor emails the candidate.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub send_invite: bool,
    /// Hours before the vendor sends the invitation (InterviewFlowAI: 1–96).
    #[schema(minimum = 0, maximum = 720)]
    pub delay_hours: Option<u32>,
    /// A new interview even if the candidate has one on this template (HeyMilo).
    #[serde(default)]
    pub retake: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub template_id: TemplateId,
    /// 1 to 1000 candidates.
    #[schema(min_items = 1, max_items = 1000)]
    pub candidates: Vec<CandidateInput>,
    #[schema(max_length = 5000)]
    pub message: Option<String>,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub send_invite: bool,
    #[schema(minimum = 0, maximum = 720)]
    pub delay_hours: Option<u32>,
    #[serde(default)]
    pub retake: bool,
}

fn yes() -> bool {
    true
}

/// One candidate's outcome in a batch: `interview`, `error`, or both when the interview is
/// kept `pending` because the vendor's answer is unknown.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    pub index: usize,
    pub interview: Option<Interview>,
    pub error: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub data: Vec<BatchItem>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InterviewListParams {
    pub template_id: Option<TemplateId>,
    pub candidate_id: Option<CandidateId>,
    pub status: Option<InterviewStatus>,
    /// Only interviews changed after this instant (RFC 3339).
    pub updated_after: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

fn options(
    checks: &mut Checks,
    message: Option<&str>,
    send_invite: bool,
    delay_hours: Option<u32>,
    retake: bool,
) -> InviteOptions {
    let message = checks.optional_text("message", message, 5000);
    if delay_hours.is_some_and(|h| h > 720) {
        checks.fail("delay_hours", "must be at most 720");
    }
    InviteOptions {
        message,
        send_invite,
        delay_hours,
        retake,
    }
}

/// Invite a candidate. 201: the vendor confirmed a new interview. 200: the vendor answered
/// with the candidate's existing interview on this template. 202: the vendor's answer is
/// unknown (timeout, outage): the interview is stored `pending` with the reason in `error`;
/// `POST /v1/interviews/{id}/sync` settles it. A vendor refusal is an error and stores nothing.
#[utoipa::path(post, path = "/v1/interviews", tag = "interviews", request_body = InterviewIn,
    responses(
        (status = 201, body = Interview, description = "Invited"),
        (status = 200, body = Interview, description = "The candidate's existing interview"),
        (status = 202, body = Interview, description = "Stored pending: the vendor's answer is unknown"),
    ))]
pub async fn create_interview(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<InterviewIn>,
) -> ApiResult<(StatusCode, Json<Interview>)> {
    principal.require(Scope::InterviewsWrite)?;
    let ws = principal.workspace_id;
    let mut checks = Checks::new();
    let candidate = validate::candidate(&mut checks, "candidate", &body.candidate);
    let opts = options(
        &mut checks,
        body.message.as_deref(),
        body.send_invite,
        body.delay_hours,
        body.retake,
    );
    checks.finish()?;
    let template = svc::load_template(&state, ws, body.template_id).await?;
    let mut results = svc::invite(&state, ws, &template, &[candidate], &opts).await?;
    match results.pop() {
        Some(Invited::Created(i)) => Ok((StatusCode::CREATED, Json(i))),
        Some(Invited::Existing(i)) => Ok((StatusCode::OK, Json(i))),
        Some(Invited::Pending(i, _)) => Ok((StatusCode::ACCEPTED, Json(i))),
        Some(Invited::Failed(e)) => Err(e),
        None => Err(ApiError::internal()),
    }
}

/// Invite up to 1000 candidates to one template, in as few vendor calls as the vendor's
/// bulk endpoint allows. Each candidate has its own outcome; one failing never fails the
/// others. Invalid candidates are reported and not sent.
#[utoipa::path(post, path = "/v1/interviews/batch", tag = "interviews", request_body = BatchIn,
    responses((status = 200, body = BatchResult)))]
pub async fn batch_interviews(
    State(state): State<AppState>,
    principal: Principal,
    ApiBatchJson(body): ApiBatchJson<BatchIn>,
) -> ApiResult<Json<BatchResult>> {
    principal.require(Scope::InterviewsWrite)?;
    let ws = principal.workspace_id;
    if body.candidates.is_empty() || body.candidates.len() > MAX_BATCH {
        return Err(ApiError::field(
            "candidates",
            format!("give between 1 and {MAX_BATCH} candidates"),
        ));
    }
    let mut shared = Checks::new();
    let opts = options(
        &mut shared,
        body.message.as_deref(),
        body.send_invite,
        body.delay_hours,
        body.retake,
    );
    shared.finish()?;
    let template = svc::load_template(&state, ws, body.template_id).await?;

    let mut items: Vec<Option<BatchItem>> = (0..body.candidates.len()).map(|_| None).collect();
    let mut valid_idx = Vec::new();
    let mut valid = Vec::new();
    let mut seen = HashSet::new();
    for (i, c) in body.candidates.iter().enumerate() {
        let mut checks = Checks::new();
        let input = validate::candidate(&mut checks, &format!("candidates[{i}]"), c);
        let key = input
            .external_id
            .clone()
            .unwrap_or_else(|| gateway_core::candidate::normalize_email(&input.email));
        if !seen.insert(key) {
            checks.fail(
                format!("candidates[{i}]"),
                "the same candidate appears earlier in this batch",
            );
        }
        match checks.finish() {
            Ok(()) => {
                valid_idx.push(i);
                valid.push(input);
            }
            Err(e) => {
                items[i] = Some(BatchItem {
                    index: i,
                    interview: None,
                    error: Some(e.problem()),
                })
            }
        }
    }
    if !valid.is_empty() {
        let results = svc::invite(&state, ws, &template, &valid, &opts).await?;
        for (i, r) in valid_idx.into_iter().zip(results) {
            items[i] = Some(match r {
                Invited::Created(iv) | Invited::Existing(iv) => BatchItem {
                    index: i,
                    interview: Some(iv),
                    error: None,
                },
                Invited::Pending(iv, e) => BatchItem {
                    index: i,
                    interview: Some(iv),
                    error: Some(e.problem()),
                },
                Invited::Failed(e) => BatchItem {
                    index: i,
                    interview: None,
                    error: Some(e.problem()),
                },
            });
        }
    }
    let data = items
        .into_iter()
        .enumerate()
        .map(|(i, it)| {
            it.unwrap_or_else(|| BatchItem {
                index: i,
                interview: None,
                error: Some(ApiError::internal().problem()),
            })
        })
        .collect();
    Ok(Json(BatchResult { data }))
}

/// List interviews, newest first.
#[utoipa::path(get, path = "/v1/interviews", tag = "interviews", params(InterviewListParams),
    responses((status = 200, body = InterviewList)))]
pub async fn list_interviews(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<InterviewListParams>,
) -> ApiResult<InterviewList> {
    principal.require(Scope::InterviewsRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let filter = InterviewFilter {
        template_id: q.template_id,
        candidate_id: q.candidate_id,
        status: q.status,
        updated_after: q.updated_after,
    };
    Ok(state
        .store
        .list_interviews(principal.workspace_id, &filter, page)
        .await?
        .into())
}

/// Get an interview as stored (no vendor call; see `sync`).
#[utoipa::path(get, path = "/v1/interviews/{id}", tag = "interviews",
    params(("id" = InterviewId, Path, description = "Interview id")),
    responses((status = 200, body = Interview)))]
pub async fn get_interview(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<InterviewId>,
) -> ApiResult<Json<Interview>> {
    principal.require(Scope::InterviewsRead)?;
    let i = state
        .store
        .get_interview(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(i))
}

/// Read the interview from the vendor now and store what it reports. A `pending` interview
/// the vendor does have becomes confirmed.
#[utoipa::path(post, path = "/v1/interviews/{id}/sync", tag = "interviews",
    params(("id" = InterviewId, Path, description = "Interview id")),
    responses((status = 200, body = Interview)))]
pub async fn sync_interview(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<InterviewId>,
) -> ApiResult<Json<Interview>> {
    principal.require(Scope::InterviewsWrite)?;
    Ok(Json(svc::sync(&state, principal.workspace_id, id).await?))
}
