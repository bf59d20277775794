use axum::extract::State;
use axum::Json;
use gateway_core::time::now;
use gateway_core::{Candidate, CandidateId, CandidateInput, Interview, Scope};
use gateway_store::{CandidateFilter, InterviewFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::interviews::InterviewList;
use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::{self, Checks};
use crate::service::personal_data::{self, CandidateErasure, CandidateExport};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upsert_candidate, list_candidates))
        .routes(routes!(get_candidate, erase_candidate))
        .routes(routes!(candidate_interviews))
        .routes(routes!(export_candidate))
}

list_of!(CandidateList, Candidate);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidateListParams {
    /// Exact email (case-insensitive).
    pub email: Option<String>,
    pub external_id: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// Create or update a candidate: matched by `external_id` when given (a candidate with the
/// same email and no external id adopts it), else by email. Given fields overwrite; absent
/// ones are kept.
#[utoipa::path(post, path = "/v1/candidates", tag = "candidates", request_body = CandidateInput,
    responses((status = 200, body = Candidate)))]
pub async fn upsert_candidate(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CandidateInput>,
) -> ApiResult<Json<Candidate>> {
    principal.require(Scope::CandidatesWrite)?;
    let mut checks = Checks::new();
    let input = validate::candidate(&mut checks, "candidate", &body);
    checks.finish()?;
    Ok(Json(
        state
            .store
            .upsert_candidate(principal.workspace_id, &input, now())
            .await?,
    ))
}

/// List candidates, newest first.
#[utoipa::path(get, path = "/v1/candidates", tag = "candidates", params(CandidateListParams),
    responses((status = 200, body = CandidateList)))]
pub async fn list_candidates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<CandidateListParams>,
) -> ApiResult<CandidateList> {
    principal.require(Scope::CandidatesRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let filter = CandidateFilter {
        email: q.email,
        external_id: q.external_id,
    };
    Ok(state
        .store
        .list_candidates(principal.workspace_id, &filter, page)
        .await?
        .into())
}

/// Get a candidate. An erased candidate answers with its ids and timestamps, `erased_at`
/// set and its personal fields empty.
#[utoipa::path(get, path = "/v1/candidates/{id}", tag = "candidates",
    params(("id" = CandidateId, Path, description = "Candidate id")),
    responses((status = 200, body = Candidate)))]
pub async fn get_candidate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<CandidateId>,
) -> ApiResult<Json<Candidate>> {
    principal.require(Scope::CandidatesRead)?;
    let c = state
        .store
        .get_candidate(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(c))
}

/// A candidate's interviews, at every vendor, newest first.
#[utoipa::path(get, path = "/v1/candidates/{id}/interviews", tag = "candidates",
    params(("id" = CandidateId, Path, description = "Candidate id"), PageParams),
    responses((status = 200, body = InterviewList)))]
pub async fn candidate_interviews(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<CandidateId>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<InterviewList> {
    principal.require(Scope::InterviewsRead)?;
    let ws = principal.workspace_id;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    state
        .store
        .get_candidate(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    let filter = InterviewFilter {
        candidate_id: Some(id),
        ..Default::default()
    };
    let page: gateway_store::Page<Interview> =
        state.store.list_interviews(ws, &filter, page).await?;
    Ok(page.into())
}

/// Erase a candidate's personal data: the candidate record, every interview's url, result
/// (scores, transcript, artifacts), error and vendor data, the events and webhook payloads
/// about them, stored idempotent replays and vendor webhooks naming them. Ids, statuses and
/// timestamps stay. Subscribed endpoints get `candidate.erased` (ids only). The vendors keep
/// their own copies: `vendor_copies` names them with the vendor's ids. Erasing an erased
/// candidate changes nothing and answers the same (200, the first `erased_at`).
#[utoipa::path(delete, path = "/v1/candidates/{id}", tag = "candidates",
    params(("id" = CandidateId, Path, description = "Candidate id")),
    responses((status = 200, body = CandidateErasure),
        (status = 404, description = "No such candidate in this workspace", body = crate::http::error::Problem, content_type = "application/problem+json")))]
pub async fn erase_candidate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<CandidateId>,
) -> ApiResult<Json<CandidateErasure>> {
    principal.require(Scope::CandidatesWrite)?;
    Ok(Json(
        personal_data::erase(&state, principal.workspace_id, principal.key_id, id).await?,
    ))
}

/// Everything the gateway holds about a candidate (a subject-access request): the record,
/// every interview with its result, transcript, artifacts and vendor data, and their events.
#[utoipa::path(get, path = "/v1/candidates/{id}/export", tag = "candidates",
    params(("id" = CandidateId, Path, description = "Candidate id")),
    responses((status = 200, body = CandidateExport),
        (status = 404, description = "No such candidate in this workspace", body = crate::http::error::Problem, content_type = "application/problem+json")))]
pub async fn export_candidate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<CandidateId>,
) -> ApiResult<Json<CandidateExport>> {
    principal.require(Scope::CandidatesRead)?;
    Ok(Json(
        personal_data::export(&state, principal.workspace_id, id).await?,
    ))
}
