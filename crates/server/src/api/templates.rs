//! Templates: what a candidate is invited to (a Flowmingo set, an InterviewFlowAI
//! interviewer, a HeyMilo posting, a TapTalent flow).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gateway_core::provider::{
    QuestionDraft, RemoteTemplate, RequirementDraft, StepDraft, TemplateDraft, TemplateUpdate,
};
use gateway_core::{
    Capability, ConnectionId, ProviderError, ProviderRef, Scope, Template, TemplateId,
    TemplateStatus,
};
use gateway_store::TemplateFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::Checks;
use crate::service::connections as conn_svc;
use crate::service::templates::{ensure_webhooks, upsert_remote};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(link_template))
        .routes(routes!(get_template, update_template))
        .routes(routes!(import_templates))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    pub connection_id: ConnectionId,
    #[schema(
        example = "Senior Backend Engineer - Async Interview",
        min_length = 1,
        max_length = 1024
    )]
    pub name: String,
    pub description: Option<String>,
    #[schema(example = "Senior Backend Engineer")]
    pub position: Option<String>,
    #[schema(example = "Engineering")]
    pub department: Option<String>,
    #[schema(example = 30, minimum = 1, maximum = 600)]
    pub duration_minutes: Option<u32>,
    #[schema(example = 1, minimum = 0, maximum = 100)]
    pub retakes: Option<u32>,
    pub questions: Option<Vec<QuestionDraft>>,
    pub requirements: Option<Vec<RequirementDraft>>,
    /// TapTalent flows: the assessments and their pass thresholds.
    pub steps: Option<Vec<StepDraft>>,
    /// Vendor-specific fields the unified model does not name (see each provider's docs).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub connection_id: ConnectionId,
    pub provider_ref: ProviderRef,
    /// Required when the vendor cannot be asked for the object's name.
    #[schema(max_length = 1024)]
    pub name: Option<String>,
}

/// Changes to make at the vendor; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[schema(min_length = 1, max_length = 1024)]
    pub name: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    pub status: Option<TemplateStatus>,
    /// The whole list of steps wanted. TapTalent keeps existing stages as they are: their
    /// pass thresholds may change and new steps may be appended.
    pub steps: Option<Vec<StepDraft>>,
}

list_of!(TemplateList, Template);

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedTemplates {
    pub data: Vec<Template>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateListParams {
    /// Only this connection's templates.
    pub connection_id: Option<ConnectionId>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

fn check_steps(steps: &[StepDraft], checks: &mut Checks) {
    if steps.len() > 50 {
        checks.fail("steps", "at most 50 steps");
    }
    for (i, s) in steps.iter().enumerate() {
        checks.text(&format!("steps[{i}].assessment_id"), &s.assessment_id, 200);
        checks.optional_text(&format!("steps[{i}].name"), s.name.as_deref(), 1024);
        if !(0.0..=100.0).contains(&s.pass_threshold) {
            checks.fail(
                format!("steps[{i}].pass_threshold"),
                "must be between 0 and 100",
            );
        }
    }
}

fn draft(body: TemplateIn, checks: &mut Checks) -> TemplateDraft {
    let name = checks.text("name", &body.name, 1024);
    let description = checks.optional_text("description", body.description.as_deref(), 20_000);
    let position = checks.optional_text("position", body.position.as_deref(), 1024);
    let department = checks.optional_text("department", body.department.as_deref(), 1024);
    if body
        .duration_minutes
        .is_some_and(|d| !(1..=600).contains(&d))
    {
        checks.fail("duration_minutes", "must be between 1 and 600");
    }
    if body.retakes.is_some_and(|r| r > 100) {
        checks.fail("retakes", "must be at most 100");
    }
    let questions = body.questions.unwrap_or_default();
    if questions.len() > 200 {
        checks.fail("questions", "at most 200 questions");
    }
    for (i, q) in questions.iter().enumerate() {
        checks.text(&format!("questions[{i}].prompt"), &q.prompt, 5000);
        checks.optional_text(&format!("questions[{i}].title"), q.title.as_deref(), 5000);
    }
    let requirements = body.requirements.unwrap_or_default();
    if requirements.len() > 200 {
        checks.fail("requirements", "at most 200 requirements");
    }
    for (i, r) in requirements.iter().enumerate() {
        checks.text(&format!("requirements[{i}].title"), &r.title, 5000);
        checks.optional_text(
            &format!("requirements[{i}].description"),
            r.description.as_deref(),
            5000,
        );
    }
    let steps = body.steps.unwrap_or_default();
    check_steps(&steps, checks);
    let settings = body.settings.unwrap_or_else(|| serde_json::json!({}));
    if !settings.is_object() {
        checks.fail("settings", "must be an object");
    }
    TemplateDraft {
        name,
        description,
        position,
        department,
        duration_minutes: body.duration_minutes,
        retakes: body.retakes,
        questions,
        requirements,
        steps,
        settings,
    }
}

/// Create a template at the vendor (Flowmingo: an interview set; TapTalent: an assessment
/// flow) and register it here.
#[utoipa::path(post, path = "/v1/templates", tag = "templates", request_body = TemplateIn,
    responses((status = 201, body = Template)))]
