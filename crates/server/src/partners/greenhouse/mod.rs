//! Greenhouse's Assessment Partner API: Greenhouse calls these four endpoints with a
//! gateway API key as the HTTP Basic username (the auth middleware accepts Basic on
//! `/partners/`), and the key's workspace and scopes decide everything. Any connected vendor
//! can stand behind a test: a test is a template, an interview is what `send_test` makes.

mod status;
pub mod wire;

use axum::extract::State;
use axum::Json;
use gateway_core::time::now;
use gateway_core::{CandidateInput, InterviewId, Scope, TemplateId};
use gateway_store::{PageRequest, PartnerError, TemplateFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::validate::{self, Checks};
use crate::service::audit::{self, Action};
use crate::service::partners::{self, TestRequest};
use crate::state::AppState;
use crate::workers::outbound_webhooks::check_url;

use wire::{Recorded, ResponseErrorIn, SendTestIn, SendTestOut, TestOut, TestStatusOut};

pub const PARTNER: &str = "greenhouse";

/// Most templates a workspace lists to Greenhouse (one `list_tests` answer, no paging in
/// Greenhouse's contract).
const MAX_TESTS: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tests))
        .routes(routes!(send_test))
        .routes(routes!(test_status))
        .routes(routes!(response_error))
}

/// The workspace's active templates, except those hidden from Greenhouse
/// (`PUT /v1/partners/greenhouse/hidden-templates/{template_id}`). Scope `templates:read`.
#[utoipa::path(get, path = "/partners/greenhouse/list_tests", tag = "partners",
    security(("basic" = [])),
    responses((status = 200, body = Vec<TestOut>)))]
pub async fn list_tests(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<TestOut>>> {
    principal.require(Scope::TemplatesRead)?;
    let ws = principal.workspace_id;
    let hidden = state.store.hidden_templates(ws, PARTNER).await?;
    let mut tests = Vec::new();
    let mut page = PageRequest {
        limit: PageRequest::MAX_LIMIT,
        after: None,
    };
    loop {
        let got = state
            .store
            .list_templates(ws, TemplateFilter::default(), page)
            .await?;
        tests.extend(
            got.items
                .into_iter()
                .filter(|t| partners::offered(t, &hidden))
                .map(|t| TestOut {
                    partner_test_id: t.id.to_string(),
                    partner_test_name: t.name,
                }),
        );
        match got.next_after {
            Some(after) if tests.len() < MAX_TESTS => page.after = Some(after),
            _ => break,
        }
    }
    tests.truncate(MAX_TESTS);
    Ok(Json(tests))
}

/// Send a test: invites the candidate through the template's vendor exactly as
/// `POST /v1/interviews` does (the same checks, stored `pending` before the vendor is
/// called). Greenhouse retrying the same send (the same `url`) answers the same
/// `partner_interview_id`. When the interview completes, the gateway sends `PATCH <url>`.
/// Scope `interviews:write`.
#[utoipa::path(post, path = "/partners/greenhouse/send_test", tag = "partners",
    security(("basic" = [])), request_body = SendTestIn,
    responses((status = 200, body = SendTestOut)))]
pub async fn send_test(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<SendTestIn>,
) -> ApiResult<Json<SendTestOut>> {
    principal.require(Scope::InterviewsWrite)?;
    let ws = principal.workspace_id;
    let mut checks = Checks::new();
    let template_id = body.partner_test_id.parse::<TemplateId>().ok();
    if template_id.is_none() {
        checks.fail(
            "partner_test_id",
            "must be a partner_test_id from list_tests",
        );
    }
    let c = &body.candidate;
    for (field, value) in [
        ("candidate.first_name", &c.first_name),
        ("candidate.last_name", &c.last_name),
    ] {
        if value.trim().is_empty() {
            checks.fail(field, "must not be empty");
        }
    }
    let candidate = validate::candidate(
        &mut checks,
        "candidate",
        &CandidateInput {
            email: c.email.clone(),
            name: None,
            first_name: Some(c.first_name.clone()),
            last_name: Some(c.last_name.clone()),
            phone: c.phone_number.clone(),
            external_id: None,
            resume_url: c.resume_url.clone(),
            metadata: None,
        },
    );
    let allow_private = state.config.webhooks.allow_private_targets;
    let callback = link(&mut checks, "url", &body.url, allow_private);
    let profile = link(
        &mut checks,
        "candidate.greenhouse_profile_url",
        &c.greenhouse_profile_url,
        true,
    );
    checks.finish()?;
    let (Some(template_id), Some(callback), Some(profile)) = (template_id, callback, profile)
    else {
        return Err(ApiError::internal());
    };
    let interview = partners::send_test(
        &state,
        ws,
        TestRequest {
            partner: PARTNER,
            request_key: &callback,
            template_id,
            candidate,
            callback_url: &callback,
            profile_url: Some(&profile),
        },
    )
    .await?;
    Ok(Json(SendTestOut {
        partner_interview_id: interview.id.to_string(),
    }))
}

