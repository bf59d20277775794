//! InterviewFlowAI through the unified API: interviewers linked as templates, one ingest
//! per batch, interviews found by the gateway's tag, dashboard webhooks as events.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};
use crate::inbound::wait_for_events;

crate::on_both_backends!(interviewers_ingest_and_report);

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn interviewers_ingest_and_report(app: TestApp) {
    // Ingest answers without ids here: the gateway must find its interviews by its tag.
    let account = app
        .sandbox_control("/interviewflowai/accounts", json!({"bare_ingest": true}))
        .await;
    let connection = json_of(
        app.admin(Method::POST, "/v1/connections")
            .json(&json!({
                "provider": "interviewflowai",
                "name": "InterviewFlowAI sandbox",
                "credentials": {"api_key": account["api_key"]},
                "base_url": app.sandbox.vendor_url("interviewflowai"),
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let connection_id = connection["id"].as_str().unwrap();
    let key = account["api_key"].as_str().unwrap();
    app.sandbox_control(
        &format!("/interviewflowai/accounts/{key}/webhook"),
        json!({"url": connection["inbound_webhook_url"]}),
    )
    .await;
    let interviewer = account["interviewers"][0]["id"].as_str().unwrap();
    let template = json_of(
        app.admin(Method::POST, "/v1/templates/link")
            .json(&json!({"connection_id": connection_id, "provider_ref": {"kind": "interviewer", "id": interviewer}, "name": "Backend interviewer"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(template["name"], "Backend interviewer");
    let res = app
        .admin(Method::POST, "/v1/templates/link")
        .json(&json!({"connection_id": connection_id, "provider_ref": {"kind": "interviewer", "id": "nope"}, "name": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
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

    // The delay bound is InterviewFlowAI's, checked before any call.
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template_id, "candidate": {"email": "late@example.com", "name": "Late"}, "delay_hours": 97}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "invalid_request").await;
    assert_eq!(p["errors"][0]["field"], "delay_hours");
    assert_eq!(
        app.vendor_calls("interviewflowai", "POST", "/api/external/ingest"),
        0
    );

    let batch = json_of(
        app.admin(Method::POST, "/v1/interviews/batch")
            .json(
                &json!({"template_id": template_id, "delay_hours": 2, "candidates": [
                    {"email": "i1@example.com", "name": "Ivy One"},
                    {"email": "i2@example.com"},
                    {"email": "i3@example.com", "first_name": "Ian", "last_name": "Three"}
                ]}),
            )
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let data = batch["data"].as_array().unwrap();
    assert_eq!(
        data[1]["error"]["errors"][0]["field"], "candidates[1].name",
        "{batch}"
    );
    assert_eq!(
        app.vendor_calls("interviewflowai", "POST", "/api/external/ingest"),
        1
    );
    let first = &data[0]["interview"];
    assert_eq!(first["status"], "invited");
    let vendor_id = first["provider_refs"]["interview_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        vendor_id,
        data[2]["interview"]["provider_refs"]["interview_id"]
            .as_str()
            .unwrap()
    );
    let id = first["id"].as_str().unwrap();

    // Dashboard webhooks (token in the URL is their only proof) become events.
    for to in ["started", "completed"] {
        app.sandbox_control(
            &format!("/interviewflowai/interviews/{vendor_id}/advance"),
            json!({"to": to}),
        )
        .await;
        let n = if to == "started" { 2 } else { 3 };
        wait_for_events(&app, id, n).await;
    }
    app.sandbox_control(
        &format!("/interviewflowai/interviews/{vendor_id}/advance"),
        json!({"to": "report_available", "score": 73}),
    )
    .await;
    let events = wait_for_events(&app, id, 5).await;
    assert_eq!(
        events,
        [
            "interview.invited",
            "interview.started",
            "interview.status_changed",
            "interview.completed",
            "interview.result_ready"
        ]
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
    assert_eq!(got["result"]["score"]["normalized"], 73.0);
    assert!(got["result"]["summary"].is_string());
    // The vendor's payload (the webhook's, or the fetch's after the refresh) is kept whole.
    let raw = &got["remote_data"];
    assert!(
        raw["reportAvailable"] == true || raw["data"]["reportAvailable"] == true,
        "{raw}"
    );
    let synced = json_of(
        app.admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(synced["status"], "completed");
}
