//! The routes of TapTalent's partner API, and what every handler shares: the key, the body, the flow id.

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{coded, error, invalid};
use crate::shared::Shared;

mod assessments;
mod candidates;
mod flows;

use assessments::*;
use candidates::*;
use flows::*;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route(
            "/v1/partner/assessment-flows",
            get(list_flows).post(create_flow),
        )
        .route(
            "/v1/partner/assessment-flows/{id}",
            get(get_flow).patch(update_flow),
        )
        .route(
            "/v1/partner/assessment-flows/{id}/candidates",
            get(list_candidates),
        )
        .route(
            "/v1/partner/assessment-flows/{id}/assign",
            axum::routing::post(assign),
        )
        .route("/v1/partner/assessment", get(list_assessments))
        .with_state(shared)
}

/// The company behind `Authorization: Bearer sk_live_…|sk_test_…`.
fn authorize(s: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let key = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(key) = key else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Missing Authorization: Bearer <API key>",
        ));
    };
    if !(key.starts_with("sk_live_") || key.starts_with("sk_test_")) {
        return Err(error(StatusCode::UNAUTHORIZED, "Malformed API key"));
    }
    let st = s.lock(|i| &i.taptalent);
    let Some(company) = st.keys.get(key) else {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid API key"));
    };
    if st.companies.get(company).is_some_and(|c| c.inactive) {
        return Err(coded(
            StatusCode::FORBIDDEN,
            "ACCOUNT_INACTIVE",
            "permission_error",
            "This account is inactive",
            None,
        ));
    }
    Ok(company.clone())
}

fn object(bytes: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => {
            let mut d = Map::new();
            d.insert("body".into(), json!("must be a JSON object"));
            Err(invalid(d))
        }
    }
}

fn flow_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Assessment flow not found")
}

fn flow_id(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

fn text(
    obj: &Map<String, Value>,
    field: &str,
    path: &str,
    required: bool,
    d: &mut Map<String, Value>,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => {
            if required {
                d.insert(path.into(), json!("is required"));
            }
            None
        }
        Some(Value::String(v)) if required && v.trim().is_empty() => {
            d.insert(path.into(), json!("must not be empty"));
            None
        }
        Some(Value::String(v)) if v.chars().count() > 5000 => {
            d.insert(path.into(), json!("must be at most 5000 characters"));
            None
        }
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => {
            d.insert(path.into(), json!("must be a string"));
            None
        }
    }
}

fn positive(q: &HashMap<String, String>, key: &str, d: &mut Map<String, Value>) -> Option<u64> {
    let v = q.get(key)?;
    match v.parse::<u64>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            d.insert(key.into(), json!("must be a positive integer"));
            None
        }
    }
}
