//! TapTalent ↔ core, as pure functions.

use gateway_core::candidate::is_plausible_email;
use gateway_core::provider::{
    InboundEvent, InviteCandidate, InviteOptions, RemoteInterview, RemoteTemplate, TemplateDraft,
    TemplateUpdate,
};
use gateway_core::{
    Criterion, FieldError, InterviewResult, InterviewStatus, Outcome, ProviderError, ProviderRef,
    Score, TemplateStatus, TemplateStep,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::wire::{self, id_text};

pub const ASSESSMENT_FLOW: &str = "assessment_flow";
/// The one interview ref: unique per assignment. (The flow id is the template's, shared by
/// every assignment, so it is no interview ref; it stays in the raw payload.)
pub const ASSIGNMENT_ID: &str = "assignment_id";
/// Draft settings this adapter reads: `status` (`ACTIVE`/`INACTIVE`) and per-step extras
/// `steps[i]` {instructions, pass_action, assessment_type}, matched by position.
const SETTINGS: [&str; 2] = ["status", "steps"];

pub fn validate_ref(r: &ProviderRef) -> Result<(), Vec<FieldError>> {
    let mut e = Vec::new();
    if r.kind != ASSESSMENT_FLOW {
        e.push(FieldError::new(
            "provider_ref.kind",
            "TapTalent templates are `assessment_flow`s",
        ));
    }
    if r.id.trim().is_empty() || r.id.len() > 64 || r.id.contains('/') {
        e.push(FieldError::new(
            "provider_ref.id",
            "must be a TapTalent flow id",
        ));
    }
    e.extend(r.without_vendor_part().err().unwrap_or_default());
    if e.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

/// The flow status TapTalent takes for a unified one.
fn flow_status(status: TemplateStatus, field: &str) -> Result<String, FieldError> {
    match status {
        TemplateStatus::Active => Ok("ACTIVE".into()),
        TemplateStatus::Archived => Ok("INACTIVE".into()),
        TemplateStatus::Draft => Err(FieldError::new(
            field,
            "TapTalent flows are active or archived (INACTIVE), never draft",
        )),
    }
}

fn template_status(s: Option<&str>) -> TemplateStatus {
    match s.map(str::to_ascii_uppercase).as_deref() {
        Some("INACTIVE") | Some("ARCHIVED") | Some("DELETED") => TemplateStatus::Archived,
        Some("DRAFT") => TemplateStatus::Draft,
        _ => TemplateStatus::Active,
    }
}

fn step_body(
    step: &gateway_core::provider::StepDraft,
    extras: Option<&Map<String, Value>>,
    path: &str,
    e: &mut Vec<FieldError>,
) -> wire::StepBody {
    if step.assessment_id.trim().is_empty() {
        e.push(FieldError::new(
            format!("{path}.assessment_id"),
            "is required",
        ));
    }
    if !(0.0..=100.0).contains(&step.pass_threshold) {
        e.push(FieldError::new(
            format!("{path}.pass_threshold"),
            "must be between 0 and 100",
        ));
    }
    let extra = |k: &str| {
        extras
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    wire::StepBody {
        assessment_id: step.assessment_id.trim().to_string(),
        pass_threshold: step.pass_threshold,
        assessment_type: extra("assessment_type"),
        name: step.name.clone(),
        instructions: extra("instructions"),
        pass_action: extra("pass_action"),
    }
}

fn settings_of(draft_settings: &Value, e: &mut Vec<FieldError>) -> Map<String, Value> {
    match draft_settings {
        Value::Object(m) => {
            for k in m.keys() {
                if !SETTINGS.contains(&k.as_str()) {
                    e.push(FieldError::new(
                        format!("settings.{k}"),
                        "not a TapTalent flow setting (status, steps)",
                    ));
                }
            }
            for (i, s) in m
                .get("steps")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                match s.as_object() {
                    Some(o) => {
                        for (k, v) in o {
                            if !["instructions", "pass_action", "assessment_type"]
                                .contains(&k.as_str())
                            {
                                e.push(FieldError::new(
                                    format!("settings.steps[{i}].{k}"),
                                    "not a TapTalent step setting (instructions, pass_action, assessment_type)",
                                ));
                            } else if !v.is_string() {
                                e.push(FieldError::new(
                                    format!("settings.steps[{i}].{k}"),
                                    "must be a string",
                                ));
                            }
                        }
                    }
                    None => e.push(FieldError::new(
                        format!("settings.steps[{i}]"),
                        "must be an object",
                    )),
                }
            }
            if m.get("steps").is_some_and(|s| !s.is_array()) {
                e.push(FieldError::new("settings.steps", "must be an array"));
            }
            m.clone()
        }
        Value::Null => Map::new(),
        _ => {
            e.push(FieldError::new("settings", "must be an object"));
            Map::new()
        }
    }
}

/// A flow from a unified draft. Fields a TapTalent flow has no place for are refused by
/// name rather than dropped.
pub fn create_body(draft: &TemplateDraft) -> Result<wire::FlowBody, ProviderError> {
    let mut e = Vec::new();
    let settings = settings_of(&draft.settings, &mut e);
    let unplaced = [
        ("position", draft.position.is_some()),
        ("department", draft.department.is_some()),
        ("duration_minutes", draft.duration_minutes.is_some()),
        ("retakes", draft.retakes.is_some()),
        ("questions", !draft.questions.is_empty()),
        ("requirements", !draft.requirements.is_empty()),
    ];
    for (field, given) in unplaced {
        if given {
            e.push(FieldError::new(
                field,
                "a TapTalent assessment flow has no such field; its steps carry the content",
            ));
        }
    }
    if draft.steps.is_empty() {
        e.push(FieldError::new(
            "steps",
            "a TapTalent flow needs at least one step (assessment_id and pass_threshold)",
        ));
    }
    let extras: Vec<Option<&Map<String, Value>>> = (0..draft.steps.len())
        .map(|i| {
            settings
                .get("steps")
                .and_then(|s| s.get(i))
                .and_then(Value::as_object)
        })
        .collect();
    let steps = draft
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| step_body(s, extras[i], &format!("steps[{i}]"), &mut e))
        .collect();
    let status = match settings.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "ACTIVE" || s == "INACTIVE" => Some(s.clone()),
        Some(_) => {
            e.push(FieldError::new(
                "settings.status",
                "must be ACTIVE or INACTIVE",
            ));
            None
        }
    };
    if draft.name.trim().is_empty() {
        e.push(FieldError::new("name", "is required"));
    }
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    Ok(wire::FlowBody {
        flow_name: draft.name.trim().to_string(),
        description: draft.description.clone(),
        status,
        steps,
    })
}

