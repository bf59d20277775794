use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::model::Candidate;
use super::{error, validation};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/api/external/ingest/candidates", post(ingest))
        .route("/api/external/fetch/candidates", post(fetch))
        .with_state(shared)
}

/// The account behind `X-API-KEY`.
fn authorize(s: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) else {
        return Err(error(StatusCode::UNAUTHORIZED, "Missing API key"));
    };
    s.lock(|i| &i.interviewflowai)
        .keys
        .get(key)
        .cloned()
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Invalid API key"))
}

fn object(bytes: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(validation(vec![(
            "body".into(),
            "must be a JSON object".into(),
        )])),
    }
}

fn skills(v: Option<&Value>, path: &str, errors: &mut Vec<(String, String)>) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a.clone(),
        Some(_) => {
            errors.push((path.into(), "must be an array of strings".into()));
            Vec::new()
        }
    }
}

fn optional_object(
    v: Option<&Value>,
    path: &str,
    errors: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    match v {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            errors.push((path.into(), "must be an object".into()));
            Map::new()
        }
    }
}

async fn ingest(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let account = match authorize(&s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match object(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let interviewer = match b.get("interviewerId") {
        Some(Value::String(v)) if !v.trim().is_empty() => Some(v.clone()),
        _ => {
            errors.push(("interviewerId".into(), "is required".into()));
            None
        }
    };
    let status = match b.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) if v == "shortlisted" || v == "draft" => Some(v.clone()),
        Some(_) => {
            errors.push(("status".into(), "must be `shortlisted` or `draft`".into()));
            None
        }
    };
    let shared_skills = skills(b.get("skills"), "skills", &mut errors);
    let items = match b.get("data") {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        _ => {
            errors.push((
                "data".into(),
                "must be a non-empty array of candidates".into(),
            ));
            Vec::new()
        }
    };
    struct In {
        name: String,
        email: String,
        additional: Map<String, Value>,
        metadata: Map<String, Value>,
        skills: Vec<Value>,
    }
    let mut people = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = |f: &str| format!("data[{i}].{f}");
        let Some(o) = item.as_object() else {
            errors.push((format!("data[{i}]"), "must be an object".into()));
            continue;
        };
        let name = match o.get("name") {
            Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
            _ => {
                errors.push((p("name"), "is required".into()));
                String::new()
            }
        };
        let email = match o.get("email") {
            Some(Value::String(e)) if crate::text::plausible_email(e) => e.clone(),
            Some(Value::String(_)) => {
                errors.push((p("email"), "must be a valid email address".into()));
                String::new()
            }
            _ => {
                errors.push((p("email"), "is required".into()));
                String::new()
            }
        };
        let additional = optional_object(
            o.get("additionalFields"),
            &p("additionalFields"),
            &mut errors,
        );
        let metadata = optional_object(o.get("metadata"), &p("metadata"), &mut errors);
        match metadata.get("sendEmailAfter") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_f64() {
                Some(h) if (1.0..=96.0).contains(&h) => {}
                _ => errors.push((
                    p("metadata.sendEmailAfter"),
                    "must be a number of hours between 1 and 96".into(),
                )),
            },
        }
        let mut own = skills(o.get("skills"), &p("skills"), &mut errors);
        if own.is_empty() {
            own = shared_skills.clone();
        }
        people.push(In {
            name,
            email,
            additional,
            metadata,
            skills: own,
        });
    }
    if !errors.is_empty() {
        return validation(errors);
    }
    let interviewer = interviewer.unwrap_or_default();
    let mut st = s.lock(|i| &i.interviewflowai);
    let Some(acct) = st.accounts.get_mut(&account) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    let Some(iv) = acct.interviewers.iter().find(|x| x.id == interviewer) else {
        return error(StatusCode::NOT_FOUND, "Interviewer not found");
    };
    let status = status.unwrap_or_else(|| if iv.public { "shortlisted" } else { "draft" }.into());
    if status == "shortlisted" && iv.screening {
        return validation(vec![(
            "status".into(),
            "shortlisted requires Resume Screening and Screening Questions to be disabled for this interviewer".into(),
        )]);
    }
    let now = chrono::Utc::now();
    let mut ingested = Vec::new();
    let mut skipped = Vec::new();
    for p in people {
        let exists = acct
            .candidates
            .iter()
            .any(|c| c.interviewer_id == interviewer && c.email.eq_ignore_ascii_case(&p.email));
        if exists {
            skipped.push(json!({"email": p.email, "reason": "Candidate already exists for this interviewer"}));
            continue;
        }
        let c = Candidate {
            interview_id: uuid::Uuid::now_v7().to_string(),
            interviewer_id: interviewer.clone(),
            name: p.name,
            email: p.email,
            status: status.clone(),
            interview_status: "pending".into(),
            report_available: false,
            score: None,
            additional_fields: p.additional,
            metadata: p.metadata,
            skills: p.skills,
            created_at: now,
            updated_at: now,
        };
        ingested.push(json!({"interviewId": c.interview_id, "email": c.email, "name": c.name, "status": c.status}));
        acct.candidates.push(c);
    }
    let message = format!("{} candidates ingested", ingested.len());
    if acct.bare_ingest {
        return Json(json!({"success": true, "message": message})).into_response();
    }
    Json(json!({"success": true, "message": message, "data": {"ingested": ingested, "skipped": skipped}}))
        .into_response()
}

