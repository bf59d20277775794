//! The sample requests and responses of flowmingo.txt, as the adapter builds and reads them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gateway_core::provider::{
    InviteCandidate, InviteOptions, QuestionDraft, RequirementDraft, TemplateDraft,
};
use gateway_core::{InterviewId, InterviewStatus, ProviderError, ProviderRef};
use provider_flowmingo::{translate, wire};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sample_draft() -> TemplateDraft {
    TemplateDraft {
        name: "Senior Backend Engineer - Async Interview".into(),
        description: Some("Async interview for senior backend candidates.".into()),
        position: Some("Senior Backend Engineer".into()),
        department: Some("Engineering".into()),
        duration_minutes: Some(30),
        retakes: Some(1),
        questions: vec![QuestionDraft {
            title: Some("System design".into()),
            prompt: "Walk us through how you would design a rate limiter.".into(),
        }],
        requirements: vec![RequirementDraft {
            title: "5+ years backend experience".into(),
            description: None,
        }],
        steps: vec![],
        settings: json!({
            "set_type": 1,
            "project_id": "019c5ea9-a792-7f0d-b671-4c3c1602094e",
            "requirements": [{"cfg_importance_id": 2, "priority": 1}],
        }),
    }
}

#[test]
fn the_sample_set_request_is_what_the_adapter_sends() {
    let ours = serde_json::to_value(translate::create_set(&sample_draft()).unwrap()).unwrap();
    assert_eq!(ours, fixture("create_set_request"));
}

#[test]
fn the_sample_set_response_becomes_a_template() {
    let body: wire::Results<Value> =
        serde_json::from_value(fixture("create_set_response")).unwrap();
    let t = translate::template(body.results).unwrap();
    assert_eq!(
        t.provider_ref,
        ProviderRef {
            kind: "interview_set".into(),
            id: "019c6010-2f3a-7a91-9b70-4c1a6f57c8ab".into(),
            vendor: Default::default()
        }
    );
    assert_eq!(t.name, "Senior Backend Engineer - Async Interview");
    assert_eq!(
        t.raw["iai_questions"][0]["id"],
        "019c6010-3a01-77e2-9d2c-2d4a8b41f13b"
    );
}

