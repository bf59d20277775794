//! Assessment flows: list, create, read, update.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::super::model::{Flow, Step};
use super::super::{coded, error, invalid, success};
use crate::shared::Shared;

use super::*;

pub(super) async fn list_flows(State(s): State<Shared>, headers: HeaderMap) -> Response {
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

pub(super) async fn create_flow(
    State(s): State<Shared>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
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

pub(super) async fn get_flow(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
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
pub(super) async fn update_flow(
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
