use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gateway_core::time::now;
use gateway_core::{Scope, Workspace, WorkspaceId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::Checks;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_workspace, list_workspaces))
        .routes(routes!(get_workspace))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceIn {
    #[schema(example = "Acme Recruiting", min_length = 1, max_length = 200)]
    pub name: String,
}

list_of!(WorkspaceList, Workspace);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// Create a workspace (a tenant). Admin keys only.
#[utoipa::path(post, path = "/v1/workspaces", tag = "workspaces", request_body = WorkspaceIn,
    responses((status = 201, body = Workspace)))]
pub async fn create_workspace(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<WorkspaceIn>,
) -> ApiResult<(StatusCode, Json<Workspace>)> {
    principal.require(Scope::Admin)?;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 200);
    checks.finish()?;
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name,
        created_at: now(),
    };
    state.store.insert_workspace(&workspace).await?;
    tracing::info!(workspace_id = %workspace.id, by = %principal.key_id, "workspace created");
    crate::service::audit::record(crate::service::audit::Action {
        state: &state,
        workspace: workspace.id,
        actor: Some(principal.key_id),
        action: "workspace.created",
        target_type: "workspace",
        target_id: workspace.id.to_string(),
        details: serde_json::json!({"name": workspace.name}),
    })
    .await;
    Ok((StatusCode::CREATED, Json(workspace)))
}

/// List all workspaces, newest first. Admin keys only.
#[utoipa::path(get, path = "/v1/workspaces", tag = "workspaces", params(ListParams),
    responses((status = 200, body = WorkspaceList)))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<WorkspaceList> {
    principal.require(Scope::Admin)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    Ok(state.store.list_workspaces(page).await?.into())
}

/// Get one workspace. Admin keys only.
#[utoipa::path(get, path = "/v1/workspaces/{id}", tag = "workspaces",
    params(("id" = WorkspaceId, Path, description = "Workspace id")),
    responses((status = 200, body = Workspace)))]
pub async fn get_workspace(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WorkspaceId>,
) -> ApiResult<Json<Workspace>> {
    principal.require(Scope::Admin)?;
    let ws = state
        .store
        .get_workspace(id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(ws))
}
