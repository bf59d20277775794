//! Vendor webhooks end to end: HeyMilo's are registered by the gateway, fired by the
//! simulator, verified, de-duplicated and turned into exactly one event per change.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    heymilo_webhooks_become_events_once,
    unverified_webhooks_store_nothing
);

pub async fn events_of(app: &TestApp, interview: &str) -> Vec<String> {
    let v: Value = app
        .admin(
            Method::GET,
            &format!("/v1/events?interview_id={interview}&limit=50"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut types: Vec<String> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

pub async fn wait_for_events(app: &TestApp, interview: &str, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let e = events_of(app, interview).await;
        if e.len() >= n {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    events_of(app, interview).await
}

async fn heymilo_webhooks_become_events_once(app: TestApp) {
    let (hm, template) = app.heymilo_template(&app.admin_key).await;
    // Importing registered one webhook per HeyMilo event, pointing at the connection's URL.
    let conn: Value = app
        .admin(
            Method::GET,
            &format!("/v1/connections/{}", hm.connection_id),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inbound = conn["inbound_webhook_url"].as_str().unwrap().to_string();
    let hooks = app
        .sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .into_iter()
        .filter(|r| r.path == "/api/webhook/create")
        .collect::<Vec<_>>();
    assert_eq!(hooks.len(), 3);
    assert!(hooks.iter().all(|h| h.body["url"] == inbound.as_str()));
    // Importing again does not register twice.
    app.admin(
        Method::POST,
        &format!("/v1/connections/{}/templates/import", hm.connection_id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/webhook/create"),
        3
    );

    let iv: Value = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "pushed@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = iv["id"].as_str().unwrap();
    let vendor_id = iv["provider_refs"]["interview_id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    assert_eq!(
        wait_for_events(&app, id, 2).await,
        ["interview.invited", "interview.started"]
    );
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "completed", "score": 77.0}),
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
    let got: Value = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "completed");
    assert_eq!(got["result"]["score"]["normalized"], 77.0);

    // The vendor retries a webhook: stored once, no new event. A sync seeing the same state
    // adds nothing either.
    let replay = json!({"event_type": "interview_completed", "interview_id": vendor_id, "posting_id": "p", "webhook_id": "w", "timestamp": 1.0});
    let ack: Value = app
        .client
        .post(&inbound)
        .json(&replay)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (ack["accepted"].clone(), ack["duplicates"].clone()),
        (json!(0), json!(1))
    );
    app.admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        events_of(&app, id).await.len(),
        4,
        "one event per vendor change"
    );

    // Deleting the connection deactivates the webhooks it registered; the URL answers 410.
    assert_eq!(
        app.admin(
            Method::DELETE,
            &format!("/v1/connections/{}", hm.connection_id)
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/webhook/deactivate/"),
        3
    );
    let res = app
        .client
        .post(&inbound)
        .json(&replay)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
}

async fn unverified_webhooks_store_nothing(app: TestApp) {
    let (hm, _) = app.heymilo_template(&app.admin_key).await;
    let conn: Value = app
        .admin(
            Method::GET,
            &format!("/v1/connections/{}", hm.connection_id),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inbound = conn["inbound_webhook_url"].as_str().unwrap().to_string();
    let body = json!({"event_type": "interview_started", "interview_id": "int_x"});
    let (base, token) = inbound.rsplit_once('/').unwrap();
    for url in [
        format!("{base}/wrong-token"),
        format!("{base}x/{token}"),
        inbound.replace(&hm.connection_id, "conn_01jd8x3k5m7q9s1v3x5z7b9d1f"),
        inbound.replace(&hm.connection_id, "nonsense"),
    ] {
        let res = app.client.post(&url).json(&body).send().await.unwrap();
        expect_problem(res, 401, "unauthorized").await;
    }
    // A verified but unreadable one is refused too.
    let res = app
        .client
        .post(&inbound)
        .body("not json")
        .send()
        .await
        .unwrap();
    expect_problem(res, 400, "malformed_request").await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbound_receipts")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(
        n, 0,
        "nothing stored from unverified or unreadable requests"
    );
    // No API key needed, and none accepted as a substitute for the token.
    let res = app
        .client
        .post(format!("{base}/wrong-token"))
        .bearer_auth(&app.admin_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
