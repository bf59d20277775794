use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::error;
use super::model::{page_of, Interview, Stage, Webhook, EVENT_TYPES};
use crate::shared::{new_id, unix_now, Shared};

#[derive(Clone)]
struct ApiKey(String);

pub fn routes(shared: Shared) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/postings", get(postings))
        .route("/interview/{interview_id}", get(interview))
        .route("/interviews/{posting_id}", get(interviews_by_posting))
        .route("/interviews/export/json", post(export).get(export_get))
        .route("/webhook/create", post(create_webhook))
        .route("/webhook/fetch/{webhook_id}", get(fetch_webhook))
        .route("/webhook/all", get(all_webhooks))
        .route("/webhook/deactivate/{webhook_id}", post(deactivate_webhook))
        .route("/ingest/x/{url_key}", post(ingest_one))
        .route("/ingest/x/bulk/{url_key}", post(ingest_bulk))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            authenticate,
        ));
    Router::new()
        .nest("/api", api)
        // Export files live on HeyMilo's CDN, which needs no key.
        .route("/exports/{file}", get(export_file))
        .with_state(shared)
}

/// `X-API-KEY` on every call, and the documented 300 requests/minute per key.
async fn authenticate(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (limit, admitted) = {
        let mut st = s.lock(|i| &i.heymilo);
        let Some(account) = st.accounts.get_mut(&key) else {
            return error(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
        };
        (account.rate_limit_per_minute, account.admit(Instant::now()))
    };
    let remaining = match admitted {
        Ok(r) => r,
        Err(wait) => {
            let mut res = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded. Try again later.",
            );
            let h = res.headers_mut();
            h.insert(http::header::RETRY_AFTER, HeaderValue::from(wait));
            h.insert("x-ratelimit-limit", HeaderValue::from(limit));
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            return res;
        }
    };
    req.extensions_mut().insert(ApiKey(key));
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("x-ratelimit-limit", HeaderValue::from(limit));
    res.headers_mut()
        .insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    res
}

fn unprocessable(message: impl AsRef<str>) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message.as_ref())
}

fn not_found(message: &str) -> Response {
    error(StatusCode::NOT_FOUND, message)
}

/// `page` (default 1) and `limit` (default 10, at most 100) as FastAPI validates them.
fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let read = |name: &str, default: usize, max: usize| -> Result<usize, Response> {
        match q.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(unprocessable(format!(
                    "query.{name}: must be an integer between 1 and {max}"
                ))),
            },
        }
    };
    Ok((read("page", 1, 1_000_000)?, read("limit", 10, 100)?))
}

fn json_body(bytes: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(bytes).map_err(|e| unprocessable(format!("body: invalid JSON ({e})")))
}

async fn health() -> Json<Value> {
    Json(json!({"message": "API Gateway is running successfully", "status": 200}))
}

