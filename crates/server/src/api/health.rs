use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/health/live", tag = "operations", security(()),
    responses((status = 200, body = HealthStatus)))]
pub async fn live() -> Json<HealthStatus> {
    Json(HealthStatus { status: "ok" })
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(get, path = "/health/ready", tag = "operations", security(()),
    responses(
        (status = 200, body = HealthStatus),
        (status = 503, body = Problem, content_type = "application/problem+json",
            description = "Database unreachable or migrations pending"),
    ))]
pub async fn ready(State(state): State<AppState>) -> ApiResult<Json<HealthStatus>> {
    // Bounded below the pool's own acquire timeout: a load balancer wants a quick "no".
    let check = async {
        state.store.ping().await?;
        state.store.pending_migrations().await
    };
    let unavailable = |detail: String| ApiError::new(ErrorCode::ServiceUnavailable, detail);
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Err(_) => Err(unavailable("the database did not answer within 3 s".into())),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(unavailable("the database is unreachable".into()))
        }
        Ok(Ok(pending)) if !pending.is_empty() => Err(unavailable(format!(
            "{} database migrations are pending; run `interview-gateway migrate`",
            pending.len()
        ))),
        Ok(Ok(_)) => Ok(Json(HealthStatus { status: "ready" })),
    }
}
