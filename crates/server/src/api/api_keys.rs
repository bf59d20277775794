//! API keys. A key with `keys:write` manages its own workspace's keys and can hand out no
//! scope it does not hold itself; `admin` keys act in any workspace.
//!
//! The same rule guards rotate and revoke: a key may act only on keys whose scopes its own
//! cover (so `admin` keys only by `admin` keys). Otherwise a `keys:write` key could rotate a
//! stronger key and take over its new secret.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{ApiKey, ApiKeyId, RateLimit, Scope, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{GeneratedKey, Principal};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::NoReplay;
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::Checks;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(get_api_key, revoke_api_key))
        .routes(routes!(rotate_api_key))
}

const MAX_GRACE_SECONDS: u32 = 30 * 24 * 3600;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(example = "ATS sync", min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(example = json!(["interviews:write", "templates:read"]), min_items = 1)]
    pub scopes: Vec<Scope>,
    /// Another workspace (admin keys only); defaults to the caller's.
    pub workspace_id: Option<WorkspaceId>,
    pub rate_limit: Option<RateLimit>,
    /// After this instant the key stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key with its secret, which is shown this once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The secret key. Store it now: the gateway keeps only a keyed hash.
    #[schema(example = "igk_7Hq2xkP4mZ9aQ1rT_3n0Bv8Yc2Lw6Xs1Dk9Jf4Ge7Ha5Mb0Nc2Pd8Re6Sf")]
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateIn {
    /// How long the old secret keeps working, in seconds (0 = stops now; at most 30 days).
    #[schema(example = 3600, minimum = 0, maximum = 2592000)]
    pub grace_seconds: u32,
}

list_of!(ApiKeyList, ApiKey);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListParams {
    /// Another workspace's keys (admin keys only).
    pub workspace_id: Option<WorkspaceId>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// The workspace a request acts in: the caller's, or — for admins — the one named.
async fn target_workspace(
    state: &AppState,
    principal: &Principal,
    named: Option<WorkspaceId>,
) -> ApiResult<WorkspaceId> {
    match named {
        None => Ok(principal.workspace_id),
        Some(ws) if ws == principal.workspace_id => Ok(ws),
        Some(ws) if principal.is_admin() => {
            state
                .store
                .get_workspace(ws)
                .await?
                .ok_or_else(|| ApiError::not_found(ws))?;
            Ok(ws)
        }
        Some(_) => Err(ApiError::forbidden(
            "only admin keys can act on another workspace's keys",
        )),
    }
}

/// The workspace a key id lives in, as far as the caller may know.
async fn workspace_of_key(
    state: &AppState,
    principal: &Principal,
    id: ApiKeyId,
) -> ApiResult<WorkspaceId> {
    if principal.is_admin() {
        state
            .store
            .api_key_workspace(id)
            .await?
            .ok_or_else(|| ApiError::not_found(id))
    } else {
        Ok(principal.workspace_id)
    }
}

/// 403 unless `principal` holds every scope of `target`: a key may manage only keys no
/// stronger than itself. Checked before anything changes.
fn may_manage(principal: &Principal, target: &ApiKey, verb: &str) -> ApiResult<()> {
    let beyond: Vec<String> = target
        .scopes
        .iter()
        .filter(|s| !principal.can(**s))
        .map(|s| format!("`{s}`"))
        .collect();
    if beyond.is_empty() {
        return Ok(());
    }
    let what = if target.scopes.contains(&Scope::Admin) {
        "an admin key can be managed only by an admin key".to_string()
    } else {
        format!(
            "a key may act only on keys whose scopes it holds; this key lacks {}",
            beyond.join(", ")
        )
    };
    Err(ApiError::forbidden(format!(
        "you cannot {verb} API key {}: {what}",
        target.id
    )))
}

/// The key `id`, as far as the caller may know it, or 404.
async fn load_key(
    state: &AppState,
    principal: &Principal,
    id: ApiKeyId,
) -> ApiResult<(WorkspaceId, ApiKey)> {
    let ws = workspace_of_key(state, principal, id).await?;
    let key = state
        .store
        .get_api_key(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok((ws, key))
}

/// Create an API key. The response carries the secret once.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", request_body = ApiKeyIn,
    responses((status = 201, body = ApiKeyCreated)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ApiKeyIn>,
) -> ApiResult<(StatusCode, Extension<NoReplay>, Json<ApiKeyCreated>)> {
    principal.require(Scope::KeysWrite)?;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 200);
    if body.scopes.is_empty() {
        checks.fail("scopes", "give the key at least one scope");
    }
    for (i, scope) in body.scopes.iter().enumerate() {
        if !principal.can(*scope) {
            checks.fail(
                format!("scopes[{i}]"),
                format!("you cannot grant `{scope}`: your key does not hold it"),
            );
        }
    }
    if let Some(rl) = body.rate_limit {
        if !(1..=1_000_000).contains(&rl.requests_per_minute) {
            checks.fail(
                "rate_limit.requests_per_minute",
                "must be between 1 and 1000000",
            );
        }
        if !(1..=100_000).contains(&rl.burst) {
            checks.fail("rate_limit.burst", "must be between 1 and 100000");
        }
    }
    if body.expires_at.is_some_and(|t| t <= Utc::now()) {
        checks.fail("expires_at", "must be in the future");
    }
    checks.finish()?;
    let workspace_id = target_workspace(&state, &principal, body.workspace_id).await?;

    let mut scopes = body.scopes;
    scopes.sort();
    scopes.dedup();
    let generated = GeneratedKey::generate();
    let api_key = ApiKey {
        id: ApiKeyId::new(),
        workspace_id,
        name,
        prefix: generated.prefix.clone(),
        scopes,
        rate_limit: body.rate_limit,
        expires_at: body.expires_at.map(gateway_core::time::truncate),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    let hash = state.auth.hasher().hash(generated.full.expose());
    state
        .store
        .insert_api_key(&api_key, &generated.lookup, &hash)
        .await?;
    tracing::info!(key_id = %api_key.id, %workspace_id, by = %principal.key_id, "api key created");
    crate::service::audit::record(crate::service::audit::Action { state: &state, workspace: workspace_id, actor: Some(principal.key_id), action: "api_key.created", target_type: "api_key", target_id: api_key.id.to_string(), details: serde_json::json!({"name": api_key.name, "scopes": api_key.scopes, "prefix": api_key.prefix, "expires_at": api_key.expires_at}) }).await;
    let created = NoReplay(format!("API key {}", api_key.id));
    Ok((
        StatusCode::CREATED,
        Extension(created),
        Json(ApiKeyCreated {
            api_key,
            key: generated.full.into_inner(),
        }),
    ))
}

/// List API keys (never their secrets), newest first.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(ApiKeyListParams),
    responses((status = 200, body = ApiKeyList)))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ApiKeyListParams>,
) -> ApiResult<ApiKeyList> {
    principal.require(Scope::KeysWrite)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let ws = target_workspace(&state, &principal, q.workspace_id).await?;
    Ok(state.store.list_api_keys(ws, page).await?.into())
}

