//! One module per console section. Each read calls the API handler that serves the same
//! resource; each form builds that handler's typed body and calls it.

pub mod audit;
pub mod candidates;
pub mod connections;
pub mod interview_detail;
pub mod interviews;
pub mod keys;
pub mod overview;
pub mod signin;
pub mod templates;
pub mod webhooks;

use axum::extract::State;
use axum::Json;
use serde::de::DeserializeOwned;

use super::session::Console;
use crate::auth::Principal;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// The pieces a handler takes, from a signed-in console.
pub fn st(c: &Console) -> State<AppState> {
    State(c.state.clone())
}

pub fn who(c: &Console) -> Principal {
    c.principal.clone()
}

pub fn q<T>(v: T) -> ApiQuery<T> {
    ApiQuery(v)
}

pub fn p<T>(v: T) -> ApiPath<T> {
    ApiPath(v)
}

pub fn j<T>(v: T) -> ApiJson<T> {
    ApiJson(v)
}

pub fn inner<T>(r: ApiResult<Json<T>>) -> ApiResult<T> {
    r.map(|Json(v)| v)
}

/// A path id as the API parses one: malformed is the same 404.
pub fn id<T: DeserializeOwned>(raw: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .map_err(|_| crate::http::error::ApiError::not_found(format!("`{raw}`")))
}
