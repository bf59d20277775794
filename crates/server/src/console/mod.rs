//! The admin console at `/console`: server-rendered HTML (maud, checked at compile time),
//! no script, every asset compiled into the binary.
//!
//! A browser signs in with an API key, exchanged for a session stored in the database
//! (`session`); what a session may see and do is exactly what its key may. Every action
//! calls the REST API's own handler functions with the same typed bodies, so no rule has a
//! second implementation here: the console only turns forms into those bodies and answers
//! into pages. Not part of the OpenAPI document: these routes answer HTML, not the API.

mod assets;
mod form;
mod pages;
pub mod session;
mod view;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// No inline script or style anywhere, so the policy needs neither `unsafe-inline` nor
/// `unsafe-eval`; forms post only to the console itself; no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    use self::pages::*;
    Router::new()
        .route("/console", get(overview::show))
        .route("/console/", get(overview::show))
        .route("/console/assets/{name}", get(assets::serve))
        .route("/console/sign-in", get(signin::show).post(signin::submit))
        .route("/console/sign-out", post(signin::sign_out))
        .route("/console/workspace", post(signin::switch_workspace))
        .route(
            "/console/connections",
            get(connections::list).post(connections::create),
        )
        .route("/console/connections/new", get(connections::new_form))
        .route(
            "/console/connections/{id}",
            get(connections::show).post(connections::update),
        )
        .route("/console/connections/{id}/check", post(connections::check))
        .route(
            "/console/connections/{id}/delete",
            post(connections::delete),
        )
        .route(
            "/console/templates",
            get(templates::list).post(templates::create),
        )
        .route("/console/templates/import", post(templates::import))
        .route("/console/templates/link", post(templates::link))
        .route(
            "/console/interviews",
            get(interviews::list).post(interviews::invite),
        )
        .route("/console/interviews/batch", post(interviews::invite_many))
        .route("/console/interviews/{id}", get(interview_detail::show))
        .route(
            "/console/interviews/{id}/sync",
            post(interview_detail::sync),
        )
        .route("/console/candidates", get(candidates::list))
        .route("/console/candidates/{id}", get(candidates::show))
        .route(
            "/console/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/console/webhooks/{id}", get(webhooks::show))
        .route("/console/webhooks/{id}/rotate", post(webhooks::rotate))
        .route("/console/webhooks/{id}/delete", post(webhooks::delete))
        .route("/console/events/{id}/redeliver", post(webhooks::redeliver))
        .route("/console/keys", get(keys::list).post(keys::create))
        .route("/console/keys/{id}/rotate", post(keys::rotate))
        .route("/console/keys/{id}/revoke", post(keys::revoke))
        .route("/console/audit", get(audit::list))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Whether a path belongs to the console (it authenticates by session, not by bearer key).
pub fn is_console_path(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}
