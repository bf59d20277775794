//! InterviewFlowAI ↔ core, as pure functions. Response bodies are not published: every
//! reader here looks for a field under the names it plausibly has, never fails on an
//! unknown one, and keeps the whole payload as `raw`.

use gateway_core::candidate::is_plausible_email;
use gateway_core::provider::{InboundEvent, InviteCandidate, InviteOptions, RemoteInterview};
use gateway_core::{
    FieldError, InterviewId, InterviewResult, InterviewStatus, ProviderError, ProviderRef, Score,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::wire;

pub const INTERVIEWER: &str = "interviewer";
pub const INTERVIEW_ID: &str = "interview_id";
/// The `additionalFields` key carrying the gateway's interview id: the fetch API filters
/// by it exactly, so an interview is found even when ingest does not say its id.
pub const CORRELATION_FIELD: &str = "gateway_interview_id";
/// The `additionalFields` key tagging one ingest call, to find its candidates in one fetch.
pub const BATCH_FIELD: &str = "gateway_batch_id";
/// Connection setting: `shortlisted` or `draft` for every ingest (omitted = the
/// interviewer's default: public → shortlisted, private → draft).
pub const INGEST_STATUS_SETTING: &str = "ingest_status";
/// Connection setting: an interviewer id the credential check may read.
pub const CHECK_INTERVIEWER_SETTING: &str = "check_interviewer_id";

pub fn validate_ref(r: &ProviderRef) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    if r.kind != INTERVIEWER {
        e.push(FieldError::new(
            "provider_ref.kind",
            "InterviewFlowAI templates are `interviewer`s",
        ));
    }
    if r.id.trim().is_empty() || r.id.len() > 200 || r.id.contains('/') {
        e.push(FieldError::new(
            "provider_ref.id",
            "must be an InterviewFlowAI interviewer id",
        ));
    }
    e.extend(r.without_vendor_part().err().unwrap_or_default());
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

pub fn validate_settings(settings: &Value) -> Vec<FieldError> {
    let mut e = Vec::new();
    match settings.get(INGEST_STATUS_SETTING) {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "shortlisted" || s == "draft" => {}
        Some(_) => e.push(FieldError::new(
            format!("settings.{INGEST_STATUS_SETTING}"),
            "must be `shortlisted` or `draft`",
        )),
    }
    match settings.get(CHECK_INTERVIEWER_SETTING) {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => e.push(FieldError::new(
            format!("settings.{CHECK_INTERVIEWER_SETTING}"),
            "must be an interviewer id",
        )),
    }
    e
}

/// Options InterviewFlowAI cannot honour are refused before any call. `delay_hours` is
/// `metadata.sendEmailAfter`, 1 to 96 hours.
pub fn check_options(options: &InviteOptions) -> Result<(), ProviderError> {
    let mut e = Vec::new();
    if options.delay_hours.is_some_and(|h| !(1..=96).contains(&h)) {
        e.push(FieldError::new(
            "delay_hours",
            "InterviewFlowAI delays the invitation by 1 to 96 hours",
        ));
    }
    if !options.send_invite {
        e.push(FieldError::new(
            "send_invite",
            "InterviewFlowAI emails every ingested candidate; use delay_hours to postpone it",
        ));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InvalidInput(e))
    }
}

/// Vendor-only candidate fields ride in the unified candidate's metadata under
/// `interviewflowai`: `{skills: [..], additionalFields: {..}, metadata: {..}}`.
fn extras(
    c: &InviteCandidate,
    i: usize,
    e: &mut Vec<FieldError>,
) -> (Vec<String>, Map<String, Value>, Map<String, Value>) {
    let path = format!("candidates[{i}].metadata.interviewflowai");
    let mut skills = Vec::new();
    let mut additional = Map::new();
    let mut metadata = Map::new();
    let Some(x) = c.metadata.get("interviewflowai") else {
        return (skills, additional, metadata);
    };
    let Some(o) = x.as_object() else {
        e.push(FieldError::new(path, "must be an object"));
        return (skills, additional, metadata);
    };
    for (k, v) in o {
        match (k.as_str(), v) {
            ("skills", Value::Array(a)) if a.iter().all(Value::is_string) => {
                skills = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
            }
            ("additionalFields", Value::Object(m)) => {
                for key in [CORRELATION_FIELD, BATCH_FIELD] {
                    if m.contains_key(key) {
                        e.push(FieldError::new(
                            format!("{path}.additionalFields.{key}"),
                            "is the gateway's own field",
                        ));
                    }
                }
                additional = m.clone();
            }
            ("metadata", Value::Object(m)) => metadata = m.clone(),
            ("skills", _) => e.push(FieldError::new(
                format!("{path}.skills"),
                "must be an array of strings",
            )),
            ("additionalFields" | "metadata", _) => {
                e.push(FieldError::new(format!("{path}.{k}"), "must be an object"))
            }
            _ => e.push(FieldError::new(
                format!("{path}.{k}"),
                "InterviewFlowAI takes skills, additionalFields and metadata",
            )),
        }
    }
    (skills, additional, metadata)
}

