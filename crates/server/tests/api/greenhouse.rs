//! Greenhouse plays its side of the Assessment Partner API against a live gateway, for each
//! of the four vendors: list_tests → send_test → the vendor got the invite → the simulator
//! completes the interview → the gateway PATCHes Greenhouse's URL → test_status complete.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};
use crate::receiver::Receiver;

crate::on_both_backends!(
    greenhouse_sends_tests_for_every_vendor,
    greenhouse_bad_requests
);

/// Greenhouse's scopes: list, send, read.
const SCOPES: &[&str] = &["templates:read", "interviews:write", "interviews:read"];

fn gh(app: &TestApp, method: Method, call: &str, key: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(&format!("/partners/greenhouse/{call}")))
        .basic_auth(key, Some(""))
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn connect(app: &TestApp, provider: &str, credentials: Value) -> Value {
    json_of(
        app.admin(Method::POST, "/v1/connections")
            .json(&json!({
                "provider": provider,
                "name": format!("{provider} sandbox"),
                "credentials": credentials,
                "base_url": app.sandbox.vendor_url(provider),
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await
}

async fn link(app: &TestApp, connection: &Value, kind: &str, id: &str, name: &str) -> String {
    let t = json_of(
        app.admin(Method::POST, "/v1/templates/link")
            .json(&json!({"connection_id": connection["id"], "provider_ref": {"kind": kind, "id": id}, "name": name}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    t["id"].as_str().unwrap().to_string()
}

/// One vendor behind a test: its template and how its simulator finishes an interview.
struct Case {
    provider: &'static str,
    template_id: String,
    /// (path under /_control with `{ref}` for the interview's vendor id, body) in order.
    advance: Vec<(String, Value)>,
    /// Which `provider_refs` entry names the interview at the vendor.
    vendor_ref: &'static str,
    score: f64,
}

async fn cases(app: &TestApp) -> Vec<Case> {
    let mut cases = Vec::new();

    let (_, heymilo) = app.heymilo_template(&app.admin_key).await;
    cases.push(Case {
        provider: "heymilo",
        template_id: heymilo,
        advance: vec![(
            "/heymilo/interviews/{ref}/advance".into(),
            json!({"to": "completed", "score": 91.0}),
        )],
        vendor_ref: "interview_id",
        score: 91.0,
    });

    let fm = app.sandbox_control("/flowmingo/accounts", json!({})).await;
    let conn = connect(
        app,
        "flowmingo",
        json!({"api_key": fm["api_key"], "webhook_secret": "whsec_gh_test"}),
    )
    .await;
    app.sandbox_control(
        &format!(
            "/flowmingo/organizations/{}/webhook",
            fm["organization_id"].as_str().unwrap()
        ),
        json!({"url": conn["inbound_webhook_url"], "secret": "whsec_gh_test"}),
    )
    .await;
    let set = json_of(
        app.admin(Method::POST, "/v1/templates")
            .json(
                &json!({"connection_id": conn["id"], "name": "Support screen",
                "position": "Support Engineer", "duration_minutes": 20,
                "questions": [{"prompt": "Tell us about a hard ticket you solved."}]}),
            )
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    cases.push(Case {
        provider: "flowmingo",
        template_id: set["id"].as_str().unwrap().to_string(),
        advance: ["started", "completed"]
            .into_iter()
            .map(|to| {
                (
                    "/flowmingo/submissions/{ref}/advance".into(),
                    json!({"to": to}),
                )
            })
            .chain([(
                "/flowmingo/submissions/{ref}/advance".into(),
                json!({"to": "evaluated", "score": 88.0}),
            )])
            .collect(),
        vendor_ref: "submission_id",
        score: 88.0,
    });

    let ifai = app
        .sandbox_control("/interviewflowai/accounts", json!({}))
        .await;
    let conn = connect(app, "interviewflowai", json!({"api_key": ifai["api_key"]})).await;
    app.sandbox_control(
        &format!(
            "/interviewflowai/accounts/{}/webhook",
            ifai["api_key"].as_str().unwrap()
        ),
        json!({"url": conn["inbound_webhook_url"]}),
    )
    .await;
    let interviewer = ifai["interviewers"][0]["id"].as_str().unwrap();
    cases.push(Case {
        provider: "interviewflowai",
        template_id: link(
            app,
            &conn,
            "interviewer",
            interviewer,
            "Backend interviewer",
        )
        .await,
        advance: vec![
            (
                "/interviewflowai/interviews/{ref}/advance".into(),
                json!({"to": "started"}),
            ),
            (
                "/interviewflowai/interviews/{ref}/advance".into(),
                json!({"to": "completed"}),
            ),
            (
                "/interviewflowai/interviews/{ref}/advance".into(),
                json!({"to": "report_available", "score": 73}),
            ),
        ],
        vendor_ref: "interview_id",
        score: 73.0,
    });

    let tt = app.sandbox_control("/taptalent/accounts", json!({})).await;
    let conn = json_of(
        app.admin(Method::POST, "/v1/connections")
            .json(
                &json!({"provider": "taptalent", "name": "TapTalent sandbox",
                "credentials": {"api_key": tt["api_key"], "webhook_key": "whk_gh_test"},
                "base_url": app.sandbox.vendor_url("taptalent"),
                "settings": {"environment": "sandbox"}}),
            )
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    app.sandbox_control(
        &format!(
            "/taptalent/companies/{}/webhook",
            tt["company_id"].as_str().unwrap()
        ),
        json!({"url": conn["inbound_webhook_url"], "key": "whk_gh_test"}),
    )
    .await;
    cases.push(Case {
        provider: "taptalent",
        template_id: link(
            app,
            &conn,
            "assessment_flow",
            &tt["flow_id"].to_string(),
            "Flow",
        )
        .await,
        advance: [90, 40]
            .into_iter()
            .map(|score| {
                (
                    "/taptalent/assignments/{ref}/advance".into(),
                    json!({"to": "scored", "score": score}),
                )
            })
            .collect(),
        vendor_ref: "assignment_id",
        score: 65.0,
    });
    cases
}

async fn greenhouse_sends_tests_for_every_vendor(app: TestApp) {
    let key = app.key_in(&app.workspace.to_string(), SCOPES).await;
    let cases = cases(&app).await;
    let tests = json_of(
        gh(&app, Method::GET, "list_tests", &key)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let listed: Vec<&str> = tests
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["partner_test_id"].as_str().unwrap())
        .collect();
    for c in &cases {
        assert!(
            listed.contains(&c.template_id.as_str()),
            "{} not listed",
            c.provider
        );
    }

    for (n, c) in cases.iter().enumerate() {
        let greenhouse = Receiver::start().await;
        let email = format!("gh{n}@example.com");
        let send = json!({
            "partner_test_id": c.template_id,
            "candidate": {"first_name": "Grace", "last_name": format!("Hopper{n}"), "email": email,
                "phone_number": "+1 555 0100", "resume_url": null,
                "greenhouse_profile_url": "https://app.greenhouse.io/people/1?application_id=2"},
            "url": greenhouse.url,
            "some_future_field": true
        });
        let sent = json_of(
            gh(&app, Method::POST, "send_test", &key)
                .json(&send)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        let id = sent["partner_interview_id"].as_str().unwrap().to_string();
        assert!(id.starts_with("intv_"), "{}: {sent}", c.provider);
        // Greenhouse retries the same send: the same interview, no second invitation.
        let calls = app.sandbox.shared.log.list(Some(c.provider)).len();
        let again = json_of(
            gh(&app, Method::POST, "send_test", &key)
                .json(&send)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(again["partner_interview_id"], id.as_str(), "{}", c.provider);
        assert_eq!(
            app.sandbox.shared.log.list(Some(c.provider)).len(),
            calls,
            "{}: a retried send called the vendor",
            c.provider
        );

        let interview = json_of(
            app.admin(Method::GET, &format!("/v1/interviews/{id}"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(interview["candidate"]["email"], email.as_str());
        assert_eq!(interview["provider"], c.provider);
        let vendor_id = interview["provider_refs"][c.vendor_ref]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {interview}", c.provider))
            .to_string();
        let status = json_of(
            gh(
                &app,
                Method::GET,
                &format!("test_status?partner_interview_id={id}"),
                &key,
            )
            .send()
            .await
            .unwrap(),
            200,
        )
        .await;
        assert_ne!(status["partner_status"], "complete", "{}", c.provider);
        assert!(
            greenhouse.received().is_empty(),
            "{}: PATCH before completion",
            c.provider
        );

        for (path, body) in &c.advance {
            app.sandbox_control(&path.replace("{ref}", &vendor_id), body.clone())
                .await;
        }
        let got = greenhouse.wait_for(1, Duration::from_secs(20)).await;
        assert_eq!(got.len(), 1, "{}: no completion PATCH", c.provider);
        assert_eq!(got[0].method, "PATCH");

        let status = json_of(
            gh(
                &app,
                Method::GET,
                &format!("test_status?partner_interview_id={id}"),
                &key,
            )
            .send()
            .await
            .unwrap(),
            200,
        )
        .await;
        assert_eq!(
            status["partner_status"], "complete",
            "{}: {status}",
            c.provider
        );
        assert_eq!(status["partner_score"], c.score, "{}: {status}", c.provider);
        assert!(
            status["partner_profile_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "{status}"
        );
        let meta = status["metadata"].as_object().unwrap();
        assert_eq!(meta["provider"], c.provider);
        assert!(
            meta.values().all(|v| !v.is_object() && !v.is_array()),
            "{status}"
        );
        // Sent once: a later tick does not PATCH again.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(greenhouse.received().len(), 1, "{}", c.provider);
    }

    // The operator sees each request with its callback sent.
    let requests = json_of(
        app.admin(Method::GET, "/v1/partners/greenhouse/requests")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let data = requests["data"].as_array().unwrap();
    assert_eq!(data.len(), cases.len());
    assert!(
        data.iter().all(|r| r["callback_status"] == "sent"),
        "{requests}"
    );

    // A hidden template is neither listed nor sendable.
    let hidden = &cases[0].template_id;
    let res = app
        .admin(
            Method::PUT,
            &format!("/v1/partners/greenhouse/hidden-templates/{hidden}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let tests = json_of(
        gh(&app, Method::GET, "list_tests", &key)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(tests
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["partner_test_id"] != hidden.as_str()));
    let res = gh(&app, Method::POST, "send_test", &key)
        .json(
            &json!({"partner_test_id": hidden, "url": "https://example.com/cb/hidden",
            "candidate": {"first_name": "A", "last_name": "B", "email": "hidden@example.com",
                "greenhouse_profile_url": "https://app.greenhouse.io/people/9"}}),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;

    // Greenhouse reports a malformed answer: stored without the email, answered 200.
    let res = gh(&app, Method::POST, "response_error", &key)
        .json(
            &json!({"api_call": "test_status", "errors": ["partner_profile_url is missing"],
            "partner_interview_id": "intv_x", "candidate_email": "secret-person@example.com"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let errors = app
        .admin(Method::GET, "/v1/partners/greenhouse/errors")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        errors.contains("partner_profile_url is missing"),
        "{errors}"
    );
    assert!(!errors.contains("secret-person"), "{errors}");
}

async fn greenhouse_bad_requests(app: TestApp) {
    let key = app.key_in(&app.workspace.to_string(), SCOPES).await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let ingests = || app.vendor_calls("heymilo", "POST", "/api/ingest");
    let before = ingests();

    // No key, a wrong key, a Bearer-less scheme: 401 with a Basic challenge.
    for req in [
        app.client.get(app.url("/partners/greenhouse/list_tests")),
        gh(&app, Method::GET, "list_tests", "igk_nope_nope"),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        let challenge = res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(challenge.starts_with("Basic"), "{challenge}");
    }
    // A key without the scope: 403.
    let reader = app
        .key_in(&app.workspace.to_string(), &["templates:read"])
        .await;
    let valid = json!({"partner_test_id": template, "url": "https://example.com/cb/1",
        "candidate": {"first_name": "A", "last_name": "B", "email": "ok@example.com",
            "greenhouse_profile_url": "https://app.greenhouse.io/people/1"}});
    let res = gh(&app, Method::POST, "send_test", &reader)
        .json(&valid)
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "forbidden").await;

    // Bad bodies: 4xx naming the field, and the vendor never called.
    let mut no_first = valid.clone();
    no_first["candidate"]
        .as_object_mut()
        .unwrap()
        .remove("first_name");
    let mut no_email = valid.clone();
    no_email["candidate"]["email"] = json!("not-an-email");
    let mut no_url = valid.clone();
    no_url.as_object_mut().unwrap().remove("url");
    let mut private_url = valid.clone();
    private_url["url"] = json!("ftp://example.com/x");
    let mut nul = valid.clone();
    nul["candidate"]["last_name"] = json!("B\u{0}");
    for (body, field) in [
        (no_first, "first_name"),
        (no_email, "candidate.email"),
        (no_url, "url"),
        (private_url, "url"),
        (nul, "candidate.last_name"),
    ] {
        let res = gh(&app, Method::POST, "send_test", &key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{field}: {}", res.status());
        let p: Value = res.json().await.unwrap();
        assert!(p.to_string().contains(field), "{field}: {p}");
    }
    assert_eq!(ingests(), before, "a bad send reached the vendor");

    // Another workspace's template, and an unknown one: 404.
    let (other_ws, _) = app.workspace_with_key("other", &["templates:write"]).await;
    let other_key = app.key_in(&other_ws, SCOPES).await;
    let res = gh(&app, Method::POST, "send_test", &other_key)
        .json(&valid)
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
    let tests = json_of(
        gh(&app, Method::GET, "list_tests", &other_key)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(tests, json!([]));
    let mut unknown = valid.clone();
    unknown["partner_test_id"] = json!("tmpl_nope");
    let res = gh(&app, Method::POST, "send_test", &key)
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert_eq!(ingests(), before);

    // test_status of another workspace's interview or an unknown id: 404.
    let sent = json_of(
        gh(&app, Method::POST, "send_test", &key)
            .json(&valid)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let id = sent["partner_interview_id"].as_str().unwrap();
    let res = gh(
        &app,
        Method::GET,
        &format!("test_status?partner_interview_id={id}"),
        &other_key,
    )
    .send()
    .await
    .unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = gh(
        &app,
        Method::GET,
        "test_status?partner_interview_id=intv_nope",
        &key,
    )
    .send()
    .await
    .unwrap();
    expect_problem(res, 404, "not_found").await;
    let res = gh(&app, Method::POST, "response_error", &key)
        .json(&json!({"errors": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}