pub async fn create_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<TemplateIn>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    principal.require(Scope::TemplatesWrite)?;
    let ws = principal.workspace_id;
    let connection_id = body.connection_id;
    let mut checks = Checks::new();
    let draft = draft(body, &mut checks);
    checks.finish()?;
    let stored = conn_svc::load(&state, ws, connection_id).await?;
    let (provider, ctx) = conn_svc::context(&state, ws, &stored)?;
    let name = stored.connection.provider.as_str();
    if !provider.descriptor().capabilities.create_template {
        return Err(ApiError::unsupported(name, Capability::CreateTemplate));
    }
    let remote = provider
        .create_template(&ctx, &draft)
        .await
        .map_err(|e| ApiError::from_provider(name, e))?;
    let saved = upsert_remote(&state, ws, connection_id, name, remote, None).await?;
    tracing::info!(template_id = %saved.value.id, provider = name, by = %principal.key_id, "template created at vendor");
    Ok((StatusCode::CREATED, Json(saved.value)))
}

/// Register an existing vendor object as a template. Where the vendor can be asked, the
/// object is looked up (and its name and details taken from the vendor); otherwise it is
/// taken as given, and `name` is required. Linking the same object again refreshes it (200).
#[utoipa::path(post, path = "/v1/templates/link", tag = "templates", request_body = LinkIn,
    responses((status = 201, body = Template, description = "Linked"), (status = 200, body = Template, description = "Already linked; refreshed")))]
pub async fn link_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<LinkIn>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    principal.require(Scope::TemplatesWrite)?;
    let ws = principal.workspace_id;
    let mut checks = Checks::new();
    let kind = checks.text("provider_ref.kind", &body.provider_ref.kind, 100);
    let id = checks.text("provider_ref.id", &body.provider_ref.id, 500);
    let name = checks.optional_text("name", body.name.as_deref(), 1024);
    checks.finish()?;
    // The adapter-owned part is the adapter's to check (`validate_template_ref`).
    let given = ProviderRef {
        kind,
        id,
        vendor: body.provider_ref.vendor.clone(),
    };
    let stored = conn_svc::load(&state, ws, body.connection_id).await?;
    let (provider, ctx) = conn_svc::context(&state, ws, &stored)?;
    let pname = stored.connection.provider.as_str();
    provider
        .validate_template_ref(&given)
        .map_err(ApiError::fields)?;
    let remote = match provider.get_template(&ctx, &given).await {
        Ok(r) => r,
        Err(ProviderError::Unsupported(_)) => {
            let Some(name) = name.clone() else {
                return Err(ApiError::field(
                    "name",
                    format!("{pname} cannot be asked for this object's name; give one"),
                ));
            };
            RemoteTemplate {
                provider_ref: given,
                name,
                description: None,
                status: TemplateStatus::Active,
                steps: Vec::new(),
                raw: serde_json::json!({}),
            }
        }
        Err(e) => return Err(ApiError::from_provider(pname, e)),
    };
    let saved = upsert_remote(&state, ws, body.connection_id, pname, remote, name).await?;
    ensure_webhooks(&state, ws, provider.as_ref(), &ctx, &saved.value).await;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved.value)))
}

