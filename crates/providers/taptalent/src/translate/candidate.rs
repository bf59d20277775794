//! A flow candidate (an assignment) as an interview: status, outcome, result, pages.

use gateway_core::provider::RemoteInterview;
use gateway_core::{Criterion, InterviewResult, InterviewStatus, Outcome, ProviderError, Score};
use serde_json::Value;

use super::*;
use crate::wire::{self, id_text};

/// Progress and verdict from a flow candidate's status:
/// - `NOT_STARTED` → `invited` (the assignment emailed the first step);
/// - `IN_PROGRESS` → `in_progress`;
/// - `COMPLETED` → `completed`, outcome `passed` unless a scored step fell below its
///   `passThreshold` (then `failed`);
/// - `FAILED` → `completed` with outcome `failed` (the candidate finished, and failed a step).
pub fn status(
    s: Option<&str>,
    attempts: &[wire::Attempt],
) -> (Option<InterviewStatus>, Option<Outcome>) {
    let below = attempts.iter().any(|a| attempt_passed(a) == Some(false));
    match s.map(str::to_ascii_uppercase).as_deref() {
        Some("NOT_STARTED") => (Some(InterviewStatus::Invited), None),
        Some("IN_PROGRESS") => (Some(InterviewStatus::InProgress), None),
        Some("COMPLETED") if below => (Some(InterviewStatus::Completed), Some(Outcome::Failed)),
        Some("COMPLETED") => (Some(InterviewStatus::Completed), Some(Outcome::Passed)),
        Some("FAILED") => (Some(InterviewStatus::Completed), Some(Outcome::Failed)),
        _ => (None, None),
    }
}

/// The vendor's `passed`, else the score against the step's `passThreshold`.
fn attempt_passed(a: &wire::Attempt) -> Option<bool> {
    a.passed.or_else(|| Some(a.score? >= a.pass_threshold?))
}

/// Step scores as criteria; the overall score is their mean on TapTalent's 0–100 scale.
/// Only a finished flow has a result: mid-flow step scores stay in the raw payload, so
/// `interview.result_ready` means the verdict is in.
fn result(c: &wire::Candidate, outcome: Option<Outcome>, done: bool) -> Option<InterviewResult> {
    if !done {
        return None;
    }
    let scored: Vec<&wire::Attempt> = c.attempts.iter().filter(|a| a.score.is_some()).collect();
    if scored.is_empty() {
        return None;
    }
    let mean = scored.iter().filter_map(|a| a.score).sum::<f64>() / scored.len() as f64;
    let last = scored.iter().rev().find(|a| a.submitted_at.is_some());
    Some(InterviewResult {
        score: Score::new((mean * 100.0).round() / 100.0, 100.0),
        outcome,
        criteria: scored
            .iter()
            .map(|a| Criterion {
                name: a
                    .assessment_id
                    .as_ref()
                    .and_then(id_text)
                    .or_else(|| a.step_id.as_ref().and_then(id_text))
                    .unwrap_or_else(|| "step".into()),
                score: a.score,
                max: Some(100.0),
                passed: attempt_passed(a),
                comment: a.pass_threshold.map(|t| format!("pass threshold {t}")),
            })
            .collect(),
        report_url: last.and_then(|a| a.report_url.clone()),
        completed_at: last.and_then(|a| a.submitted_at),
        ..Default::default()
    })
}

/// A flow candidate (assignment) as a unified interview.
pub fn interview(raw: Value) -> Result<RemoteInterview, ProviderError> {
    let c: wire::Candidate =
        serde_json::from_value(raw.clone()).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("unreadable TapTalent flow candidate: {e}"),
        })?;
    let id = c
        .assignment_id
        .as_ref()
        .or(c.id.as_ref())
        .and_then(id_text)
        .ok_or_else(|| ProviderError::BadResponse {
            status: Some(200),
            message: "a TapTalent flow candidate without an id".into(),
        })?;
    let mut refs = gateway_core::ProviderRefs::new();
    refs.insert(ASSIGNMENT_ID.into(), id);
    let (status, outcome) = status(c.status.as_deref(), &c.attempts);
    let done = status == Some(InterviewStatus::Completed);
    Ok(RemoteInterview {
        refs,
        status,
        outcome,
        interview_url: c.assessment_url.clone(),
        candidate_email: c.email.clone(),
        result: result(&c, outcome, done),
        updated_at: c.updated_at,
        raw,
    })
}

/// The candidate list's items and paging. The body's shape is not published: a bare list,
/// or an object holding `candidates` (or `items`/`data`/`rows`) and `pagination`.
pub fn candidate_page(data: Value) -> (Vec<Value>, wire::Pagination) {
    match data {
        Value::Array(items) => (items, wire::Pagination::default()),
        Value::Object(mut m) => {
            let items = ["candidates", "items", "data", "rows"]
                .iter()
                .find_map(|k| {
                    m.remove(*k).and_then(|v| match v {
                        Value::Array(a) => Some(a),
                        _ => None,
                    })
                })
                .unwrap_or_default();
            let pagination = m
                .remove("pagination")
                .and_then(|p| serde_json::from_value(p).ok())
                .unwrap_or_default();
            (items, pagination)
        }
        _ => (Vec::new(), wire::Pagination::default()),
    }
}
