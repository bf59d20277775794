//! HeyMilo ↔ core, as pure functions (unit-tested on the document's examples).

use gateway_core::provider::{InviteCandidate, RemoteInterview, RemoteTemplate, RemoteWebhook};
use gateway_core::time::from_unix_seconds;
use gateway_core::{
    FieldError, InterviewStatus, Outcome, ProviderError, TemplateStatus, TemplateStep,
};
use serde_json::{json, Value};

use crate::wire;

/// The ref name of HeyMilo's interview id in `RemoteInterview::refs`.
pub const INTERVIEW_ID: &str = "interview_id";

pub fn template(raw: Value) -> Result<RemoteTemplate, String> {
    let p: wire::Posting =
        serde_json::from_value(raw.clone()).map_err(|e| format!("posting: {e}"))?;
    let status = if p.archived {
        TemplateStatus::Archived
    } else if p.finalized == Some(false) {
        TemplateStatus::Draft
    } else {
        TemplateStatus::Active
    };
    let steps = p
        .agentic_workflow
        .unwrap_or_default()
        .into_iter()
        .map(|w| TemplateStep {
            name: w.unique_id,
            pass_threshold: w
                .config
                .get("min_evaluation_score")
                .and_then(Value::as_f64)
                // The document's 0.7 is a fraction; steps carry thresholds on 0–100.
                .map(|f| if f <= 1.0 { f * 100.0 } else { f }),
            kind: w.kind,
            assessment_id: None,
        })
        .collect();
    Ok(RemoteTemplate {
        provider_ref: crate::posting_ref::template_ref(p.posting_id, p.url_key),
        name: p.title.or(p.name).unwrap_or_default(),
        description: p.description,
        status,
        steps,
        raw,
    })
}

/// Progress and outcome from `details.status`, falling back on the workflow steps.
///
/// HeyMilo's v1 document shows only `completed`; its v2 API (notes.md) names `pending`,
/// `in_progress`, `evaluating`, `completed`, `shortlisted`, `dismissed`, `knocked_out`. The
/// last three are recruiter verdicts on a finished interview, so they are `completed` with
/// an outcome. An unknown status says nothing rather than guessing.
pub fn status(
    details: Option<&wire::Details>,
    workflow: Option<&wire::Workflow>,
) -> (Option<InterviewStatus>, Option<Outcome>) {
    let analyzing = workflow
        .map(|w| {
            w.step_by_step
                .iter()
                .any(|s| s.is_analyzing_call == Some(true))
        })
        .unwrap_or(false);
    let named = details
        .and_then(|d| d.status.as_deref())
        .map(|s| s.trim().to_ascii_lowercase());
    let from_name = match named.as_deref() {
        Some("pending" | "invited" | "not_started" | "scheduled" | "created") => {
            Some((InterviewStatus::Invited, None))
        }
        Some("in_progress" | "started" | "ongoing") => Some((InterviewStatus::InProgress, None)),
        Some("evaluating" | "analyzing" | "processing") => {
            Some((InterviewStatus::Evaluating, None))
        }
        Some("completed" | "complete") if analyzing => Some((InterviewStatus::Evaluating, None)),
        Some("completed" | "complete") => Some((InterviewStatus::Completed, None)),
        Some("shortlisted") => Some((InterviewStatus::Completed, Some(Outcome::Passed))),
        Some("dismissed" | "knocked_out" | "rejected") => {
            Some((InterviewStatus::Completed, Some(Outcome::Failed)))
        }
        Some("expired") => Some((InterviewStatus::Expired, None)),
        Some("cancelled" | "canceled") => Some((InterviewStatus::Cancelled, None)),
        _ => None,
    };
    if let Some((s, o)) = from_name {
        return (Some(s), o);
    }
    let Some(w) = workflow else {
        return (None, None);
    };
    let s = if analyzing {
        InterviewStatus::Evaluating
    } else if w.all_complete == Some(true) {
        InterviewStatus::Completed
    } else if w.step_by_step.iter().any(|s| s.started == Some(true)) {
        InterviewStatus::InProgress
    } else {
        InterviewStatus::Invited
    };
    (Some(s), None)
}