fn current_step_body(s: &wire::Step) -> Option<wire::StepBody> {
    Some(wire::StepBody {
        assessment_id: s.assessment_id.as_ref().and_then(id_text)?,
        pass_threshold: s.pass_threshold?,
        assessment_type: s.assessment_type.clone().or_else(|| s.kind.clone()),
        name: s.name.clone(),
        instructions: s.instructions.clone(),
        pass_action: s.pass_action.clone(),
    })
}

/// The whole flow as it should be after `update`: PATCH takes the create shape, so fields
/// the update leaves alone are sent as they are now. TapTalent forbids changing or removing
/// an existing stage (thresholds may change, stages may be appended); that is checked here
/// so the client hears which step is wrong, and the vendor's own refusal (if the flow
/// changed meanwhile) is passed on as it comes.
pub fn update_body(
    current: &wire::Flow,
    update: &TemplateUpdate,
) -> Result<wire::FlowBody, ProviderError> {
    let mut e = Vec::new();
    let existing: Vec<wire::StepBody> =
        current.steps.iter().filter_map(current_step_body).collect();
    if existing.len() != current.steps.len() {
        return Err(ProviderError::BadResponse {
            status: 200,
            message: "TapTalent answered a flow step without assessmentId or passThreshold".into(),
        });
    }
    let steps = match &update.steps {
        None => existing,
        Some(wanted) => {
            let mut steps = Vec::with_capacity(wanted.len());
            for (i, w) in wanted.iter().enumerate() {
                let path = format!("steps[{i}]");
                let mut body = step_body(w, None, &path, &mut e);
                if let Some(old) = existing.get(i) {
                    if old.assessment_id != body.assessment_id {
                        e.push(FieldError::new(
                            format!("{path}.assessment_id"),
                            format!("TapTalent does not allow changing an existing stage (it is `{}`); adjust pass_threshold or append new steps", old.assessment_id),
                        ));
                    }
                    // Metadata the unified step does not carry stays as it is.
                    body.assessment_type = old.assessment_type.clone();
                    body.instructions = old.instructions.clone();
                    body.pass_action = old.pass_action.clone();
                    if body.name.is_none() {
                        body.name = old.name.clone();
                    }
                }
                steps.push(body);
            }
            if wanted.len() < existing.len() {
                e.push(FieldError::new(
                    "steps",
                    format!(
                        "TapTalent does not allow removing stages: the flow has {}, the update lists {}",
                        existing.len(),
                        wanted.len()
                    ),
                ));
            }
            steps
        }
    };
    let status = match update.status {
        Some(s) => match flow_status(s, "status") {
            Ok(s) => Some(s),
            Err(f) => {
                e.push(f);
                None
            }
        },
        None => current.status.clone(),
    };
    let flow_name = match &update.name {
        Some(n) if n.trim().is_empty() => {
            e.push(FieldError::new("name", "must not be empty"));
            String::new()
        }
        Some(n) => n.trim().to_string(),
        None => current.flow_name.clone().unwrap_or_default(),
    };
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    Ok(wire::FlowBody {
        flow_name,
        description: update
            .description
            .clone()
            .or_else(|| current.description.clone()),
        status,
        steps,
    })
}

