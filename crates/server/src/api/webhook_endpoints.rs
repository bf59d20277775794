//! Where the gateway sends events. The signing secret (`whsec_…`) is shown at creation and
//! rotation only, sealed at rest.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use gateway_core::time::now;
use gateway_core::{EventType, Scope, WebhookEndpointId};
use gateway_store::{Delivery, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::idempotency::NoReplay;
use crate::http::pagination::{list_of, page_request};
use crate::http::validate::Checks;
use crate::state::AppState;
use crate::workers::outbound_webhooks::{check_url, new_secret, secret_context};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(
            get_endpoint,
            delete_endpoint,
            super::webhook_endpoint_ops::update_endpoint
        ))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    #[schema(example = "https://hooks.example.com/interviews", max_length = 2048)]
    pub url: String,
    /// Event types to deliver; empty or absent = all.
    #[serde(default)]
    pub events: Vec<EventType>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// Verify deliveries with it (Standard Webhooks). Store it now.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

list_of!(EndpointList, WebhookEndpoint);
list_of!(DeliveryList, Delivery);

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

pub(crate) async fn audit(
    state: &AppState,
    principal: &Principal,
    action: &'static str,
    id: WebhookEndpointId,
    details: serde_json::Value,
) {
    crate::service::audit::record(crate::service::audit::Action {
        state,
        workspace: principal.workspace_id,
        actor: Some(principal.key_id),
        action,
        target_type: "webhook_endpoint",
        target_id: id.to_string(),
        details,
    })
    .await;
}

/// Subscribe a URL to events. Deliveries are signed per Standard Webhooks with the secret
/// in the response.
#[utoipa::path(post, path = "/v1/webhook-endpoints", tag = "webhooks", request_body = EndpointIn,
    responses((status = 201, body = EndpointWithSecret)))]
pub async fn create_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Extension<NoReplay>, Json<EndpointWithSecret>)> {
    principal.require(Scope::WebhooksWrite)?;
    let mut checks = Checks::new();
    let url = match check_url(&body.url, state.config.webhooks.allow_private_targets) {
        Ok(u) if u.len() <= 2048 => u,
        Ok(_) => {
            checks.fail("url", "must be at most 2048 characters");
            String::new()
        }
        Err(m) => {
            checks.fail("url", m);
            String::new()
        }
    };
    let description = checks.optional_text("description", body.description.as_deref(), 500);
    checks.finish()?;
    let mut events: Vec<String> = body.events.iter().map(|e| e.as_str().to_string()).collect();
    events.sort();
    events.dedup();
    let at = now();
    let endpoint = WebhookEndpoint {
        id: WebhookEndpointId::new(),
        url,
        description,
        events,
        disabled_at: None,
        disabled_reason: None,
        failing_since: None,
        created_at: at,
        updated_at: at,
    };
    let secret = new_secret();
    let sealed = state
        .master_key
        .seal(secret.as_bytes(), &secret_context(endpoint.id));
    state
        .store
        .insert_endpoint(principal.workspace_id, &endpoint, &sealed)
        .await?;
    audit(
        &state,
        &principal,
        "webhook_endpoint.created",
        endpoint.id,
        serde_json::json!({"url": endpoint.url, "events": endpoint.events}),
    )
    .await;
    let made = NoReplay(format!("webhook endpoint {}", endpoint.id));
    Ok((
        StatusCode::CREATED,
        Extension(made),
        Json(EndpointWithSecret { endpoint, secret }),
    ))
}

/// List webhook endpoints (never their secrets).
#[utoipa::path(get, path = "/v1/webhook-endpoints", tag = "webhooks", params(PageParams),
    responses((status = 200, body = EndpointList)))]
pub async fn list_endpoints(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<EndpointList> {
    principal.require(Scope::WebhooksRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    Ok(state
        .store
        .list_endpoints(principal.workspace_id, page)
        .await?
        .into())
}

/// Get a webhook endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint)))]
pub async fn get_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpoint>> {
    principal.require(Scope::WebhooksRead)?;
    let e = state
        .store
        .get_endpoint(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(e.endpoint))
}

/// Delete a webhook endpoint; its pending deliveries are dropped.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<StatusCode> {
    principal.require(Scope::WebhooksWrite)?;
    if !state
        .store
        .delete_endpoint(principal.workspace_id, id, now())
        .await?
    {
        return Err(ApiError::not_found(id));
    }
    audit(
        &state,
        &principal,
        "webhook_endpoint.deleted",
        id,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret; deliveries from now on use the new one.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = EndpointWithSecret)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<(Extension<NoReplay>, Json<EndpointWithSecret>)> {
    principal.require(Scope::WebhooksWrite)?;
    let secret = new_secret();
    let sealed = state
        .master_key
        .seal(secret.as_bytes(), &secret_context(id));
    let endpoint = state
        .store
        .set_endpoint_secret(principal.workspace_id, id, &sealed, now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    audit(
        &state,
        &principal,
        "webhook_endpoint.secret_rotated",
        id,
        serde_json::json!({}),
    )
    .await;
    Ok((
        Extension(NoReplay(format!("a new secret for webhook endpoint {id}"))),
        Json(EndpointWithSecret { endpoint, secret }),
    ))
}

/// Messages sent to an endpoint, newest first, each with its attempts.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id"), PageParams),
    responses((status = 200, body = DeliveryList)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<DeliveryList> {
    principal.require(Scope::WebhooksRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    state
        .store
        .get_endpoint(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(state
        .store
        .list_deliveries(principal.workspace_id, id, page)
        .await?
        .into())
}