/// The documented filter rules: a number matches values at least that number, a string
/// matches exactly.
fn matches_filter(c: &Candidate, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(k, want)| {
        let have = c.additional_fields.get(k);
        match want {
            Value::Number(n) => {
                let have = have.and_then(|h| {
                    h.as_f64()
                        .or_else(|| h.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
                });
                matches!((have, n.as_f64()), (Some(h), Some(w)) if h >= w)
            }
            Value::String(w) => have.and_then(Value::as_str) == Some(w.as_str()),
            other => have == Some(other),
        }
    })
}

fn positive(b: &Map<String, Value>, f: &str, errors: &mut Vec<(String, String)>) -> Option<u64> {
    match b.get(f) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                errors.push((f.into(), "must be a positive integer".into()));
                None
            }
        },
    }
}

async fn fetch(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let account = match authorize(&s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match object(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let interviewer = match b.get("interviewerId") {
        Some(Value::String(v)) if !v.trim().is_empty() => v.clone(),
        _ => {
            errors.push(("interviewerId".into(), "is required".into()));
            String::new()
        }
    };
    let page = positive(&b, "page", &mut errors).unwrap_or(1);
    let limit = positive(&b, "limit", &mut errors).unwrap_or(10).min(100);
    let interview_id = match b.get("interviewId") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => {
            errors.push(("interviewId".into(), "must be a string".into()));
            None
        }
    };
    let filter = optional_object(b.get("additionalFields"), "additionalFields", &mut errors);
    if !errors.is_empty() {
        return validation(errors);
    }
    let st = s.lock(|i| &i.interviewflowai);
    let Some(acct) = st.accounts.get(&account) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    if !acct.interviewers.iter().any(|x| x.id == interviewer) {
        return error(StatusCode::NOT_FOUND, "Interviewer not found");
    }
    let mine = acct
        .candidates
        .iter()
        .filter(|c| c.interviewer_id == interviewer);
    if let Some(id) = interview_id {
        return match mine.into_iter().find(|c| c.interview_id == id) {
            Some(c) => Json(json!({"success": true, "data": [c.json(&s.public_base)],
                "pagination": {"page": 1, "limit": 1, "total": 1, "totalPages": 1}}))
            .into_response(),
            None => error(StatusCode::NOT_FOUND, "Candidate not found"),
        };
    }
    let matching: Vec<&Candidate> = mine.filter(|c| matches_filter(c, &filter)).collect();
    let total = matching.len() as u64;
    let data: Vec<Value> = matching
        .into_iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|c| c.json(&s.public_base))
        .collect();
    Json(json!({"success": true, "data": data, "pagination": {
        "page": page, "limit": limit, "total": total, "totalPages": total.div_ceil(limit)}}))
    .into_response()
}