pub fn template(flow: wire::Flow, raw: Value) -> Result<RemoteTemplate, ProviderError> {
    let id = id_text(&flow.id).ok_or_else(|| ProviderError::BadResponse {
        status: 200,
        message: "a TapTalent flow without an id".into(),
    })?;
    Ok(RemoteTemplate {
        provider_ref: ProviderRef {
            kind: ASSESSMENT_FLOW.into(),
            id,
            vendor: Default::default(),
        },
        name: flow.flow_name.unwrap_or_default(),
        description: flow.description,
        status: template_status(flow.status.as_deref()),
        steps: flow
            .steps
            .iter()
            .map(|s| TemplateStep {
                name: s.name.clone().or_else(|| s.assessment_name.clone()),
                kind: s.assessment_type.clone().or_else(|| s.kind.clone()),
                assessment_id: s.assessment_id.as_ref().and_then(id_text),
                pass_threshold: s.pass_threshold,
            })
            .collect(),
        raw,
    })
}

/// Vendor-only assignment fields ride in the candidate's metadata, under `taptalent`:
/// `{jobId, jobCandidateId, talentId}` as TapTalent names them.
const ASSIGN_EXTRAS: [&str; 3] = ["jobId", "jobCandidateId", "talentId"];

/// The assign body for one candidate, or why it cannot be sent.
pub fn assign_body(c: &InviteCandidate, i: usize) -> Result<wire::AssignBody, ProviderError> {
    let mut e = Vec::new();
    if !is_plausible_email(&c.email) {
        e.push(FieldError::new(
            format!("candidates[{i}].email"),
            "must be a valid email address",
        ));
    }
    let extras = c.metadata.get("taptalent");
    let mut ids = [None, None, None];
    if let Some(x) = extras {
        match x.as_object() {
            Some(o) => {
                for (k, v) in o {
                    match ASSIGN_EXTRAS.iter().position(|n| n == k) {
                        Some(at) if v.is_number() || v.is_string() => ids[at] = Some(v.clone()),
                        Some(_) => e.push(FieldError::new(
                            format!("candidates[{i}].metadata.taptalent.{k}"),
                            "must be a number or a string",
                        )),
                        None => e.push(FieldError::new(
                            format!("candidates[{i}].metadata.taptalent.{k}"),
                            "TapTalent takes jobId, jobCandidateId and talentId",
                        )),
                    }
                }
            }
            None => e.push(FieldError::new(
                format!("candidates[{i}].metadata.taptalent"),
                "must be an object",
            )),
        }
    }
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    let (first, last) = match (&c.first_name, &c.last_name, &c.name) {
        (None, None, Some(full)) => {
            let full = full.trim();
            match full.split_once(' ') {
                Some((f, l)) => (Some(f.to_string()), Some(l.trim().to_string())),
                None if !full.is_empty() => (Some(full.to_string()), None),
                None => (None, None),
            }
        }
        (f, l, _) => (f.clone(), l.clone()),
    };
    let [job_id, job_candidate_id, talent_id] = ids;
    Ok(wire::AssignBody {
        email: Some(c.email.trim().to_string()),
        first_name: first,
        last_name: last,
        job_candidate_id,
        job_id,
        talent_id,
    })
}

