//! The poller shares work across replicas through database leases.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;

/// Two replicas polling one database read each due interview once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_poll_an_interview_twice() {
    use interview_gateway::secrets::crypto::KeyRing;
    use interview_gateway::Gateway;
    let app = TestApp::spawn(crate::harness::Backend::Postgres).await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let batch: Vec<Value> = (0..20)
        .map(|i| json!({"email": format!("poll{i}@example.com")}))
        .collect();
    let res: Value = app
        .admin(Method::POST, "/v1/interviews/batch")
        .json(&json!({"template_id": template, "candidates": batch}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vendor_ids: Vec<String> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["interview"]["provider_refs"]["interview_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // A second replica on the same database.
    let config = app.state.config.clone();
    let store = gateway_store::connect(&app.database_url, Default::default())
        .await
        .unwrap();
    let second = Gateway::with_store(
        config.clone(),
        store,
        KeyRing::load(&config.security).unwrap(),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(second.serve(listener, async {
        let _ = rx.await;
    }));
    // Count from before any is due: a replica may read the first ones while the rest are
    // still being made due. The poll interval (300 s) keeps each from coming due again.
    app.sandbox.shared.log.clear();
    let due = gateway_core::time::now() - chrono::Duration::seconds(1);
    for d in res["data"].as_array().unwrap() {
        let id = d["interview"]["id"].as_str().unwrap().parse().unwrap();
        app.state
            .store
            .reschedule_poll(app.workspace, id, Some(due))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let reads = app.sandbox.shared.log.list(Some("heymilo"));
    for vid in &vendor_ids {
        let n = reads
            .iter()
            .filter(|r| r.method == "GET" && r.path == format!("/api/interview/{vid}"))
            .count();
        assert_eq!(n, 1, "{vid} was read {n} times");
    }
    let _ = tx.send(());
}
