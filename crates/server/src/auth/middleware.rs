//! Authentication is on by default: every route needs a key unless it is on this list.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Authenticator;

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
    match auth.authenticate(header).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(e) => {
            let mut res = e.into_response();
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            res
        }
    }
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
    }
}