/// Options TapTalent cannot honour, refused rather than ignored: an assignment always
/// emails the first step's invitation at once. (`message` has no field at TapTalent; the
/// vendor's own email goes out, as it does for HeyMilo.)
pub fn check_options(options: &InviteOptions) -> Result<(), ProviderError> {
    let mut e = Vec::new();
    if !options.send_invite {
        e.push(FieldError::new(
            "send_invite",
            "TapTalent always emails the first step's invitation when a candidate is assigned",
        ));
    }
    if options.delay_hours.is_some() {
        e.push(FieldError::new(
            "delay_hours",
            "TapTalent sends the invitation on assignment; it cannot be delayed",
        ));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InvalidInput(e))
    }
}

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
            status: 200,
            message: format!("unreadable TapTalent flow candidate: {e}"),
        })?;
    let id = c
        .assignment_id
        .as_ref()
        .or(c.id.as_ref())
        .and_then(id_text)
        .ok_or_else(|| ProviderError::BadResponse {
            status: 200,
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

/// TapTalent's names in error details, as the unified API names them.
fn unified_field(vendor: &str) -> String {
    let mut f = vendor.to_string();
    for (from, to) in [
        ("flowName", "name"),
        ("assessmentId", "assessment_id"),
        ("passThreshold", "pass_threshold"),
        ("firstName", "candidate.first_name"),
        ("lastName", "candidate.last_name"),
    ] {
        f = f.replace(from, to);
    }
    if f == "email" {
        f = "candidate.email".into();
    }
    f
}

/// `{"error":{code,type,message,details}}` as a `ProviderError`: 400 `INVALID_REQUEST`
/// with its per-field details becomes a rejection naming each field.
pub fn error(status: u16, body: &Value, retry_after: Option<std::time::Duration>) -> ProviderError {
    let parsed: wire::ErrorBody = serde_json::from_value(body.clone()).unwrap_or_default();
    let e = parsed.error;
    let message = e
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    let errors: Vec<FieldError> = e
        .details
        .iter()
        .flatten()
        .map(|(k, v)| {
            FieldError::new(
                unified_field(k),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    match (status, e.code.as_deref()) {
        (403, Some("ACCOUNT_INACTIVE")) => ProviderError::InvalidCredentials {
            status,
            message: format!("{message} (the TapTalent account is inactive)"),
        },
        (401, _) => ProviderError::InvalidCredentials {
            status,
            message: format!("{message} (TapTalent API key missing, malformed or revoked)"),
        },
        _ => {
            provider_http::error_for_status(status, e.code.or(e.kind), message, errors, retry_after)
        }
    }
}

/// The documented webhook envelope `{event, timestamp, companyId, data}`. Event names and
/// `data` fields are not published, so the payload is read tolerantly and the interview is
/// always re-read from the flow's candidate list (`refresh`). A retried delivery repeats
/// the same body, so the body's hash names the change.
pub fn inbound(body: &[u8]) -> Result<InboundEvent, ProviderError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse {
        status: 0,
        message: format!("the webhook is not JSON: {e}"),
    })?;
    let event = v
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid("event", "a TapTalent webhook names its event"))?;
    let data = v.get("data").cloned().unwrap_or(Value::Null);
    let pick = |keys: &[&str]| keys.iter().find_map(|k| data.get(*k).and_then(id_text));
    let mut refs = gateway_core::ProviderRefs::new();
    if let Some(a) = pick(&["assignmentId", "flowAssignmentId", "assignment_id"]) {
        refs.insert(ASSIGNMENT_ID.into(), a);
    }
    let email = pick(&["email", "candidateEmail", "candidate_email"]);
    if refs.is_empty() && email.is_none() {
        return Err(ProviderError::invalid(
            "data",
            "a TapTalent webhook must name the assignment or the candidate's email",
        ));
    }
    let status_text = data.get("status").and_then(Value::as_str);
    // An errored step leaves the assignment where it was (TapTalent's statuses have no
    // error state), so the event name alone changes nothing; the re-read tells.
    let (status, outcome) = status(status_text, &[]);
    let digest = hex::encode(Sha256::digest(body));
    Ok(InboundEvent {
        dedupe_key: format!("{event}:{digest}"),
        refs: refs.clone(),
        correlation_id: None,
        candidate_email: email.clone(),
        observed: RemoteInterview {
            refs,
            status,
            // A FAILED flow is known failed; COMPLETED waits for the re-read's step scores.
            outcome: outcome.filter(|o| *o == Outcome::Failed),
            candidate_email: email,
            raw: v,
            ..Default::default()
        },
        refresh: true,
    })
}
