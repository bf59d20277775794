//! The shapes taptalent-assessment-flows.txt and notes.md publish, as the adapter builds
//! and reads them. (The doc's own "Example request/response" blocks are empty; the list and
//! error examples come from notes.md.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gateway_core::provider::{StepDraft, TemplateDraft, TemplateUpdate};
use gateway_core::{
    InterviewId, InterviewStatus, Outcome, ProviderError, ProviderRef, TemplateStatus,
};
use provider_taptalent::{translate, wire};
use serde_json::json;

fn draft() -> TemplateDraft {
    TemplateDraft {
        name: "Backend hiring".into(),
        description: Some("Coding then quiz".into()),
        steps: vec![
            StepDraft {
                assessment_id: "asm_1".into(),
                pass_threshold: 60.0,
                name: Some("Coding".into()),
            },
            StepDraft {
                assessment_id: "asm_2".into(),
                pass_threshold: 70.0,
                name: None,
            },
        ],
        settings: json!({"status": "ACTIVE", "steps": [{"instructions": "Use Rust", "pass_action": "NEXT_STEP"}]}),
        ..Default::default()
    }
}

#[test]
fn a_draft_becomes_the_documented_create_body() {
    let body = serde_json::to_value(translate::create_body(&draft()).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "flowName": "Backend hiring",
            "description": "Coding then quiz",
            "status": "ACTIVE",
            "steps": [
                {"assessmentId": "asm_1", "passThreshold": 60.0, "name": "Coding", "instructions": "Use Rust", "passAction": "NEXT_STEP"},
                {"assessmentId": "asm_2", "passThreshold": 70.0}
            ]
        })
    );
}

#[test]
fn drafts_a_flow_cannot_hold_are_refused_by_field() {
    let mut d = draft();
    d.steps[1].pass_threshold = 101.0;
    d.questions = vec![Default::default()];
    d.settings = json!({"colour": "red"});
    let Err(ProviderError::InvalidInput(errors)) = translate::create_body(&d) else {
        panic!("refused");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["settings.colour", "questions", "steps[1].pass_threshold"]
    );
    let no_steps = TemplateDraft {
        name: "x".into(),
        ..Default::default()
    };
    assert!(
        matches!(translate::create_body(&no_steps), Err(ProviderError::InvalidInput(e)) if e[0].field == "steps")
    );
}

#[test]
fn the_notes_list_example_becomes_templates() {
    let body = json!({"status":"success","data":[{"id":1,"companyId":"company-uuid","flowName":"Backend","status":"ACTIVE","candidateCount":3,"steps":[]}]});
    let env: wire::Envelope<Vec<serde_json::Value>> = serde_json::from_value(body).unwrap();
    let raw = env.data[0].clone();
    let t = translate::template(serde_json::from_value(raw.clone()).unwrap(), raw).unwrap();
    assert_eq!(
        t.provider_ref,
        ProviderRef {
            kind: "assessment_flow".into(),
            id: "1".into(),
            vendor: Default::default()
        }
    );
    assert_eq!(t.name, "Backend");
    assert_eq!(t.status, TemplateStatus::Active);
    let inactive = json!({"id": "f-2", "flowName": "Old", "status": "INACTIVE", "steps": [{"assessmentId": 7, "type": "MCQ", "passThreshold": 50, "assessmentName": "Quiz"}]});
    let t =
        translate::template(serde_json::from_value(inactive.clone()).unwrap(), inactive).unwrap();
    assert_eq!(t.status, TemplateStatus::Archived);
    assert_eq!(t.steps[0].assessment_id.as_deref(), Some("7"));
    assert_eq!(t.steps[0].kind.as_deref(), Some("MCQ"));
    assert_eq!(t.steps[0].name.as_deref(), Some("Quiz"));
}

#[test]
fn the_notes_error_envelope_names_each_field() {
    let body = json!({"error":{"code":"INVALID_REQUEST","type":"validation_error","message":"Invalid","details":{"flowName":"is required","steps[0].passThreshold":"must be between 0 and 100"}}});
    let e = translate::error(400, &body, None);
    let ProviderError::Rejected {
        status,
        code,
        message,
        errors,
    } = e
    else {
        panic!("{e:?}");
    };
    assert_eq!(
        (status, code.as_deref(), message.as_str()),
        (Some(400), Some("INVALID_REQUEST"), "Invalid")
    );
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "steps[0].pass_threshold"]);
    let inactive =
        json!({"error":{"code":"ACCOUNT_INACTIVE","type":"permission_error","message":"inactive"}});
    assert!(matches!(
        translate::error(403, &inactive, None),
        ProviderError::InvalidCredentials {
            status: Some(403),
            ..
        }
    ));
    let missing = json!({"error":{"code":"NOT_FOUND","message":"Flow not found"}});
    assert!(matches!(
        translate::error(404, &missing, None),
        ProviderError::NotFound { .. }
    ));
    assert!(matches!(
        translate::error(500, &json!({"error":{"code":"INTERNAL_ERROR"}}), None),
        ProviderError::Unavailable { .. }
    ));
}

#[test]
fn statuses_map_with_pass_thresholds() {
    let attempt = |score: f64, threshold: f64| wire::Attempt {
        score: Some(score),
        pass_threshold: Some(threshold),
        ..Default::default()
    };
    use InterviewStatus::*;
    assert_eq!(
        translate::status(Some("NOT_STARTED"), &[]),
        (Some(Invited), None)
    );
    assert_eq!(
        translate::status(Some("IN_PROGRESS"), &[]),
        (Some(InProgress), None)
    );
    assert_eq!(
        translate::status(Some("COMPLETED"), &[attempt(80.0, 60.0)]),
        (Some(Completed), Some(Outcome::Passed))
    );
    assert_eq!(
        translate::status(
            Some("COMPLETED"),
            &[attempt(80.0, 60.0), attempt(40.0, 70.0)]
        ),
        (Some(Completed), Some(Outcome::Failed))
    );
    assert_eq!(
        translate::status(Some("FAILED"), &[]),
        (Some(Completed), Some(Outcome::Failed))
    );
    assert_eq!(translate::status(Some("SOMETHING_NEW"), &[]), (None, None));
}

