//! A `pending` interview the vendor never received becomes `error` once its settle window
//! has passed, and one with no progress past `interviews.expire_after_days` becomes
//! `expired` (issue 17), each with one event, on both backends.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;

crate::on_both_backends_with!(
    [("interviews.pending_settle_secs", serde_json::json!(2))],
    a_pending_interview_the_vendor_never_got_becomes_error,
    an_open_interview_without_progress_expires_once
);

async fn a_pending_interview_the_vendor_never_got_becomes_error(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    // The bulk ingest fails before HeyMilo acts: the answer proves nothing, so the row
    // stays `pending` (it might have been created).
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "status", "status": 500}}),
    )
    .await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "lost@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["status"], "pending");
    let id = pending["id"].as_str().unwrap().to_string();
    app.clear_faults().await;
    app.state
        .store
        .reschedule_poll(
            app.workspace,
            id.parse().unwrap(),
            Some(gateway_core::time::now() - chrono::Duration::seconds(1)),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let errored = loop {
        let got: Value = app
            .admin(Method::GET, &format!("/v1/interviews/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if got["status"] == "error" {
            break got;
        }
        assert_eq!(got["status"], "pending", "{got}");
        assert!(started.elapsed() < Duration::from_secs(15), "{got}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before its window"
    );
    assert!(
        errored["error"]
            .as_str()
            .unwrap()
            .contains("never received"),
        "{errored}"
    );
    let events: Value = app
        .admin(Method::GET, "/v1/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errored_events = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "interview.errored" && e["data"]["interview"]["id"] == id)
        .count();
    assert_eq!(errored_events, 1, "{events}");
    // Closed: no more polls.
    let again: Value = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["status"], "error");
}

async fn an_open_interview_without_progress_expires_once(app: TestApp) {
    use interview_gateway::service::settle::expire_stale_before;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "quiet@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let now = gateway_core::time::now();
    // Made (and invited, an event) after the cutoff: progress, so not expired.
    assert_eq!(
        expire_stale_before(&app.state, now - chrono::Duration::hours(1)).await,
        0
    );
    // No event since a cutoff after its invitation: expired, once.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cutoff = gateway_core::time::now();
    assert_eq!(expire_stale_before(&app.state, cutoff).await, 1);
    assert_eq!(expire_stale_before(&app.state, cutoff).await, 0);
    let got: Value = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "expired", "{got}");
    let events: Value = app
        .admin(Method::GET, "/v1/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let changed: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["data"]["interview"]["id"] == id && e["data"]["interview"]["status"] == "expired"
        })
        .collect();
    assert_eq!(changed.len(), 1, "{events}");
    assert_eq!(changed[0]["type"], "interview.status_changed");
}
