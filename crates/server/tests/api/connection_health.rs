//! Connection health from real vendor calls (the HeyMilo simulator), its events stored and
//! delivered like every event.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;
use crate::receiver::Receiver;

macro_rules! both {
    ($($name:ident => $overrides:expr),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::harness::TestApp::spawn_with($crate::harness::Backend::Postgres, &$overrides).await;
                    super::$name(app).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::harness::TestApp::spawn_with($crate::harness::Backend::Sqlite, &$overrides).await;
                    super::$name(app).await;
                }
            )*
        }
    };
}

both!(
    refused_credentials_make_a_connection_unhealthy_until_fixed => [],
    an_unreachable_vendor_is_unavailable_after_the_stretch => [
        ("connection_health.unavailable_after_secs", serde_json::json!(1)),
    ],
);

const SCOPES: [&str; 3] = ["connections:write", "webhooks:write", "templates:write"];

async fn check(app: &TestApp, key: &str, id: &str) -> Value {
    app.request(
        Method::POST,
        &format!("/v1/connections/{id}/check"),
        Some(key),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// The connection's health once it reads `state` (the writer runs off the request path).
async fn health_becomes(app: &TestApp, key: &str, id: &str, state: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let c: Value = app
            .request(Method::GET, &format!("/v1/connections/{id}"), Some(key))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if c["health"]["state"] == state || std::time::Instant::now() > deadline {
            assert_eq!(c["health"]["state"], state, "{c}");
            return c["health"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn events(app: &TestApp, key: &str, kind: &str) -> Vec<Value> {
    let v: Value = app
        .request(Method::GET, &format!("/v1/events?type={kind}"), Some(key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"].as_array().unwrap().clone()
}

async fn subscribe(app: &TestApp, key: &str) -> Receiver {
    let rx = Receiver::start().await;
    let res = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(key))
        .json(&json!({"url": rx.url, "events": ["connection.unhealthy", "connection.recovered"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    rx
}

async fn refused_credentials_make_a_connection_unhealthy_until_fixed(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &SCOPES).await;
    let rx = subscribe(&app, &key).await;
    let hm = app.heymilo(&key, 1).await;
    let id = hm.connection_id.as_str();
    let fresh: Value = app
        .request(Method::GET, &format!("/v1/connections/{id}"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        fresh["health"],
        json!({"state": "healthy", "since": null, "last_error": null})
    );
    assert_eq!(check(&app, &key, id).await["ok"], true);
    health_becomes(&app, &key, id, "healthy").await;

    let path = format!("/v1/connections/{id}");
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"credentials": {"api_key": "revoked-at-vendor"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(check(&app, &key, id).await["ok"], false);
    let health = health_becomes(&app, &key, id, "invalid_credentials").await;
    assert!(health["since"].is_string());
    assert!(
        health["last_error"].as_str().unwrap().contains("401"),
        "{health}"
    );
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["type"], "connection.unhealthy");
    assert_eq!(got[0].body["data"]["connection_id"], id);
    assert_eq!(
        got[0].body["data"]["health"]["state"],
        "invalid_credentials"
    );
    assert!(
        !got[0].raw.windows(17).any(|w| w == b"revoked-at-vendor"),
        "no credential in the event"
    );
    // Refused again: still one event.
    check(&app, &key, id).await;
    let unhealthy = events(&app, &key, "connection.unhealthy").await;
    assert_eq!(unhealthy.len(), 1);
    assert_eq!(unhealthy[0]["interview_id"], Value::Null);

    app.request(Method::PATCH, &path, Some(&key))
        .json(&json!({"credentials": {"api_key": hm.api_key}}))
        .send()
        .await
        .unwrap();
    assert_eq!(check(&app, &key, id).await["ok"], true);
    health_becomes(&app, &key, id, "healthy").await;
    let got = rx.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].body["type"], "connection.recovered");
    assert_eq!(got[1].body["data"]["health"]["state"], "healthy");
    assert_eq!(events(&app, &key, "connection.recovered").await.len(), 1);

    // Another workspace sees neither the health nor the events.
    let (_, other) = app.workspace_with_key("b", &SCOPES).await;
    assert!(events(&app, &other, "connection.unhealthy")
        .await
        .is_empty());
    app.stop().await;
}

async fn an_unreachable_vendor_is_unavailable_after_the_stretch(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &SCOPES).await;
    let rx = subscribe(&app, &key).await;
    let hm = app.heymilo(&key, 1).await;
    let id = hm.connection_id.as_str();
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/", "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    assert_eq!(check(&app, &key, id).await["ok"], false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // One failure is no outage yet.
    health_becomes(&app, &key, id, "healthy").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    check(&app, &key, id).await;
    let health = health_becomes(&app, &key, id, "unavailable").await;
    assert!(
        health["last_error"].as_str().unwrap().contains("503"),
        "{health}"
    );
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["data"]["health"]["state"], "unavailable");

    app.clear_faults().await;
    assert_eq!(check(&app, &key, id).await["ok"], true);
    health_becomes(&app, &key, id, "healthy").await;
    let got = rx.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got[1].body["type"], "connection.recovered");
    app.stop().await;
}
