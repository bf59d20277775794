use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use gateway_core::{Event, EventId, EventType, InterviewId, Scope};
use gateway_store::EventFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pagination::{list_of, page_request};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(get_event))
        .routes(routes!(redeliver_event))
}

list_of!(EventList, Event);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<EventType>,
    pub interview_id: Option<InterviewId>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    #[param(pattern = r"^([A-Za-z0-9_-]{22})?$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivery {
    /// Deliveries queued (one per subscribed endpoint).
    pub queued: usize,
}

/// Normalized interview events, newest first. One vendor change is one event, however it
/// arrived (webhook, poll, sync).
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventParams),
    responses((status = 200, body = EventList)))]
pub async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(q): ApiQuery<EventParams>,
) -> ApiResult<EventList> {
    principal.require(Scope::WebhooksRead)?;
    let page = page_request(q.limit, q.cursor.as_deref())?;
    let filter = EventFilter {
        event_type: q.event_type,
        interview_id: q.interview_id,
    };
    Ok(state
        .store
        .list_events(principal.workspace_id, &filter, page)
        .await?
        .into())
}

/// Get an event.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "events",
    params(("id" = EventId, Path, description = "Event id")),
    responses((status = 200, body = Event)))]
pub async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<EventId>,
) -> ApiResult<Json<Event>> {
    principal.require(Scope::WebhooksRead)?;
    let e = state
        .store
        .get_event(principal.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok(Json(e))
}

/// Deliver an event again to every endpoint now subscribed to it (same `webhook-id` where it
/// was sent before; the retry schedule starts over).
#[utoipa::path(post, path = "/v1/events/{id}/redeliver", tag = "events",
    params(("id" = EventId, Path, description = "Event id")),
    responses((status = 202, body = Redelivery)))]
pub async fn redeliver_event(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<EventId>,
) -> ApiResult<(StatusCode, Json<Redelivery>)> {
    principal.require(Scope::WebhooksWrite)?;
    let queued = state
        .store
        .redeliver_event(principal.workspace_id, id, gateway_core::time::now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    Ok((StatusCode::ACCEPTED, Json(Redelivery { queued })))
}
