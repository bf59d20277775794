use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};
use crate::receiver::Receiver;

crate::on_both_backends!(
    deliveries_are_signed_and_listed,
    endpoint_requests_are_validated
);

const ALL: [&str; 5] = [
    "connections:write",
    "templates:write",
    "interviews:write",
    "webhooks:write",
    "candidates:read",
];

async fn endpoint(app: &TestApp, key: &str, url: &str, events: Value) -> (String, String) {
    let res = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(key))
        .json(&json!({"url": url, "events": events, "description": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_string(),
        body["secret"].as_str().unwrap().to_string(),
    )
}

fn verify(secret: &str, r: &crate::receiver::Received) {
    let id = r.headers["webhook-id"].to_str().unwrap();
    let ts: i64 = r.headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    let expected =
        interview_gateway::workers::outbound_webhooks::sign(secret, id, ts, &r.raw).unwrap();
    assert_eq!(r.headers["webhook-signature"].to_str().unwrap(), expected);
    assert!(id.starts_with("msg_"));
}

async fn deliveries_are_signed_and_listed(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &ALL).await;
    let rx = Receiver::start().await;
    let (endpoint_id, secret) = endpoint(&app, &key, &rx.url, json!([])).await;
    assert!(secret.starts_with("whsec_"));
    let (_, template) = app.heymilo_template(&key).await;
    let iv: Value = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&json!({"template_id": template, "candidate": {"email": "hook@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]);
    assert_eq!(got[0].body["type"], "interview.invited");
    assert_eq!(got[0].body["interview_id"], iv["id"]);
    assert_eq!(got[0].body["data"]["interview"]["status"], "invited");
    assert_eq!(got[0].body["data"]["previous_status"], "pending");

    let events: Value = app
        .request(
            Method::GET,
            &format!("/v1/events?interview_id={}", iv["id"].as_str().unwrap()),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], got[0].body["id"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log: Value = app
        .request(
            Method::GET,
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries"),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = &log["data"][0];
    assert_eq!(
        (
            d["status"].clone(),
            d["attempts"].clone(),
            d["attempt_log"][0]["status"].clone()
        ),
        (json!("delivered"), json!(1), json!(200))
    );
    assert_eq!(d["id"], got[0].headers["webhook-id"].to_str().unwrap());

    // Redelivery: the same webhook-id again.
    let event_id = events[0]["id"].as_str().unwrap();
    let res = app
        .request(
            Method::POST,
            &format!("/v1/events/{event_id}/redeliver"),
            Some(&key),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let again = rx.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(again.len(), 2);
    assert_eq!(again[1].headers["webhook-id"], got[0].headers["webhook-id"]);
    verify(&secret, &again[1]);

    // Rotating the secret signs later deliveries with the new one.
    let rotated: Value = app
        .request(
            Method::POST,
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    app.request(
        Method::POST,
        &format!("/v1/events/{event_id}/redeliver"),
        Some(&key),
    )
    .send()
    .await
    .unwrap();
    let third = rx.wait_for(3, Duration::from_secs(5)).await;
    verify(&new_secret, &third[2]);
    let listed: Value = app
        .request(Method::GET, "/v1/webhook-endpoints", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed["data"][0].get("secret").is_none(),
        "secrets are shown at creation only"
    );
    assert_eq!(
        app.request(
            Method::DELETE,
            &format!("/v1/webhook-endpoints/{endpoint_id}"),
            Some(&key)
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    expect_problem(
        app.request(
            Method::GET,
            &format!("/v1/webhook-endpoints/{endpoint_id}"),
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;
}

async fn endpoint_requests_are_validated(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &ALL).await;
    for (body, field) in [
        (json!({"url": "ftp://x"}), "url"),
        (json!({"url": "https://u:p@x.example.com"}), "url"),
        (
            json!({"url": "https://x.example.com", "events": ["interview.exploded"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://x.example.com", "description": "x".repeat(501)}),
            "description",
        ),
    ] {
        let res = app
            .request(Method::POST, "/v1/webhook-endpoints", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let (ws, reader) = app.workspace_with_key("b", &["interviews:read"]).await;
    let _ = ws;
    expect_problem(
        app.request(Method::GET, "/v1/webhook-endpoints", Some(&reader))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        app.request(Method::GET, "/v1/events", Some(&reader))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

/// Private receivers are refused unless configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_receivers_need_configuration() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("webhooks.allow_private_targets", json!(false))],
    )
    .await;
    let res = app
        .admin(Method::POST, "/v1/webhook-endpoints")
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "invalid_request").await;
    assert_eq!(p["errors"][0]["field"], "url");
    app.stop().await;
}

/// Failures follow the schedule; 410 disables; an interview's events stay in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_retry_on_schedule_and_410_disables() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("webhooks.retry_schedule_secs", json!([1, 1]))],
    )
    .await;
    let rx = Receiver::start().await;
    let (endpoint_id, _) = endpoint(&app, &app.admin_key, &rx.url, json!([])).await;
    let (hm, template) = app.heymilo_template(&app.admin_key).await;
    let _ = hm;
    // 500, then a timeout (the receiver is slower than webhooks.timeout_secs), then 200.
    rx.answer(500, Duration::ZERO);
    rx.answer(200, Duration::from_secs(3));
    let iv: Value = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "retry@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A second event for the same interview must wait for the first.
    let vendor_id = iv["provider_refs"]["interview_id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    app.admin(
        Method::POST,
        &format!("/v1/interviews/{}/sync", iv["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();
    let got = rx.wait_for(4, Duration::from_secs(12)).await;
    let types: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "interview.invited",
            "interview.invited",
            "interview.invited",
            "interview.started"
        ],
        "in order, retried"
    );
    let ids: Vec<&str> = got
        .iter()
        .take(3)
        .map(|r| r.headers["webhook-id"].to_str().unwrap())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one webhook-id across retries"
    );
    let gap = got[1].at.duration_since(got[0].at);
    assert!(
        gap >= Duration::from_millis(850),
        "waited the schedule: {gap:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log: Value = app
        .admin(
            Method::GET,
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event_type"] == "interview.invited")
        .unwrap();
    let statuses: Vec<Value> = first["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), Value::Null, json!(200)]);
    assert!(first["attempt_log"][1]["error"]
        .as_str()
        .unwrap()
        .contains("no answer"));

    // 410 Gone: the endpoint is disabled and gets nothing more.
    rx.answer(410, Duration::ZERO);
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "completed"}),
    )
    .await;
    app.admin(
        Method::POST,
        &format!("/v1/interviews/{}/sync", iv["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();
    let after_gone = rx.wait_for(5, Duration::from_secs(5)).await.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rx.received().len(), after_gone, "nothing after the 410");
    let ep: Value = app
        .admin(Method::GET, &format!("/v1/webhook-endpoints/{endpoint_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ep["disabled_at"].is_string(), "{ep}");
    app.stop().await;
}

/// Retries stop when the schedule is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_schedule_fails_the_delivery() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("webhooks.retry_schedule_secs", json!([1]))],
    )
    .await;
    let rx = Receiver::start().await;
    let (endpoint_id, _) =
        endpoint(&app, &app.admin_key, &rx.url, json!(["interview.invited"])).await;
    for _ in 0..5 {
        rx.answer(503, Duration::ZERO);
    }
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    app.admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "x@example.com"}}))
        .send()
        .await
        .unwrap();
    rx.wait_for(2, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.received().len(), 2, "the first attempt and one retry");
    let log: Value = app
        .admin(
            Method::GET,
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            log["data"][0]["status"].clone(),
            log["data"][0]["attempts"].clone()
        ),
        (json!("failed"), json!(2))
    );
    app.stop().await;
}