async fn postings(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (page, limit) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get(&key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    let total = account.postings.len();
    let postings: Vec<Value> = page_of(&account.postings, page, limit)
        .iter()
        .map(|p| p.to_json(&account.company_id))
        .collect();
    Json(json!({
        "postings": postings,
        "total": total,
        "page": page,
        "limit": limit,
        "total_pages": total.div_ceil(limit),
    }))
    .into_response()
}

async fn interview(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(id): Path<String>,
) -> Response {
    let rendered = {
        let mut st = s.lock(|i| &i.heymilo);
        let Some(account) = st.accounts.get_mut(&key) else {
            return error(StatusCode::UNAUTHORIZED, "Invalid API key");
        };
        account.rendered(&id, &s.public_base)
    };
    // Written out after the lock is released.
    match rendered {
        Some(v) => Json(v.as_ref()).into_response(),
        None => not_found("Interview not found"),
    }
}

async fn interviews_by_posting(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(posting_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (page, limit) = match paging(&q) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (total, candidates) = {
        let mut st = s.lock(|i| &i.heymilo);
        let Some(account) = st.accounts.get_mut(&key) else {
            return error(StatusCode::UNAUTHORIZED, "Invalid API key");
        };
        if !account.postings.iter().any(|p| p.posting_id == posting_id) {
            return not_found("Posting not found");
        }
        account.rendered_page(&posting_id, page, limit, &s.public_base)
    };
    // A struct, not `json!`: that would parse each cached rendering back into a Value.
    #[derive(serde::Serialize)]
    struct PageOut<'a> {
        candidates: Vec<&'a RawValue>,
        total: usize,
        page: usize,
        limit: usize,
        total_pages: usize,
    }
    Json(PageOut {
        candidates: candidates.iter().map(AsRef::as_ref).collect(),
        total,
        page,
        limit,
        total_pages: total.div_ceil(limit),
    })
    .into_response()
}

fn do_export(s: &Shared, key: &str, posting_id: Option<&str>) -> Response {
    let Some(posting_id) = posting_id.filter(|p| !p.is_empty()) else {
        return unprocessable("posting_id: field required");
    };
    let mut st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get(key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    if !account.postings.iter().any(|p| p.posting_id == posting_id) {
        return not_found("Posting not found");
    }
    let rows: Vec<Value> = account
        .interviews_of(posting_id)
        .into_iter()
        .map(|i| account.render(i, &s.public_base))
        .collect();
    let job_id = uuid::Uuid::now_v7().to_string();
    st.exports.insert(job_id.clone(), Value::Array(rows));
    Json(json!({
        "job_id": job_id,
        "status": "success",
        "file_url": format!("{}/heymilo/exports/{job_id}.json", s.public_base),
    }))
    .into_response()
}

async fn export(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    do_export(&s, &key, body.get("posting_id").and_then(Value::as_str))
}

/// The document's heading says GET with `posting_id`; its example POSTs a body. Both work.
async fn export_get(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    do_export(&s, &key, q.get("posting_id").map(String::as_str))
}

async fn export_file(State(s): State<Shared>, Path(file): Path<String>) -> Response {
    let job = file.trim_end_matches(".json");
    let st = s.lock(|i| &i.heymilo);
    match st.exports.get(job) {
        Some(v) => Json(v.clone()).into_response(),
        None => not_found("Export not found"),
    }
}

async fn create_webhook(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(posting_id), Some(url), Some(event_type)) =
        (field("posting_id"), field("url"), field("event_type"))
    else {
        return unprocessable("posting_id, url and event_type are required strings");
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return unprocessable("url: invalid or missing URL scheme");
    }
    if !EVENT_TYPES.contains(&event_type.as_str()) {
        return unprocessable(
            "event_type: must be one of interview_started, interview_completed, report_available",
        );
    }
    let http_method = match body.get("http_method") {
        None | Some(Value::Null) => "post".to_string(),
        Some(Value::String(m)) if m == "get" || m == "post" => m.clone(),
        Some(_) => return unprocessable("http_method: must be \"get\" or \"post\""),
    };
    let mut st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get_mut(&key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    if !account.postings.iter().any(|p| p.posting_id == posting_id) {
        return not_found("Posting not found");
    }
    let now = unix_now();
    let hook = Webhook {
        webhook_id: new_id("webhook_"),
        posting_id,
        url,
        event_type,
        http_method,
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let out = hook.to_json();
    account.webhooks.push(hook);
    Json(out).into_response()
}

async fn fetch_webhook(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(id): Path<String>,
) -> Response {
    let st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get(&key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    match account.webhooks.iter().find(|w| w.webhook_id == id) {
        Some(w) => Json(w.to_json()).into_response(),
        None => not_found("Webhook not found"),
    }
}

async fn all_webhooks(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get(&key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    let hooks: Vec<Value> = account
        .webhooks
        .iter()
        .filter(|w| q.get("posting_id").is_none_or(|p| *p == w.posting_id))
        .filter(|w| q.get("event_type").is_none_or(|e| *e == w.event_type))
        .map(Webhook::to_json)
        .collect();
    Json(Value::Array(hooks)).into_response()
}

async fn deactivate_webhook(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(id): Path<String>,
) -> Response {
    let mut st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get_mut(&key) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    match account.webhooks.iter_mut().find(|w| w.webhook_id == id) {
        Some(w) => {
            w.is_active = false;
            w.updated_at = unix_now();
            Json(w.to_json()).into_response()
        }
        None => not_found("Webhook not found"),
    }
}

struct CandidateIn {
    name: String,
    email: String,
    phone_number: Option<String>,
    metadata: Value,
    data: Value,
    retake: bool,
}

fn candidate(v: &Value, at: &str) -> Result<CandidateIn, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: must be an object"))?;
    let text = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let name = text("name")
        .ok_or_else(|| format!("{at}name: field required"))?
        .to_string();
    let email = text("email")
        .ok_or_else(|| format!("{at}email: field required"))?
        .to_string();
    let valid_email = email
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !valid_email {
        return Err(format!("{at}email: value is not a valid email address"));
    }
    let phone_number = match obj.get("phone_number") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(format!("{at}phone_number: must be a string")),
    };
    let object_or_empty = |name: &str| -> Result<Value, String> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(json!({})),
            Some(v @ Value::Object(_)) => Ok(v.clone()),
            Some(_) => Err(format!("{at}{name}: must be an object")),
        }
    };
    let retake = match obj.get("retake") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{at}retake: must be a boolean")),
    };
    Ok(CandidateIn {
        name,
        email,
        phone_number,
        metadata: object_or_empty("metadata")?,
        data: object_or_empty("data")?,
        retake,
    })
}

