//! Connections: a vendor account (provider + credentials). Credentials are sealed at rest
//! and never returned.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{
    Connection, ConnectionId, ConnectionStatus, FieldError, ProviderError, Scope, WorkspaceId,
};
use gateway_store::{ConnectionHealth, ConnectionUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::pagination::{encode_cursor, page_request};
use crate::http::validate::Checks;
use crate::service::connections::{self as svc, validate_base_url, validate_credentials};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_connection, list_connections))
        .routes(routes!(
            get_connection,
            update_connection,
            delete_connection
        ))
        .routes(routes!(check_connection))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionIn {
    /// A provider name from `GET /v1/providers`.
    #[schema(example = "heymilo")]
    pub provider: String,
    #[schema(example = "HeyMilo production", min_length = 1, max_length = 200)]
    pub name: String,
    /// The provider's credential fields (see `GET /v1/providers`). Sealed at rest, never returned.
    #[schema(value_type = Object, example = json!({"api_key": "hm_live_…"}))]
    pub credentials: serde_json::Map<String, serde_json::Value>,
    /// Overrides the provider's base URL (vendor sandboxes, the built-in simulators).
    #[schema(example = "https://api.heymilo.network")]
    pub base_url: Option<String>,
    /// Provider settings (see the provider's documentation); `outbound_requests_per_minute`
    /// applies to all.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// Only the fields given change. `base_url: null` returns to the provider's default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Replaces all credentials. Required when `base_url` or `settings` move the connection
    /// to another origin: stored credentials never follow it to a new host.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<serde_json::Map<String, serde_json::Value>>,
    /// A new override, or `null` for the provider's default. Moving to another origin needs
    /// `credentials` in the same request.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub base_url: Option<Option<String>>,
    /// Replaces all settings.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// Tell "absent" (keep) from `null` (clear).
pub(crate) fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionOut {
    pub id: ConnectionId,
    #[schema(example = "heymilo")]
    pub provider: String,
    pub name: String,
    /// The override, or `null` for the provider's default.
    pub base_url: Option<String>,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub status: ConnectionStatus,
    /// Where this vendor's webhooks should be sent (configure it in the vendor's dashboard
    /// where the vendor has no webhook API). Contains a secret token: treat it as one.
    #[schema(
        example = "https://gateway.example.com/v1/inbound/conn_01jd8x3k5m7q9s1v3x5z7b9d1f/Xr4…"
    )]
    pub inbound_webhook_url: String,
    /// From the outcomes of the gateway's real calls to the vendor for this connection.
    pub health: ConnectionHealth,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    pub data: Vec<ConnectionOut>,
    pub next_cursor: Option<String>,
}

impl axum::response::IntoResponse for ConnectionList {
    fn into_response(self) -> axum::response::Response {
        crate::http::pagination::page_response(&self, self.data.len())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConnectionListParams {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

/// With its health, read for this one connection.
async fn out_one(state: &AppState, ws: WorkspaceId, c: Connection) -> ApiResult<ConnectionOut> {
    let health = state
        .store
        .connection_health(ws, &[c.id])
        .await?
        .pop()
        .map(|(_, h)| h)
        .unwrap_or_default();
    Ok(out(state, c, health))
}

fn out(state: &AppState, c: Connection, health: ConnectionHealth) -> ConnectionOut {
    ConnectionOut {
        health,
        inbound_webhook_url: svc::inbound_url(state, c.id),
        id: c.id,
        provider: c.provider,
        name: c.name,
        base_url: c.base_url,
        settings: c.settings,
        status: c.status,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// Create a connection to a vendor account.
#[utoipa::path(post, path = "/v1/connections", tag = "connections", request_body = ConnectionIn,
    responses((status = 201, body = ConnectionOut)))]
pub async fn create_connection(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<ConnectionIn>,
) -> ApiResult<(StatusCode, Json<ConnectionOut>)> {
    principal.require(Scope::ConnectionsWrite)?;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 200);
    let Some(provider) = state.registry.get(&body.provider) else {
        return Err(ApiError::field(
            "provider",
            format!(
                "unknown provider; one of {}",
                state.registry.names().join(", ")
            ),
        ));
    };
    let credentials = match validate_credentials(provider.descriptor(), &body.credentials) {
        Ok(c) => Some(c),
        Err(e) => {
            checks.push(e);
            None
        }
    };
    let base_url = match body.base_url.as_deref().filter(|u| !u.trim().is_empty()) {
        None => None,
        Some(u) => match validate_base_url(u, state.config.security.allow_private_base_urls) {
            Ok(u) => Some(u),
            Err(m) => {
                checks.fail("base_url", m);
                None
            }
        },
    };
    let settings = body.settings.unwrap_or_else(|| serde_json::json!({}));
    if let Err(e) = provider.validate_settings(&settings) {
        checks.push(e);
    }
    if base_url.is_none() {
        if let Err(e) = provider.default_base_url(&settings) {
            checks.push(vec![FieldError::new("settings", e.to_string())]);
        }
    }
    checks.finish()?;
    let credentials = credentials.ok_or_else(ApiError::internal)?;
    let at = now();
    let connection = Connection {
        id: ConnectionId::new(),
        provider: body.provider,
        name,
        base_url,
        settings: if settings.is_null() {
            serde_json::json!({})
        } else {
            settings
        },
        status: ConnectionStatus::Active,
        created_at: at,
        updated_at: at,
    };
    let sealed = svc::seal_credentials(&state, connection.id, &credentials);
    state
        .store
        .insert_connection(principal.workspace_id, &connection, &sealed)
        .await?;
    tracing::info!(connection_id = %connection.id, provider = %connection.provider, by = %principal.key_id, "connection created");
    crate::service::audit::record(crate::service::audit::Action { state: &state, workspace: principal.workspace_id, actor: Some(principal.key_id), action: "connection.created", target_type: "connection", target_id: connection.id.to_string(), details: serde_json::json!({"provider": connection.provider, "name": connection.name, "base_url": connection.base_url}) }).await;
    Ok((
        StatusCode::CREATED,
        Json(out(&state, connection, ConnectionHealth::default())),
    ))
}

/// List connections, newest first.
#[utoipa::path(get, path = "/v1/connections", tag = "connections", params(ConnectionListParams),
    responses((status = 200, body = ConnectionList)))]