/// One ingest candidate, or why it cannot be sent.
pub fn ingest_candidate(
    c: &InviteCandidate,
    i: usize,
    options: &InviteOptions,
    batch: &str,
) -> Result<wire::IngestCandidate, ProviderError> {
    let mut e = Vec::new();
    if !is_plausible_email(&c.email) {
        e.push(FieldError::new(
            format!("candidates[{i}].email"),
            "must be a valid email address",
        ));
    }
    let name = c.name.clone().filter(|n| !n.trim().is_empty()).or_else(|| {
        let joined = [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.trim().is_empty()).then_some(joined)
    });
    if name.is_none() {
        e.push(FieldError::new(
            format!("candidates[{i}].name"),
            "InterviewFlowAI requires the candidate's full name",
        ));
    }
    let (skills, mut additional, mut metadata) = extras(c, i, &mut e);
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    additional.insert(
        CORRELATION_FIELD.into(),
        Value::String(c.correlation_id.to_string()),
    );
    additional.insert(BATCH_FIELD.into(), Value::String(batch.to_string()));
    // The doc's example names these two metadata keys.
    if let Some(x) = &c.external_id {
        metadata.insert("External ID".into(), Value::String(x.clone()));
    }
    if let Some(p) = &c.phone {
        metadata.insert("Phone".into(), Value::String(p.clone()));
    }
    if let Some(h) = options.delay_hours {
        metadata.insert("sendEmailAfter".into(), Value::from(h));
    }
    Ok(wire::IngestCandidate {
        name: name.unwrap_or_default().trim().to_string(),
        email: c.email.trim().to_string(),
        skills,
        additional_fields: additional,
        metadata,
    })
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn number(v: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').parse().ok(),
        _ => None,
    })
}

/// The first array found under any of `keys`, looking inside `data` too.
fn array_at(body: &Value, keys: &[&str]) -> Option<Vec<Value>> {
    let scopes = [Some(body), body.get("data")];
    for scope in scopes.into_iter().flatten() {
        for k in keys {
            if let Some(Value::Array(a)) = scope.get(*k) {
                return Some(a.clone());
            }
        }
    }
    None
}

/// What an ingest answer says per candidate, by lower-cased email: the interview id (if
/// told) and whether it was skipped (and why).
pub struct IngestReport {
    pub ingested: Vec<(String, Option<String>, Value)>,
    pub skipped: Vec<(String, String)>,
}

pub fn ingest_report(body: &Value) -> IngestReport {
    let items = array_at(body, &["ingested", "candidates", "results", "created"])
        .or_else(|| body.get("data").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let ingested = items
        .into_iter()
        .filter_map(|item| {
            let email = text(&item, &["email", "candidateEmail"])?.to_lowercase();
            let id = text(&item, &["interviewId", "interview_id", "id", "_id"]);
            Some((email, id, item))
        })
        .collect();
    let skipped = array_at(body, &["skipped", "failed", "errors", "duplicates"])
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let email = text(&item, &["email", "candidateEmail"])?.to_lowercase();
            let reason = text(&item, &["reason", "message", "error"])
                .unwrap_or_else(|| "not ingested".into());
            Some((email, reason))
        })
        .collect();
    IngestReport { ingested, skipped }
}

