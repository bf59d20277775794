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
use crate::http::interview_refs;
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::{self, Checks};
use crate::service::interviews::{self as svc, Invitation, Invited};
use crate::service::lifecycle;
use crate::state::AppState;

pub const MAX_BATCH: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_interview, list_interviews))
        .routes(routes!(batch_interviews))
        .routes(routes!(get_interview, patch_interview))
        .routes(routes!(sync_interview))
        .routes(routes!(cancel_interview))
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
    /// A new interview even if the candidate has an open one on this template. Without
    /// it, an invitation for a candidate with an open interview there (pending included)
    /// answers that interview (200). A retake not yet confirmed by the vendor answers a
    /// repeated retake, so a retried retake is sent once.
    #[serde(default)]
    pub retake: bool,
    /// Your reference for this interview (an application id…), unique in the workspace: a
    /// second create with it answers the existing interview (200). 1–255 characters.
    #[schema(max_length = 255)]
    pub external_id: Option<String>,
    /// Your flat key/value data: at most 50 keys of 1–40 characters `[A-Za-z0-9_.-]`, values
    /// strings (≤ 500 characters), numbers, booleans or null. Returned on the interview and
    /// in every event about it.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

/// One invitation of a batch given with its own references.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchItemIn {
    pub candidate: CandidateInput,
    /// As on `POST /v1/interviews`.
    #[schema(max_length = 255)]
    pub external_id: Option<String>,
    /// As on `POST /v1/interviews`.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub template_id: TemplateId,
    /// 1 to 1000 candidates. Give either `candidates` or `items`.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub candidates: Vec<CandidateInput>,
    /// 1 to 1000 invitations, each with its own `external_id` and `metadata`. Give either
    /// `candidates` or `items`.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub items: Vec<BatchItemIn>,
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

struct BatchEntry<'a> {
    at: String,
    candidate_at: String,
    candidate: &'a CandidateInput,
    external_id: Option<&'a str>,
    metadata: Option<&'a serde_json::Value>,
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
    /// The interview with this `external_id`.
    #[param(max_length = 255)]
    pub external_id: Option<String>,
    /// `key:value`: interviews whose `metadata[key]` is `value` (numbers and booleans match
    /// their JSON text, e.g. `round:2`, `remote:true`).
    #[param(max_length = 541)]
    pub metadata: Option<String>,
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

