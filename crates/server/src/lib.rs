//! Interview Gateway: the HTTP server, its configuration and its command line.

pub mod api;
pub mod app;
pub mod auth;
pub mod capacity;
pub mod config;
pub mod console;
pub mod http;
pub mod ops;
pub mod partners;
pub mod rate_limit;
pub mod registry;
pub mod secrets;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use app::Gateway;
pub use config::Config;

/// The OpenAPI document the server publishes at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, api) = api::router().split_for_parts();
    http::openapi::finish(api)
}