#[test]
fn a_finished_candidate_carries_step_scores() {
    let raw = json!({
        "id": 42, "flowId": 7, "email": "a@example.com", "status": "FAILED",
        "attempts": [
            {"stepId": 1, "assessmentId": "asm_1", "status": "COMPLETED", "score": 90, "passThreshold": 60, "submittedAt": "2026-11-20T10:00:00Z", "reportUrl": "https://r/1"},
            {"stepId": 2, "assessmentId": "asm_2", "status": "COMPLETED", "score": 50, "passThreshold": 70, "submittedAt": "2026-11-21T10:00:00Z", "reportUrl": "https://r/2"}
        ]
    });
    let r = translate::interview(raw).unwrap();
    assert_eq!(r.refs["assignment_id"], "42");
    assert_eq!(
        r.refs.len(),
        1,
        "the flow id is shared by every assignment: no ref"
    );
    assert_eq!(r.status, Some(InterviewStatus::Completed));
    assert_eq!(r.outcome, Some(Outcome::Failed));
    let result = r.result.unwrap();
    assert_eq!(result.score.unwrap().normalized, 70.0);
    assert_eq!(result.criteria.len(), 2);
    assert_eq!(result.criteria[1].passed, Some(false));
    assert_eq!(result.report_url.as_deref(), Some("https://r/2"));
    assert!(result.completed_at.is_some());
}

#[test]
fn updates_keep_existing_stages_and_may_append() {
    let current: wire::Flow = serde_json::from_value(json!({
        "id": 7, "flowName": "Flow", "description": "d", "status": "ACTIVE",
        "steps": [{"assessmentId": "asm_1", "assessmentType": "CODING", "passThreshold": 60, "instructions": "keep me"}]
    }))
    .unwrap();
    let step = |id: &str, t: f64| StepDraft {
        assessment_id: id.into(),
        pass_threshold: t,
        name: None,
    };
    let body = translate::update_body(
        &current,
        &TemplateUpdate {
            steps: Some(vec![step("asm_1", 75.0), step("asm_2", 50.0)]),
            status: Some(TemplateStatus::Archived),
            ..Default::default()
        },
    )
    .unwrap();
    let v = serde_json::to_value(body).unwrap();
    assert_eq!(v["flowName"], "Flow");
    assert_eq!(v["status"], "INACTIVE");
    assert_eq!(v["steps"][0]["passThreshold"], 75.0);
    assert_eq!(v["steps"][0]["instructions"], "keep me");
    assert_eq!(v["steps"][1]["assessmentId"], "asm_2");
    for bad in [vec![step("asm_9", 60.0)], vec![]] {
        let r = translate::update_body(
            &current,
            &TemplateUpdate {
                steps: Some(bad),
                ..Default::default()
            },
        );
        assert!(matches!(r, Err(ProviderError::InvalidInput(_))), "{r:?}");
    }
    let draft = translate::update_body(
        &current,
        &TemplateUpdate {
            status: Some(TemplateStatus::Draft),
            ..Default::default()
        },
    );
    assert!(matches!(draft, Err(ProviderError::InvalidInput(e)) if e[0].field == "status"));
}

#[test]
fn candidates_split_names_and_carry_job_ids() {
    let mut c = provider_conformance::candidate("Ana@Example.com ");
    c.correlation_id = InterviewId::new();
    c.first_name = None;
    c.last_name = None;
    c.name = Some("Ana Maria Lopez".into());
    c.metadata = json!({"taptalent": {"jobId": 12, "jobCandidateId": "88"}});
    let body = serde_json::to_value(translate::assign_body(&c, 0).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"email": "Ana@Example.com", "firstName": "Ana", "lastName": "Maria Lopez", "jobCandidateId": "88", "jobId": 12})
    );
    c.metadata = json!({"taptalent": {"jobTitle": "x"}});
    assert!(translate::assign_body(&c, 3).is_err());
    c.metadata = json!({});
    c.email = "nope".into();
    let Err(ProviderError::InvalidInput(e)) = translate::assign_body(&c, 3) else {
        panic!()
    };
    assert_eq!(e[0].field, "candidates[3].email");
}

#[test]
fn webhooks_are_read_tolerantly_and_deduplicated_by_body() {
    let body = br#"{"event":"assessment.ended","timestamp":"2026-11-22T10:00:00.000Z","companyId":"c","data":{"assignmentId":42,"email":"a@example.com","status":"FAILED","score":40}}"#;
    let e = translate::inbound(body).unwrap();
    assert_eq!(e.refs["assignment_id"], "42");
    assert_eq!(e.candidate_email.as_deref(), Some("a@example.com"));
    assert_eq!(e.observed.status, Some(InterviewStatus::Completed));
    assert_eq!(e.observed.outcome, Some(Outcome::Failed));
    assert!(e.refresh);
    assert_eq!(translate::inbound(body).unwrap().dedupe_key, e.dedupe_key);
    let other = br#"{"event":"assessment.started","timestamp":"2026-11-22T10:00:00.000Z","companyId":"c","data":{"assignmentId":42,"status":"IN_PROGRESS"}}"#;
    assert_ne!(translate::inbound(other).unwrap().dedupe_key, e.dedupe_key);
    assert!(translate::inbound(br#"{"event":"x","data":{}}"#).is_err());
    assert!(translate::inbound(b"not json").is_err());
}