#[test]
fn documented_limits_are_enforced_before_sending() {
    let field_of = |d: TemplateDraft| match translate::create_set(&d) {
        Err(ProviderError::InvalidInput(e)) => e.into_iter().map(|f| f.field).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let mut d = sample_draft();
    d.name = "x".repeat(1025);
    assert_eq!(field_of(d), ["name"]);
    let mut d = sample_draft();
    d.department = Some("x".repeat(1025));
    assert_eq!(field_of(d), ["department"]);
    let mut d = sample_draft();
    d.questions[0].prompt = "x".repeat(5001);
    d.questions[0].title = Some("y".repeat(5001));
    assert_eq!(field_of(d), ["questions[0].title", "questions[0].prompt"]);
    let mut d = sample_draft();
    d.requirements[0].description = Some("x".repeat(5001));
    d.settings["requirements"][0]["hint"] = json!("h".repeat(2001));
    assert_eq!(
        field_of(d),
        [
            "requirements[0].description",
            "settings.requirements[0].hint"
        ]
    );
    let mut d = sample_draft();
    d.settings["project_id"] = json!("not-a-uuid");
    d.settings["set_type"] = json!(3);
    d.settings["colour"] = json!("red");
    let mut fields = field_of(d);
    fields.sort();
    assert_eq!(
        fields,
        [
            "settings.colour",
            "settings.project_id",
            "settings.set_type"
        ]
    );
    // Exactly at the limits is fine.
    let mut d = sample_draft();
    d.name = "x".repeat(1024);
    d.questions[0].prompt = "x".repeat(5000);
    d.settings["requirements"][0]["hint"] = json!("h".repeat(2000));
    assert!(translate::create_set(&d).is_ok());
}

fn candidate(email: &str) -> InviteCandidate {
    InviteCandidate {
        correlation_id: InterviewId::new(),
        email: email.into(),
        name: Some("Alex Doe".into()),
        first_name: None,
        last_name: None,
        phone: None,
        external_id: None,
        resume_url: Some("https://storage.googleapis.com/flowmingo-demo/cv/alex.pdf".into()),
        metadata: json!({}),
    }
}

#[test]
fn the_sample_invite_request_is_what_the_adapter_sends() {
    let set = ProviderRef {
        kind: "interview_set".into(),
        id: "019c5ea9-a792-7f0d-b671-4c3c1602094e".into(),
        vendor: Default::default(),
    };
    let c = candidate("alex@example.com");
    let options = InviteOptions {
        message: Some(
            "Hi {{name}}, please complete the async interview in the next 48 hours.".into(),
        ),
        send_invite: true,
        delay_hours: None,
        retake: false,
    };
    let (body, refused) = translate::invite(&set, std::slice::from_ref(&c), &options).unwrap();
    assert!(refused.is_empty());
    let mut ours = serde_json::to_value(body).unwrap();
    // The gateway adds one documented optional field: its own id as ats_candidate_id.
    assert_eq!(
        ours["candidates"][0]["ats_candidate_id"],
        c.correlation_id.as_uuid().to_string()
    );
    ours["candidates"][0]
        .as_object_mut()
        .unwrap()
        .remove("ats_candidate_id");
    assert_eq!(ours, fixture("invite_request"));
}

#[test]
fn invites_check_message_target_and_emails() {
    let set = ProviderRef {
        kind: "interview_set".into(),
        id: "019c5ea9-a792-7f0d-b671-4c3c1602094e".into(),
        vendor: Default::default(),
    };
    let short = InviteOptions {
        message: Some("Hi".into()),
        send_invite: true,
        ..Default::default()
    };
    assert!(
        matches!(translate::invite(&set, &[candidate("a@b.co")], &short), Err(ProviderError::InvalidInput(e)) if e[0].field == "message")
    );
    let bad_ref = ProviderRef {
        id: "nope".into(),
        ..set.clone()
    };
    assert!(
        translate::invite(&bad_ref, &[candidate("a@b.co")], &InviteOptions::default()).is_err()
    );
    let job = ProviderRef {
        kind: "job_post".into(),
        id: "019c5ea9-a792-7f0d-b671-4c3c1602094e/019c5ea9-a792-7f0d-b671-4c3c16020950".into(),
        vendor: Default::default(),
    };
    let (body, _) = translate::invite(
        &job,
        &[candidate("a@b.co")],
        &InviteOptions {
            send_invite: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (
            body.com_project_id.as_deref(),
            body.com_job_post_id.as_deref()
        ),
        (
            Some("019c5ea9-a792-7f0d-b671-4c3c1602094e"),
            Some("019c5ea9-a792-7f0d-b671-4c3c16020950")
        )
    );
    let (body, refused) = translate::invite(
        &set,
        &[
            candidate("a@b.co"),
            candidate("broken"),
            candidate("c@d.co"),
        ],
        &InviteOptions::default(),
    )
    .unwrap();
    assert_eq!(body.candidates.len(), 2);
    assert_eq!(refused[0].0, 1);
    assert_ne!(
        body.candidates[0].ats_candidate_id, body.candidates[1].ats_candidate_id,
        "unique per request"
    );
}

#[test]
fn the_sample_invite_response_gives_refs() {
    let body: wire::Results<Vec<Value>> =
        serde_json::from_value(fixture("invite_response")).unwrap();
    let raw = body.results[0].clone();
    let r = translate::outcome(serde_json::from_value(raw.clone()).unwrap(), raw).unwrap();
    assert_eq!(
        r.refs["invitation_id"],
        "019c5eb3-fb50-707b-9833-0862efa4b275"
    );
    assert_eq!(
        r.refs["submission_id"],
        "019c5eb4-55ab-76fc-90ec-98930c56a7bd"
    );
    assert_eq!(r.status, Some(InterviewStatus::Invited));
    assert_eq!(r.candidate_email.as_deref(), Some("alex@example.com"));
}

#[test]
fn every_documented_error_field_fails_its_candidate() {
    for field in [
        "error_message",
        "invitation_error_message",
        "application_error_message",
        "submission_error_message",
        "candidate_entry_error_message",
    ] {
        let raw = json!({"email_address": "a@b.co", field: format!("{field} says no")});
        let r = translate::outcome(serde_json::from_value(raw.clone()).unwrap(), raw);
        match r {
            Err(ProviderError::Rejected { message, .. }) => {
                assert_eq!(message, format!("{field} says no"))
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn errors_name_the_scope() {
    let e = translate::error(
        403,
        &json!({"message": "API key lacks the required scope: invite_candidates"}),
        None,
        "invite_candidates",
    );
    assert!(
        matches!(&e, ProviderError::InvalidCredentials { message, .. } if message.contains("`invite_candidates` scope")),
        "{e:?}"
    );
    let e = translate::error(
        400,
        &json!({"statusCode": 400, "message": ["title should not be empty", "x"]}),
        None,
        "create_set",
    );
    assert!(
        matches!(&e, ProviderError::Rejected { message, .. } if message == "title should not be empty; x")
    );
    assert!(matches!(
        translate::error(
            404,
            &json!({"message": "Interview set not found"}),
            None,
            "x"
        ),
        ProviderError::NotFound { .. }
    ));
}
