//! Flowmingo ↔ core, as pure functions.

use gateway_core::candidate::is_plausible_email;
use gateway_core::provider::{
    InboundEvent, InviteCandidate, InviteOptions, RemoteInterview, RemoteTemplate, TemplateDraft,
};
use gateway_core::{
    Artifact, ArtifactKind, Criterion, FieldError, InterviewResult, InterviewStatus, ProviderError,
    ProviderRef, Score, TemplateStatus,
};
use serde_json::Value;

use crate::wire;

pub const INTERVIEW_SET: &str = "interview_set";
pub const PROJECT: &str = "project";
/// A project's specific job post: id `<project uuid>/<job post uuid>`.
pub const JOB_POST: &str = "job_post";
pub const INVITATION_ID: &str = "invitation_id";
pub const SUBMISSION_ID: &str = "submission_id";

const TITLE_MAX: usize = 1024;
const TEXT_MAX: usize = 5000;
const HINT_MAX: usize = 2000;

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

fn too_long(errors: &mut Vec<FieldError>, field: String, value: Option<&str>, max: usize) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            format!("Flowmingo allows at most {max} characters"),
        ));
    }
}

fn int_setting(
    errors: &mut Vec<FieldError>,
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Option<i64> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => {
                errors.push(FieldError::new(
                    format!("{path}.{key}"),
                    "must be an integer",
                ));
                None
            }
        },
    }
}

/// The documented set fields from a unified draft; vendor-only fields come from
/// `draft.settings`: `set_type` (1 interview, 2 CV set), `priority`, `project_id`, and per
/// question / requirement extras as `questions[i]` {cfg_question_mode_id,
/// cfg_question_type_id, cfg_prioritization_id, priority, options} and `requirements[i]`
/// {hint, priority, cfg_importance_id}, matched by position. Limits are checked here so a
/// client hears which field is wrong before anything is sent.
pub fn create_set(draft: &TemplateDraft) -> Result<wire::CreateSet, ProviderError> {
    let mut e = Vec::new();
    let empty = serde_json::Map::new();
    let settings = match &draft.settings {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => return Err(ProviderError::invalid("settings", "must be an object")),
    };
    for key in settings.keys() {
        if ![
            "set_type",
            "priority",
            "project_id",
            "questions",
            "requirements",
        ]
        .contains(&key.as_str())
        {
            e.push(FieldError::new(
                format!("settings.{key}"),
                "not a Flowmingo set setting",
            ));
        }
    }
    too_long(&mut e, "name".into(), Some(&draft.name), TITLE_MAX);
    too_long(
        &mut e,
        "department".into(),
        draft.department.as_deref(),
        TITLE_MAX,
    );
    too_long(
        &mut e,
        "position".into(),
        draft.position.as_deref(),
        TITLE_MAX,
    );
    let set_type = int_setting(&mut e, settings, "set_type", "settings");
    if set_type.is_some_and(|t| t != 1 && t != 2) {
        e.push(FieldError::new(
            "settings.set_type",
            "must be 1 (interview) or 2 (CV set)",
        ));
    }
    let priority = int_setting(&mut e, settings, "priority", "settings");
    let project_id = match settings.get("project_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if is_uuid(p) => Some(p.clone()),
        Some(_) => {
            e.push(FieldError::new("settings.project_id", "must be a UUID"));
            None
        }
    };
    let questions = questions(draft, settings, &mut e);
    let requirements = requirements(draft, settings, &mut e);
    if !e.is_empty() {
        return Err(ProviderError::InvalidInput(e));
    }
    Ok(wire::CreateSet {
        title: draft.name.clone(),
        set_type,
        position: draft.position.clone(),
        function: draft.department.clone(),
        description: draft.description.clone(),
        interview_duration: draft.duration_minutes.map(i64::from),
        number_of_retakes: draft.retakes.map(i64::from),
        priority,
        project_id,
        iai_questions: questions,
        iai_requirements: requirements,
    })
}

