//! Signing in with an API key, signing out, switching workspace.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use maud::html;
use serde::Deserialize;

use crate::console::form::Form;
use crate::console::session::{self, Console, COOKIE, SIGNIN_COOKIE};
use crate::console::view::{self, Feedback, Field};
use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SignInQuery {
    ended: Option<String>,
}

fn sign_in_page(state: &AppState, fb: &Feedback, note: Option<&str>) -> Response {
    // A fresh token per form: the form must echo the cookie (no cross-site sign-in).
    let token = session::random_token();
    let body = html! {
        @if let Some(n) = note { p.notice role="status" { (n) } }
        (fb.banner("signin"))
        form.card method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            (Field::new("signin", "api_key", "API key").kind("password").required()
                .hint("Any gateway API key. The console shows and does exactly what the key may; the key is never stored in the browser.")
                .render(fb))
            button type="submit" { "Sign in" }
        }
    };
    let mut res = view::render(view::page(None, "Sign in", body));
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, SIGNIN_COOKIE, Some(&token)),
    );
    res
}

pub async fn show(State(state): State<AppState>, Query(q): Query<SignInQuery>) -> Response {
    let note = match q.ended.as_deref() {
        Some("idle") => Some("Your session ended after a period without use. Sign in again."),
        Some("key") => Some("Your session ended: its API key was revoked, rotated out or expired."),
        Some("out") => Some("You are signed out."),
        _ => None,
    };
    sign_in_page(&state, &Feedback::default(), note)
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let expected = session::cookie_value(&headers, SIGNIN_COOKIE).unwrap_or_default();
    if !session::same(&expected, form.raw("csrf").unwrap_or_default()) {
        let e = ApiError::forbidden("the sign-in form expired; try again");
        return sign_in_page(
            &state,
            &Feedback::failed("signin", Form::default(), e),
            None,
        );
    }
    let key = form.get("api_key").unwrap_or_default().to_string();
    let failed = |e: ApiError| {
        let e = ApiError {
            errors: vec![gateway_core::FieldError::new("api_key", e.detail.clone())],
            ..e
        };
        sign_in_page(
            &state,
            &Feedback::failed("signin", Form::default(), e),
            None,
        )
    };
    // The API's own authentication: the same answers for a revoked, expired or unknown key.
    let principal = match state
        .auth
        .authenticate(Some(&format!("Bearer {key}")))
        .await
    {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let Some(lookup) = crate::auth::key::parse_lookup(&key) else {
        return failed(ApiError::unauthorized("malformed API key"));
    };
    let token = match session::open(&state, &principal, lookup).await {
        Ok(t) => t,
        Err(e) => return view::error_page(None, e),
    };
    tracing::info!(key_id = %principal.key_id, "console session opened");
    let mut res = Redirect::to("/console").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        session::set_cookie(&state, COOKIE, Some(&token)),
    );
    h.append(
        header::SET_COOKIE,
        session::set_cookie(&state, SIGNIN_COOKIE, None),
    );
    res
}

pub async fn sign_out(c: Console, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(res) = c.verify(&body) {
        return res;
    }
    session::close(&c.state, &headers).await;
    let mut res = Redirect::to("/console/sign-in?ended=out").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&c.state, COOKIE, None),
    );
    res
}

pub async fn switch_workspace(c: Console, body: Bytes) -> Response {
    let form = match c.verify(&body) {
        Ok(f) => f,
        Err(res) => return res,
    };
    let ws = match super::id(form.get("workspace_id").unwrap_or_default()) {
        Ok(ws) => ws,
        Err(e) => return view::error_page(Some(&c), e),
    };
    match c.switch_workspace(ws).await {
        Ok(()) => Redirect::to("/console").into_response(),
        Err(e) => view::error_page(Some(&c), e),
    }
}
