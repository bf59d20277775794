//! Both Flowmingo operations through the adapter against the simulator, with every
//! documented field, limit and error, faults and partial batches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{setup, setup_with};
use gateway_core::provider::{
    InboundRequest, InviteCandidate, InviteOptions, QuestionDraft, RequirementDraft, TemplateDraft,
};
use gateway_core::{
    Credentials, InterviewId, InterviewStatus, Provider, ProviderError, ProviderRef,
};
use provider_conformance::{add_fault, context, control, options, requests};
use serde_json::{json, Value};

/// Webhook deliveries the test receiver got: headers and raw body.
type Received = Vec<(axum::http::HeaderMap, Vec<u8>)>;

fn candidate(email: &str) -> InviteCandidate {
    let mut c = provider_conformance::candidate(email);
    c.correlation_id = InterviewId::new();
    c
}

fn sent(s: &common::Setup, path: &str) -> Vec<Value> {
    s.sandbox
        .shared
        .log
        .list(Some("flowmingo"))
        .into_iter()
        .filter(|r| r.path.ends_with(path))
        .map(|r| r.body)
        .collect()
}

#[tokio::test]
async fn check_reads_who_am_i() {
    let s = setup_with(&["create_set"]).await;
    let r = s.flowmingo.check(&s.ctx).await.unwrap();
    assert!(
        r.detail
            .contains(s.account["organization_id"].as_str().unwrap())
            && r.detail.contains("create_set"),
        "{}",
        r.detail
    );
    for bad in ["fl_live_", "sk_live_x", "fl_live_abcd.nope"] {
        let ctx = context(
            &s.sandbox,
            "flowmingo",
            Credentials::new().with("api_key", bad),
        );
        assert!(
            matches!(
                s.flowmingo.check(&ctx).await,
                Err(ProviderError::InvalidCredentials {
                    status: Some(401),
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn sets_are_created_with_every_documented_field() {
    let s = setup().await;
    let draft = TemplateDraft {
        name: "Backend".into(),
        description: Some("Async".into()),
        position: Some("Engineer".into()),
        department: Some("Engineering".into()),
        duration_minutes: Some(30),
        retakes: Some(2),
        questions: vec![QuestionDraft {
            title: Some("Design".into()),
            prompt: "Design a limiter".into(),
        }],
        requirements: vec![RequirementDraft {
            title: "Rust".into(),
            description: Some("5 years".into()),
        }],
        steps: vec![],
        settings: json!({
            "set_type": 2, "priority": 3, "project_id": s.account["project_id"],
            "questions": [{"cfg_question_mode_id": 1, "cfg_question_type_id": 2, "cfg_prioritization_id": 3, "priority": 9, "options": [{"id": 1, "title": "A"}]}],
            "requirements": [{"hint": "look for Tokio", "priority": 4, "cfg_importance_id": 2}]
        }),
    };
    let t = s.flowmingo.create_template(&s.ctx, &draft).await.unwrap();
    assert_eq!(
        (t.provider_ref.kind.as_str(), t.name.as_str()),
        ("interview_set", "Backend")
    );
    let body = &sent(&s, "/interview/set/v1")[0];
    for (k, v) in [
        ("title", json!("Backend")),
        ("set_type", json!(2)),
        ("position", json!("Engineer")),
        ("function", json!("Engineering")),
        ("description", json!("Async")),
        ("interview_duration", json!(30)),
        ("number_of_retakes", json!(2)),
        ("priority", json!(3)),
        ("project_id", s.account["project_id"].clone()),
    ] {
        assert_eq!(body[k], v, "{k}");
    }
    let q = &body["iai_questions"][0];
    assert_eq!(
        (
            q["title"].clone(),
            q["content"].clone(),
            q["cfg_question_mode_id"].clone(),
            q["cfg_question_type_id"].clone(),
            q["cfg_prioritization_id"].clone(),
            q["priority"].clone()
        ),
        (
            json!("Design"),
            json!("Design a limiter"),
            json!(1),
            json!(2),
            json!(3),
            json!(9)
        )
    );
    assert_eq!(q["options"][0]["title"], "A");
    let r = &body["iai_requirements"][0];
    assert_eq!(
        (
            r["title"].clone(),
            r["content"].clone(),
            r["hint"].clone(),
            r["priority"].clone(),
            r["cfg_importance_id"].clone()
        ),
        (
            json!("Rust"),
            json!("5 years"),
            json!("look for Tokio"),
            json!(4),
            json!(2)
        )
    );
    // The new set takes invitations.
    let out = s
        .flowmingo
        .invite(
            &s.ctx,
            &t.provider_ref,
            &[candidate("new.set@example.com")],
            &options(),
        )
        .await
        .unwrap();
    assert!(out[0].is_ok(), "{out:?}");

    // A limit broken: caught before any call.
    s.sandbox.shared.log.clear();
    let long = TemplateDraft {
        name: "x".repeat(1025),
        ..draft.clone()
    };
    assert!(
        matches!(s.flowmingo.create_template(&s.ctx, &long).await, Err(ProviderError::InvalidInput(e)) if e[0].field == "name")
    );
    assert!(s.sandbox.shared.log.list(Some("flowmingo")).is_empty());
    // A project of another organization.
    let foreign = TemplateDraft {
        settings: json!({"project_id": "019c5ea9-a792-7f0d-b671-4c3c1602094e"}),
        ..draft
    };
    assert!(matches!(
        s.flowmingo.create_template(&s.ctx, &foreign).await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn scopes_are_named_when_missing() {
    let s = setup_with(&["create_set"]).await;
    let out = s
        .flowmingo
        .invite(&s.ctx, &s.set, &[candidate("a@example.com")], &options())
        .await
        .unwrap();
    let e = out[0].as_ref().unwrap_err();
    assert!(
        matches!(e, ProviderError::InvalidCredentials { status: Some(403), message } if message.contains("invite_candidates")),
        "{e:?}"
    );
    let s = setup_with(&["invite_candidates"]).await;
    let e = s
        .flowmingo
        .create_template(
            &s.ctx,
            &TemplateDraft {
                name: "x".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::InvalidCredentials { status: Some(403), message } if message.contains("create_set")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_batch_is_one_call_and_one_bad_candidate_fails_alone() {
    let s = setup().await;
    s.flowmingo
        .invite(
            &s.ctx,
            &s.set,
            &[candidate("already@example.com")],
            &options(),
        )
        .await
        .unwrap();
    s.sandbox.shared.log.clear();
    let batch = [
        candidate("one@example.com"),
        candidate("broken"),
        candidate("already@example.com"),
        candidate("two@example.com"),
    ];
    let out = s
        .flowmingo
        .invite(&s.ctx, &s.set, &batch, &options())
        .await
        .unwrap();
    assert_eq!(
        requests(
            &s.sandbox,
            "flowmingo",
            "POST",
            "/company/integration/interview/candidate/invite/v1"
        ),
        1
    );
    assert!(out[0].is_ok() && out[3].is_ok());
    assert!(
        matches!(out[1], Err(ProviderError::InvalidInput(_))),
        "{:?}",
        out[1]
    );
    assert!(
        matches!(&out[2], Err(ProviderError::Rejected { message, .. }) if message.contains("already")),
        "{:?}",
        out[2]
    );
    let body = &sent(&s, "/candidate/invite/v1")[0];
    assert_eq!(
        body["candidates"].as_array().unwrap().len(),
        3,
        "the locally refused one was not sent"
    );
    assert_eq!(
        body["candidates"][0]["ats_candidate_id"],
        batch[0].correlation_id.as_uuid().to_string()
    );
    assert_eq!(body["candidates"][0]["cv_link"], Value::Null);
    assert_eq!(body["invitation_message"], options().message.unwrap());
    let one = out[0].as_ref().unwrap();
    assert!(one.refs.contains_key("invitation_id") && one.refs.contains_key("submission_id"));
    assert_eq!(one.candidate_email.as_deref(), Some("one@example.com"));
}

#[tokio::test]
async fn projects_job_posts_and_send_invite() {
    let s = setup().await;
    let project = ProviderRef {
        kind: "project".into(),
        id: s.account["project_id"].as_str().unwrap().into(),
        vendor: Default::default(),
    };
    assert!(s
        .flowmingo
        .invite(&s.ctx, &project, &[candidate("p@example.com")], &options())
        .await
        .unwrap()[0]
        .is_ok());
    let job = ProviderRef {
        kind: "job_post".into(),
        id: format!(
            "{}/{}",
            s.account["project_id"].as_str().unwrap(),
            s.account["job_post_id"].as_str().unwrap()
        ),
        vendor: Default::default(),
    };
    assert!(s
        .flowmingo
        .invite(&s.ctx, &job, &[candidate("j@example.com")], &options())
        .await
        .unwrap()[0]
        .is_ok());
    let bodies = sent(&s, "/candidate/invite/v1");
    assert_eq!(bodies[1]["com_job_post_id"], s.account["job_post_id"]);
    // Without send_invite: a submission, no invitation.
    let quiet = InviteOptions {
        send_invite: false,
        ..options()
    };
    let out = s
        .flowmingo
        .invite(&s.ctx, &s.set, &[candidate("quiet@example.com")], &quiet)
        .await
        .unwrap();
    let r = out[0].as_ref().unwrap();
    assert_eq!(r.status, Some(InterviewStatus::Invited));
    assert!(r.refs.contains_key("submission_id") && !r.refs.contains_key("invitation_id"));
    // Unknown set or job post: the one call fails with Flowmingo's 404, for every candidate.
    let missing = ProviderRef {
        id: "019c5ea9-a792-7f0d-b671-4c3c1602094e".into(),
        ..s.set.clone()
    };
    let out = s
        .flowmingo
        .invite(
            &s.ctx,
            &missing,
            &[candidate("x@example.com"), candidate("y@example.com")],
            &options(),
        )
        .await
        .unwrap();
    assert!(
        out.iter()
            .all(|r| matches!(r, Err(ProviderError::NotFound { .. }))),
        "{out:?}"
    );
    // Too short a message never leaves.
    s.sandbox.shared.log.clear();
    let short = InviteOptions {
        message: Some("Hi".into()),
        ..options()
    };
    assert!(matches!(
        s.flowmingo
            .invite(&s.ctx, &s.set, &[candidate("x@example.com")], &short)
            .await,
        Err(ProviderError::InvalidInput(_))
    ));
    // Nor does a delay Flowmingo has no field for.
    let delayed = InviteOptions {
        delay_hours: Some(2),
        ..options()
    };
    assert!(matches!(
        s.flowmingo
            .invite(&s.ctx, &s.set, &[candidate("x@example.com")], &delayed)
            .await,
        Err(ProviderError::InvalidInput(e)) if e[0].field == "delay_hours"
    ));
    assert!(s.sandbox.shared.log.list(Some("flowmingo")).is_empty());
}

#[tokio::test]
async fn a_refused_request_carries_flowmingos_words() {
    let s = setup().await;
    add_fault(&s.sandbox, json!({"vendor": "flowmingo", "path_prefix": "/company/integration/interview/candidate", "fault": {"kind": "status", "status": 400}, "times": 1})).await;
    let out = s
        .flowmingo
        .invite(&s.ctx, &s.set, &[candidate("x@example.com")], &options())
        .await
        .unwrap();
    let e = out[0].as_ref().unwrap_err();
    assert!(
        matches!(e, ProviderError::Rejected { status: Some(400), message, .. } if message == "injected fault"),
        "{e:?}"
    );
}

#[tokio::test]
async fn webhooks_verify_and_parse() {
    let s = setup().await;
    let received: Arc<Mutex<Received>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |h: axum::http::HeaderMap, b: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((h, b.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let org = s.account["organization_id"].as_str().unwrap();
    control(
        &s.sandbox,
        &format!("/flowmingo/organizations/{org}/webhook"),
        json!({"url": url, "secret": "whsec_sandbox_secret"}),
    )
    .await;

    let c = candidate("hooked@example.com");
    let out = s
        .flowmingo
        .invite(&s.ctx, &s.set, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    let sub = out[0].as_ref().unwrap().refs["submission_id"].clone();
    for (step, body) in [
        ("started", json!({"to": "started"})),
        ("evaluated", json!({"to": "evaluated", "score": 91.0})),
    ] {
        let _ = step;
        control(
            &s.sandbox,
            &format!("/flowmingo/submissions/{sub}/advance"),
            body,
        )
        .await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (headers, body) in &got {
        let req = InboundRequest {
            headers,
            query: None,
            body,
        };
        s.flowmingo.verify_inbound(&s.ctx, req).unwrap();
        let mut tampered = body.clone();
        tampered.push(b' ');
        assert!(s
            .flowmingo
            .verify_inbound(
                &s.ctx,
                InboundRequest {
                    headers,
                    query: None,
                    body: &tampered
                }
            )
            .is_err());
        let wrong = context(
            &s.sandbox,
            "flowmingo",
            Credentials::new()
                .with("api_key", "k")
                .with("webhook_secret", "whsec_other"),
        );
        assert!(s.flowmingo.verify_inbound(&wrong, req).is_err());
        let none = context(
            &s.sandbox,
            "flowmingo",
            Credentials::new().with("api_key", "k"),
        );
        assert!(
            s.flowmingo.verify_inbound(&none, req).is_err(),
            "no secret configured: refuse"
        );
    }
    let started = &s
        .flowmingo
        .parse_inbound(InboundRequest {
            headers: &got[0].0,
            query: None,
            body: &got[0].1,
        })
        .unwrap()[0];
    assert_eq!(started.observed.status, Some(InterviewStatus::InProgress));
    assert_eq!(started.refs["submission_id"], sub);
    assert_eq!(
        started.correlation_id,
        Some(c.correlation_id),
        "Flowmingo echoes the ats_candidate_id"
    );
    let evaluated = &s
        .flowmingo
        .parse_inbound(InboundRequest {
            headers: &got[1].0,
            query: None,
            body: &got[1].1,
        })
        .unwrap()[0];
    assert_eq!(evaluated.observed.status, Some(InterviewStatus::Completed));
    let r = evaluated.observed.result.as_ref().unwrap();
    assert_eq!(r.score.unwrap().normalized, 91.0);
    assert!(r.report_url.as_deref().unwrap().contains(&sub));
    assert_ne!(started.dedupe_key, evaluated.dedupe_key);
}
