//! `/_control/heymilo`: accounts, postings, and moving interviews along (which fires the
//! registered webhooks, as HeyMilo would).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{Account, Posting, Stage, DOCUMENTED_LIMIT_PER_MINUTE};
use crate::shared::{new_id, unix_now, Shared};

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/accounts", post(create_account))
        .route("/accounts/{api_key}/postings", post(create_posting))
        .route("/interviews/{interview_id}", get(raw_interview))
        .route("/interviews/{interview_id}/advance", post(advance))
        .with_state(shared)
}

#[derive(Deserialize, Default)]
struct AccountIn {
    api_key: Option<String>,
    rate_limit_per_minute: Option<usize>,
}

async fn create_account(State(s): State<Shared>, body: Option<Json<AccountIn>>) -> Response {
    let body = body.map(|b| b.0).unwrap_or_default();
    let api_key = body.api_key.unwrap_or_else(|| new_id("hm_"));
    let account = Account::new(
        body.rate_limit_per_minute
            .unwrap_or(DOCUMENTED_LIMIT_PER_MINUTE),
    );
    let company_id = account.company_id.clone();
    s.lock(|i| &i.heymilo)
        .accounts
        .insert(api_key.clone(), account);
    (
        StatusCode::CREATED,
        Json(json!({"api_key": api_key, "company_id": company_id})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct PostingIn {
    title: String,
    #[serde(default)]
    description: String,
    url_key: Option<String>,
}

async fn create_posting(
    State(s): State<Shared>,
    Path(api_key): Path<String>,
    Json(body): Json<PostingIn>,
) -> Response {
    let mut st = s.lock(|i| &i.heymilo);
    let Some(account) = st.accounts.get_mut(&api_key) else {
        return (StatusCode::NOT_FOUND, "no such account").into_response();
    };
    let posting = Posting::new(&body.title, &body.description, body.url_key);
    let out = posting.to_json(&account.company_id);
    account.postings.push(posting);
    (StatusCode::CREATED, Json(out)).into_response()
}

async fn raw_interview(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let st = s.lock(|i| &i.heymilo);
    for account in st.accounts.values() {
        if let Some(i) = account.interview(&id) {
            return Json(json!({
                "interview_id": i.interview_id,
                "posting_id": i.posting_id,
                "email": i.email,
                "name": i.name,
                "phone_number": i.phone_number,
                "metadata": i.metadata,
                "data": i.data,
                "status": i.stage.as_str(),
            }))
            .into_response();
        }
    }
    (StatusCode::NOT_FOUND, "no such interview").into_response()
}

#[derive(Deserialize)]
struct AdvanceIn {
    /// `in_progress`, `evaluating` or `completed`.
    to: String,
    score: Option<f64>,
}

async fn advance(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<AdvanceIn>,
) -> Response {
    let stage = match body.to.as_str() {
        "in_progress" => Stage::InProgress,
        "evaluating" => Stage::Evaluating,
        "completed" => Stage::Completed,
        other => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown stage {other}"),
            )
                .into_response()
        }
    };
    let events: &[&str] = match stage {
        Stage::InProgress => &["interview_started"],
        Stage::Completed => &["interview_completed", "report_available"],
        _ => &[],
    };
    // Update under the lock, then deliver webhooks without it.
    let deliveries: Vec<(String, String, Value)> = {
        let mut st = s.lock(|i| &i.heymilo);
        let Some(account) = st
            .accounts
            .values_mut()
            .find(|a| a.interview(&id).is_some())
        else {
            return (StatusCode::NOT_FOUND, "no such interview").into_response();
        };
        let Some(interview) = account.interview_mut(&id) else {
            return (StatusCode::NOT_FOUND, "no such interview").into_response();
        };
        let now = unix_now();
        interview.stage = stage;
        if stage != Stage::Pending && interview.started_at.is_none() {
            interview.started_at = Some(now);
        }
        if stage == Stage::Completed {
            interview.completed_at = Some(now);
            interview.score = Some(body.score.unwrap_or(85.5));
        }
        let posting_id = interview.posting_id.clone();
        let mut out = Vec::new();
        for event in events {
            for hook in account
                .webhooks
                .iter()
                .filter(|w| w.is_active && w.posting_id == posting_id && w.event_type == *event)
            {
                let payload = json!({
                    "event_type": event,
                    "webhook_id": hook.webhook_id,
                    "posting_id": posting_id,
                    "interview_id": id,
                    "timestamp": now,
                });
                out.push((hook.url.clone(), hook.http_method.clone(), payload));
            }
        }
        out
    };
    let mut statuses = Vec::new();
    for (url, method, payload) in deliveries {
        let status = if method == "get" {
            let q: Vec<(String, String)> = payload
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let sep = if url.contains('?') { '&' } else { '?' };
            let query: Vec<String> = q
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect();
            s.webhooks
                .send(
                    "heymilo",
                    reqwest::Method::GET,
                    &format!("{url}{sep}{}", query.join("&")),
                    vec![],
                    String::new(),
                )
                .await
        } else {
            s.webhooks
                .send(
                    "heymilo",
                    reqwest::Method::POST,
                    &url,
                    vec![],
                    payload.to_string(),
                )
                .await
        };
        statuses.push(status);
    }
    Json(json!({"interview_id": id, "status": stage.as_str(), "webhooks": statuses}))
        .into_response()
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
