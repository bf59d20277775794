use axum::extract::State;
use axum::Json;
use gateway_core::ProviderDescriptor;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_providers))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    pub data: Vec<ProviderDescriptor>,
}

/// The vendors this gateway speaks to, what credentials each takes, and what each can do.
/// An operation a provider lacks answers 422 `unsupported_by_provider`.
#[utoipa::path(get, path = "/v1/providers", tag = "providers", responses((status = 200, body = ProviderList)))]
pub async fn list_providers(
    State(state): State<AppState>,
    _principal: Principal,
) -> Json<ProviderList> {
    Json(ProviderList {
        data: state
            .registry
            .all()
            .map(|p| p.descriptor().clone())
            .collect(),
    })
}
