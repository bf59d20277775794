//! Single assessments under `/assessment`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};

use super::super::{error, invalid, success};
use crate::shared::Shared;

use super::*;

const PER_PAGE: [u64; 5] = [10, 20, 40, 80, 100];

pub(super) async fn list_assessments(
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
