//! The operator's side of the ATS partner contracts (`crate::partners`): what each ATS sent
//! and whether its completion callback went out, the errors it reported, and which
//! templates it may not see.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{InterviewId, Scope, TemplateId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::candidates::PageParams;
use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::partners::KNOWN;
use crate::service::audit::{self, Action};
use crate::service::interviews::load_template;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests))
        .routes(routes!(list_errors))
        .routes(routes!(hide_template, show_template))
}

/// One test an ATS sent, and its completion callback.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerRequestOut {
    pub id: String,
    #[schema(example = "greenhouse")]
    pub partner: String,
    pub template_id: TemplateId,
    /// `null` while the send is under way (or died and awaits the ATS's retry).
    pub interview_id: Option<InterviewId>,
    /// Where the completion callback goes.
    pub callback_url: String,
    pub profile_url: Option<String>,
    /// `waiting` (for the interview to complete, or for the next retry), `sent`, `failed`
    /// (retries exhausted).
    #[schema(example = "waiting")]
    pub callback_status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub notified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<gateway_store::PartnerRequest> for PartnerRequestOut {
    fn from(r: gateway_store::PartnerRequest) -> Self {
        Self {
            id: r.id.to_string(),
            partner: r.partner,
            template_id: r.template_id,
            interview_id: r.interview_id,
            callback_url: r.callback_url,
            profile_url: r.profile_url,
            callback_status: r.callback_status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
            notified_at: r.notified_at,
            created_at: r.created_at,
        }
    }
}

/// An error an ATS reported about one of the gateway's answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerErrorOut {
    pub id: String,
    pub partner: String,
    #[schema(example = "test_status")]
    pub api_call: String,
    pub errors: Vec<String>,
    pub partner_test_id: Option<String>,
    pub partner_interview_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<gateway_store::PartnerError> for PartnerErrorOut {
    fn from(e: gateway_store::PartnerError) -> Self {
        Self {
            id: e.id.to_string(),
            partner: e.partner,
            api_call: e.api_call,
            errors: e.errors,
            partner_test_id: e.partner_test_id,
            partner_interview_id: e.partner_interview_id,
            created_at: e.created_at,
        }
    }
}

list_of!(PartnerRequestList, PartnerRequestOut);
list_of!(PartnerErrorList, PartnerErrorOut);

fn known(partner: &str) -> ApiResult<&'static str> {
    KNOWN
        .iter()
        .copied()
        .find(|p| *p == partner)
        .ok_or_else(|| ApiError::not_found(partner))
}

/// The tests an ATS sent, newest first, with their completion callbacks. Scope
/// `interviews:read`.
#[utoipa::path(get, path = "/v1/partners/{partner}/requests", tag = "partners",
    params(("partner" = String, Path, description = "`greenhouse`"), PageParams),
    responses((status = 200, body = PartnerRequestList)))]
pub async fn list_requests(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(partner): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<PartnerRequestList> {
    principal.require(Scope::InterviewsRead)?;
    let partner = known(&partner)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let got = state
        .store
        .list_partner_requests(principal.workspace_id, partner, page)
        .await?;
    Ok(got.map(PartnerRequestOut::from).into())
}

/// Errors an ATS reported about the gateway's answers, newest first. Scope
/// `interviews:read`.
#[utoipa::path(get, path = "/v1/partners/{partner}/errors", tag = "partners",
    params(("partner" = String, Path, description = "`greenhouse`"), PageParams),
    responses((status = 200, body = PartnerErrorList)))]
pub async fn list_errors(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(partner): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<PartnerErrorList> {
    principal.require(Scope::InterviewsRead)?;
    let partner = known(&partner)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let got = state
        .store
        .list_partner_errors(principal.workspace_id, partner, page)
        .await?;
    Ok(got.map(PartnerErrorOut::from).into())
}

/// Hide a template from the partner's list of tests (and refuse sends of it). Idempotent.
/// Scope `templates:write`.
#[utoipa::path(put, path = "/v1/partners/{partner}/hidden-templates/{template_id}", tag = "partners",
    params(("partner" = String, Path, description = "`greenhouse`"), ("template_id" = TemplateId, Path)),
    responses((status = 204, description = "Hidden")))]
pub async fn hide_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((partner, id)): ApiPath<(String, TemplateId)>,
) -> ApiResult<StatusCode> {
    set_hidden(&state, &principal, &partner, id, true).await
}

/// Show a hidden template to the partner again. Idempotent. Scope `templates:write`.
#[utoipa::path(delete, path = "/v1/partners/{partner}/hidden-templates/{template_id}", tag = "partners",
    params(("partner" = String, Path, description = "`greenhouse`"), ("template_id" = TemplateId, Path)),
    responses((status = 204, description = "Shown")))]
pub async fn show_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath((partner, id)): ApiPath<(String, TemplateId)>,
) -> ApiResult<StatusCode> {
    set_hidden(&state, &principal, &partner, id, false).await
}

async fn set_hidden(
    state: &AppState,
    principal: &Principal,
    partner: &str,
    id: TemplateId,
    hidden: bool,
) -> ApiResult<StatusCode> {
    principal.require(Scope::TemplatesWrite)?;
    let partner = known(partner)?;
    let ws = principal.workspace_id;
    // 404 for a template that is not this workspace's.
    load_template(state, ws, id).await?;
    let changed = state
        .store
        .set_template_hidden(ws, partner, id, hidden, now())
        .await?;
    if changed {
        audit::record(Action {
            workspace: ws,
            actor: Some(principal.key_id),
            action: if hidden {
                "partner.template_hidden"
            } else {
                "partner.template_shown"
            },
            target_type: "template",
            target_id: id.to_string(),
            details: serde_json::json!({ "partner": partner }),
            state,
        })
        .await;
    }
    Ok(StatusCode::NO_CONTENT)
}