/// Pull the vendor's templates (HeyMilo postings, TapTalent flows) and create or refresh a
/// template for each.
#[utoipa::path(post, path = "/v1/connections/{id}/templates/import", tag = "templates",
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 200, body = ImportedTemplates)))]
pub async fn import_templates(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<Json<ImportedTemplates>> {
    principal.require(Scope::TemplatesWrite)?;
    let ws = principal.workspace_id;
    let stored = conn_svc::load(&state, ws, id).await?;
    let (provider, ctx) = conn_svc::context(&state, ws, &stored)?;
    let name = stored.connection.provider.as_str();
    if !provider.descriptor().capabilities.list_templates {
        return Err(ApiError::unsupported(name, Capability::ListTemplates));
    }
    let remotes = provider
        .list_templates(&ctx)
        .await
        .map_err(|e| ApiError::from_provider(name, e))?;
    let mut data = Vec::with_capacity(remotes.len());
    for remote in remotes {
        let t = upsert_remote(&state, ws, id, name, remote, None)
            .await?
            .value;
        ensure_webhooks(&state, ws, provider.as_ref(), &ctx, &t).await;
        data.push(t);
    }
    tracing::info!(connection_id = %id, count = data.len(), by = %principal.key_id, "templates imported");
    Ok(Json(ImportedTemplates { data }))
}

/// List templates, newest first.
#[utoipa::path(get, path = "/v1/templates", tag = "templates", params(TemplateListParams),
    responses((status = 200, body = TemplateList)))]
pub async fn list_templates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<TemplateListParams>,
) -> ApiResult<TemplateList> {
    principal.require(Scope::TemplatesRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let filter = TemplateFilter {
        connection_id: q.connection_id,
    };
    Ok(state
        .store
        .list_templates(principal.workspace_id, filter, page)
        .await?
        .into())
}

/// Get a template.
#[utoipa::path(get, path = "/v1/templates/{id}", tag = "templates",
    params(("id" = TemplateId, Path, description = "Template id")),
    responses((status = 200, body = Template)))]
pub async fn get_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<TemplateId>,
) -> ApiResult<Json<Template>> {
    principal.require(Scope::TemplatesRead)?;
    let t = state
        .store
        .get_template(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(t))
}

/// Change a template at the vendor (TapTalent: the flow's name, description, status and
/// steps) and store what the vendor answers.
#[utoipa::path(patch, path = "/v1/templates/{id}", tag = "templates", request_body = TemplatePatch,
    params(("id" = TemplateId, Path, description = "Template id")),
    responses((status = 200, body = Template)))]
pub async fn update_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<TemplateId>,
    ApiJson(body): ApiJson<TemplatePatch>,
) -> ApiResult<Json<Template>> {
    principal.require(Scope::TemplatesWrite)?;
    let ws = principal.workspace_id;
    let mut checks = Checks::new();
    let name = body.name.as_deref().map(|n| checks.text("name", n, 1024));
    let description = checks.optional_text("description", body.description.as_deref(), 20_000);
    if let Some(steps) = &body.steps {
        check_steps(steps, &mut checks);
    }
    if body.name.is_none()
        && body.description.is_none()
        && body.status.is_none()
        && body.steps.is_none()
    {
        checks.fail(
            "body",
            "give at least one of name, description, status, steps",
        );
    }
    checks.finish()?;
    let template = state
        .store
        .get_template(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    let stored = conn_svc::load(&state, ws, template.connection_id).await?;
    let (provider, ctx) = conn_svc::context(&state, ws, &stored)?;
    let pname = stored.connection.provider.as_str();
    if !provider.descriptor().capabilities.update_template {
        return Err(ApiError::unsupported(pname, Capability::UpdateTemplate));
    }
    let update = TemplateUpdate {
        name,
        description,
        status: body.status,
        steps: body.steps,
    };
    let remote = provider
        .update_template(&ctx, &template.provider_ref, &update)
        .await
        .map_err(|e| ApiError::from_provider(pname, e))?;
    let saved = upsert_remote(&state, ws, template.connection_id, pname, remote, None).await?;
    tracing::info!(template_id = %id, provider = pname, by = %principal.key_id, "template updated at vendor");
    Ok(Json(saved.value))
}