pub async fn list_connections(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<ConnectionListParams>,
) -> ApiResult<ConnectionList> {
    principal.require(Scope::ConnectionsRead)?;
    let page = state
        .store
        .list_connections(
            principal.workspace_id,
            page_request(q.limit, q.cursor.as_deref())?,
        )
        .await?;
    let ids: Vec<ConnectionId> = page.items.iter().map(|c| c.id).collect();
    let mut health = state
        .store
        .connection_health(principal.workspace_id, &ids)
        .await?
        .into_iter();
    Ok(ConnectionList {
        next_cursor: page.next_after.map(encode_cursor),
        data: page
            .items
            .into_iter()
            .map(|c| {
                let h = health.next().map(|(_, h)| h).unwrap_or_default();
                out(&state, c, h)
            })
            .collect(),
    })
}

/// Get a connection.
#[utoipa::path(get, path = "/v1/connections/{id}", tag = "connections",
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 200, body = ConnectionOut)))]
pub async fn get_connection(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<Json<ConnectionOut>> {
    principal.require(Scope::ConnectionsRead)?;
    let stored = svc::load(&state, principal.workspace_id, id).await?;
    Ok(Json(
        out_one(&state, principal.workspace_id, stored.connection).await?,
    ))
}

/// Rename a connection, replace its credentials, settings or base URL.
///
/// Stored credentials only go to the host they were given for: a change of `base_url` (or of
/// settings that choose the vendor host) that moves the connection to another origin
/// (scheme, host, port) needs `credentials` in the same request, else 422 naming
/// `credentials`. Such a move is recorded in the audit log (`connection.updated`, with the
/// base URL before and after).
#[utoipa::path(patch, path = "/v1/connections/{id}", tag = "connections", request_body = ConnectionPatch,
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 200, body = ConnectionOut)))]
pub async fn update_connection(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
    ApiJson(body): ApiJson<ConnectionPatch>,
) -> ApiResult<Json<ConnectionOut>> {
    principal.require(Scope::ConnectionsWrite)?;
    let stored = svc::load(&state, principal.workspace_id, id).await?;
    let provider = svc::provider_of(&state, &stored)?;
    let mut checks = Checks::new();
    let name = body.name.as_deref().map(|n| checks.text("name", n, 200));
    let mut update = ConnectionUpdate {
        name,
        ..Default::default()
    };
    if let Some(given) = &body.credentials {
        match validate_credentials(provider.descriptor(), given) {
            Ok(c) => {
                update.credentials_ciphertext = Some(svc::seal_credentials(&state, id, &c));
                // New credentials deserve a fresh verdict.
                update.status = Some(ConnectionStatus::Active);
            }
            Err(e) => checks.push(e),
        }
    }
    match &body.base_url {
        None => {}
        Some(None) => update.base_url = Some(None),
        Some(Some(u)) => {
            match validate_base_url(u, state.config.security.allow_private_base_urls) {
                Ok(u) => update.base_url = Some(Some(u)),
                Err(m) => checks.fail("base_url", m),
            }
        }
    }
    if let Some(settings) = &body.settings {
        match provider.validate_settings(settings) {
            Ok(()) => update.settings = Some(settings.clone()),
            Err(e) => checks.push(e),
        }
    }
    let c = &stored.connection;
    let new_base = match &update.base_url {
        Some(b) => b.as_deref(),
        None => c.base_url.as_deref(),
    };
    let new_settings = update.settings.as_ref().unwrap_or(&c.settings);
    let origin_moved = match svc::check_origin_move(
        provider.as_ref(),
        (c.base_url.as_deref(), &c.settings),
        (new_base, new_settings),
        update.credentials_ciphertext.is_some() || body.credentials.is_some(),
    ) {
        Ok(moved) => moved,
        Err(e) => {
            checks.push(vec![e]);
            false
        }
    };
    checks.finish()?;
    let (base_url_before, base_url_after) = (c.base_url.clone(), new_base.map(str::to_string));
    let updated = state
        .store
        .update_connection(principal.workspace_id, id, &update, now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    tracing::info!(connection_id = %id, credentials_replaced = body.credentials.is_some(), by = %principal.key_id, "connection updated");
    crate::service::audit::record(crate::service::audit::Action { state: &state, workspace: principal.workspace_id, actor: Some(principal.key_id), action: "connection.updated", target_type: "connection", target_id: id.to_string(), details: serde_json::json!({"name_changed": body.name.is_some(), "credentials_replaced": body.credentials.is_some(), "base_url_changed": body.base_url.is_some(), "settings_changed": body.settings.is_some(), "host_changed": origin_moved, "base_url_before": base_url_before, "base_url_after": base_url_after}) }).await;
    Ok(Json(
        out_one(&state, principal.workspace_id, updated.connection).await?,
    ))
}

/// Delete a connection. Its templates and interviews stay readable; nothing new can be
/// done through it.
#[utoipa::path(delete, path = "/v1/connections/{id}", tag = "connections",
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_connection(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<StatusCode> {
    principal.require(Scope::ConnectionsWrite)?;
    // Webhooks the gateway registered at the vendor go first, while the credentials work.
    if let Some(stored) = state
        .store
        .get_connection(principal.workspace_id, id)
        .await?
    {
        if let Ok((provider, ctx)) = svc::context(&state, principal.workspace_id, &stored) {
            crate::service::templates::remove_webhooks(&state, provider.as_ref(), &ctx).await;
        }
    }
    if !state
        .store
        .delete_connection(principal.workspace_id, id, now())
        .await?
    {
        return Err(ApiError::not_found(id));
    }
    tracing::info!(connection_id = %id, by = %principal.key_id, "connection deleted");
    crate::service::audit::record(crate::service::audit::Action {
        state: &state,
        workspace: principal.workspace_id,
        actor: Some(principal.key_id),
        action: "connection.deleted",
        target_type: "connection",
        target_id: id.to_string(),
        details: serde_json::json!({}),
    })
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the vendor accepted the credentials.
    pub ok: bool,
    #[schema(example = 142)]
    pub latency_ms: u64,
    #[schema(example = "authenticated; 12 postings")]
    pub detail: String,
    /// The connection's status after the check.
    pub status: ConnectionStatus,
}

/// Make a cheap authenticated call to the vendor. A vendor refusal is `ok: false` with the
/// vendor's words; the connection's status follows the result.
#[utoipa::path(post, path = "/v1/connections/{id}/check", tag = "connections",
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 200, body = CheckResult)))]
pub async fn check_connection(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<Json<CheckResult>> {
    principal.require(Scope::ConnectionsRead)?;
    let stored = svc::load(&state, principal.workspace_id, id).await?;
    let (provider, ctx) = svc::context(&state, principal.workspace_id, &stored)?;
    let started = Instant::now();
    let result = provider.check(&ctx).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let (ok, detail, status) = match result {
        Ok(r) => (true, r.detail, ConnectionStatus::Active),
        Err(e @ ProviderError::InvalidCredentials { .. }) => {
            (false, e.to_string(), ConnectionStatus::InvalidCredentials)
        }
        Err(e) => (false, e.to_string(), stored.connection.status),
    };
    if status != stored.connection.status {
        let update = ConnectionUpdate {
            status: Some(status),
            ..Default::default()
        };
        state
            .store
            .update_connection(principal.workspace_id, id, &update, now())
            .await?;
    }
    Ok(Json(CheckResult {
        ok,
        latency_ms,
        detail,
        status,
    }))
}
