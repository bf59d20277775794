//! `/_control/flowmingo`: organizations with keys, projects and sets; the dashboard webhook;
//! moving a submission along (which fires signed webhooks).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use super::model::{uuid, ApiKey, Org, Project};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/accounts", post(create_account))
        .route("/organizations/{org}/keys", post(create_key))
        .route("/organizations/{org}/sets", post(create_set))
        .route("/organizations/{org}/webhook", post(set_webhook))
        .route("/submissions/{id}/advance", post(advance))
        .with_state(shared)
}

#[derive(Deserialize, Default)]
struct KeyIn {
    #[serde(default)]
    scopes: Vec<String>,
}

fn new_key(s: &Shared, org: &str, scopes: Vec<String>) -> String {
    let key_id = format!("{:x}", rand::random::<u32>());
    let key = format!("fl_live_{key_id}.{}", uuid::Uuid::now_v7().simple());
    s.lock(|i| &i.flowmingo).keys.insert(
        key.clone(),
        ApiKey {
            key_id,
            organization_id: org.to_string(),
            scopes,
        },
    );
    key
}

/// An organization with one project (and job post, and its interview set), one interview
/// set, and a key.
async fn create_account(State(s): State<Shared>, body: Option<Json<KeyIn>>) -> Response {
    let scopes = body.map(|b| b.0.scopes).unwrap_or_default();
    let org_id = uuid();
    let project_set = json!({"id": uuid(), "title": "Project interview"});
    let set = json!({"id": uuid(), "title": "Backend interview", "set_type": 1});
    let project = Project {
        id: uuid(),
        job_posts: vec![uuid()],
        set_id: project_set["id"].as_str().unwrap_or_default().to_string(),
    };
    let out = json!({
        "organization_id": org_id,
        "project_id": project.id,
        "job_post_id": project.job_posts[0],
        "interview_set_id": set["id"],
    });
    s.lock(|i| &i.flowmingo).orgs.insert(
        org_id.clone(),
        Org {
            projects: vec![project],
            sets: vec![set, project_set],
            ..Default::default()
        },
    );
    let key = new_key(&s, &org_id, scopes);
    let mut out = out;
    out["api_key"] = json!(key);
    (StatusCode::CREATED, Json(out)).into_response()
}

async fn create_key(
    State(s): State<Shared>,
    Path(org): Path<String>,
    Json(body): Json<KeyIn>,
) -> Response {
    if !s.lock(|i| &i.flowmingo).orgs.contains_key(&org) {
        return (StatusCode::NOT_FOUND, "no such organization").into_response();
    }
    (
        StatusCode::CREATED,
        Json(json!({"api_key": new_key(&s, &org, body.scopes)})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SetIn {
    title: String,
}

async fn create_set(
    State(s): State<Shared>,
    Path(org): Path<String>,
    Json(body): Json<SetIn>,
) -> Response {
    let mut st = s.lock(|i| &i.flowmingo);
    let Some(o) = st.orgs.get_mut(&org) else {
        return (StatusCode::NOT_FOUND, "no such organization").into_response();
    };
    let set = json!({"id": uuid(), "title": body.title, "set_type": 1});
    o.sets.push(set.clone());
    (StatusCode::CREATED, Json(set)).into_response()
}

#[derive(Deserialize)]
struct WebhookIn {
    url: String,
    secret: String,
}

async fn set_webhook(
    State(s): State<Shared>,
    Path(org): Path<String>,
    Json(body): Json<WebhookIn>,
) -> Response {
    let mut st = s.lock(|i| &i.flowmingo);
    let Some(o) = st.orgs.get_mut(&org) else {
        return (StatusCode::NOT_FOUND, "no such organization").into_response();
    };
    o.webhook = Some((body.url, body.secret));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct AdvanceIn {
    /// `email_delivered`, `email_opened`, `email_failed`, `started`, `completed` or `evaluated`.
    to: String,
    score: Option<f64>,
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn advance(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<AdvanceIn>,
) -> Response {
    let (event_type, data, org, hook) = {
        let mut st = s.lock(|i| &i.flowmingo);
        let Some((org_id, org)) = st
            .orgs
            .iter_mut()
            .find(|(_, o)| o.submissions.iter().any(|x| x.id == id))
        else {
            return (StatusCode::NOT_FOUND, "no such submission").into_response();
        };
        let Some(sub) = org.submissions.iter_mut().find(|x| x.id == id) else {
            return (StatusCode::NOT_FOUND, "no such submission").into_response();
        };
        let mut data = json!({
            "candidate_id": sub.ats_candidate_id,
            "interview_set_id": sub.set_id,
            "candidate_email": sub.email,
            "invitation_id": sub.invitation_id,
            "submission_id": sub.id,
        });
        let event_type = match body.to.as_str() {
            "email_delivered" | "email_opened" | "email_failed" => {
                data["status"] = json!(format!("invitation_{}", body.to));
                "invitation.status.update"
            }
            "started" | "completed" => {
                sub.status = body.to.clone();
                data["status"] = json!(body.to);
                "interview.status.update"
            }
            "evaluated" => {
                sub.status = "evaluated".into();
                data["status"] = json!("evaluated");
                data["evaluation_type"] = json!("interview");
                data["evaluation_score"] = json!(body.score.unwrap_or(82.0));
                data["submission_url"] = json!(format!(
                    "{}/flowmingo/submissions/{}",
                    s.public_base, sub.id
                ));
                "interview.evaluation.update"
            }
            other => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("unknown step {other}"),
                )
                    .into_response()
            }
        };
        (event_type, data, org_id.clone(), org.webhook.clone())
    };
    let Some((url, secret)) = hook else {
        return Json(json!({"delivered": null})).into_response();
    };
    let envelope = json!({
        "schema_version": "1.0.0",
        "event_type": event_type,
        "event_id": uuid(),
        "organization_id": org,
        "is_test": false,
        "data": data,
    });
    let text = envelope.to_string();
    let t = chrono::Utc::now().timestamp();
    let headers = vec![(
        "X-Webhook-Signature".to_string(),
        signature(&secret, t, &text),
    )];
    // Flowmingo retries up to 3 times.
    let status = s
        .webhooks
        .send_with_retries("flowmingo", reqwest::Method::POST, &url, headers, text, 3)
        .await;
    Json(json!({"delivered": status, "event": envelope})).into_response()
}
