//! Console sessions: an API key exchanged for a random token in an HttpOnly cookie.
//!
//! The database keeps the token's SHA-256, the key's id and public lookup (never the key),
//! the workspace acted in and a per-session CSRF token, so every replica knows every session.
//! Each request re-reads the key's stored credential, so a revoked, expired or rotated-out key
//! ends its sessions at their next request, on every replica.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{Duration, Utc};
use gateway_core::{Workspace, WorkspaceId};
use gateway_store::{ConsoleSession, PageRequest};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const COOKIE: &str = "ig_console";
/// Before sign-in: the token the sign-in form must echo (login CSRF).
pub const SIGNIN_COOKIE: &str = "ig_console_signin";

/// A signed-in request: who acts, in which workspace, and the token its forms carry.
pub struct Console {
    pub state: AppState,
    pub principal: Principal,
    pub csrf: String,
    /// For admin keys: the workspaces to switch between.
    pub workspaces: Vec<Workspace>,
    token_hash: Vec<u8>,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A cookie the console sets: HttpOnly, SameSite=Strict, scoped to /console, `Secure` when
/// the gateway's public URL is https. `None` clears it.
pub fn set_cookie(state: &AppState, name: &str, value: Option<&str>) -> HeaderValue {
    let secure = state.config.public_url().starts_with("https://");
    cookie_header(name, value, secure)
}

pub fn cookie_header(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    let mut c = match value {
        Some(v) => format!("{name}={v}; Path=/console; HttpOnly; SameSite=Strict"),
        None => format!("{name}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn idle(state: &AppState) -> Duration {
    Duration::minutes(i64::from(state.config.console.idle_timeout_mins.max(1)))
}

/// Open a session for a key that just authenticated; returns the cookie's token.
pub async fn open(state: &AppState, principal: &Principal, lookup: &str) -> ApiResult<String> {
    let token = random_token();
    let now = gateway_core::time::now();
    let session = ConsoleSession {
        key_id: principal.key_id,
        key_lookup: lookup.to_string(),
        workspace_id: principal.workspace_id,
        csrf_token: random_token(),
        created_at: now,
        last_seen_at: now,
    };
    state
        .store
        .insert_console_session(&hash_token(&token), &session)
        .await?;
    // Sessions idle past the limit are dead anyway; sweeping at sign-in keeps the table small.
    if let Err(e) = state.store.purge_console_sessions(now - idle(state)).await {
        tracing::warn!(error = %e, "could not purge idle console sessions");
    }
    Ok(token)
}

pub async fn close(state: &AppState, headers: &HeaderMap) {
    if let Some(token) = cookie_value(headers, COOKIE) {
        if let Err(e) = state
            .store
            .delete_console_session(&hash_token(&token))
            .await
        {
            tracing::warn!(error = %e, "could not delete a console session");
        }
    }
}

/// Why a request has no session: shown on the sign-in page it is sent to.
#[derive(Debug, Clone, Copy)]
pub enum Ended {
    None,
    Idle,
    KeyGone,
}

fn to_sign_in(state: &AppState, why: Ended) -> Response {
    let to = match why {
        Ended::None => "/console/sign-in",
        Ended::Idle => "/console/sign-in?ended=idle",
        Ended::KeyGone => "/console/sign-in?ended=key",
    };
    let mut res = Redirect::to(to).into_response();
    if !matches!(why, Ended::None) {
        res.headers_mut()
            .insert(header::SET_COOKIE, set_cookie(state, COOKIE, None));
    }
    res
}

impl Console {
    async fn load(state: &AppState, headers: &HeaderMap) -> Result<Self, Response> {
        let Some(token) = cookie_value(headers, COOKIE).filter(|t| !t.is_empty()) else {
            return Err(to_sign_in(state, Ended::None));
        };
        let hash = hash_token(&token);
        let now = gateway_core::time::now();
        let found = state
            .store
            .touch_console_session(&hash, now - idle(state), now)
            .await
            .map_err(|e| crate::console::view::error_page(None, ApiError::from(e)))?;
        let Some(session) = found else {
            return Err(to_sign_in(state, Ended::Idle));
        };
        let credential = state
            .store
            .find_key_credential(&session.key_lookup)
            .await
            .map_err(|e| crate::console::view::error_page(None, ApiError::from(e)))?;
        let usable = credential.filter(|c| {
            c.key.id == session.key_id
                && c.key.revoked_at.is_none()
                && c.key.expires_at.is_none_or(|t| t > now)
                && c.secret_expires_at.is_none_or(|t| t > Utc::now())
        });
        let Some(credential) = usable else {
            let _ = state.store.delete_console_session(&hash).await;
            return Err(to_sign_in(state, Ended::KeyGone));
        };
        let key = credential.key;
        let mut principal = Principal {
            key_id: key.id,
            workspace_id: key.workspace_id,
            scopes: key.scopes,
            rate_limit: key.rate_limit,
        };
        let mut workspaces = Vec::new();
        if principal.is_admin() {
            // Admin keys act in every workspace: the session says which one now.
            principal.workspace_id = session.workspace_id;
            workspaces = state
                .store
                .list_workspaces(PageRequest {
                    limit: 200,
                    after: None,
                })
                .await
                .map(|p| p.items)
                .unwrap_or_default();
        }
        Ok(Self {
            state: state.clone(),
            principal,
            csrf: session.csrf_token,
            workspaces,
            token_hash: hash,
        })
    }

    /// Check a posted form's CSRF token; the form itself when it matches.
    // The error is the page to answer with, built once per refused form: no need to box it.
    #[allow(clippy::result_large_err)]
    pub fn verify(&self, body: &[u8]) -> Result<crate::console::form::Form, Response> {
        let form = crate::console::form::Form::parse(body);
        if same(&self.csrf, form.raw("csrf").unwrap_or_default()) {
            Ok(form)
        } else {
            Err(crate::console::view::error_page(
                Some(self),
                ApiError::forbidden(
                    "the form's security token is missing or stale; reload the page and try again",
                ),
            ))
        }
    }

    pub async fn switch_workspace(&self, ws: WorkspaceId) -> ApiResult<()> {
        if !self.principal.is_admin() {
            return Err(ApiError::forbidden("only admin keys can switch workspaces"));
        }
        self.state
            .store
            .get_workspace(ws)
            .await?
            .ok_or_else(|| ApiError::not_found(ws))?;
        self.state
            .store
            .set_console_session_workspace(&self.token_hash, ws)
            .await?;
        Ok(())
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Console::load(state, &parts.headers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_https() {
        let c = cookie_header(COOKIE, Some("t"), true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("; Secure"));
        let plain = cookie_header(COOKIE, Some("t"), false);
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(cookie_header(COOKIE, None, false)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ig_console=tok; b=2"),
        );
        assert_eq!(cookie_value(&h, COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie_value(&h, "c"), None);
        assert!(!same("", ""));
        assert!(same("x", "x") && !same("x", "y"));
    }
}
