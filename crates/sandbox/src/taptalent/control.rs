//! `/_control/taptalent`: companies with keys, assessments and job candidates; the
//! dashboard webhook; deactivating an account; moving an assignment through its steps
//! (which fires webhooks carrying `X-Webhook-Key`).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::model::{Assessment, Attempt, Company, Flow, JobCandidate, Step};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/accounts", post(create_account))
        .route("/companies/{company}/keys", post(create_key))
        .route(
            "/companies/{company}/job-candidates",
            post(add_job_candidate),
        )
        .route("/companies/{company}/webhook", post(set_webhook))
        .route("/companies/{company}/inactive", post(set_inactive))
        .route("/assignments/{id}/advance", post(advance))
        .with_state(shared)
}

#[derive(Deserialize, Default)]
struct AccountIn {
    /// `test` (default) mints `sk_test_…` keys, `live` mints `sk_live_…`.
    #[serde(default)]
    environment: Option<String>,
    /// Steps in the account's flow (1–3; default 2).
    #[serde(default)]
    steps: Option<usize>,
}

fn new_key(s: &Shared, company: &str, live: bool) -> String {
    let prefix = if live { "sk_live_" } else { "sk_test_" };
    let key = format!("{prefix}{}", uuid::Uuid::now_v7().simple());
    s.lock(|i| &i.taptalent)
        .keys
        .insert(key.clone(), company.to_string());
    key
}

