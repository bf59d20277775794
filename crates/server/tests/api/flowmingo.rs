//! Flowmingo through the unified API: sets as templates, invitations in one call per
//! batch, and its HMAC-signed dashboard webhooks as events (Flowmingo has no read API).

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};
use crate::inbound::wait_for_events;

crate::on_both_backends!(flowmingo_sets_invites_and_signed_webhooks);

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn flowmingo_sets_invites_and_signed_webhooks(app: TestApp) {
    let account = app.sandbox_control("/flowmingo/accounts", json!({})).await;
    let connection = json_of(
        app.admin(Method::POST, "/v1/connections")
            .json(&json!({
                "provider": "flowmingo",
                "name": "Flowmingo sandbox",
                "credentials": {"api_key": account["api_key"], "webhook_secret": "whsec_api_test"},
                "base_url": app.sandbox.vendor_url("flowmingo"),
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let connection_id = connection["id"].as_str().unwrap();
    let org = account["organization_id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/flowmingo/organizations/{org}/webhook"),
        json!({"url": connection["inbound_webhook_url"], "secret": "whsec_api_test"}),
    )
    .await;

    let template = json_of(
        app.admin(Method::POST, "/v1/templates")
            .json(&json!({
                "connection_id": connection_id,
                "name": "Support engineers",
                "position": "Support Engineer",
                "duration_minutes": 20,
                "questions": [{"prompt": "Tell us about a hard ticket you solved."}],
                "requirements": [{"title": "Customer empathy"}]
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(template["provider_ref"]["kind"], "interview_set");
    let sets = app.sandbox.shared.log.list(Some("flowmingo"));
    let create = sets
        .iter()
        .find(|r| r.path.ends_with("/interview/set/v1"))
        .unwrap();
    assert_eq!(
        create.body["iai_questions"][0]["content"],
        "Tell us about a hard ticket you solved."
    );
    // Flowmingo lists nothing: import says so.
    let res = app
        .admin(
            Method::POST,
            &format!("/v1/connections/{connection_id}/templates/import"),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "unsupported_by_provider").await;

    let template_id = template["id"].as_str().unwrap();
    let batch = json_of(
        app.admin(Method::POST, "/v1/interviews/batch")
            .json(&json!({"template_id": template_id, "message": "Please take the interview this week.", "candidates": [
                {"email": "f1@example.com"}, {"email": "f2@example.com"}, {"email": "f3@example.com"}
            ]}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        app.vendor_calls(
            "flowmingo",
            "POST",
            "/company/integration/interview/candidate/invite/v1"
        ),
        1,
        "one call for the batch"
    );
    let first = &batch["data"][0]["interview"];
    assert_eq!(first["status"], "invited");
    let id = first["id"].as_str().unwrap();
    let submission = first["provider_refs"]["submission_id"].as_str().unwrap();

    // Started, completed, evaluated: signed webhooks become events, in order.
    for to in ["started", "completed"] {
        app.sandbox_control(
            &format!("/flowmingo/submissions/{submission}/advance"),
            json!({"to": to}),
        )
        .await;
    }
    assert_eq!(
        wait_for_events(&app, id, 3).await,
        [
            "interview.invited",
            "interview.started",
            "interview.status_changed"
        ]
    );
    app.sandbox_control(
        &format!("/flowmingo/submissions/{submission}/advance"),
        json!({"to": "evaluated", "score": 91.0}),
    )
    .await;
    let events = wait_for_events(&app, id, 5).await;
    assert_eq!(
        &events[3..],
        ["interview.completed", "interview.result_ready"]
    );
    let got = json_of(
        app.admin(Method::GET, &format!("/v1/interviews/{id}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(got["status"], "completed");
    assert_eq!(got["result"]["score"]["normalized"], 91.0);
    // No read API: sync is unsupported, honestly.
    let res = app
        .admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "unsupported_by_provider").await;

    // An unsigned or mis-signed webhook is refused.
    let res = app
        .client
        .post(connection["inbound_webhook_url"].as_str().unwrap())
        .header("x-webhook-signature", "t=1,v1=00")
        .json(&json!({"schema_version": "1.0.0", "event_type": "interview.status.update", "event_id": "e-forged", "data": {"submission_id": submission, "status": "started"}}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
}
