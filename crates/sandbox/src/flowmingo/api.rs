use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::model::{is_uuid, uuid, Submission};
use super::{error, validation};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/company/integration/me/v1", get(me))
        .route("/company/integration/interview/set/v1", post(create_set))
        .route(
            "/company/integration/interview/candidate/invite/v1",
            post(invite),
        )
        .with_state(shared)
}

/// The organization and key behind `X-API-Key`, if it may use `scope`.
fn authorize(
    s: &Shared,
    headers: &HeaderMap,
    scope: Option<&str>,
) -> Result<(String, String, Vec<String>), Response> {
    let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) else {
        return Err(error(StatusCode::UNAUTHORIZED, "API key is missing"));
    };
    let well_formed = key
        .strip_prefix("fl_live_")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(id, secret)| !id.is_empty() && !secret.is_empty());
    if !well_formed {
        return Err(error(StatusCode::UNAUTHORIZED, "API key is malformed"));
    }
    let st = s.lock(|i| &i.flowmingo);
    let Some(k) = st.keys.get(key) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "API key is invalid, deleted or inactive",
        ));
    };
    if let Some(scope) = scope {
        if !k.allows(scope) {
            return Err(error(
                StatusCode::FORBIDDEN,
                &format!("API key lacks the required scope: {scope}"),
            ));
        }
    }
    Ok((
        k.organization_id.clone(),
        k.key_id.clone(),
        k.scopes.clone(),
    ))
}

fn body(bytes: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(validation(vec!["body must be a JSON object".into()])),
    }
}

async fn me(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match authorize(&s, &headers, None) {
        Ok((org, key_id, scopes)) => {
            Json(json!({"results": {"organization_id": org, "key_id": key_id, "scopes": scopes}}))
                .into_response()
        }
        Err(r) => r,
    }
}

/// Field checks in class-validator's words.
struct Check(Vec<String>);

impl Check {
    fn string(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        path: &str,
        max: usize,
        required: bool,
    ) {
        match obj.get(field) {
            None | Some(Value::Null) if required => {
                self.0.push(format!("{path} should not be empty"))
            }
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v.chars().count() > max => self.0.push(format!(
                "{path} must be shorter than or equal to {max} characters"
            )),
            Some(Value::String(v)) if required && v.trim().is_empty() => {
                self.0.push(format!("{path} should not be empty"))
            }
            Some(Value::String(_)) => {}
            Some(_) => self.0.push(format!("{path} must be a string")),
        }
    }

    fn integer(&mut self, obj: &Map<String, Value>, field: &str, path: &str) {
        if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
            if !v.is_i64() {
                self.0.push(format!("{path} must be an integer number"));
            }
        }
    }
}

async fn create_set(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let (org, _, _) = match authorize(&s, &headers, Some("create_set")) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut c = Check(Vec::new());
    c.string(&b, "title", "title", 1024, true);
    c.string(&b, "function", "function", 1024, false);
    c.string(&b, "position", "position", 1024, false);
    c.string(&b, "description", "description", 1_000_000, false);
    for f in [
        "interview_duration",
        "number_of_retakes",
        "priority",
        "set_type",
    ] {
        c.integer(&b, f, f);
    }
    if let Some(t) = b.get("set_type").and_then(Value::as_i64) {
        if t != 1 && t != 2 {
            c.0.push("set_type must be one of the following values: 1, 2".into());
        }
    }
    let project = b
        .get("project_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    if b.get("project_id").is_some_and(|v| !v.is_null()) && !project.as_deref().is_some_and(is_uuid)
    {
        c.0.push("project_id must be a UUID".into());
    }
    for (list, fields) in [
        (
            "iai_questions",
            &[("title", 5000usize), ("content", 5000)][..],
        ),
        (
            "iai_requirements",
            &[("title", 5000), ("content", 5000), ("hint", 2000)][..],
        ),
    ] {
        match b.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let Some(o) = item.as_object() else {
                        c.0.push(format!("{list}.{i} must be an object"));
                        continue;
                    };
                    for (f, max) in fields {
                        c.string(o, f, &format!("{list}.{i}.{f}"), *max, false);
                    }
                    for f in [
                        "priority",
                        "cfg_question_mode_id",
                        "cfg_question_type_id",
                        "cfg_prioritization_id",
                        "cfg_importance_id",
                    ] {
                        c.integer(o, f, &format!("{list}.{i}.{f}"));
                    }
                }
            }
            Some(_) => c.0.push(format!("{list} must be an array")),
        }
    }
    if !c.0.is_empty() {
        return validation(c.0);
    }
    let mut st = s.lock(|i| &i.flowmingo);
    let Some(o) = st.orgs.get_mut(&org) else {
        return error(StatusCode::UNAUTHORIZED, "organization is gone");
    };
    if let Some(p) = &project {
        if !o.projects.iter().any(|x| &x.id == p) {
            return error(StatusCode::NOT_FOUND, "Project not found");
        }
    }
    let with_ids = |v: Option<&Value>| -> Value {
        Value::Array(
            v.and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut item| {
                    if let Some(o) = item.as_object_mut() {
                        o.insert("id".into(), json!(uuid()));
                    }
                    item
                })
                .collect(),
        )
    };
    let set = json!({
        "id": uuid(),
        "title": b.get("title"),
        "set_type": b.get("set_type").cloned().unwrap_or(json!(1)),
        "position": b.get("position"),
        "function": b.get("function"),
        "description": b.get("description"),
        "interview_duration": b.get("interview_duration"),
        "number_of_retakes": b.get("number_of_retakes"),
        "priority": b.get("priority"),
        "com_project_id": project,
        "iai_questions": with_ids(b.get("iai_questions")),
        "iai_requirements": with_ids(b.get("iai_requirements")),
    });
    o.sets.push(set.clone());
    Json(json!({"results": set})).into_response()
}