/// A company with three assessments, one job candidate, a flow (two steps unless `steps`
/// says otherwise), and a key.
async fn create_account(State(s): State<Shared>, body: Option<Json<AccountIn>>) -> Response {
    let body = body.map(|b| b.0).unwrap_or_default();
    let live = body.environment.is_some_and(|e| e == "live");
    let step_count = body.steps.unwrap_or(2).clamp(1, 3);
    let company_id = uuid::Uuid::now_v7().to_string();
    let assessments = vec![
        Assessment {
            id: format!("asm_{}", uuid::Uuid::now_v7().simple()),
            name: "Rust coding".into(),
            kind: "CODING".into(),
            duration: 60,
            job_id: None,
        },
        Assessment {
            id: format!("asm_{}", uuid::Uuid::now_v7().simple()),
            name: "Systems quiz".into(),
            kind: "MCQ".into(),
            duration: 30,
            job_id: None,
        },
        Assessment {
            id: format!("asm_{}", uuid::Uuid::now_v7().simple()),
            name: "Video screen".into(),
            kind: "VIDEO".into(),
            duration: 20,
            job_id: None,
        },
    ];
    let mut st = s.lock(|i| &i.taptalent);
    let flow_id = st.next_id();
    let job_candidate_id = st.next_id();
    let mut steps = Vec::new();
    for (a, threshold) in assessments.iter().take(step_count).zip([60.0, 70.0, 50.0]) {
        steps.push(Step {
            id: st.next_id(),
            assessment_id: a.id.clone(),
            assessment_type: a.kind.clone(),
            name: Some(a.name.clone()),
            instructions: None,
            pass_threshold: threshold,
            pass_action: Some("NEXT_STEP".into()),
        });
    }
    let now = chrono::Utc::now();
    let flow = Flow {
        id: flow_id,
        company_id: company_id.clone(),
        name: "Backend hiring flow".into(),
        description: Some("Coding, then a quiz".into()),
        status: "ACTIVE".into(),
        steps,
        assignments: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let out = json!({
        "company_id": company_id,
        "flow_id": flow_id,
        "assessments": assessments.iter().map(|a| json!({"assessmentId": a.id, "testName": a.name, "assessmentType": a.kind})).collect::<Vec<_>>(),
        "job_candidate_id": job_candidate_id,
        "job_candidate_email": "jobcandidate@example.com",
    });
    st.companies.insert(
        company_id.clone(),
        Company {
            assessments,
            flows: vec![flow],
            job_candidates: vec![JobCandidate {
                id: job_candidate_id,
                email: "jobcandidate@example.com".into(),
                first_name: Some("Jordan".into()),
                last_name: Some("Lee".into()),
            }],
            ..Default::default()
        },
    );
    drop(st);
    let mut out = out;
    out["api_key"] = json!(new_key(&s, &company_id, live));
    (StatusCode::CREATED, Json(out)).into_response()
}

fn no_company() -> Response {
    (StatusCode::NOT_FOUND, "no such company").into_response()
}

async fn create_key(
    State(s): State<Shared>,
    Path(company): Path<String>,
    body: Option<Json<AccountIn>>,
) -> Response {
    if !s.lock(|i| &i.taptalent).companies.contains_key(&company) {
        return no_company();
    }
    let live = body
        .and_then(|b| b.0.environment)
        .is_some_and(|e| e == "live");
    (
        StatusCode::CREATED,
        Json(json!({"api_key": new_key(&s, &company, live)})),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobCandidateIn {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
}

async fn add_job_candidate(
    State(s): State<Shared>,
    Path(company): Path<String>,
    Json(body): Json<JobCandidateIn>,
) -> Response {
    let mut st = s.lock(|i| &i.taptalent);
    let id = st.next_id();
    let Some(c) = st.companies.get_mut(&company) else {
        return no_company();
    };
    c.job_candidates.push(JobCandidate {
        id,
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
    });
    (StatusCode::CREATED, Json(json!({"jobCandidateId": id}))).into_response()
}

#[derive(Deserialize)]
struct WebhookIn {
    url: String,
    key: String,
}

async fn set_webhook(
    State(s): State<Shared>,
    Path(company): Path<String>,
    Json(body): Json<WebhookIn>,
) -> Response {
    let mut st = s.lock(|i| &i.taptalent);
    let Some(c) = st.companies.get_mut(&company) else {
        return no_company();
    };
    c.webhook = Some((body.url, body.key));
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct InactiveIn {
    inactive: bool,
}

async fn set_inactive(
    State(s): State<Shared>,
    Path(company): Path<String>,
    Json(body): Json<InactiveIn>,
) -> Response {
    let mut st = s.lock(|i| &i.taptalent);
    let Some(c) = st.companies.get_mut(&company) else {
        return no_company();
    };
    c.inactive = body.inactive;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct AdvanceIn {
    /// `started` (the current step begins), `scored` (the current step is submitted with
    /// `score`), or `error` (the current step errs).
    to: String,
    score: Option<f64>,
}

/// Move an assignment along; answers the webhooks it fired (none without a dashboard URL).
async fn advance(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    Json(body): Json<AdvanceIn>,
) -> Response {
    let (events, company, hook) = {
        let mut st = s.lock(|i| &i.taptalent);
        let Some((company, flow)) = st.assignment_mut(id) else {
            return (StatusCode::NOT_FOUND, "no such assignment").into_response();
        };
        let company = company.to_string();
        let flow_id = flow.id;
        let steps = flow.steps.clone();
        let Some(a) = flow.assignments.iter_mut().find(|a| a.id == id) else {
            return (StatusCode::NOT_FOUND, "no such assignment").into_response();
        };
        if a.status == "COMPLETED" || a.status == "FAILED" {
            return (StatusCode::CONFLICT, "the assignment has ended").into_response();
        }
        let Some(step) = steps.get(a.current_step) else {
            return (StatusCode::CONFLICT, "no current step").into_response();
        };
        let now = chrono::Utc::now();
        let open = a
            .attempts
            .iter()
            .any(|t| t.step_id == step.id && t.submitted_at.is_none());
        if !open {
            a.attempts.push(Attempt {
                step_id: step.id,
                assessment_id: step.assessment_id.clone(),
                status: "IN_PROGRESS".into(),
                score: None,
                pass_threshold: step.pass_threshold,
                started_at: now,
                submitted_at: None,
            });
        }
        a.updated_at = now;
        let data = |status: &str, score: Option<f64>| {
            json!({"flowId": flow_id, "assignmentId": id, "assessmentId": step.assessment_id,
                   "email": a.email, "status": status, "score": score})
        };
        let mut events = Vec::new();
        match body.to.as_str() {
            "started" => {
                a.status = "IN_PROGRESS".into();
                events.push(("assessment.started", data("IN_PROGRESS", None)));
            }
            "scored" => {
                let score = body.score.unwrap_or(80.0);
                let passed = score >= step.pass_threshold;
                if let Some(t) = a
                    .attempts
                    .iter_mut()
                    .rev()
                    .find(|t| t.step_id == step.id && t.submitted_at.is_none())
                {
                    t.status = "COMPLETED".into();
                    t.score = Some(score);
                    t.submitted_at = Some(now);
                }
                let last = a.current_step + 1 == steps.len();
                a.status = if !passed {
                    "FAILED".into()
                } else if last {
                    "COMPLETED".into()
                } else {
                    a.current_step += 1;
                    "IN_PROGRESS".into()
                };
                events.push(("assessment.scoring_completed", data(&a.status, Some(score))));
                if a.status != "IN_PROGRESS" {
                    events.push(("assessment.ended", data(&a.status, Some(score))));
                }
            }
            "error" => {
                if let Some(t) = a
                    .attempts
                    .iter_mut()
                    .rev()
                    .find(|t| t.step_id == step.id && t.submitted_at.is_none())
                {
                    t.status = "ERROR".into();
                }
                events.push(("assessment.error", data(&a.status, None)));
            }
            other => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("unknown step {other}"),
                )
                    .into_response()
            }
        }
        let hook = st.companies.get(&company).and_then(|c| c.webhook.clone());
        (events, company, hook)
    };
    let Some((url, key)) = hook else {
        return Json(json!({"delivered": []})).into_response();
    };
    let mut delivered = Vec::new();
    for (event, data) in events {
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let envelope =
            json!({"event": event, "timestamp": timestamp, "companyId": company, "data": data});
        let headers = vec![
            ("X-Webhook-Event".to_string(), event.to_string()),
            ("X-Webhook-Timestamp".to_string(), timestamp.clone()),
            ("X-Webhook-Key".to_string(), key.clone()),
        ];
        let status = s
            .webhooks
            .send_with_retries(
                "taptalent",
                reqwest::Method::POST,
                &url,
                headers,
                envelope.to_string(),
                2,
            )
            .await;
        delivered.push(json!({"event": envelope, "status": status}));
    }
    Json(json!({ "delivered": delivered })).into_response()
}
