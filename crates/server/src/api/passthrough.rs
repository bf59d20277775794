//! Passthrough: a raw request to the vendor behind a connection, for what the unified model
//! lacks. The path is confined to the connection's base URL, the vendor's auth is added by
//! the gateway (the caller never holds the vendor key), and it spends the connection's
//! outbound budget like any other vendor call.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use gateway_core::{Capability, ConnectionId, Scope};
use http::{HeaderName, Method};
use provider_http::url_path::confined;
use provider_http::{Call, Safety};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::service::connections as svc;
use crate::state::AppState;

/// The longest path and query (together, URL-encoded) sent to a vendor. Servers refuse
/// request lines far shorter than a body limit (commonly 8–16 KiB): past this a vendor would
/// only answer an error after our retries.
pub const MAX_PATH_AND_QUERY: usize = 8 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(passthrough))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum PassthroughMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassthroughIn {
    pub method: PassthroughMethod,
    /// Relative to the connection's base URL; `..`, absolute URLs and `//host` are refused.
    /// Path and query together are at most 8 KiB once URL-encoded.
    #[schema(example = "/api/webhook/all")]
    pub path: String,
    /// Query parameters.
    #[schema(value_type = Option<Object>, example = json!({"posting_id": "posting_123"}))]
    pub query: Option<BTreeMap<String, String>>,
    /// A JSON body (any shape), sent as `application/json`.
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PassthroughOut {
    /// The vendor's HTTP status.
    #[schema(example = 200)]
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    /// The vendor's body: JSON (any shape) when it is JSON, else a string.
    pub body: serde_json::Value,
}

/// Headers worth returning: not hop-by-hop, not cookies.
fn keep_header(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "set-cookie"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "upgrade"
            | "proxy-authenticate"
            | "trailer"
    )
}

/// Send a raw request to the vendor (scope `passthrough`).
#[utoipa::path(post, path = "/v1/connections/{id}/passthrough", tag = "connections", request_body = PassthroughIn,
    params(("id" = ConnectionId, Path, description = "Connection id")),
    responses((status = 200, body = PassthroughOut, description = "The vendor's answer, whatever its status")))]
pub async fn passthrough(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<ConnectionId>,
    ApiJson(body): ApiJson<PassthroughIn>,
) -> ApiResult<Json<PassthroughOut>> {
    principal.require(Scope::Passthrough)?;
    let stored = svc::load(&state, principal.workspace_id, id).await?;
    let (provider, ctx) = svc::context(&state, principal.workspace_id, &stored)?;
    let name = stored.connection.provider.as_str();
    if !provider.descriptor().capabilities.passthrough {
        return Err(ApiError::unsupported(name, Capability::Passthrough));
    }
    let mut url = confined(&ctx.base_url, &body.path).map_err(|m| ApiError::field("path", m))?;
    if let Some(q) = &body.query {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in q {
            pairs.append_pair(k, v);
        }
    }
    let sent = url.path().len() + url.query().map_or(0, |q| q.len() + 1);
    if sent > MAX_PATH_AND_QUERY {
        let field = if url.path().len() > MAX_PATH_AND_QUERY {
            "path"
        } else {
            "query"
        };
        return Err(ApiError::field(
            field,
            format!("path and query together must be at most {MAX_PATH_AND_QUERY} bytes URL-encoded (this is {sent})"),
        ));
    }
    let method = match body.method {
        PassthroughMethod::Get => Method::GET,
        PassthroughMethod::Post => Method::POST,
        PassthroughMethod::Put => Method::PUT,
        PassthroughMethod::Patch => Method::PATCH,
        PassthroughMethod::Delete => Method::DELETE,
    };
    // Only reads are retried: a raw write's effect at the vendor is unknown to us.
    let safety = if method == Method::GET {
        Safety::Safe
    } else {
        Safety::Unsafe
    };
    let mut call = Call::new("passthrough", method, url).safety(safety);
    if let Some(json) = &body.body {
        call = call
            .json(json)
            .map_err(|e| ApiError::from_provider(name, e))?;
    }
    for (header, value) in provider
        .auth_headers(&ctx)
        .map_err(|e| ApiError::from_provider(name, e))?
    {
        call = call
            .secret_header(header, &value)
            .map_err(|e| ApiError::from_provider(name, e))?;
    }
    let res = state
        .passthrough_http
        .send_with_default_limit(&ctx, call, provider.default_outbound_per_minute())
        .await
        .map_err(|e| ApiError::from_provider(name, e))?;
    let headers = res
        .headers
        .iter()
        .filter(|(k, _)| keep_header(k))
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect();
    let body = serde_json::from_slice(&res.body).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&res.body).into_owned())
    });
    tracing::info!(connection_id = %id, status = res.status, by = %principal.key_id, "passthrough");
    Ok(Json(PassthroughOut {
        status: res.status,
        headers,
        body,
    }))
}