/// Get one API key.
#[utoipa::path(get, path = "/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = ApiKeyId, Path, description = "API key id")),
    responses((status = 200, body = ApiKey)))]
pub async fn get_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    principal.require(Scope::KeysWrite)?;
    let ws = workspace_of_key(&state, &principal, id).await?;
    let key = state
        .store
        .get_api_key(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(key))
}

/// Revoke an API key. It fails authentication from the next request on.
///
/// Needs `keys:write` and every scope the revoked key holds (`admin` keys only by `admin`
/// keys); otherwise 403.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = ApiKeyId, Path, description = "API key id")),
    responses((status = 200, body = ApiKey, description = "The revoked key")))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    principal.require(Scope::KeysWrite)?;
    let (ws, target) = load_key(&state, &principal, id).await?;
    may_manage(&principal, &target, "revoke")?;
    let key = state
        .store
        .revoke_api_key(ws, id, now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    state.auth.key_changed(id).await;
    tracing::info!(key_id = %id, by = %principal.key_id, "api key revoked");
    crate::service::audit::record(crate::service::audit::Action {
        state: &state,
        workspace: ws,
        actor: Some(principal.key_id),
        action: "api_key.revoked",
        target_type: "api_key",
        target_id: id.to_string(),
        details: serde_json::json!({"name": key.name}),
    })
    .await;
    Ok(Json(key))
}

/// Give a key a new secret. The old secret keeps working for `grace_seconds`.
///
/// Needs `keys:write` and every scope the rotated key holds (`admin` keys only by `admin`
/// keys); otherwise 403, before anything changes.
#[utoipa::path(post, path = "/v1/api-keys/{id}/rotate", tag = "api-keys", request_body = RotateIn,
    params(("id" = ApiKeyId, Path, description = "API key id")),
    responses((status = 200, body = ApiKeyCreated)))]
pub async fn rotate_api_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ApiKeyId>,
    ApiJson(body): ApiJson<RotateIn>,
) -> ApiResult<(Extension<NoReplay>, Json<ApiKeyCreated>)> {
    principal.require(Scope::KeysWrite)?;
    if body.grace_seconds > MAX_GRACE_SECONDS {
        return Err(ApiError::field(
            "grace_seconds",
            "must be at most 2592000 (30 days)",
        ));
    }
    let (ws, target) = load_key(&state, &principal, id).await?;
    may_manage(&principal, &target, "rotate")?;
    let generated = GeneratedKey::generate();
    let hash = state.auth.hasher().hash(generated.full.expose());
    let old_until = now() + chrono::Duration::seconds(i64::from(body.grace_seconds));
    let Some(api_key) = state
        .store
        .rotate_api_key(
            ws,
            id,
            &generated.lookup,
            &hash,
            &generated.prefix,
            old_until,
        )
        .await?
    else {
        return Err(match state.store.get_api_key(ws, id).await? {
            Some(_) => ApiError::conflict("a revoked key cannot be rotated; create a new key"),
            None => ApiError::not_found(id),
        });
    };
    state.auth.key_changed(id).await;
    tracing::info!(key_id = %id, grace_seconds = body.grace_seconds, by = %principal.key_id, "api key rotated");
    crate::service::audit::record(crate::service::audit::Action {
        state: &state,
        workspace: ws,
        actor: Some(principal.key_id),
        action: "api_key.rotated",
        target_type: "api_key",
        target_id: id.to_string(),
        details: serde_json::json!({"grace_seconds": body.grace_seconds, "prefix": api_key.prefix}),
    })
    .await;
    let rotated = NoReplay(format!("a new secret for API key {}", api_key.id));
    Ok((
        Extension(rotated),
        Json(ApiKeyCreated {
            api_key,
            key: generated.full.into_inner(),
        }),
    ))
}