/// The vendor-only extras of item `i` of the list `settings[key]`, matched by position.
fn extras(
    settings: &serde_json::Map<String, Value>,
    key: &str,
    i: usize,
) -> serde_json::Map<String, Value> {
    settings
        .get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.get(i))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The draft's questions as set questions, with their `settings.questions[i]` extras.
fn questions(
    draft: &TemplateDraft,
    settings: &serde_json::Map<String, Value>,
    e: &mut Vec<FieldError>,
) -> Vec<wire::Question> {
    let mut questions = Vec::new();
    for (i, q) in draft.questions.iter().enumerate() {
        too_long(
            e,
            format!("questions[{i}].title"),
            q.title.as_deref(),
            TEXT_MAX,
        );
        too_long(
            e,
            format!("questions[{i}].prompt"),
            Some(&q.prompt),
            TEXT_MAX,
        );
        let x = extras(settings, "questions", i);
        let path = format!("settings.questions[{i}]");
        questions.push(wire::Question {
            id: None,
            title: q.title.clone(),
            content: Some(q.prompt.clone()),
            cfg_question_mode_id: int_setting(e, &x, "cfg_question_mode_id", &path),
            cfg_question_type_id: int_setting(e, &x, "cfg_question_type_id", &path),
            cfg_prioritization_id: int_setting(e, &x, "cfg_prioritization_id", &path),
            priority: int_setting(e, &x, "priority", &path).or(Some(i as i64 + 1)),
            options: match x.get("options") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) => Some(a.clone()),
                Some(_) => {
                    e.push(FieldError::new(format!("{path}.options"), "must be a list"));
                    None
                }
            },
        });
    }
    questions
}

/// The draft's requirements as set requirements, with their `settings.requirements[i]` extras.
fn requirements(
    draft: &TemplateDraft,
    settings: &serde_json::Map<String, Value>,
    e: &mut Vec<FieldError>,
) -> Vec<wire::Requirement> {
    let mut requirements = Vec::new();
    for (i, r) in draft.requirements.iter().enumerate() {
        too_long(
            e,
            format!("requirements[{i}].title"),
            Some(&r.title),
            TEXT_MAX,
        );
        too_long(
            e,
            format!("requirements[{i}].description"),
            r.description.as_deref(),
            TEXT_MAX,
        );
        let x = extras(settings, "requirements", i);
        let path = format!("settings.requirements[{i}]");
        let hint = x.get("hint").and_then(Value::as_str).map(str::to_string);
        too_long(e, format!("{path}.hint"), hint.as_deref(), HINT_MAX);
        requirements.push(wire::Requirement {
            id: None,
            title: Some(r.title.clone()),
            content: r.description.clone(),
            hint,
            priority: int_setting(e, &x, "priority", &path).or(Some(i as i64 + 1)),
            cfg_importance_id: int_setting(e, &x, "cfg_importance_id", &path),
        });
    }
    requirements
}

pub fn template(raw: Value) -> Result<RemoteTemplate, ProviderError> {
    let set: wire::InterviewSet =
        serde_json::from_value(raw.clone()).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("interview set: {e}"),
        })?;
    Ok(RemoteTemplate {
        provider_ref: ProviderRef {
            kind: INTERVIEW_SET.into(),
            id: set.id,
            vendor: Default::default(),
        },
        name: set.title.unwrap_or_default(),
        description: set.description,
        status: TemplateStatus::Active,
        steps: Vec::new(),
        raw,
    })
}

/// Check a template ref: the kinds Flowmingo has, with UUIDs where it wants them.
pub fn validate_ref(r: &ProviderRef) -> Result<(), Vec<FieldError>> {
    let ok = match r.kind.as_str() {
        INTERVIEW_SET | PROJECT => is_uuid(&r.id),
        JOB_POST => r.id.split_once('/').is_some_and(|(p, j)| is_uuid(p) && is_uuid(j)),
        _ => {
            return Err(vec![FieldError::new(
                "provider_ref.kind",
                "Flowmingo templates are `interview_set`, `project`, or `job_post` (id `<project uuid>/<job post uuid>`)",
            )])
        }
    };
    if ok {
        Ok(())
    } else {
        Err(vec![FieldError::new(
            "provider_ref.id",
            "must be a Flowmingo UUID (`<project>/<job post>` for a job post)",
        )])
    }
}