/// Invite a candidate. 201: the vendor confirmed a new interview. 200: an existing
/// interview answers the invitation (the same `external_id`, the candidate's open interview
/// on this template, or the vendor handed back one it had); nothing is sent again. 202: the vendor's answer is
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
    let external_id =
        interview_refs::external_id(&mut checks, "external_id", body.external_id.as_deref());
    let metadata = interview_refs::metadata(&mut checks, "metadata", body.metadata.as_ref());
    let opts = options(
        &mut checks,
        body.message.as_deref(),
        body.send_invite,
        body.delay_hours,
        body.retake,
    );
    checks.finish()?;
    let template = svc::load_template(&state, ws, body.template_id).await?;
    let invitation = Invitation {
        candidate,
        external_id,
        metadata,
    };
    let mut results = svc::invite(&state, ws, &template, &[invitation], &opts).await?;
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
    let (field, given) = match (body.candidates.is_empty(), body.items.is_empty()) {
        (false, true) => ("candidates", body.candidates.len()),
        (true, false) => ("items", body.items.len()),
        _ => {
            return Err(ApiError::field(
                "candidates",
                "give either `candidates` or `items`, not both",
            ))
        }
    };
    if given > MAX_BATCH {
        return Err(ApiError::field(
            field,
            format!("give between 1 and {MAX_BATCH} invitations"),
        ));
    }
    // Each invitation: where it is in the body, the candidate and the candidate's path,
    // its external_id and metadata.
    let entries: Vec<BatchEntry> = if field == "candidates" {
        body.candidates
            .iter()
            .enumerate()
            .map(|(i, c)| BatchEntry {
                at: format!("candidates[{i}]"),
                candidate_at: format!("candidates[{i}]"),
                candidate: c,
                external_id: None,
                metadata: None,
            })
            .collect()
    } else {
        body.items
            .iter()
            .enumerate()
            .map(|(i, it)| BatchEntry {
                at: format!("items[{i}]"),
                candidate_at: format!("items[{i}].candidate"),
                candidate: &it.candidate,
                external_id: it.external_id.as_deref(),
                metadata: it.metadata.as_ref(),
            })
            .collect()
    };
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

    let mut items: Vec<Option<BatchItem>> = (0..given).map(|_| None).collect();
    let mut valid_idx = Vec::new();
    let mut valid = Vec::new();
    let mut seen = HashSet::new();
    let mut seen_refs = HashSet::new();
    for (i, e) in entries.into_iter().enumerate() {
        let at = e.at;
        let mut checks = Checks::new();
        let input = validate::candidate(&mut checks, &e.candidate_at, e.candidate);
        let external_id =
            interview_refs::external_id(&mut checks, &format!("{at}.external_id"), e.external_id);
        let metadata = interview_refs::metadata(&mut checks, &format!("{at}.metadata"), e.metadata);
        let key = input
            .external_id
            .clone()
            .unwrap_or_else(|| gateway_core::candidate::normalize_email(&input.email));
        if !seen.insert(key) {
            checks.fail(
                at.clone(),
                "the same candidate appears earlier in this batch",
            );
        }
        if let Some(e) = &external_id {
            if !seen_refs.insert(e.clone()) {
                checks.fail(
                    format!("{at}.external_id"),
                    "the same external_id appears earlier in this batch",
                );
            }
        }
        match checks.finish() {
            Ok(()) => {
                valid_idx.push(i);
                valid.push(Invitation {
                    candidate: input,
                    external_id,
                    metadata,
                });
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
    if q.external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > 255)
    {
        return Err(
            ApiError::field("external_id", "must be at most 255 characters")
                .with_code(crate::http::error::ErrorCode::MalformedRequest),
        );
    }
    let metadata = q
        .metadata
        .as_deref()
        .map(interview_refs::metadata_filter)
        .transpose()?;
    let filter = InterviewFilter {
        template_id: q.template_id,
        candidate_id: q.candidate_id,
        status: q.status,
        updated_after: q.updated_after,
        external_id: q.external_id,
        metadata,
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewPatch {
    /// Replaces the interview's metadata as a whole (`{}` clears it); limits as on create.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
}

/// Change an interview's metadata: the object given replaces the stored one (send the
/// whole object; there is no per-key merge, so `null` stays a value). No vendor call and no
/// event; later events carry the new metadata.
#[utoipa::path(patch, path = "/v1/interviews/{id}", tag = "interviews", request_body = InterviewPatch,
    params(("id" = InterviewId, Path, description = "Interview id")),
    responses((status = 200, body = Interview)))]
pub async fn patch_interview(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<InterviewId>,
    ApiJson(body): ApiJson<InterviewPatch>,
) -> ApiResult<Json<Interview>> {
    principal.require(Scope::InterviewsWrite)?;
    let mut checks = Checks::new();
    let metadata = interview_refs::metadata(&mut checks, "metadata", Some(&body.metadata));
    checks.finish()?;
    Ok(Json(
        lifecycle::set_metadata(&state, principal.workspace_id, id, &metadata).await?,
    ))
}

/// The cancelled interview, and whether the vendor was told.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelResult {
    pub interview: Interview,
    /// `false`: the vendor has no cancel call (none of the four documents one; see
    /// `capabilities.cancel` in `GET /v1/providers`), so the candidate may still reach the
    /// interview there. The gateway stops polling it and records later vendor news in
    /// `remote_data` without reopening it.
    pub vendor_notified: bool,
}

/// Cancel an open interview: status `cancelled`, an `interview.cancelled` event, no more
/// polling. A terminal interview (completed, expired, error, cancelled, superseded) answers
/// 409 `invalid_state`.
#[utoipa::path(post, path = "/v1/interviews/{id}/cancel", tag = "interviews",
    params(("id" = InterviewId, Path, description = "Interview id")),
    responses((status = 200, body = CancelResult)))]
pub async fn cancel_interview(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<InterviewId>,
) -> ApiResult<Json<CancelResult>> {
    principal.require(Scope::InterviewsWrite)?;
    let done = lifecycle::cancel(&state, principal.workspace_id, id).await?;
    Ok(Json(CancelResult {
        interview: done.interview,
        vendor_notified: done.vendor_notified,
    }))
}
