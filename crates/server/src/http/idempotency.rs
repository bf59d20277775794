//! `Idempotency-Key` on POST requests (api-v1.md "Idempotency").
//!
//! The first request with a key runs and its response is stored; a later request with the
//! same key and the same method, path and body gets that response again, marked
//! `Idempotent-Replayed: true`; the same key with a different request is 422
//! `idempotency_conflict`. Concurrent requests with one key do not both run: the store's
//! insert-if-absent lets exactly one start, the others wait for its response (or get 409
//! after `WAIT`). Keys are per workspace and kept `idempotency.retention_hours`.
//!
//! Not stored, so a retry runs afresh: 409 (a conflict of the moment), 429 and 503 (the
//! request never ran). Responses carrying a one-time secret (`NoReplay`) are not stored
//! either; replaying their key answers 409 naming what was created.
//!
//! A stored answer belongs to the API key that made it: records are keyed by (workspace,
//! API key id, Idempotency-Key), so another key reusing the same Idempotency-Key is simply
//! a different request — it runs under its own scopes, and never sees the first key's
//! answer. A key's scopes never change (rotation keeps them), so the key that gets a replay
//! is always one that was allowed to make the request; a revoked key fails authentication
//! before this layer.
//!
//! Stored bodies are sealed with the master key (bound to the record's key), so nothing a
//! response carried — such as a connection's inbound webhook token — sits readable in the
//! database. After a master-key rotation, keep the previous key configured for
//! `idempotency.retention_hours`: a replay whose record no key can open answers 409.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration as ChronoDuration;
use gateway_core::time::now;
use gateway_store::{IdempotencyBegin, IdempotencyTimes};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::http::error::{ApiError, ErrorCode, PROBLEM_JSON};
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a duplicate waits for the first request's response.
const WAIT: Duration = Duration::from_secs(20);

/// Set on a response whose body holds a one-time secret: it is never stored for replay.
/// The string says what was created, for the 409 a replay gets.
#[derive(Debug, Clone)]
pub struct NoReplay(pub String);

/// Stored in place of a `NoReplay` response's status.
const NO_REPLAY_STATUS: u16 = 0;

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(IDEMPOTENCY_KEY) else {
        return next.run(req).await;
    };
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return next.run(req).await;
    };
    let key = match raw_key.to_str() {
        Ok(k) if valid_key(k) => k.to_string(),
        _ => {
            return ApiError::field(
                "Idempotency-Key",
                "must be 1–255 printable ASCII characters",
            )
            .with_code(ErrorCode::MalformedRequest)
            .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.server.body_limit_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the request body exceeds the configured limit",
            )
            .into_response()
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"?");
    hasher.update(parts.uri.query().unwrap_or_default().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hasher.finalize().to_vec();
    let ws = principal.workspace_id;
    // One namespace per API key: another key's stored answer is never found, let alone replayed.
    let key = format!("{}/{key}", principal.key_id);
    let cfg = &state.config.idempotency;

    let started = tokio::time::Instant::now();
    loop {
        let t = now();
        let times = IdempotencyTimes {
            now: t,
            locked_until: t + ChronoDuration::seconds(cfg.lock_secs as i64),
            expires_at: t + ChronoDuration::hours(cfg.retention_hours as i64),
        };
        let begin = match state.store.begin_idempotent(ws, &key, &hash, times).await {
            Ok(b) => b,
            Err(e) => return ApiError::from(e).into_response(),
        };
        match begin {
            IdempotencyBegin::Started => {
                let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
                return finish(&state, ws, &key, res).await;
            }
            IdempotencyBegin::Completed { status, body } => {
                return match state.master_key.open(&body, &seal_context(ws, &key)) {
                    Ok(body) => replay(status, body),
                    Err(e) => {
                        tracing::warn!(error = %e, "a stored idempotent response cannot be opened");
                        ApiError::conflict(
                            "this Idempotency-Key was used, but its stored response can no longer be read \
                             (the master key changed); check the outcome and retry with a new key",
                        )
                        .into_response()
                    }
                };
            }
            // An erasure replaced the sealed answer with its fixed notice, which holds no
            // personal data and is stored plain (the store cannot seal).
            IdempotencyBegin::Erased { status, body } => return replay(status, body),
            IdempotencyBegin::Mismatch => {
                return ApiError::new(
                    ErrorCode::IdempotencyConflict,
                    "this Idempotency-Key was already used with a different request (method, path or body)",
                )
                .into_response()
            }
            IdempotencyBegin::InProgress if started.elapsed() < WAIT => {
                // Waiting on another request is no work here: the slot goes back meanwhile.
                provider_http::admission::away(tokio::time::sleep(Duration::from_millis(50)))
                    .await;
            }
            IdempotencyBegin::InProgress => {
                return ApiError::conflict("a request with this Idempotency-Key is still in progress; retry shortly")
                    .into_response()
            }
        }
    }
}

async fn finish(
    state: &AppState,
    ws: gateway_core::WorkspaceId,
    key: &str,
    res: Response,
) -> Response {
    let status = res.status();
    let no_replay = res.extensions().get::<NoReplay>().cloned();
    let transient = matches!(status.as_u16(), 409 | 429 | 503);
    if transient {
        if let Err(e) = state.store.release_idempotent(ws, key).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return ApiError::internal().into_response(),
    };
    let (code, plain): (u16, &[u8]) = match &no_replay {
        Some(NoReplay(what)) => (NO_REPLAY_STATUS, what.as_bytes()),
        None => (status.as_u16(), &bytes[..]),
    };
    let sealed = state.master_key.seal(plain, &seal_context(ws, key));
    let stored = state
        .store
        .complete_idempotent_naming(ws, key, code, &sealed, &subjects(plain))
        .await;
    if let Err(e) = stored {
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The gateway ids (`cand_…`, `intv_…`) an answer names, each between spaces, kept beside
/// the sealed body so an erasure can bury the replays that name the person.
fn subjects(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::from(" ");
    for prefix in ["\"cand_", "\"intv_"] {
        for (at, _) in text.match_indices(prefix) {
            let id: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !out.contains(&format!(" {id} ")) {
                out.push_str(&id);
                out.push(' ');
            }
        }
    }
    out
}

/// Binds a sealed body to its record, so one record's body cannot be moved to another.
fn seal_context(ws: gateway_core::WorkspaceId, key: &str) -> String {
    format!("idempotency:{ws}:{key}")
}

fn replay(status: u16, body: Vec<u8>) -> Response {
    if status == NO_REPLAY_STATUS {
        let what = String::from_utf8_lossy(&body);
        return ApiError::conflict(format!(
            "this Idempotency-Key already created {what}; its secret was shown once and is not replayed"
        ))
        .into_response();
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut res = (status, body).into_response();
    let content_type = if status.as_u16() >= 400 {
        PROBLEM_JSON
    } else {
        "application/json"
    };
    let headers = res.headers_mut();
    if status != StatusCode::NO_CONTENT {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    res
}
