//! A flow's candidates: the paged list and assignment.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::super::model::{Assignment, Flow};
use super::super::{error, invalid, success};
use crate::shared::Shared;

use super::*;

const STATUSES: [&str; 4] = ["NOT_STARTED", "IN_PROGRESS", "COMPLETED", "FAILED"];

pub(super) async fn list_candidates(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut d = Map::new();
    let page = positive(&q, "page", &mut d).unwrap_or(1);
    let size_key = if q.contains_key("pageSize") {
        "pageSize"
    } else {
        "perPage"
    };
    let size = positive(&q, size_key, &mut d).unwrap_or(10);
    if size > 100 {
        d.insert(size_key.into(), json!("must be at most 100"));
    }
    let status = q.get("status");
    if status.is_some_and(|st| !STATUSES.contains(&st.as_str())) {
        d.insert(
            "status".into(),
            json!("must be one of: NOT_STARTED, IN_PROGRESS, COMPLETED, FAILED"),
        );
    }
    let st = s.lock(|i| &i.taptalent);
    let Some(flow) = st
        .companies
        .get(&company)
        .and_then(|c| flow_id(&id).and_then(|fid| c.flows.iter().find(|f| f.id == fid)))
    else {
        return flow_not_found();
    };
    if !d.is_empty() {
        return invalid(d);
    }
    let search = q.get("search").map(|s| s.to_lowercase());
    let matching: Vec<&Assignment> = flow
        .assignments
        .iter()
        .filter(|a| status.is_none_or(|st| &a.status == st))
        .filter(|a| {
            search.as_deref().is_none_or(|needle| {
                let name = format!(
                    "{} {}",
                    a.first_name.as_deref().unwrap_or_default(),
                    a.last_name.as_deref().unwrap_or_default()
                );
                a.email.to_lowercase().contains(needle) || name.to_lowercase().contains(needle)
            })
        })
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching
        .into_iter()
        .skip(((page - 1) * size) as usize)
        .take(size as usize)
        .map(|a| a.json(flow, &s.public_base))
        .collect();
    success(
        StatusCode::OK,
        json!({"candidates": items, "pagination": {"page": page, "limit": size, "total": total}}),
    )
}

/// A number or a numeric string (`number/string` in the doc).
fn numberish(v: Option<&Value>) -> Result<Option<Value>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(Value::Number(n.clone()))),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(json!(s))),
        Some(_) => Err(()),
    }
}

pub(super) async fn assign(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    {
        let st = s.lock(|i| &i.taptalent);
        let found = st
            .companies
            .get(&company)
            .is_some_and(|c| flow_id(&id).is_some_and(|fid| c.flows.iter().any(|f| f.id == fid)));
        if !found {
            return flow_not_found();
        }
    }
    let b = match object(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut d = Map::new();
    let email = text(&b, "email", "email", false, &mut d);
    let first_name = text(&b, "firstName", "firstName", false, &mut d);
    let last_name = text(&b, "lastName", "lastName", false, &mut d);
    let mut ids = HashMap::new();
    for f in ["jobCandidateId", "jobId", "talentId"] {
        match numberish(b.get(f)) {
            Ok(v) => {
                ids.insert(f, v);
            }
            Err(()) => {
                d.insert(f.into(), json!("must be a number or a string"));
            }
        }
    }
    let job_candidate = ids.get("jobCandidateId").cloned().flatten();
    if email.is_none() && job_candidate.is_none() && !d.contains_key("email") {
        d.insert(
            "email".into(),
            json!("is required unless jobCandidateId is provided"),
        );
    }
    if email
        .as_deref()
        .is_some_and(|e| !crate::text::plausible_email(e))
    {
        d.insert("email".into(), json!("must be a valid email address"));
    }
    if !d.is_empty() {
        return invalid(d);
    }
    let mut st = s.lock(|i| &i.taptalent);
    let assignment_id = st.next_id();
    let public_base = s.public_base.clone();
    let Some(c) = st.companies.get_mut(&company) else {
        return flow_not_found();
    };
    let (mut email, mut first_name, mut last_name) = (email, first_name, last_name);
    let mut job_candidate_id = None;
    if let Some(jc) = &job_candidate {
        let wanted = jc
            .as_i64()
            .or_else(|| jc.as_str().and_then(|s| s.parse().ok()));
        let Some(found) = wanted.and_then(|w| c.job_candidates.iter().find(|j| j.id == w)) else {
            return error(StatusCode::NOT_FOUND, "Job candidate not found");
        };
        job_candidate_id = Some(found.id);
        if email.is_none() {
            email = Some(found.email.clone());
            first_name = first_name.or_else(|| found.first_name.clone());
            last_name = last_name.or_else(|| found.last_name.clone());
        }
    }
    let email = email.unwrap_or_default();
    let Some(flow) = flow_id(&id).and_then(|fid| c.flows.iter_mut().find(|f| f.id == fid)) else {
        return flow_not_found();
    };
    if flow.status != "ACTIVE" {
        let mut d = Map::new();
        d.insert("flowId".into(), json!("the flow is not active"));
        return invalid(d);
    }
    if flow
        .assignments
        .iter()
        .any(|a| a.email.eq_ignore_ascii_case(&email))
    {
        let mut d = Map::new();
        d.insert(
            "email".into(),
            json!("candidate is already assigned to this flow"),
        );
        return invalid(d);
    }
    let now = chrono::Utc::now();
    flow.assignments.push(Assignment {
        id: assignment_id,
        email,
        first_name,
        last_name,
        job_candidate_id,
        job_id: ids.get("jobId").cloned().flatten(),
        talent_id: ids.get("talentId").cloned().flatten(),
        status: "NOT_STARTED".into(),
        current_step: 0,
        attempts: Vec::new(),
        assigned_at: now,
        updated_at: now,
    });
    flow.updated_at = now;
    let flow: &Flow = flow;
    let out = flow
        .assignments
        .last()
        .map(|a| a.json(flow, &public_base))
        .unwrap_or_default();
    success(StatusCode::CREATED, out)
}