/// Progress from what the fetch reports. The unified path is invited → in_progress →
/// evaluating → completed:
/// - `shortlisted` and `draft` (ingest statuses) and `pending`/`not_started`/`invited` →
///   `invited`: the candidate is at the vendor and has (or will have, after
///   `sendEmailAfter`) an invitation — to the lobby (shortlisted) or the application form
///   (draft);
/// - `started`/`in_progress` → `in_progress`;
/// - `completed` → `evaluating` until a report is there (`reportAvailable`, a `report`, or
///   a score), then `completed` — the webhooks separate `interview.completed` from
///   `interview.report_available` the same way;
/// - `expired` → `expired`; `cancelled`/`withdrawn` → `cancelled`; `failed`/`error` → `error`;
/// - anything else → unknown (the stored status stays; the payload is kept).
pub fn status(candidate: &Value) -> Option<InterviewStatus> {
    let has_report = candidate
        .get("reportAvailable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || candidate.get("report").is_some_and(|r| !r.is_null())
        || number(candidate, SCORE_KEYS).is_some();
    let progress = text(
        candidate,
        &["interviewStatus", "interview_status", "state", "stage"],
    )
    .or_else(|| text(candidate, &["status"]))?
    .to_ascii_lowercase()
    .replace(['-', ' '], "_");
    Some(match progress.as_str() {
        "shortlisted" | "draft" | "pending" | "not_started" | "invited" | "scheduled" => {
            InterviewStatus::Invited
        }
        "started" | "in_progress" | "ongoing" => InterviewStatus::InProgress,
        "completed" | "finished" | "submitted" | "done" if has_report => InterviewStatus::Completed,
        "completed" | "finished" | "submitted" | "done" => InterviewStatus::Evaluating,
        "report_available" | "evaluated" | "reviewed" | "scored" => InterviewStatus::Completed,
        "expired" => InterviewStatus::Expired,
        "cancelled" | "canceled" | "withdrawn" => InterviewStatus::Cancelled,
        "failed" | "error" => InterviewStatus::Error,
        _ => return None,
    })
}

const SCORE_KEYS: &[&str] = &[
    "score",
    "overallScore",
    "overall_score",
    "totalScore",
    "interviewScore",
];

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn result(c: &Value) -> Option<InterviewResult> {
    let report = c.get("report").filter(|r| r.is_object());
    let score = number(c, SCORE_KEYS).or_else(|| report.and_then(|r| number(r, SCORE_KEYS)));
    if score.is_none() && report.is_none() {
        return None;
    }
    let max = number(c, &["maxScore", "max_score"]).unwrap_or(100.0);
    let r = report.cloned().unwrap_or(Value::Null);
    Some(InterviewResult {
        score: score.and_then(|s| Score::new(s, max)),
        summary: text(&r, &["summary", "overview"]),
        highlights: strings(r.get("strengths").or_else(|| r.get("highlights"))),
        lowlights: strings(r.get("weaknesses").or_else(|| r.get("lowlights"))),
        report_url: text(&r, &["reportUrl", "report_url", "url"])
            .or_else(|| text(c, &["reportUrl", "report_url"])),
        ..Default::default()
    })
}

/// A fetched candidate as a unified interview.
pub fn interview(raw: Value) -> RemoteInterview {
    let mut refs = gateway_core::ProviderRefs::new();
    if let Some(id) = text(&raw, &["interviewId", "interview_id", "id", "_id"]) {
        refs.insert(INTERVIEW_ID.into(), id);
    }
    RemoteInterview {
        refs,
        status: status(&raw),
        outcome: None,
        interview_url: text(
            &raw,
            &["interviewLink", "interview_link", "interviewUrl", "link"],
        ),
        candidate_email: text(&raw, &["email", "candidateEmail"]),
        result: result(&raw),
        updated_at: text(&raw, &["updatedAt", "updated_at"]).and_then(|t| t.parse().ok()),
        raw,
    }
}

/// The gateway interview id a candidate was tagged with at ingest.
pub fn correlation(raw: &Value) -> Option<InterviewId> {
    raw.get("additionalFields")
        .or_else(|| raw.get("additional_fields"))
        .and_then(|a| a.get(CORRELATION_FIELD))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// A fetch answer's candidates and whether more pages follow (`page` was asked with
/// `limit`). Without paging facts, a full page means there may be more.
pub fn fetch_page(body: &Value, page: u32, limit: u32) -> (Vec<Value>, bool) {
    let items = body
        .get("data")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| array_at(body, &["candidates", "results", "items", "rows", "docs"]))
        .unwrap_or_default();
    let paging = [
        body.get("pagination"),
        body.get("meta"),
        body.get("data").and_then(|d| d.get("pagination")),
    ]
    .into_iter()
    .flatten()
    .next()
    .cloned()
    .unwrap_or(Value::Null);
    let more = if let Some(b) = paging
        .get("hasMore")
        .or_else(|| paging.get("has_more"))
        .or_else(|| paging.get("hasNextPage"))
        .and_then(Value::as_bool)
    {
        b
    } else if let Some(pages) = number(&paging, &["totalPages", "total_pages", "pages"]) {
        f64::from(page) < pages
    } else if let Some(total) = number(&paging, &["total", "totalCount", "total_count", "count"]) {
        f64::from(page) * f64::from(limit) < total
    } else {
        items.len() >= limit as usize
    };
    (items, more)
}

/// An error body (unpublished): `message`/`error` text and any `errors[{field, message}]`.
/// `data[k]` in field names is the `k`th candidate sent; `sent` maps it back to the caller's
/// index.
pub fn error(
    status: u16,
    body: &Value,
    retry_after: Option<std::time::Duration>,
    sent: &[usize],
) -> ProviderError {
    let message = text(body, &["message", "detail"])
        .or_else(|| body.get("error").and_then(|e| text(e, &["message"])))
        .or_else(|| text(body, &["error"]))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let errors = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    let field = text(e, &["field", "path", "param"])?;
                    let msg = text(e, &["message", "msg", "error"]).unwrap_or_default();
                    Some(FieldError::new(unified_field(&field, sent), msg))
                })
                .collect()
        })
        .unwrap_or_default();
    match status {
        401 | 403 => ProviderError::InvalidCredentials {
            status: Some(status),
            message: format!("{message} (InterviewFlowAI refused the X-API-KEY)"),
        },
        _ => provider_http::error_for_status(status, None, message, errors, retry_after),
    }
}

