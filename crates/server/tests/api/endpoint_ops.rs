//! Operating webhook endpoints: PATCH, test messages (verified with the Standard Webhooks
//! reference library), recover, auto-disable, and dispatch the moment a message is queued.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};
use crate::receiver::{Received, Receiver};

/// Each body on both backends, with its own configuration.
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
    patch_test_and_recover => [("webhooks.retry_schedule_secs", serde_json::json!([60]))],
    failing_endpoints_are_disabled_with_an_event => [
        ("webhooks.auto_disable_after_secs", serde_json::json!(1)),
        ("webhooks.retry_schedule_secs", serde_json::json!([1, 1, 1, 1, 1, 1])),
    ],
    // A tick of a minute: only the queue's own signal can make a delivery arrive in time.
    deliveries_leave_as_soon_as_queued => [("webhooks.tick_ms", serde_json::json!(60_000))],
);

async fn endpoint(app: &TestApp, key: &str, url: &str, events: Value) -> (String, String) {
    let res = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(key))
        .json(&json!({"url": url, "events": events}))
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

/// Verified the way a receiver would, with the reference implementation.
fn verify(secret: &str, got: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&got.raw, &got.headers)
        .expect("the delivery verifies with the standardwebhooks library");
    let mut forged = got.raw.clone();
    forged.push(b' ');
    assert!(standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&forged, &got.headers)
        .is_err());
}