/// An http(s) URL of at most 2048 characters; `url` (where the gateway will send a PATCH)
/// must also not name a private or loopback host, which delivery checks again at connect
/// time.
fn link(checks: &mut Checks, field: &str, raw: &str, allow_private: bool) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2048 {
        checks.fail(field, "must be an http(s) URL of at most 2048 characters");
        return None;
    }
    match check_url(raw, allow_private) {
        Ok(u) => Some(u),
        Err(why) => {
            checks.fail(field, why);
            None
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TestStatusParams {
    /// The id `send_test` answered.
    pub partner_interview_id: String,
}

/// The interview as Greenhouse reads it: `partner_status` `complete` once it is completed
/// with a result, then the normalized score, a profile link (the vendor's report, else the
/// interview's console page) and flat metadata. Scope `interviews:read`.
#[utoipa::path(get, path = "/partners/greenhouse/test_status", tag = "partners",
    security(("basic" = [])), params(TestStatusParams),
    responses((status = 200, body = TestStatusOut)))]
pub async fn test_status(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TestStatusParams>,
) -> ApiResult<Json<TestStatusOut>> {
    principal.require(Scope::InterviewsRead)?;
    let id = q
        .partner_interview_id
        .parse::<InterviewId>()
        .map_err(|_| ApiError::not_found(&q.partner_interview_id))?;
    let interview = state
        .store
        .get_interview(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    let console = format!("{}/console/interviews/{}", state.config.public_url(), id);
    Ok(Json(status::test_status(&interview, &console)))
}

/// Greenhouse reporting that one of our answers was malformed: stored (without the
/// candidate's email), audited with ids only, counted in
/// `gateway_partner_errors_reported_total`, answered 200. Scope `interviews:read`.
#[utoipa::path(post, path = "/partners/greenhouse/response_error", tag = "partners",
    security(("basic" = [])), request_body = ResponseErrorIn,
    responses((status = 200, body = Recorded, description = "Recorded")))]
pub async fn response_error(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ResponseErrorIn>,
) -> ApiResult<Json<Recorded>> {
    principal.require(Scope::InterviewsRead)?;
    let ws = principal.workspace_id;
    let mut checks = Checks::new();
    let api_call = checks.optional_text("api_call", Some(&body.api_call), 100);
    if body.errors.is_empty() || body.errors.len() > 100 {
        checks.fail("errors", "must hold 1–100 messages");
    }
    let errors: Vec<String> = body
        .errors
        .iter()
        .enumerate()
        .filter_map(|(i, e)| checks.optional_text(&format!("errors[{i}]"), Some(e), 2000))
        .collect();
    let test_id = checks.optional_text("partner_test_id", body.partner_test_id.as_deref(), 100);
    let interview_id = checks.optional_text(
        "partner_interview_id",
        body.partner_interview_id.as_deref(),
        100,
    );
    checks.finish()?;
    let Some(api_call) = api_call else {
        return Err(ApiError::field("api_call", "must not be empty"));
    };
    let entry = PartnerError {
        id: uuid::Uuid::now_v7(),
        partner: PARTNER.to_string(),
        api_call: api_call.clone(),
        errors,
        partner_test_id: test_id,
        partner_interview_id: interview_id.clone(),
        created_at: now(),
    };
    state.store.record_partner_error(ws, &entry).await?;
    gateway_metrics::metrics()
        .partner_errors_reported
        .with([PARTNER])
        .inc();
    audit::record(Action {
        workspace: ws,
        actor: Some(principal.key_id),
        action: "partner.response_error",
        target_type: "partner_error",
        target_id: entry.id.to_string(),
        details: serde_json::json!({
            "partner": PARTNER,
            "api_call": api_call,
            "partner_interview_id": interview_id,
        }),
        state: &state,
    })
    .await;
    Ok(Json(Recorded {}))
}