/// Ingest into the posting behind `url_key`: an existing interview is returned unless
/// `retake` asks for a new one.
fn ingest(
    s: &Shared,
    key: &str,
    url_key: &str,
    candidates: Vec<CandidateIn>,
) -> Result<Vec<Value>, Response> {
    let mut st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get_mut(key) else {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid API key"));
    };
    let Some(posting) = account.posting_by_url_key(url_key) else {
        return Err(not_found("No posting found for this url_key"));
    };
    let posting_id = posting.posting_id.clone();
    let mut details = Vec::new();
    for c in candidates {
        let existing = (!c.retake)
            .then(|| account.latest_interview(&posting_id, &c.email))
            .flatten();
        let interview_id = match existing {
            Some(i) => i.interview_id.clone(),
            None => {
                let i = Interview {
                    interview_id: new_id("int_"),
                    candidate_id: new_id("cand_"),
                    posting_id: posting_id.clone(),
                    name: c.name,
                    email: c.email,
                    phone_number: c.phone_number,
                    metadata: c.metadata,
                    data: c.data,
                    stage: Stage::Pending,
                    created_at: unix_now(),
                    started_at: None,
                    completed_at: None,
                    score: None,
                };
                let id = i.interview_id.clone();
                account.add_interview(i);
                id
            }
        };
        details.push(json!({
            "interview_id": interview_id,
            "interview_link": format!("{}/heymilo/i/{interview_id}", s.public_base),
        }));
    }
    Ok(details)
}

async fn ingest_one(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(url_key): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let c = match candidate(&body, "") {
        Ok(c) => c,
        Err(m) => return unprocessable(m),
    };
    let email = c.email.clone();
    match ingest(&s, &key, &url_key, vec![c]) {
        Ok(details) => Json(json!({
            "message": format!("Data Ingestion initiated for {email}"),
            "ingestion_id": uuid::Uuid::now_v7().to_string(),
            "interview_details": details,
        }))
        .into_response(),
        Err(r) => r,
    }
}

async fn ingest_bulk(
    State(s): State<Shared>,
    Extension(ApiKey(key)): Extension<ApiKey>,
    Path(url_key): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(items) = body
        .get("data")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    else {
        return unprocessable("data: must be a non-empty list of candidates");
    };
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match candidate(item, &format!("data[{i}].")) {
            Ok(c) => parsed.push(c),
            Err(m) => return unprocessable(m),
        }
    }
    match ingest(&s, &key, &url_key, parsed) {
        Ok(details) => Json(json!({
            "message": "Bulk candidate ingestion job created successfully",
            "ingestion_id": new_id("ing_"),
            "interview_details": details,
        }))
        .into_response(),
        Err(r) => r,
    }
}
