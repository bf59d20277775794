//! The HTTP API, one module per resource. Each handler carries its OpenAPI description
//! (`#[utoipa::path]`), so the published spec is generated from the code that serves it.

pub mod api_keys;
pub mod health;
pub mod workspaces;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(workspaces::router())
        .merge(api_keys::router())
}