async fn call(app: &TestApp, key: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .request(method, path, Some(key))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get_endpoint(app: &TestApp, key: &str, id: &str) -> Value {
    let path = format!("/v1/webhook-endpoints/{id}");
    let res = app
        .request(Method::GET, &path, Some(key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn patch_test_and_recover(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["webhooks:write"]).await;
    let rx = Receiver::start().await;
    let (id, secret) = endpoint(&app, &key, &rx.url, json!(["interview.completed"])).await;
    let path = format!("/v1/webhook-endpoints/{id}");

    // PATCH checks what it is given as creation does, and changes nothing when refused.
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"url": "ftp://hooks.example.com/x", "description": "new"}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(res, 422, "invalid_request").await;
    assert_eq!(problem["errors"][0]["field"], "url");
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"secret": "whsec_x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "unknown fields are refused");
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"events": ["interview.nope"]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let (status, e) = call(
        &app,
        &key,
        Method::PATCH,
        &path,
        json!({"description": "ops", "events": ["interview.invited", "interview.invited"]}),
    )
    .await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(e["description"], "ops");
    assert_eq!(e["events"], json!(["interview.invited"]));
    assert_eq!(e["url"], rx.url.as_str(), "the URL is kept when not given");
    let (_, e) = call(
        &app,
        &key,
        Method::PATCH,
        &path,
        json!({"description": null}),
    )
    .await;
    assert_eq!(e["description"], Value::Null);
    let unknown = format!(
        "/v1/webhook-endpoints/{}",
        gateway_core::WebhookEndpointId::new()
    );
    let (status, _) = call(
        &app,
        &key,
        Method::PATCH,
        &unknown,
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(status, 404);

    // A test message goes to this endpoint, whatever it subscribes to, signed.
    let (status, queued) = call(&app, &key, Method::POST, &format!("{path}/test"), json!({})).await;
    assert_eq!(status, 202, "{queued}");
    let got = rx.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0]);
    assert_eq!(got[0].body["type"], "webhook_endpoint.test");
    assert_eq!(got[0].body["id"], queued["event_id"]);
    assert_eq!(
        got[0].headers["webhook-id"].to_str().unwrap(),
        queued["delivery_id"].as_str().unwrap()
    );
    assert_eq!(got[0].body["data"]["webhook_endpoint_id"], id.as_str());

    // A failing delivery, then the endpoint disabled: the delivery fails, tests and
    // recovery are refused until it is enabled again.
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    rx.answer(500, Duration::ZERO);
    let (_, second) = call(&app, &key, Method::POST, &format!("{path}/test"), json!({})).await;
    let got = rx.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    // The receiver has the delivery before the sender has recorded its failure: wait
    // (bounded) for the record.
    let started = std::time::Instant::now();
    let failing = loop {
        let e = get_endpoint(&app, &key, &id).await;
        if e["failing_since"].is_string() || started.elapsed() > Duration::from_secs(5) {
            break e;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(failing["failing_since"].is_string(), "{failing}");
    let (status, e) = call(&app, &key, Method::PATCH, &path, json!({"disabled": true})).await;
    assert_eq!(status, 200);
    assert!(e["disabled_at"].is_string());
    assert_eq!(e["disabled_reason"], "disabled through the API");
    let res = app
        .request(Method::POST, &format!("{path}/test"), Some(&key))
        .send()
        .await
        .unwrap();
    expect_problem(res, 409, "invalid_state").await;
    let res = app
        .request(Method::POST, &format!("{path}/recover"), Some(&key))
        .json(&json!({"since": before}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 409, "invalid_state").await;
    let deliveries: Value = app
        .request(Method::GET, &format!("{path}/deliveries"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failed = deliveries["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == second["delivery_id"])
        .unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["last_error"], "endpoint disabled");

    let (_, e) = call(&app, &key, Method::PATCH, &path, json!({"disabled": false})).await;
    assert_eq!(e["disabled_at"], Value::Null);
    assert_eq!(
        e["failing_since"],
        Value::Null,
        "enabling restarts the failure clock"
    );
    // Recovery from after the failure re-queues nothing; from before, the failed message.
    let later = chrono::Utc::now();
    let (status, r) = call(
        &app,
        &key,
        Method::POST,
        &format!("{path}/recover"),
        json!({"since": later}),
    )
    .await;
    assert_eq!((status, r["requeued"].as_u64()), (202, Some(0)));
    let (status, r) = call(
        &app,
        &key,
        Method::POST,
        &format!("{path}/recover"),
        json!({"since": "tomorrow"}),
    )
    .await;
    assert!((400..500).contains(&status), "{r}");
    let future = chrono::Utc::now() + chrono::Duration::days(1);
    let (status, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("{path}/recover"),
        json!({"since": future}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, r) = call(
        &app,
        &key,
        Method::POST,
        &format!("{path}/recover"),
        json!({"since": before}),
    )
    .await;
    assert_eq!((status, r["requeued"].as_u64()), (202, Some(1)));
    let got = rx.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[2].headers["webhook-id"], got[1].headers["webhook-id"],
        "the message keeps its id"
    );
    verify(&secret, &got[2]);

    // Another workspace cannot operate this endpoint.
    let (_, other) = app.workspace_with_key("b", &["webhooks:write"]).await;
    let (status, _) = call(
        &app,
        &other,
        Method::PATCH,
        &path,
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        &other,
        Method::POST,
        &format!("{path}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        &other,
        Method::POST,
        &format!("{path}/recover"),
        json!({"since": before}),
    )
    .await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn failing_endpoints_are_disabled_with_an_event(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["webhooks:write"]).await;
    let down = Receiver::start().await;
    for _ in 0..20 {
        down.answer(503, Duration::ZERO);
    }
    let watcher = Receiver::start().await;
    let (down_id, _) = endpoint(&app, &key, &down.url, json!([])).await;
    let (_, watcher_secret) = endpoint(
        &app,
        &key,
        &watcher.url,
        json!(["webhook_endpoint.disabled"]),
    )
    .await;
    let (status, _) = call(
        &app,
        &key,
        Method::POST,
        &format!("/v1/webhook-endpoints/{down_id}/test"),
        json!({}),
    )
    .await;
    assert_eq!(status, 202);

    // Failing for over a second without a success: disabled on a later failure.
    let got = watcher.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "the other endpoint hears of it");
    verify(&watcher_secret, &got[0]);
    assert_eq!(got[0].body["type"], "webhook_endpoint.disabled");
    assert_eq!(
        got[0].body["data"]["webhook_endpoint"]["id"],
        down_id.as_str()
    );
    assert!(got[0].body["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("no successful delivery"));
    let e = get_endpoint(&app, &key, &down_id).await;
    assert!(e["disabled_at"].is_string(), "{e}");
    let attempts = down.received().len();
    assert!(attempts >= 2, "retried before giving up: {attempts}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        down.received().len(),
        attempts,
        "nothing more is sent to it"
    );

    // Stored like every event: listed, though it is about no interview.
    let events: Value = app
        .request(
            Method::GET,
            "/v1/events?type=webhook_endpoint.disabled",
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = events["data"].as_array().unwrap();
    assert_eq!(
        listed.len(),
        1,
        "one event, however many failures: {events}"
    );
    assert_eq!(listed[0]["interview_id"], Value::Null);
    app.stop().await;
}

async fn deliveries_leave_as_soon_as_queued(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["webhooks:write"]).await;
    let rx = Receiver::start().await;
    let (id, _) = endpoint(&app, &key, &rx.url, json!([])).await;
    // Past the sender's first (immediate) tick.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 1..=3 {
        let started = Instant::now();
        let (status, _) = call(
            &app,
            &key,
            Method::POST,
            &format!("/v1/webhook-endpoints/{id}/test"),
            json!({}),
        )
        .await;
        assert_eq!(status, 202);
        let got = rx.wait_for(n, Duration::from_secs(5)).await;
        assert_eq!(
            got.len(),
            n,
            "delivery {n} did not leave before the next tick"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    app.stop().await;
}

/// Three replicas on one Postgres database, each told of every queued message: each is sent
/// exactly once, straight away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_replicas_send_each_message_once() {
    use interview_gateway::secrets::crypto::KeyRing;
    use interview_gateway::Gateway;
    let db = gateway_store::testing::postgres().await.unwrap();
    let mut config = crate::harness::test_config(&db.url, &[("webhooks.tick_ms", json!(60_000))]);
    config.security.master_key = Some(gateway_core::Secret::new(
        interview_gateway::secrets::crypto::MasterKey::generate_base64(),
    ));
    let mut bases = Vec::new();
    let mut stops = Vec::new();
    let mut admin = String::new();
    for i in 0..3 {
        let store = gateway_store::connect(&db.url, Default::default())
            .await
            .unwrap();
        let gw = Gateway::with_store(
            config.clone(),
            store,
            KeyRing::load(&config.security).unwrap(),
        )
        .await
        .unwrap();
        if i == 0 {
            let made = interview_gateway::ops::bootstrap::create_key(
                gw.state(),
                interview_gateway::ops::bootstrap::WorkspaceChoice::Default { name: "w".into() },
                "admin",
                vec![gateway_core::Scope::Admin],
            )
            .await
            .unwrap();
            admin = made.secret.expose().clone();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        stops.push(tx);
        tokio::spawn(gw.serve(listener, async {
            let _ = rx.await;
        }));
    }
    let client = reqwest::Client::new();
    let rx = Receiver::start().await;
    let made: Value = client
        .post(format!("{}/v1/webhook-endpoints", bases[0]))
        .bearer_auth(&admin)
        .json(&json!({"url": rx.url}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let n = 12;
    for i in 0..n {
        let res = client
            .post(format!("{}/v1/webhook-endpoints/{id}/test", bases[i % 3]))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    let got = rx.wait_for(n, Duration::from_secs(10)).await;
    assert_eq!(
        got.len(),
        n,
        "every message arrived without waiting for a tick"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut ids: Vec<String> = rx
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no message was sent twice");
    assert_eq!(rx.received().len(), n);
    for stop in stops {
        let _ = stop.send(());
    }
}