/// The invite request: one call for the batch. Candidates that fail local checks are left
/// out (their indices come back in the error list) so they never spoil the others.
pub fn invite(
    template: &ProviderRef,
    candidates: &[InviteCandidate],
    options: &InviteOptions,
) -> Result<(wire::Invite, Vec<(usize, ProviderError)>), ProviderError> {
    validate_ref(template).map_err(ProviderError::InvalidInput)?;
    let message = options
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if message.is_some_and(|m| m.chars().count() < 10) {
        return Err(ProviderError::invalid(
            "message",
            "Flowmingo needs an invitation message of at least 10 characters",
        ));
    }
    // Refused rather than ignored: the invite endpoint has no schedule, so a delayed
    // invitation would silently go out at once.
    if options.delay_hours.is_some() {
        return Err(ProviderError::invalid(
            "delay_hours",
            "Flowmingo sends the invitation when the candidate is invited; it cannot be delayed",
        ));
    }
    let mut body = wire::Invite {
        invitation_message: message.map(str::to_string),
        send_invite: options.send_invite,
        ..Default::default()
    };
    match template.kind.as_str() {
        INTERVIEW_SET => body.com_interview_set_id = Some(template.id.clone()),
        PROJECT => body.com_project_id = Some(template.id.clone()),
        _ => {
            let (p, j) = template.id.split_once('/').unwrap_or_default();
            body.com_project_id = Some(p.to_string());
            body.com_job_post_id = Some(j.to_string());
        }
    }
    let mut refused = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if !is_plausible_email(&c.email) {
            refused.push((
                i,
                ProviderError::invalid(
                    format!("candidates[{i}].email"),
                    "must be a valid email address",
                ),
            ));
            continue;
        }
        body.candidates.push(wire::InviteCandidate {
            // The gateway's interview id: a UUID, unique in the request, and echoed in
            // Flowmingo's webhooks as `candidate_id`.
            ats_candidate_id: Some(c.correlation_id.as_uuid().to_string()),
            email: Some(c.email.trim().to_string()),
            name: c.name.clone(),
            firstname: c.first_name.clone(),
            lastname: c.last_name.clone(),
            cv_link: c.resume_url.clone(),
        });
    }
    Ok((body, refused))
}

