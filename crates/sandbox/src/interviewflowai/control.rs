//! `/_control/interviewflowai`: accounts with interviewers, the dashboard webhook, moving
//! an interview along (which fires the webhook).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::model::{Account, Interviewer};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/accounts", post(create_account))
        .route("/accounts/{key}/webhook", post(set_webhook))
        .route("/interviews/{id}/advance", post(advance))
        .with_state(shared)
}

#[derive(Deserialize, Default)]
struct AccountIn {
    /// Ingest answers without per-candidate ids.
    #[serde(default)]
    bare_ingest: bool,
}

/// An account with three interviewers: public, private, and public with screening on.
async fn create_account(State(s): State<Shared>, body: Option<Json<AccountIn>>) -> Response {
    let body = body.map(|b| b.0).unwrap_or_default();
    let key = format!("ifa_{}", uuid::Uuid::now_v7().simple());
    let account_id = uuid::Uuid::now_v7().to_string();
    let interviewer = |name: &str, public: bool, screening: bool| Interviewer {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.into(),
        public,
        screening,
    };
    let interviewers = vec![
        interviewer("Backend Engineer Interviewer", true, false),
        interviewer("Private Interviewer", false, false),
        interviewer("Screened Interviewer", true, true),
    ];
    let out = json!({
        "api_key": key,
        "interviewers": interviewers.iter().map(|i| json!({
            "id": i.id, "name": i.name,
            "visibility": if i.public { "public" } else { "private" },
            "screening": i.screening,
        })).collect::<Vec<_>>(),
    });
    let mut st = s.lock(|i| &i.interviewflowai);
    st.keys.insert(key, account_id.clone());
    st.accounts.insert(
        account_id,
        Account {
            interviewers,
            bare_ingest: body.bare_ingest,
            ..Default::default()
        },
    );
    (StatusCode::CREATED, Json(out)).into_response()
}

#[derive(Deserialize)]
struct WebhookIn {
    url: String,
}

async fn set_webhook(
    State(s): State<Shared>,
    Path(key): Path<String>,
    Json(body): Json<WebhookIn>,
) -> Response {
    let mut st = s.lock(|i| &i.interviewflowai);
    let Some(account) = st.keys.get(&key).cloned() else {
        return (StatusCode::NOT_FOUND, "no such key").into_response();
    };
    if let Some(a) = st.accounts.get_mut(&account) {
        a.webhook = Some(body.url);
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct AdvanceIn {
    /// `started`, `in_progress`, `completed` or `report_available`.
    to: String,
    score: Option<f64>,
}

async fn advance(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<AdvanceIn>,
) -> Response {
    let (payload, hook) = {
        let mut st = s.lock(|i| &i.interviewflowai);
        let Some(acct) = st
            .accounts
            .values_mut()
            .find(|a| a.candidates.iter().any(|c| c.interview_id == id))
        else {
            return (StatusCode::NOT_FOUND, "no such interview").into_response();
        };
        let hook = acct.webhook.clone();
        let Some(c) = acct.candidates.iter_mut().find(|c| c.interview_id == id) else {
            return (StatusCode::NOT_FOUND, "no such interview").into_response();
        };
        match body.to.as_str() {
            "started" | "in_progress" | "completed" => c.interview_status = body.to.clone(),
            "report_available" => {
                c.interview_status = "completed".into();
                c.report_available = true;
                c.score = Some(body.score.unwrap_or(78.0));
            }
            other => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("unknown step {other}"),
                )
                    .into_response()
            }
        }
        c.updated_at = chrono::Utc::now();
        let payload = json!({
            "id": format!("wh_{}", uuid::Uuid::now_v7().simple()),
            "event": format!("interview.{}", body.to),
            "createdAt": c.updated_at,
            "data": c.json(&s.public_base),
        });
        (payload, hook)
    };
    let Some(url) = hook else {
        return Json(json!({"delivered": null, "event": payload})).into_response();
    };
    let status = s
        .webhooks
        .send_with_retries(
            "interviewflowai",
            reqwest::Method::POST,
            &url,
            Vec::new(),
            payload.to_string(),
            2,
        )
        .await;
    Json(json!({"delivered": status, "event": payload})).into_response()
}
