//! Every assessment-flows operation through the adapter against the simulator, with the
//! documented limits, errors, faults, paging and webhooks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{setup, WEBHOOK_KEY};
use gateway_core::provider::{
    InboundRequest, InterviewLocator, InviteCandidate, StepDraft, TemplateDraft, TemplateUpdate,
};
use gateway_core::{
    Credentials, InterviewId, InterviewStatus, Outcome, Provider, ProviderError, ProviderRef,
    TemplateStatus,
};
use provider_conformance::{add_fault, context, control, options, requests};
use provider_taptalent::translate;
use serde_json::{json, Value};

/// Webhook deliveries the test receiver got: headers and raw body.
type Received = Vec<(axum::http::HeaderMap, Vec<u8>)>;

fn candidate(email: &str) -> InviteCandidate {
    let mut c = provider_conformance::candidate(email);
    c.correlation_id = InterviewId::new();
    c
}

fn step(id: &str, threshold: f64) -> StepDraft {
    StepDraft {
        assessment_id: id.into(),
        pass_threshold: threshold,
        name: None,
    }
}

async fn advance(s: &common::Setup, assignment: &str, body: Value) -> Value {
    control(
        &s.sandbox,
        &format!("/taptalent/assignments/{assignment}/advance"),
        body,
    )
    .await
}

#[tokio::test]
async fn check_reads_the_flow_list_and_names_an_inactive_account() {
    let s = setup().await;
    let report = s.taptalent.check(&s.ctx).await.unwrap();
    assert!(report.detail.contains("1 assessment flows"), "{report:?}");
    let company = s.account["company_id"].as_str().unwrap();
    control(
        &s.sandbox,
        &format!("/taptalent/companies/{company}/inactive"),
        json!({"inactive": true}),
    )
    .await;
    let e = s.taptalent.check(&s.ctx).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::InvalidCredentials { status: Some(403), message } if message.contains("inactive")),
        "{e:?}"
    );
}

