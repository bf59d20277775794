//! Authentication is on by default: every route needs a key unless it is on this list.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Authenticator;
use crate::partners::PATH_PREFIX as PARTNER_PREFIX;

/// The routes that answer without a key: operations endpoints, the spec and its viewer, and
/// vendor callbacks (each authenticated per connection by its own scheme).
pub fn is_open_route(method: &Method, path: &str) -> bool {
    match path {
        "/health/live" | "/health/ready" | "/metrics" | "/openapi.json" => *method == Method::GET,
        _ if path == "/docs" || path.starts_with("/docs/") => *method == Method::GET,
        _ if path.starts_with("/v1/inbound/") => *method == Method::POST,
        // The console signs its own sessions in and checks them on every request.
        _ if crate::console::is_console_path(path) => true,
        _ => false,
    }
}

pub async fn require_api_key(
    State(auth): State<Arc<Authenticator>>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_open_route(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let partner = req.uri().path().starts_with(PARTNER_PREFIX);
    // ATS partners send the key as an HTTP Basic username (empty password).
    let bearer = match header {
        Some(h) if partner => basic_username(h).map(|key| format!("Bearer {key}")),
        _ => None,
    };
    match auth.authenticate(bearer.as_deref().or(header)).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => {
            let mut res = e.into_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(if partner {
                    "Basic realm=\"interview-gateway\""
                } else {
                    "Bearer"
                }),
            );
            res
        }
    }
}

/// The username of `Basic base64(user:password)`, when that is what the header holds.
fn basic_username(header: &str) -> Option<String> {
    use base64::Engine as _;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, _password) = text.split_once(':').unwrap_or((&text, ""));
    Some(user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_routes_are_open() {
        assert!(is_open_route(&Method::GET, "/health/ready"));
        assert!(is_open_route(&Method::POST, "/v1/inbound/conn_x/tok"));
        assert!(!is_open_route(&Method::GET, "/v1/inbound/conn_x/tok"));
        assert!(!is_open_route(&Method::POST, "/health/ready"));
        assert!(!is_open_route(&Method::GET, "/v1/workspaces"));
        assert!(!is_open_route(&Method::GET, "/docsx"));
        assert!(!is_open_route(&Method::GET, "/v1/health/ready"));
        assert!(is_open_route(&Method::POST, "/console/sign-in"));
        assert!(!is_open_route(&Method::GET, "/consolex"));
        // Partner routes take a key too (as HTTP Basic).
        assert!(!is_open_route(
            &Method::GET,
            "/partners/greenhouse/list_tests"
        ));
    }

    #[test]
    fn basic_credentials_yield_the_username() {
        // base64("igk_a_b:") and base64("igk_a_b")
        assert_eq!(
            basic_username("Basic aWdrX2FfYjo=").as_deref(),
            Some("igk_a_b")
        );
        assert_eq!(
            basic_username("basic aWdrX2FfYg==").as_deref(),
            Some("igk_a_b")
        );
        assert_eq!(basic_username("Bearer igk_a_b"), None);
        assert_eq!(basic_username("Basic !!!"), None);
    }
}