/// One interview payload → core. Anything the types miss stays in `raw`.
pub fn interview(raw: Value) -> Result<RemoteInterview, String> {
    let i: wire::Interview =
        serde_json::from_value(raw.clone()).map_err(|e| format!("interview: {e}"))?;
    let details = i.details.as_ref();
    let workflow = i
        .workflow
        .as_ref()
        .or(details.and_then(|d| d.workflow_status.as_ref()));
    let (status, outcome) = status(details, workflow);
    let result = crate::result::result(&i, status, outcome);
    Ok(RemoteInterview {
        refs: [(INTERVIEW_ID.to_string(), i.interview_id.clone())].into(),
        status,
        outcome,
        interview_url: None,
        candidate_email: details.and_then(|d| d.email.clone()),
        result,
        updated_at: workflow
            .and_then(|w| w.last_engagement)
            .and_then(from_unix_seconds),
        raw,
    })
}

/// A candidate as HeyMilo ingests them. The gateway's interview id rides in `metadata`
/// (HeyMilo keeps caller metadata), so a HeyMilo record can always be traced back.
pub fn ingest_candidate(c: &InviteCandidate, retake: bool) -> wire::IngestCandidate {
    let mut metadata = match &c.metadata {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    metadata.insert(
        "gateway_interview_id".into(),
        json!(c.correlation_id.to_string()),
    );
    if let Some(ext) = &c.external_id {
        metadata.insert("external_id".into(), json!(ext));
    }
    let mut data = serde_json::Map::new();
    if let Some(url) = &c.resume_url {
        data.insert("resume_url".into(), json!(url));
    }
    let name = c
        .name
        .clone()
        .or_else(|| {
            let joined = [c.first_name.as_deref(), c.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.trim().is_empty()).then_some(joined)
        })
        // HeyMilo requires a name; the address's local part is the best stand-in.
        .unwrap_or_else(|| c.email.split('@').next().unwrap_or_default().to_string());
    wire::IngestCandidate {
        name,
        email: c.email.trim().to_string(),
        phone_number: c.phone.clone(),
        metadata: Value::Object(metadata),
        data: Value::Object(data),
        retake,
    }
}

/// What an ingest answered for one candidate.
pub fn invited(
    detail: &wire::InterviewDetail,
    email: &str,
    ingestion_id: Option<&str>,
) -> RemoteInterview {
    RemoteInterview {
        refs: [(INTERVIEW_ID.to_string(), detail.interview_id.clone())].into(),
        status: Some(InterviewStatus::Invited),
        outcome: None,
        interview_url: detail.interview_link.clone(),
        candidate_email: Some(email.to_string()),
        result: None,
        updated_at: None,
        raw: json!({"ingestion_id": ingestion_id, "interview_detail": detail}),
    }
}

pub fn webhook(w: wire::Webhook, raw: Value) -> RemoteWebhook {
    RemoteWebhook {
        id: w.webhook_id,
        event: w.event_type.unwrap_or_default(),
        active: w.is_active,
        raw,
    }
}

/// A HeyMilo webhook: `{event_type, interview_id, posting_id, webhook_id, timestamp}` as
/// JSON, or the same as query parameters.
pub fn inbound(
    body: &[u8],
    query: Option<&str>,
) -> Result<gateway_core::provider::InboundEvent, ProviderError> {
    let mut fields: serde_json::Map<String, Value> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => Default::default(),
    };
    if let Some(q) = query {
        for pair in q.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                let v = percent_decode(v);
                fields.entry(k.to_string()).or_insert(Value::String(v));
            }
        }
    }
    let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_string);
    let bad = |m: &str| ProviderError::Rejected {
        status: Some(400),
        code: None,
        message: m.to_string(),
        errors: vec![],
    };
    let interview_id =
        text("interview_id").ok_or_else(|| bad("the webhook names no interview_id"))?;
    let event_type = text("event_type").ok_or_else(|| bad("the webhook names no event_type"))?;
    let status = match event_type.as_str() {
        "interview_started" => Some(InterviewStatus::InProgress),
        "interview_completed" | "report_available" => Some(InterviewStatus::Completed),
        _ => None,
    };
    Ok(gateway_core::provider::InboundEvent {
        // HeyMilo sends each event once per interview; a retry repeats the pair.
        dedupe_key: format!("{interview_id}:{event_type}"),
        refs: [(INTERVIEW_ID.to_string(), interview_id.clone())].into(),
        correlation_id: None,
        candidate_email: None,
        observed: RemoteInterview {
            refs: [(INTERVIEW_ID.to_string(), interview_id)].into(),
            status,
            raw: Value::Object(fields),
            ..Default::default()
        },
        // The payload names the change but carries no result: read the interview.
        refresh: true,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `{detail, status_code, error_type}` → `ProviderError`, keeping HeyMilo's words.
pub fn error(status: u16, body: &Value, retry_after: Option<std::time::Duration>) -> ProviderError {
    let parsed: Option<wire::ErrorBody> = serde_json::from_value(body.clone()).ok();
    let (message, errors) = match parsed.as_ref().map(|b| &b.detail) {
        Some(Value::String(s)) => (s.clone(), Vec::new()),
        // FastAPI validation: [{"loc": ["body", "email"], "msg": "…", "type": "…"}]
        Some(Value::Array(items)) => {
            let errors: Vec<FieldError> = items
                .iter()
                .map(|it| {
                    let loc = it
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .filter(|p| p.as_str() != Some("body"))
                                .map(|p| {
                                    p.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| p.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    FieldError::new(
                        loc,
                        it.get("msg").and_then(Value::as_str).unwrap_or("invalid"),
                    )
                })
                .collect();
            let message = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            (message, errors)
        }
        _ => (format!("HTTP {status}"), Vec::new()),
    };
    let code = parsed.and_then(|b| b.error_type);
    provider_http::error_for_status(status, code, message, errors, retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        assert_eq!(crate::result::offset_seconds("00:05:10"), Some(310.0));
        assert_eq!(crate::result::offset_seconds("01:00:00"), Some(3600.0));
        assert_eq!(crate::result::offset_seconds("05:10"), Some(310.0));
        assert_eq!(crate::result::offset_seconds("x"), None);
    }

    #[test]
    fn statuses_map() {
        let d = |s: &str| wire::Details {
            interview_id: None,
            candidate_id: None,
            interviewed_on: None,
            score: None,
            name: None,
            email: None,
            status: Some(s.into()),
            workflow_status: None,
            metadata: None,
        };
        assert_eq!(
            status(Some(&d("pending")), None),
            (Some(InterviewStatus::Invited), None)
        );
        assert_eq!(
            status(Some(&d("in_progress")), None),
            (Some(InterviewStatus::InProgress), None)
        );
        assert_eq!(
            status(Some(&d("Completed")), None),
            (Some(InterviewStatus::Completed), None)
        );
        assert_eq!(
            status(Some(&d("shortlisted")), None),
            (Some(InterviewStatus::Completed), Some(Outcome::Passed))
        );
        assert_eq!(
            status(Some(&d("knocked_out")), None),
            (Some(InterviewStatus::Completed), Some(Outcome::Failed))
        );
        assert_eq!(status(Some(&d("something new")), None), (None, None));
    }

    #[test]
    fn errors_keep_the_vendor_message() {
        let e = error(
            422,
            &json!({"detail": "email invalid", "status_code": 422, "error_type": "validation_error"}),
            None,
        );
        assert!(
            matches!(&e, ProviderError::Rejected { status: Some(422), code: Some(c), message, .. } if c == "validation_error" && message == "email invalid")
        );
        let e = error(
            422,
            &json!({"detail": [{"loc": ["body", "data", 1, "email"], "msg": "value is not a valid email", "type": "value_error"}]}),
            None,
        );
        match e {
            ProviderError::Rejected { errors, .. } => assert_eq!(errors[0].field, "data.1.email"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            error(401, &json!({"detail": "bad key"}), None),
            ProviderError::InvalidCredentials { .. }
        ));
        assert!(matches!(
            error(404, &json!({"detail": "Interview not found"}), None),
            ProviderError::NotFound { .. }
        ));
        assert!(matches!(
            error(503, &Value::Null, None),
            ProviderError::Unavailable {
                status: Some(503),
                ..
            }
        ));
    }

    #[test]
    fn webhooks_read_from_json_or_query() {
        let e = inbound(
            br#"{"event_type":"interview_completed","interview_id":"int_1","posting_id":"p"}"#,
            None,
        )
        .unwrap();
        assert_eq!(
            (e.dedupe_key.as_str(), e.observed.status),
            (
                "int_1:interview_completed",
                Some(InterviewStatus::Completed)
            )
        );
        assert!(e.refresh);
        let e = inbound(
            b"",
            Some("event_type=interview_started&interview_id=int%5F2"),
        )
        .unwrap();
        assert_eq!(e.refs["interview_id"], "int_2");
        assert_eq!(e.observed.status, Some(InterviewStatus::InProgress));
        assert!(inbound(b"{}", None).is_err());
        assert_eq!(percent_decode("a%2Fb+c%"), "a/b c%");
    }
}
