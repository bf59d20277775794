//! A gateway killed with SIGKILL in the middle of deliveries loses no event: the queue is in
//! the database, leases lapse, and the restarted process sends what is left (at least once).

use std::collections::HashSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::process::{admin_key, free_port, ready, spawn_gateway, unsafe_kill, Child};
use crate::receiver::Receiver;

/// The binary under test, delivering webhooks one at a time every 50 ms.
fn start(db: &str, master: &str, port: u16) -> Child {
    spawn_gateway(
        db,
        master,
        port,
        &[
            ("GATEWAY_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
            ("GATEWAY_WEBHOOKS__TICK_MS", "50"),
            ("GATEWAY_WEBHOOKS__MAX_CONCURRENT", "1"),
            ("GATEWAY_WEBHOOKS__TIMEOUT_SECS", "2"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_loses_no_event() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let master = interview_gateway::secrets::crypto::MasterKey::generate_base64();
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let admin = admin_key(&db, &master).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut gateway = start(&db.url, &master, port);
    ready(&client, &base).await;

    // A slow receiver (150 ms per delivery, one at a time) so the backlog outlives the kill.
    let rx = Receiver::start().await;
    for _ in 0..200 {
        rx.answer(200, Duration::from_millis(150));
    }
    let ep = client
        .post(format!("{base}/v1/webhook-endpoints"))
        .bearer_auth(&admin)
        .json(&json!({"url": rx.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(ep.status(), 201);
    let acct: Value = client
        .post(format!("{}/_control/heymilo/accounts", sandbox.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .post(format!(
            "{}/_control/heymilo/accounts/{}/postings",
            sandbox.base_url(),
            acct["api_key"].as_str().unwrap()
        ))
        .json(&json!({"title": "R"}))
        .send()
        .await
        .unwrap();
    let conn: Value = client
        .post(format!("{base}/v1/connections"))
        .bearer_auth(&admin)
        .json(&json!({"provider": "heymilo", "name": "hm", "credentials": {"api_key": acct["api_key"]}, "base_url": sandbox.vendor_url("heymilo")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let imported: Value = client
        .request(
            Method::POST,
            format!(
                "{base}/v1/connections/{}/templates/import",
                conn["id"].as_str().unwrap()
            ),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = imported["data"][0]["id"].as_str().unwrap();
    let candidates: Vec<Value> = (0..30)
        .map(|i| json!({"email": format!("k{i}@example.com")}))
        .collect();
    let batch: Value = client
        .post(format!("{base}/v1/interviews/batch"))
        .bearer_auth(&admin)
        .json(&json!({"template_id": template, "candidates": candidates}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(batch["data"].as_array().unwrap().len(), 30);

    // Kill it mid-backlog.
    rx.wait_for(5, Duration::from_secs(10)).await;
    unsafe_kill(&mut gateway);
    let before = rx.received().len();
    assert!(
        before < 30,
        "the backlog was still there when the process died ({before} delivered)"
    );

    let _restarted = start(&db.url, &master, port);
    ready(&client, &base).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ids: HashSet<String> = rx
            .received()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_string())
            .collect();
        if ids.len() >= 30 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of 30 events arrived after the restart",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events: HashSet<String> = rx
        .received()
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events.len(),
        30,
        "every event, each under its own webhook-id"
    );
}
