//! Operating an endpoint: change it (`PATCH`), send it a test message, and re-queue what
//! failed while it was down (`recover`). Everything goes through the normal delivery queue,
//! so a test message is signed, retried and listed like any other.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{EventId, EventType, MessageId, Scope, WebhookEndpointId};
use gateway_store::{EndpointPatch, NewEvent, WebhookEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::connections::double_option;
use crate::api::webhook_endpoints::audit;
use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::validate::Checks;
use crate::state::AppState;
use crate::workers::outbound_webhooks::check_url;

pub fn router() -> OpenApiRouter<AppState> {
    // PATCH shares its path with GET and DELETE, so `webhook_endpoints` routes it.
    OpenApiRouter::new()
        .routes(routes!(test_endpoint))
        .routes(routes!(recover_endpoint))
}

/// Only the fields given change. `description: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatchIn {
    /// Checked as at creation (http(s), no credentials, no private address unless allowed).
    #[schema(example = "https://hooks.example.com/interviews", max_length = 2048)]
    pub url: Option<String>,
    /// Replaces the subscription; empty = all event types.
    pub events: Option<Vec<EventType>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `true` stops deliveries (pending ones fail; `recover` can re-queue them later);
    /// `false` resumes an endpoint however it was disabled.
    pub disabled: Option<bool>,
}

/// Re-queue failed deliveries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    /// Deliveries created at or after this time that failed are sent again.
    #[schema(example = "2026-12-01T00:00:00Z")]
    pub since: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recovered {
    /// How many failed deliveries went back in the queue.
    pub requeued: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    /// The stored `webhook_endpoint.test` event.
    pub event_id: EventId,
    /// The message: its `webhook-id`, listed under the endpoint's deliveries.
    pub delivery_id: MessageId,
}

/// Change an endpoint's URL, subscription, description, or whether it receives at all.
#[utoipa::path(patch, path = "/v1/webhook-endpoints/{id}", tag = "webhooks", request_body = EndpointPatchIn,
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, body = WebhookEndpoint)))]
pub async fn update_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiJson(body): ApiJson<EndpointPatchIn>,
) -> ApiResult<Json<WebhookEndpoint>> {
    principal.require(Scope::WebhooksWrite)?;
    let mut checks = Checks::new();
    let url = body.url.as_deref().map(|raw| {
        match check_url(raw, state.config.webhooks.allow_private_targets) {
            Ok(u) if u.len() <= 2048 => u,
            Ok(_) => {
                checks.fail("url", "must be at most 2048 characters");
                String::new()
            }
            Err(m) => {
                checks.fail("url", m);
                String::new()
            }
        }
    });
    let description = body
        .description
        .as_ref()
        .map(|d| checks.optional_text("description", d.as_deref(), 500));
    checks.finish()?;
    let events = body.events.as_ref().map(|given| {
        let mut events: Vec<String> = given.iter().map(|e| e.as_str().to_string()).collect();
        events.sort();
        events.dedup();
        events
    });
    let patch = EndpointPatch {
        url,
        events,
        description,
        disabled: body.disabled,
    };
    let endpoint = state
        .store
        .update_endpoint(principal.workspace_id, id, &patch, now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    audit(
        &state,
        &principal,
        "webhook_endpoint.updated",
        id,
        serde_json::json!({
            "url": patch.url, "events": patch.events, "disabled": patch.disabled,
        }),
    )
    .await;
    Ok(Json(endpoint))
}

/// Queue a signed `webhook_endpoint.test` event to this endpoint alone, through the normal
/// queue (retried like any delivery; see its deliveries). 409 `invalid_state` when the
/// endpoint is disabled.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/test", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 202, body = TestQueued)))]
pub async fn test_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<(StatusCode, Json<TestQueued>)> {
    principal.require(Scope::WebhooksWrite)?;
    let stored = state
        .store
        .get_endpoint(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    if stored.endpoint.disabled_at.is_some() {
        return Err(disabled(id));
    }
    let at = now();
    let event = NewEvent {
        id: EventId::new(),
        event_type: EventType::WebhookEndpointTest,
        data: serde_json::json!({
            "webhook_endpoint_id": id,
            "message": "A test event: the endpoint receives and verifies deliveries.",
        }),
        created_at: at,
    };
    let delivery_id = state
        .store
        .queue_test_event(principal.workspace_id, id, &event)
        .await?
        .ok_or_else(|| disabled(id))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TestQueued {
            event_id: event.id,
            delivery_id,
        }),
    ))
}

/// Re-queue every delivery to this endpoint that failed and was created at or after
/// `since`, due now with a fresh retry schedule (each keeps its `webhook-id`). 409
/// `invalid_state` when the endpoint is disabled: enable it first.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/recover", tag = "webhooks", request_body = RecoverIn,
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 202, body = Recovered)))]
pub async fn recover_endpoint(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiJson(body): ApiJson<RecoverIn>,
) -> ApiResult<(StatusCode, Json<Recovered>)> {
    principal.require(Scope::WebhooksWrite)?;
    let stored = state
        .store
        .get_endpoint(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    if stored.endpoint.disabled_at.is_some() {
        return Err(disabled(id));
    }
    let at = now();
    if body.since > at {
        return Err(ApiError::field("since", "must not be in the future"));
    }
    let requeued = state
        .store
        .recover_deliveries(principal.workspace_id, id, body.since, at)
        .await?;
    audit(
        &state,
        &principal,
        "webhook_endpoint.recovered",
        id,
        serde_json::json!({"since": body.since, "requeued": requeued}),
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(Recovered { requeued })))
}

fn disabled(id: WebhookEndpointId) -> ApiError {
    ApiError::invalid_state(format!(
        "webhook endpoint {id} is disabled; enable it with PATCH {{\"disabled\": false}} first"
    ))
}
