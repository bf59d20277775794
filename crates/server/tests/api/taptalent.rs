//! TapTalent through the unified API: flows as templates (create, import, link, update),
//! assignments as interviews (invite, batch, sync), and its keyed webhooks as events.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};
use crate::inbound::wait_for_events;

crate::on_both_backends!(
    flows_are_templates_with_steps,
    assignments_are_interviews_to_a_verdict
);

struct TapTalentSetup {
    account: Value,
    connection: Value,
}

impl TapTalentSetup {
    fn assessment(&self, n: usize) -> &str {
        self.account["assessments"][n]["assessmentId"]
            .as_str()
            .unwrap()
    }
    fn connection_id(&self) -> &str {
        self.connection["id"].as_str().unwrap()
    }
}

async fn taptalent(app: &TestApp) -> TapTalentSetup {
    let account = app.sandbox_control("/taptalent/accounts", json!({})).await;
    let res = app
        .admin(Method::POST, "/v1/connections")
        .json(&json!({
            "provider": "taptalent",
            "name": "TapTalent sandbox",
            "credentials": {"api_key": account["api_key"], "webhook_key": "whk_api_test"},
            "base_url": app.sandbox.vendor_url("taptalent"),
            "settings": {"environment": "sandbox"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    TapTalentSetup {
        account,
        connection: res.json().await.unwrap(),
    }
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

async fn flows_are_templates_with_steps(app: TestApp) {
    let tt = taptalent(&app).await;
    let created = json_of(
        app.admin(Method::POST, "/v1/templates")
            .json(&json!({
                "connection_id": tt.connection_id(),
                "name": "Data engineers",
                "description": "Quiz, then video",
                "steps": [
                    {"assessment_id": tt.assessment(1), "pass_threshold": 50, "name": "Quiz"},
                    {"assessment_id": tt.assessment(2), "pass_threshold": 65}
                ]
            }))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(created["provider_ref"]["kind"], "assessment_flow");
    assert_eq!(created["steps"][1]["kind"], "VIDEO");
    assert_eq!(created["steps"][0]["pass_threshold"], 50.0);
    let id = created["id"].as_str().unwrap();

    // A flow needs steps; fields a flow cannot hold are named.
    let res = app
        .admin(Method::POST, "/v1/templates")
        .json(&json!({"connection_id": tt.connection_id(), "name": "No steps", "questions": [{"prompt": "Why?"}]}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "invalid_request").await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["questions", "steps"]);

    // Import finds both flows (the account's own and the new one), without duplicating.
    let imported = json_of(
        app.admin(
            Method::POST,
            &format!("/v1/connections/{}/templates/import", tt.connection_id()),
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(imported["data"].as_array().unwrap().len(), 2);
    assert!(imported["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id));

    // Update: raise a threshold, append a step, rename.
    let patched = json_of(
        app.admin(Method::PATCH, &format!("/v1/templates/{id}"))
            .json(&json!({
                "name": "Data engineers (2027)",
                "steps": [
                    {"assessment_id": tt.assessment(1), "pass_threshold": 60},
                    {"assessment_id": tt.assessment(2), "pass_threshold": 65},
                    {"assessment_id": tt.assessment(0), "pass_threshold": 70}
                ]
            }))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(patched["id"], id);
    assert_eq!(patched["name"], "Data engineers (2027)");
    assert_eq!(patched["steps"].as_array().unwrap().len(), 3);
    assert_eq!(patched["steps"][0]["pass_threshold"], 60.0);
    assert_eq!(patched["steps"][0]["name"], "Quiz", "stage metadata kept");
    let stored = json_of(
        app.admin(Method::GET, &format!("/v1/templates/{id}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(stored["name"], "Data engineers (2027)");

    // TapTalent keeps existing stages: a change is refused, naming the step, and nothing
    // is stored.
    let res = app
        .admin(Method::PATCH, &format!("/v1/templates/{id}"))
        .json(&json!({"steps": [{"assessment_id": tt.assessment(0), "pass_threshold": 60}]}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "invalid_request").await;
    assert_eq!(p["errors"][0]["field"], "steps[0].assessment_id");
    let after = json_of(
        app.admin(Method::GET, &format!("/v1/templates/{id}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(after["steps"], stored["steps"]);
    // An empty patch and an unknown template are client errors.
    let res = app
        .admin(Method::PATCH, &format!("/v1/templates/{id}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
    let res = app
        .admin(
            Method::PATCH,
            "/v1/templates/tpl_01jdxxxxxxxxxxxxxxxxxxxxxx",
        )
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 404 || res.status() == 422,
        "{}",
        res.status()
    );

    // Vendors without an update endpoint say so.
    let (_, heymilo_template) = app.heymilo_template(&app.admin_key).await;
    let res = app
        .admin(Method::PATCH, &format!("/v1/templates/{heymilo_template}"))
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "unsupported_by_provider").await;

    // Linking the account's own flow by id reads it from TapTalent.
    let flow_id = tt.account["flow_id"].to_string();
    let linked = json_of(
        app.admin(Method::POST, "/v1/templates/link")
            .json(&json!({"connection_id": tt.connection_id(), "provider_ref": {"kind": "assessment_flow", "id": flow_id}}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(linked["name"], "Backend hiring flow");
    let res = app
        .admin(Method::POST, "/v1/templates/link")
        .json(&json!({"connection_id": tt.connection_id(), "provider_ref": {"kind": "posting", "id": "1"}}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
}

async fn assignments_are_interviews_to_a_verdict(app: TestApp) {
    let tt = taptalent(&app).await;
    let template = json_of(
        app.admin(Method::POST, "/v1/templates/link")
            .json(&json!({"connection_id": tt.connection_id(), "provider_ref": {"kind": "assessment_flow", "id": tt.account["flow_id"].to_string()}}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let template_id = template["id"].as_str().unwrap();
    // TapTalent's dashboard webhook, pointed at this connection's inbound URL.
    let company = tt.account["company_id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/taptalent/companies/{company}/webhook"),
        json!({"url": tt.connection["inbound_webhook_url"], "key": "whk_api_test"}),
    )
    .await;

    let one = json_of(
        app.admin(Method::POST, "/v1/interviews")
            .json(&json!({"template_id": template_id, "candidate": {"email": "solo@example.com", "name": "Solo Person"}}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(one["status"], "invited");
    assert!(one["interview_url"].is_string());
    let assignment = one["provider_refs"]["assignment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = app.sandbox.shared.log.list(Some("taptalent"));
    let assign = sent
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/assign"))
        .unwrap();
    assert_eq!(assign.body["firstName"], "Solo");
    assert_eq!(assign.body["lastName"], "Person");

    // A batch is one assign per candidate; a candidate with an open interview on the flow
    // is answered with it (TapTalent refuses a second assignment; none is sent).
    let batch = json_of(
        app.admin(Method::POST, "/v1/interviews/batch")
            .json(&json!({"template_id": template_id, "candidates": [
                {"email": "b1@example.com"}, {"email": "solo@example.com"}, {"email": "b3@example.com"}
            ]}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let data = batch["data"].as_array().unwrap();
    assert!(data[0]["interview"].is_object() && data[2]["interview"].is_object());
    assert_eq!(data[1]["interview"]["id"], one["id"], "{batch}");
    assert_ne!(data[0]["interview"]["id"], data[2]["interview"]["id"]);
    assert_ne!(data[0]["interview"]["id"], one["id"]);
    let listed = json_of(
        app.admin(
            Method::GET,
            &format!("/v1/interviews?template_id={template_id}"),
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        3,
        "solo, b1, b3: the refused duplicate left nothing behind"
    );

    // send_invite: false cannot be honoured: refused, nothing sent.
    let before = app.vendor_calls("taptalent", "POST", "/v1/partner");
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template_id, "candidate": {"email": "quiet@example.com"}, "send_invite": false}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "invalid_request").await;
    assert_eq!(p["errors"][0]["field"], "send_invite");
    assert_eq!(app.vendor_calls("taptalent", "POST", "/v1/partner"), before);

    // The candidate passes step one and fails step two: webhooks carry it to the gateway,
    // which re-reads the flow's candidates for the scores.
    let id = one["id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/taptalent/assignments/{assignment}/advance"),
        json!({"to": "scored", "score": 90}),
    )
    .await;
    assert_eq!(
        wait_for_events(&app, id, 2).await,
        ["interview.invited", "interview.started"]
    );
    app.sandbox_control(
        &format!("/taptalent/assignments/{assignment}/advance"),
        json!({"to": "scored", "score": 40}),
    )
    .await;
    let events = wait_for_events(&app, id, 4).await;
    assert_eq!(
        events,
        [
            "interview.invited",
            "interview.started",
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
    assert_eq!(got["outcome"], "failed");
    assert_eq!(got["result"]["score"]["normalized"], 65.0);
    assert_eq!(got["result"]["criteria"].as_array().unwrap().len(), 2);

    // Sync reads the same from TapTalent on demand.
    let synced = json_of(
        app.admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(synced["outcome"], "failed");

    // A webhook with the wrong key is refused and changes nothing.
    let res = app
        .client
        .post(tt.connection["inbound_webhook_url"].as_str().unwrap())
        .header("x-webhook-key", "guess")
        .json(&json!({"event": "assessment.ended", "timestamp": "2026-11-22T00:00:00Z", "companyId": company,
                      "data": {"assignmentId": assignment, "status": "COMPLETED"}}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
}