fn unified_field(vendor: &str, sent: &[usize]) -> String {
    if let Some(rest) = vendor.strip_prefix("data[") {
        if let Some((k, tail)) = rest.split_once(']') {
            if let Some(i) = k.parse::<usize>().ok().and_then(|k| sent.get(k)) {
                let tail = tail
                    .replace(
                        "additionalFields",
                        "metadata.interviewflowai.additionalFields",
                    )
                    .replace("metadata.sendEmailAfter", "delay_hours");
                return format!("candidates[{i}]{tail}");
            }
        }
    }
    match vendor {
        "interviewerId" => "template_id".into(),
        other => other.into(),
    }
}

/// A dashboard webhook (payload unpublished). Deliveries may repeat: the webhook id (or,
/// lacking one, the body's hash) names the change. The fetch has the detail, so the
/// interview is re-read (`refresh`).
pub fn inbound(body: &[u8]) -> Result<InboundEvent, ProviderError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse {
        status: None,
        message: format!("the webhook is not JSON: {e}"),
    })?;
    let event = text(&v, &["event", "type", "eventType"]).unwrap_or_default();
    let data = v
        .get("data")
        .filter(|d| d.is_object())
        .cloned()
        .unwrap_or_else(|| v.clone());
    let mut observed = interview(data.clone());
    let by_event = match event.as_str() {
        "interview.started" | "interview.in_progress" => Some(InterviewStatus::InProgress),
        "interview.completed" => Some(InterviewStatus::Evaluating),
        "interview.report_available" => Some(InterviewStatus::Completed),
        _ => None,
    };
    observed.status = observed.status.max_by_progress(by_event);
    let correlation_id = correlation(&data);
    if observed.refs.is_empty() && correlation_id.is_none() && observed.candidate_email.is_none() {
        return Err(ProviderError::invalid(
            "data",
            "an InterviewFlowAI webhook must name the interview, or carry the candidate",
        ));
    }
    let dedupe_key = text(&v, &["id", "webhookId", "webhook_id", "eventId"])
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    observed.raw = v;
    Ok(InboundEvent {
        dedupe_key,
        refs: observed.refs.clone(),
        correlation_id,
        candidate_email: observed.candidate_email.clone(),
        observed,
        refresh: true,
    })
}

/// The further along of two readings of progress.
trait FurtherAlong {
    fn max_by_progress(self, other: Option<InterviewStatus>) -> Option<InterviewStatus>;
}

impl FurtherAlong for Option<InterviewStatus> {
    fn max_by_progress(self, other: Option<InterviewStatus>) -> Option<InterviewStatus> {
        let rank = |s: InterviewStatus| match s {
            InterviewStatus::Pending => 0,
            InterviewStatus::Invited => 1,
            InterviewStatus::InProgress => 2,
            InterviewStatus::Evaluating => 3,
            _ => 4,
        };
        match (self, other) {
            (Some(a), Some(b)) => Some(if rank(b) > rank(a) { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}
