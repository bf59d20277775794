use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::model::{Assignment, Flow, Step};
use super::{coded, error, invalid, success};
use crate::shared::Shared;

pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route(
            "/v1/partner/assessment-flows",
            get(list_flows).post(create_flow),
        )
        .route(
            "/v1/partner/assessment-flows/{id}",
            get(get_flow).patch(update_flow),
        )
        .route(
            "/v1/partner/assessment-flows/{id}/candidates",
            get(list_candidates),
        )
        .route(
            "/v1/partner/assessment-flows/{id}/assign",
            axum::routing::post(assign),
        )
        .route("/v1/partner/assessment", get(list_assessments))
        .with_state(shared)
}

/// The company behind `Authorization: Bearer sk_live_…|sk_test_…`.
fn authorize(s: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let key = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(key) = key else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Missing Authorization: Bearer <API key>",
        ));
    };
    if !(key.starts_with("sk_live_") || key.starts_with("sk_test_")) {
        return Err(error(StatusCode::UNAUTHORIZED, "Malformed API key"));
    }
    let st = s.lock(|i| &i.taptalent);
    let Some(company) = st.keys.get(key) else {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid API key"));
    };
    if st.companies.get(company).is_some_and(|c| c.inactive) {
        return Err(coded(
            StatusCode::FORBIDDEN,
            "ACCOUNT_INACTIVE",
            "permission_error",
            "This account is inactive",
            None,
        ));
    }
    Ok(company.clone())
}

fn object(bytes: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => {
            let mut d = Map::new();
            d.insert("body".into(), json!("must be a JSON object"));
            Err(invalid(d))
        }
    }
}

fn flow_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Assessment flow not found")
}

async fn list_flows(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let st = s.lock(|i| &i.taptalent);
    let flows: Vec<Value> = st
        .companies
        .get(&company)
        .map(|c| c.flows.iter().map(|f| f.json(None)).collect())
        .unwrap_or_default();
    success(StatusCode::OK, Value::Array(flows))
}

/// Checked flow fields from a create or update body.
struct FlowIn {
    name: String,
    description: Option<String>,
    status: Option<String>,
    steps: Vec<Step>,
}

fn text(
    obj: &Map<String, Value>,
    field: &str,
    path: &str,
    required: bool,
    d: &mut Map<String, Value>,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => {
            if required {
                d.insert(path.into(), json!("is required"));
            }
            None
        }
        Some(Value::String(v)) if required && v.trim().is_empty() => {
            d.insert(path.into(), json!("must not be empty"));
            None
        }
        Some(Value::String(v)) if v.chars().count() > 5000 => {
            d.insert(path.into(), json!("must be at most 5000 characters"));
            None
        }
        Some(Value::String(v)) => Some(v.clone()),
        Some(_) => {
            d.insert(path.into(), json!("must be a string"));
            None
        }
    }
}

fn flow_in(s: &Shared, company: &str, b: &Map<String, Value>) -> Result<FlowIn, Response> {
    let mut d = Map::new();
    let name = text(b, "flowName", "flowName", true, &mut d);
    let description = text(b, "description", "description", false, &mut d);
    let status = text(b, "status", "status", false, &mut d);
    if let Some(st) = &status {
        if st != "ACTIVE" && st != "INACTIVE" {
            d.insert("status".into(), json!("must be one of: ACTIVE, INACTIVE"));
        }
    }
    let mut steps = Vec::new();
    let mut st = s.lock(|i| &i.taptalent);
    let assessments = st
        .companies
        .get(company)
        .map(|c| c.assessments.clone())
        .unwrap_or_default();
    match b.get("steps") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let Some(o) = item.as_object() else {
                    d.insert(format!("steps[{i}]"), json!("must be an object"));
                    continue;
                };
                let p = |f: &str| format!("steps[{i}].{f}");
                let assessment_id = text(o, "assessmentId", &p("assessmentId"), true, &mut d);
                let record = assessment_id
                    .as_ref()
                    .and_then(|id| assessments.iter().find(|a| &a.id == id));
                if assessment_id.is_some() && record.is_none() {
                    d.insert(p("assessmentId"), json!("assessment not found"));
                }
                let threshold = match o.get("passThreshold") {
                    Some(Value::Number(n)) => match n.as_f64() {
                        Some(t) if (0.0..=100.0).contains(&t) => Some(t),
                        _ => {
                            d.insert(p("passThreshold"), json!("must be between 0 and 100"));
                            None
                        }
                    },
                    None | Some(Value::Null) => {
                        d.insert(p("passThreshold"), json!("is required"));
                        None
                    }
                    Some(_) => {
                        d.insert(p("passThreshold"), json!("must be a number"));
                        None
                    }
                };
                let given_type = text(o, "assessmentType", &p("assessmentType"), false, &mut d)
                    .or_else(|| text(o, "type", &p("type"), false, &mut d));
                let name = text(o, "name", &p("name"), false, &mut d);
                let instructions = text(o, "instructions", &p("instructions"), false, &mut d);
                let pass_action = text(o, "passAction", &p("passAction"), false, &mut d);
                if let (Some(record), Some(threshold)) = (record, threshold) {
                    steps.push(Step {
                        id: 0,
                        assessment_id: record.id.clone(),
                        assessment_type: given_type.unwrap_or_else(|| record.kind.clone()),
                        name,
                        instructions,
                        pass_threshold: threshold,
                        pass_action,
                    });
                }
            }
        }
        Some(Value::Array(_)) => {
            d.insert("steps".into(), json!("at least one step is required"));
        }
        None | Some(Value::Null) => {
            d.insert("steps".into(), json!("is required"));
        }
        Some(_) => {
            d.insert("steps".into(), json!("must be an array"));
        }
    }
    if !d.is_empty() {
        return Err(invalid(d));
    }
    for step in &mut steps {
        step.id = st.next_id();
    }
    Ok(FlowIn {
        name: name.unwrap_or_default(),
        description,
        status,
        steps,
    })
}

