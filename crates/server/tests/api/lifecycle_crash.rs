//! A gateway SIGKILLed mid-batch, restarted, and the batch retried with the same
//! Idempotency-Key: the key is taken over at once (its holder is gone, though its lock runs
//! for ten minutes), every candidate ends with exactly one interview, none stays `pending`
//! after sync, and HeyMilo holds each candidate once. Both backends.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::heymilo::held_at_heymilo;
use crate::harness::process::{admin_key, free_port, ready, spawn_gateway, unsafe_kill, Child};

/// No poller: the retry alone must settle what the crash left.
fn start(db: &str, master: &str, port: u16) -> Child {
    spawn_gateway(
        db,
        master,
        port,
        &[
            ("GATEWAY_IDEMPOTENCY__LOCK_SECS", "600"),
            ("GATEWAY_POLLER__ENABLED", "false"),
        ],
    )
}

async fn killed_mid_batch(db: gateway_store::testing::TestDatabase) {
    let master = interview_gateway::secrets::crypto::MasterKey::generate_base64();
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let admin = admin_key(&db, &master).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let control = |path: &str, body: Value| {
        client
            .post(format!("{}/_control{path}", sandbox.base_url()))
            .json(&body)
            .send()
    };
    let mut gateway = start(&db.url, &master, port);
    ready(&client, &base).await;
    let acct: Value = control("/heymilo/accounts", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vendor_key = acct["api_key"].as_str().unwrap().to_string();
    control(
        &format!("/heymilo/accounts/{vendor_key}/postings"),
        json!({"title": "Role"}),
    )
    .await
    .unwrap();
    let conn: Value = client
        .post(format!("{base}/v1/connections"))
        .bearer_auth(&admin)
        .json(&json!({"provider": "heymilo", "name": "hm", "credentials": {"api_key": vendor_key}, "base_url": sandbox.vendor_url("heymilo")}))
        .send().await.unwrap().json().await.unwrap();
    let imported: Value = client
        .post(format!(
            "{base}/v1/connections/{}/templates/import",
            conn["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = imported["data"][0]["id"].as_str().unwrap().to_string();

    // The vendor is slow: the batch is in flight when the gateway dies.
    control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "latency", "ms": 3000}})).await.unwrap();
    let emails: Vec<String> = (0..30).map(|i| format!("k{i}@example.com")).collect();
    let body = json!({"template_id": template, "candidates": emails.iter().map(|e| json!({"email": e})).collect::<Vec<_>>()});
    let send = |body: Value| {
        client
            .post(format!("{base}/v1/interviews/batch"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "batch-1")
            .json(&body)
            .send()
    };
    let inflight = tokio::spawn(send(body.clone()));
    let list = || async {
        let v: Value = client
            .get(format!("{base}/v1/interviews?limit=200"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["data"].as_array().cloned().unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while list().await.len() < 30 {
        assert!(Instant::now() < deadline, "the batch was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unsafe_kill(&mut gateway);
    assert!(
        inflight.await.unwrap().is_err(),
        "the client lost its answer"
    );
    // Let the vendor finish (or drop) what it was doing before the retry.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    reqwest::Client::new()
        .delete(format!("{}/_control/faults", sandbox.base_url()))
        .send()
        .await
        .unwrap();

    let mut gateway = start(&db.url, &master, port);
    ready(&client, &base).await;
    let res = send(body.clone()).await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "the dead holder's key was taken over, not waited for"
    );
    let retried: Value = res.json().await.unwrap();
    assert_eq!(retried["data"].as_array().unwrap().len(), 30);
    // And the same retry without the key answers the same interviews.
    let again: Value = client
        .post(format!("{base}/v1/interviews/batch"))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (a, b) in retried["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again["data"].as_array().unwrap())
    {
        assert_eq!(a["interview"]["id"], b["interview"]["id"], "{a} {b}");
    }
    for r in list().await {
        if r["status"] == "pending" {
            let id = r["id"].as_str().unwrap();
            let res = client
                .post(format!("{base}/v1/interviews/{id}/sync"))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
    }
    let rows = list().await;
    assert_eq!(rows.len(), 30, "one interview per candidate");
    for e in &emails {
        let mine: Vec<&Value> = rows
            .iter()
            .filter(|r| r["candidate"]["email"] == e.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{e}");
        assert_eq!(mine[0]["status"], "invited", "{e}: {}", mine[0]);
        assert_eq!(
            held_at_heymilo(&sandbox, &vendor_key, e).len(),
            1,
            "{e} is held once at the vendor"
        );
    }
    unsafe_kill(&mut gateway);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_killed_mid_flight_and_retried_is_one_interview_each_postgres() {
    killed_mid_batch(gateway_store::testing::postgres().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_killed_mid_flight_and_retried_is_one_interview_each_sqlite() {
    killed_mid_batch(gateway_store::testing::sqlite().await.unwrap()).await;
}