#[tokio::test]
async fn flows_are_created_read_listed_and_updated() {
    let s = setup().await;
    let draft = TemplateDraft {
        name: "Platform engineers".into(),
        description: Some("Quiz then video".into()),
        steps: vec![
            StepDraft {
                name: Some("Quiz".into()),
                ..step(&s.assessment(1), 55.0)
            },
            step(&s.assessment(2), 65.0),
        ],
        ..Default::default()
    };
    let created = s.taptalent.create_template(&s.ctx, &draft).await.unwrap();
    assert_eq!(created.name, "Platform engineers");
    assert_eq!(created.steps.len(), 2);
    // The assessment type is resolved from the assessment record when not given.
    assert_eq!(created.steps[1].kind.as_deref(), Some("VIDEO"));
    let read = s
        .taptalent
        .get_template(&s.ctx, &created.provider_ref)
        .await
        .unwrap();
    assert_eq!(read.raw["steps"][1]["assessmentName"], "Video screen");
    assert_eq!(read.steps[0].pass_threshold, Some(55.0));
    let all = s.taptalent.list_templates(&s.ctx).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|t| t.provider_ref == created.provider_ref));

    // Thresholds change and a stage is appended; the name is kept.
    let updated = s
        .taptalent
        .update_template(
            &s.ctx,
            &created.provider_ref,
            &TemplateUpdate {
                steps: Some(vec![
                    step(&s.assessment(1), 70.0),
                    step(&s.assessment(2), 65.0),
                    step(&s.assessment(0), 50.0),
                ]),
                status: Some(TemplateStatus::Archived),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Platform engineers");
    assert_eq!(updated.status, TemplateStatus::Archived);
    assert_eq!(updated.steps.len(), 3);
    assert_eq!(updated.steps[0].pass_threshold, Some(70.0));
    assert_eq!(updated.steps[0].name.as_deref(), Some("Quiz"));

    assert_eq!(
        requests(
            &s.sandbox,
            "taptalent",
            "PATCH",
            "/v1/partner/assessment-flows"
        ),
        1
    );
    // Changing an existing stage is refused before anything is sent.
    s.sandbox.shared.log.clear();
    let e = s
        .taptalent
        .update_template(
            &s.ctx,
            &created.provider_ref,
            &TemplateUpdate {
                steps: Some(vec![step(&s.assessment(0), 70.0)]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let ProviderError::InvalidInput(errors) = e else {
        panic!("{e:?}")
    };
    assert_eq!(errors[0].field, "steps[0].assessment_id");
    assert!(errors
        .iter()
        .any(|e| e.field == "steps" && e.message.contains("removing")));
    assert_eq!(
        requests(
            &s.sandbox,
            "taptalent",
            "PATCH",
            "/v1/partner/assessment-flows"
        ),
        0
    );
}

#[tokio::test]
async fn the_vendors_own_stage_refusal_names_the_fields() {
    let s = setup().await;
    // What TapTalent answers a PATCH that drops a stage (a flow changed meanwhile in its
    // app reaches the vendor this way), read by the adapter's error mapping.
    let res = reqwest::Client::new()
        .patch(format!(
            "{}/assessment-flows/{}",
            s.sandbox.vendor_url("taptalent"),
            s.flow.id
        ))
        .bearer_auth(s.account["api_key"].as_str().unwrap())
        .json(&json!({"flowName": "x", "steps": [{"assessmentId": s.assessment(2), "passThreshold": 10}]}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 400);
    let e = translate::error(status, &body, None);
    let ProviderError::Rejected {
        code,
        errors,
        message,
        ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(code.as_deref(), Some("INVALID_REQUEST"));
    assert!(message.contains("Existing stages cannot be changed or removed"));
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["steps[0].assessment_id", "steps[1]"]);
}

#[tokio::test]
async fn assigning_by_email_or_job_candidate_and_refusals() {
    let s = setup().await;
    let batch = [
        candidate("ana@example.com"),
        candidate("broken"),
        candidate("ana@example.com"),
    ];
    let out = s
        .taptalent
        .invite(&s.ctx, &s.flow, &batch, &options())
        .await
        .unwrap();
    let first = out[0].as_ref().unwrap();
    assert_eq!(first.status, Some(InterviewStatus::Invited));
    assert!(first
        .interview_url
        .as_deref()
        .unwrap()
        .contains("/taptalent/take/"));
    assert!(
        matches!(&out[1], Err(ProviderError::InvalidInput(e)) if e[0].field == "candidates[1].email")
    );
    // Already on the flow: TapTalent's refusal, naming the field.
    assert!(
        matches!(&out[2], Err(ProviderError::Rejected { status: Some(400), errors, .. }) if errors[0].field == "candidate.email"),
        "{:?}",
        out[2]
    );
    // The broken address never left: two assign calls for three candidates.
    assert_eq!(
        requests(
            &s.sandbox,
            "taptalent",
            "POST",
            "/v1/partner/assessment-flows"
        ),
        2
    );
    let sent = s.sandbox.shared.log.list(Some("taptalent"));
    assert_eq!(
        sent[0].body,
        json!({"email": "ana@example.com", "firstName": "Alex", "lastName": "Doe"})
    );

    // By job candidate: the vendor resolves the person.
    let mut by_job = candidate("jobcandidate@example.com");
    by_job.metadata =
        json!({"taptalent": {"jobCandidateId": s.account["job_candidate_id"], "jobId": 5}});
    let out = s
        .taptalent
        .invite(&s.ctx, &s.flow, &[by_job], &options())
        .await
        .unwrap();
    assert_eq!(
        out[0].as_ref().unwrap().candidate_email.as_deref(),
        Some("jobcandidate@example.com")
    );
    let mut unknown = candidate("x@example.com");
    unknown.metadata = json!({"taptalent": {"jobCandidateId": 999999}});
    let out = s
        .taptalent
        .invite(&s.ctx, &s.flow, &[unknown], &options())
        .await
        .unwrap();
    assert!(
        matches!(&out[0], Err(ProviderError::NotFound { message }) if message.contains("Job candidate")),
        "{:?}",
        out[0]
    );

    // A missing flow, and options TapTalent cannot honour.
    let missing = ProviderRef {
        id: "987654".into(),
        ..s.flow.clone()
    };
    let out = s
        .taptalent
        .invite(&s.ctx, &missing, &[candidate("m@example.com")], &options())
        .await
        .unwrap();
    assert!(
        matches!(&out[0], Err(ProviderError::NotFound { message }) if message.contains("987654"))
    );
    s.sandbox.shared.log.clear();
    let quiet = gateway_core::InviteOptions {
        send_invite: false,
        delay_hours: Some(2),
        ..options()
    };
    let e = s
        .taptalent
        .invite(&s.ctx, &s.flow, &[candidate("q@example.com")], &quiet)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::InvalidInput(f) if f.len() == 2),
        "{e:?}"
    );
    assert!(s.sandbox.shared.log.list(Some("taptalent")).is_empty());
}

#[tokio::test]
async fn interviews_follow_the_flow_to_a_verdict() {
    let s = setup().await;
    let out = s
        .taptalent
        .invite(
            &s.ctx,
            &s.flow,
            &[candidate("pass@example.com"), candidate("fail@example.com")],
            &options(),
        )
        .await
        .unwrap();
    let pass = out[0].as_ref().unwrap().clone();
    let fail = out[1].as_ref().unwrap().clone();
    let read = |r: &gateway_core::RemoteInterview, email: &'static str| {
        let refs = r.refs.clone();
        let flow = s.flow.clone();
        let tt = &s.taptalent;
        let ctx = &s.ctx;
        async move {
            tt.get_interview(
                ctx,
                InterviewLocator {
                    template: &flow,
                    refs: &refs,
                    candidate_email: email,
                    correlation_id: InterviewId::new(),
                },
            )
            .await
        }
    };
    let a = pass.refs["assignment_id"].clone();
    advance(&s, &a, json!({"to": "started"})).await;
    assert_eq!(
        read(&pass, "pass@example.com").await.unwrap().status,
        Some(InterviewStatus::InProgress)
    );
    advance(&s, &a, json!({"to": "scored", "score": 80})).await;
    let mid = read(&pass, "pass@example.com").await.unwrap();
    assert_eq!(
        (mid.status, mid.outcome),
        (Some(InterviewStatus::InProgress), None)
    );
    // Mid-flow step scores are in the raw payload; the result waits for the verdict.
    assert!(mid.result.is_none());
    assert_eq!(mid.raw["attempts"][0]["score"], 80.0);
    advance(&s, &a, json!({"to": "scored", "score": 90})).await;
    let done = read(&pass, "pass@example.com").await.unwrap();
    assert_eq!(
        (done.status, done.outcome),
        (Some(InterviewStatus::Completed), Some(Outcome::Passed))
    );
    let result = done.result.unwrap();
    assert_eq!(result.score.unwrap().normalized, 85.0);
    assert!(result.report_url.is_some() && result.completed_at.is_some());

    // Below the first step's threshold (60): FAILED, which is completed and failed.
    advance(
        &s,
        &fail.refs["assignment_id"],
        json!({"to": "scored", "score": 30}),
    )
    .await;
    let failed = read(&fail, "fail@example.com").await.unwrap();
    assert_eq!(
        (failed.status, failed.outcome),
        (Some(InterviewStatus::Completed), Some(Outcome::Failed))
    );
    assert_eq!(failed.result.unwrap().criteria[0].passed, Some(false));

    // Found by email alone, and a stranger is not found.
    let by_email = read(
        &gateway_core::RemoteInterview::default(),
        "pass@example.com",
    )
    .await
    .unwrap();
    assert_eq!(by_email.refs["assignment_id"], a);
    assert!(matches!(
        read(
            &gateway_core::RemoteInterview::default(),
            "nobody@example.com"
        )
        .await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn candidate_lists_page_by_the_largest_page() {
    let s = setup().await;
    let batch: Vec<InviteCandidate> = (0..103)
        .map(|i| candidate(&format!("c{i}@example.com")))
        .collect();
    let out = s
        .taptalent
        .invite(&s.ctx, &s.flow, &batch, &options())
        .await
        .unwrap();
    assert!(out.iter().all(Result::is_ok));
    let first = s
        .taptalent
        .list_interviews(&s.ctx, &s.flow, None)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 100);
    assert_eq!(first.next.as_deref(), Some("2"));
    let second = s
        .taptalent
        .list_interviews(&s.ctx, &s.flow, first.next.as_deref())
        .await
        .unwrap();
    assert_eq!(second.items.len(), 3);
    assert_eq!(second.next, None);
    assert_eq!(
        second.items[2].candidate_email.as_deref(),
        Some("c102@example.com")
    );
    assert!(matches!(
        s.taptalent
            .list_interviews(&s.ctx, &s.flow, Some("zero"))
            .await,
        Err(ProviderError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn the_simulator_enforces_the_documented_query_limits() {
    let s = setup().await;
    s.taptalent
        .invite(
            &s.ctx,
            &s.flow,
            &[candidate("a@example.com"), candidate("b@example.com")],
            &options(),
        )
        .await
        .unwrap();
    let get = |q: &'static str| {
        let url = format!(
            "{}/assessment-flows/{}/candidates?{q}",
            s.sandbox.vendor_url("taptalent"),
            s.flow.id
        );
        let key = s.account["api_key"].as_str().unwrap().to_string();
        async move {
            let res = reqwest::Client::new()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get("pageSize=101").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );
    let (status, body) = get("perPage=1&page=2").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["candidates"][0]["email"], "b@example.com");
    assert_eq!(body["data"]["pagination"]["total"], 2);
    let (_, body) = get("status=IN_PROGRESS").await;
    assert_eq!(body["data"]["candidates"].as_array().unwrap().len(), 0);
    let (status, _) = get("status=DONE").await;
    assert_eq!(status, 400);
    let (_, body) = get("search=ALEX").await;
    assert_eq!(
        body["data"]["pagination"]["total"], 2,
        "search matches names too"
    );
    // Single assessments: perPage is one of 10/20/40/80/100.
    let res = reqwest::Client::new()
        .get(format!(
            "{}/assessment?perPage=15",
            s.sandbox.vendor_url("taptalent")
        ))
        .bearer_auth(s.account["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn faults_surface_as_the_right_errors() {
    let s = setup().await;
    add_fault(&s.sandbox, json!({"vendor": "taptalent", "path_prefix": "/v1/partner/assessment-flows", "fault": {"kind": "status", "status": 500}, "times": 1})).await;
    // A read is retried past one 500.
    assert!(s.taptalent.list_templates(&s.ctx).await.is_ok());
    let bad = context(
        &s.sandbox,
        "taptalent",
        Credentials::new().with("api_key", "not-a-key"),
    );
    assert!(matches!(
        s.taptalent.check(&bad).await,
        Err(ProviderError::InvalidCredentials {
            status: Some(401),
            ..
        })
    ));
}

#[tokio::test]
async fn settings_select_the_sandbox_host() {
    let t = provider_taptalent::TapTalent::default();
    assert_eq!(
        t.default_base_url(&json!({})).unwrap().as_str(),
        provider_taptalent::DEFAULT_BASE_URL
    );
    assert_eq!(
        t.default_base_url(&json!({"environment": "sandbox"}))
            .unwrap()
            .as_str(),
        provider_taptalent::SANDBOX_BASE_URL
    );
    assert!(t
        .validate_settings(&json!({"environment": "sandbox", "outbound_requests_per_minute": 60}))
        .is_ok());
    let e = t
        .validate_settings(&json!({"environment": "staging", "colour": 1}))
        .unwrap_err();
    assert_eq!(e.len(), 2);
}

#[tokio::test]
async fn webhooks_carry_the_key_and_name_the_assignment() {
    let s = setup().await;
    let received: Arc<Mutex<Received>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |h: axum::http::HeaderMap, b: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((h, b.to_vec()));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let company = s.account["company_id"].as_str().unwrap();
    control(
        &s.sandbox,
        &format!("/taptalent/companies/{company}/webhook"),
        json!({"url": url, "key": WEBHOOK_KEY}),
    )
    .await;
    let out = s
        .taptalent
        .invite(
            &s.ctx,
            &s.flow,
            &[candidate("hook@example.com")],
            &options(),
        )
        .await
        .unwrap();
    let a = out[0].as_ref().unwrap().refs["assignment_id"].clone();
    advance(&s, &a, json!({"to": "scored", "score": 20})).await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "scoring completed, then ended");
    let (headers, body) = &got[1];
    assert_eq!(headers["x-webhook-event"], "assessment.ended");
    let request = InboundRequest {
        headers,
        query: None,
        body,
    };
    s.taptalent.verify_inbound(&s.ctx, request).unwrap();
    let events = s.taptalent.parse_inbound(request).unwrap();
    assert_eq!(events[0].refs["assignment_id"], a);
    assert_eq!(events[0].observed.outcome, Some(Outcome::Failed));
    // Another key, or none, is refused.
    let wrong = context(
        &s.sandbox,
        "taptalent",
        Credentials::new()
            .with("api_key", "k")
            .with("webhook_key", "other"),
    );
    assert!(s.taptalent.verify_inbound(&wrong, request).is_err());
    let unset = context(
        &s.sandbox,
        "taptalent",
        Credentials::new().with("api_key", "k"),
    );
    assert!(s.taptalent.verify_inbound(&unset, request).is_err());
    let bare = axum::http::HeaderMap::new();
    assert!(s
        .taptalent
        .verify_inbound(
            &s.ctx,
            InboundRequest {
                headers: &bare,
                query: None,
                body
            }
        )
        .is_err());
}