async fn create_flow(State(s): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let b = match object(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let input = match flow_in(&s, &company, &b) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut st = s.lock(|i| &i.taptalent);
    let id = st.next_id();
    let now = chrono::Utc::now();
    let flow = Flow {
        id,
        company_id: company.clone(),
        name: input.name,
        description: input.description,
        status: input.status.unwrap_or_else(|| "ACTIVE".into()),
        steps: input.steps,
        assignments: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let Some(c) = st.companies.get_mut(&company) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    let out = flow.json(Some(&c.assessments));
    c.flows.push(flow);
    success(StatusCode::CREATED, out)
}

fn flow_id(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

async fn get_flow(State(s): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let st = s.lock(|i| &i.taptalent);
    let Some(c) = st.companies.get(&company) else {
        return flow_not_found();
    };
    match flow_id(&id).and_then(|id| c.flows.iter().find(|f| f.id == id)) {
        Some(f) => success(StatusCode::OK, f.json(Some(&c.assessments))),
        None => flow_not_found(),
    }
}

/// Existing stages stay as they are (same assessment, same order); thresholds and stage
/// metadata may change and new stages may be appended.
async fn update_flow(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let exists = {
        let st = s.lock(|i| &i.taptalent);
        flow_id(&id).is_some_and(|fid| {
            st.companies
                .get(&company)
                .is_some_and(|c| c.flows.iter().any(|f| f.id == fid))
        })
    };
    if !exists {
        return flow_not_found();
    }
    let b = match object(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let input = match flow_in(&s, &company, &b) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut st = s.lock(|i| &i.taptalent);
    let Some(c) = st.companies.get_mut(&company) else {
        return flow_not_found();
    };
    let Some(flow) = flow_id(&id).and_then(|fid| c.flows.iter_mut().find(|f| f.id == fid)) else {
        return flow_not_found();
    };
    let mut d = Map::new();
    for (i, old) in flow.steps.iter().enumerate() {
        match input.steps.get(i) {
            None => {
                d.insert(
                    format!("steps[{i}]"),
                    json!("existing stages cannot be removed"),
                );
            }
            Some(new)
                if new.assessment_id != old.assessment_id
                    || new.assessment_type != old.assessment_type =>
            {
                d.insert(
                    format!("steps[{i}].assessmentId"),
                    json!("existing stages cannot be changed"),
                );
            }
            Some(_) => {}
        }
    }
    if !d.is_empty() {
        return coded(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "validation_error",
            "Existing stages cannot be changed or removed; you may adjust pass thresholds and append new stages",
            Some(d),
        );
    }
    let mut steps = input.steps;
    for (new, old) in steps.iter_mut().zip(&flow.steps) {
        new.id = old.id;
    }
    flow.steps = steps;
    flow.name = input.name;
    flow.description = input.description;
    if let Some(status) = input.status {
        flow.status = status;
    }
    flow.updated_at = chrono::Utc::now();
    let out = flow.json(Some(&c.assessments));
    success(StatusCode::OK, out)
}

const STATUSES: [&str; 4] = ["NOT_STARTED", "IN_PROGRESS", "COMPLETED", "FAILED"];

fn positive(q: &HashMap<String, String>, key: &str, d: &mut Map<String, Value>) -> Option<u64> {
    let v = q.get(key)?;
    match v.parse::<u64>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            d.insert(key.into(), json!("must be a positive integer"));
            None
        }
    }
}

async fn list_candidates(
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

async fn assign(
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

const PER_PAGE: [u64; 5] = [10, 20, 40, 80, 100];

async fn list_assessments(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let company = match authorize(&s, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut d = Map::new();
    let page = positive(&q, "pageNumber", &mut d).unwrap_or(1);
    let per_page = positive(&q, "perPage", &mut d).unwrap_or(10);
    if !PER_PAGE.contains(&per_page) {
        d.insert(
            "perPage".into(),
            json!("must be one of 10, 20, 40, 80, 100"),
        );
    }
    if !d.is_empty() {
        return invalid(d);
    }
    let st = s.lock(|i| &i.taptalent);
    let Some(c) = st.companies.get(&company) else {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    };
    let total = c.assessments.len();
    let items: Vec<Value> = c
        .assessments
        .iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|a| {
            let submissions = c
                .flows
                .iter()
                .flat_map(|f| &f.assignments)
                .flat_map(|x| &x.attempts)
                .filter(|t| t.assessment_id == a.id && t.submitted_at.is_some())
                .count();
            a.json(&s.public_base, submissions)
        })
        .collect();
    success(
        StatusCode::OK,
        json!({"assessments": items, "pagination": {"page": page, "limit": per_page, "total": total}}),
    )
}