async fn invite(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let (org, _, _) = match authorize(&s, &headers, Some("invite_candidates")) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let text = |f: &str| b.get(f).and_then(Value::as_str).map(str::to_string);
    let (set_id, project_id, job_post) = (
        text("com_interview_set_id"),
        text("com_project_id"),
        text("com_job_post_id"),
    );
    let mut c = Vec::new();
    if set_id.is_none() && project_id.is_none() {
        c.push("com_interview_set_id is required if com_project_id is not provided".to_string());
    }
    for (f, v) in [
        ("com_interview_set_id", &set_id),
        ("com_project_id", &project_id),
        ("com_job_post_id", &job_post),
    ] {
        if v.as_deref().is_some_and(|v| !is_uuid(v)) {
            c.push(format!("{f} must be a UUID"));
        }
    }
    let candidates = match b.get("candidates") {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            c.push("candidates should not be empty".into());
            Vec::new()
        }
        Some(_) => {
            c.push("candidates must be an array".into());
            Vec::new()
        }
    };
    let mut seen = std::collections::HashSet::new();
    for (i, cand) in candidates.iter().enumerate() {
        let Some(o) = cand.as_object() else {
            c.push(format!("candidates.{i} must be an object"));
            continue;
        };
        if let Some(ats) = o.get("ats_candidate_id").filter(|v| !v.is_null()) {
            match ats.as_str() {
                Some(a) if is_uuid(a) => {
                    if !seen.insert(a.to_string()) {
                        c.push(format!("candidates.{i}.ats_candidate_id must be unique within a single request"));
                    }
                }
                _ => c.push(format!("candidates.{i}.ats_candidate_id must be a UUID")),
            }
        }
    }
    match b.get("invitation_message") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m.chars().count() >= 10 => {}
        Some(Value::String(_)) => {
            c.push("invitation_message must be longer than or equal to 10 characters".into())
        }
        Some(_) => c.push("invitation_message must be a string".into()),
    }
    let send_invite = match b.get("send_invite") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(v)) => *v,
        Some(_) => {
            c.push("send_invite must be a boolean value".into());
            true
        }
    };
    if !c.is_empty() {
        return validation(c);
    }
    let mut st = s.lock(|i| &i.flowmingo);
    let Some(o) = st.orgs.get_mut(&org) else {
        return error(StatusCode::UNAUTHORIZED, "organization is gone");
    };
    let target_set = match (&set_id, &project_id) {
        (Some(id), _) => {
            if !o.sets.iter().any(|x| x["id"] == id.as_str()) {
                return error(StatusCode::NOT_FOUND, "Interview set not found");
            }
            id.clone()
        }
        (None, Some(pid)) => {
            let Some(p) = o.projects.iter().find(|p| &p.id == pid) else {
                return error(StatusCode::NOT_FOUND, "Project not found");
            };
            if let Some(jp) = &job_post {
                if !p.job_posts.contains(jp) {
                    return error(StatusCode::NOT_FOUND, "Job post not found in this project");
                }
            }
            p.set_id.clone()
        }
        (None, None) => return validation(vec!["com_interview_set_id is required".into()]),
    };
    let mut results = Vec::new();
    for cand in &candidates {
        let email = cand
            .get("email")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let cv = cand
            .get("cv_link")
            .and_then(Value::as_str)
            .map(str::to_string);
        let ats = cand
            .get("ats_candidate_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut r = json!({"email_address": email, "cv_link": cv});
        match email {
            None if cv.is_some() => {
                r["candidate_entry"] = json!({"id": uuid(), "status_text": "queued"});
            }
            None => {
                r["error_message"] =
                    json!("email is required to invite (or give cv_link to queue CV entry)")
            }
            Some(e)
                if !e
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@')) =>
            {
                r["error_message"] = json!("email must be an email");
            }
            Some(e) => {
                if o.submissions
                    .iter()
                    .any(|x| x.set_id == target_set && x.email.eq_ignore_ascii_case(e))
                {
                    r["invitation_error_message"] =
                        json!("candidate already has an invitation for this interview set");
                } else {
                    let invitation = send_invite.then(uuid);
                    let sub = Submission {
                        id: uuid(),
                        invitation_id: invitation.clone(),
                        set_id: target_set.clone(),
                        email: e.to_string(),
                        ats_candidate_id: ats,
                        status: "need_interview".into(),
                    };
                    if let Some(inv) = &invitation {
                        r["invitation"] = json!({"id": inv, "email": e, "status_text": "pending"});
                    }
                    r["submission"] = json!({"id": sub.id, "status_text": "need_interview"});
                    o.submissions.push(sub);
                }
            }
        }
        results.push(r);
    }
    Json(json!({"results": results})).into_response()
}