/// One candidate's result → outcome. Any error field fails that candidate alone.
pub fn outcome(r: wire::InviteResult, raw: Value) -> Result<RemoteInterview, ProviderError> {
    let errors: Vec<&str> = [
        r.error_message.as_deref(),
        r.invitation_error_message.as_deref(),
        r.application_error_message.as_deref(),
        r.submission_error_message.as_deref(),
        r.candidate_entry_error_message.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !errors.is_empty() {
        return Err(ProviderError::Rejected {
            status: Some(200),
            code: None,
            message: errors.join("; "),
            errors: vec![],
        });
    }
    let mut refs = gateway_core::ProviderRefs::new();
    if let Some(i) = &r.invitation {
        refs.insert(INVITATION_ID.into(), i.id.clone());
    }
    if let Some(s) = &r.submission {
        refs.insert(SUBMISSION_ID.into(), s.id.clone());
    }
    if refs.is_empty() {
        return Err(ProviderError::BadResponse {
            status: Some(200),
            message: "Flowmingo answered no invitation or submission for the candidate".into(),
        });
    }
    // Flowmingo has the candidate either way: with `send_invite` they were emailed
    // (invitation `pending`); without it the submission waits (`need_interview`) for an
    // invitation sent another way. Both are "invited" in the unified sense: at the vendor,
    // waiting for the candidate.
    Ok(RemoteInterview {
        refs,
        status: Some(InterviewStatus::Invited),
        candidate_email: r
            .email_address
            .clone()
            .or(r.invitation.as_ref().and_then(|i| i.email.clone())),
        raw,
        ..Default::default()
    })
}

/// A webhook (notes.md): `invitation.status.update`, `interview.status.update`,
/// `interview.evaluation.update`. The ids it carries are the ones the invite answered;
/// `candidate_id` echoes the gateway's `ats_candidate_id`.
pub fn inbound(body: &[u8]) -> Result<InboundEvent, ProviderError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| ProviderError::Rejected {
        status: Some(400),
        code: None,
        message: format!("not JSON: {e}"),
        errors: vec![],
    })?;
    let env: wire::WebhookEnvelope =
        serde_json::from_value(raw.clone()).map_err(|e| ProviderError::Rejected {
            status: Some(400),
            code: None,
            message: format!("not a Flowmingo webhook: {e}"),
            errors: vec![],
        })?;
    let d = &env.data;
    let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    let status_text = text("status").unwrap_or_default();
    let mut observed = RemoteInterview {
        raw: raw.clone(),
        ..Default::default()
    };
    match env.event_type.as_str() {
        "invitation.status.update" => {
            observed.status = Some(if status_text == "invitation_email_failed" {
                InterviewStatus::Error
            } else {
                InterviewStatus::Invited
            });
        }
        "interview.status.update" => {
            observed.status = match status_text.as_str() {
                "started" | "in_progress" => Some(InterviewStatus::InProgress),
                // Finished, evaluation to follow.
                "completed" | "submitted" => Some(InterviewStatus::Evaluating),
                _ => None,
            };
        }
        "interview.evaluation.update" => {
            observed.status = Some(InterviewStatus::Completed);
            let score = d.get("evaluation_score").and_then(Value::as_f64);
            let kind = text("evaluation_type").unwrap_or_else(|| "interview".into());
            let report = text("submission_url");
            observed.result = Some(InterviewResult {
                // Evaluation scores are percentages (unconfirmed: kept raw in remote_data).
                score: score.and_then(|s| Score::new(s, 100.0)),
                criteria: vec![Criterion {
                    name: format!("{kind} evaluation"),
                    score,
                    max: score.map(|_| 100.0),
                    passed: None,
                    comment: None,
                }],
                artifacts: report
                    .iter()
                    .map(|u| Artifact {
                        kind: ArtifactKind::Report,
                        url: u.clone(),
                    })
                    .collect(),
                report_url: report,
                ..Default::default()
            });
        }
        _ => {}
    }
    let mut refs = gateway_core::ProviderRefs::new();
    for key in [SUBMISSION_ID, INVITATION_ID] {
        if let Some(v) = text(key) {
            refs.insert(key.into(), v);
        }
    }
    observed.refs = refs.clone();
    let correlation = text("candidate_id")
        .and_then(|c| uuid::Uuid::parse_str(&c).ok())
        .map(gateway_core::InterviewId::from_uuid);
    Ok(InboundEvent {
        dedupe_key: env.event_id,
        refs,
        correlation_id: correlation,
        candidate_email: text("candidate_email"),
        observed,
        refresh: false,
    })
}

/// A non-2xx answer → `ProviderError`. Flowmingo's error body is unpublished: the message is
/// read from `message` (a string or a list), `error` or `detail`.
pub fn error(
    status: u16,
    body: &Value,
    retry_after: Option<std::time::Duration>,
    scope: &str,
) -> ProviderError {
    let message = message(status, body);
    match status {
        401 => ProviderError::InvalidCredentials {
            status: Some(status),
            message: format!("{message} (Flowmingo key missing, malformed, deleted or expired)"),
        },
        403 => ProviderError::InvalidCredentials {
            status: Some(status),
            message: format!("{message} (this operation needs the `{scope}` scope)"),
        },
        404 => ProviderError::NotFound {
            message: format!(
                "{message}: the interview set or project is not in this Flowmingo organization"
            ),
        },
        _ => provider_http::error_for_status(status, None, message, vec![], retry_after),
    }
}

/// What Flowmingo said in an error answer: `message` (a string or a list), `detail` or
/// `error`; the status when none is there.
pub fn message(status: u16, body: &Value) -> String {
    match body
        .get("message")
        .or_else(|| body.get("detail"))
        .or_else(|| body.get("error"))
    {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        _ => format!("HTTP {status}"),
    }
}
