//! The poller shares work across replicas through database leases.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;

/// `n` candidates (`<tag><i>@example.com`) invited through the batch endpoint; its answer.
async fn invite_batch(app: &TestApp, template: &str, n: usize, tag: &str) -> Value {
    let batch: Vec<Value> = (0..n)
        .map(|i| json!({"email": format!("{tag}{i}@example.com")}))
        .collect();
    app.admin(Method::POST, "/v1/interviews/batch")
        .json(&json!({"template_id": template, "candidates": batch}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Two replicas polling one database read each due interview once (one read each, no
/// sweep: the leases are what is tested; `sweep` below reads pages).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_poll_an_interview_twice() {
    use interview_gateway::secrets::crypto::KeyRing;
    use interview_gateway::Gateway;
    let app = TestApp::spawn_with(
        crate::harness::Backend::Postgres,
        &[("poller.sweep", json!(false))],
    )
    .await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let res = invite_batch(&app, &template, 20, "poll").await;
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

/// 120 open HeyMilo interviews of one posting come due at once: the poller reads the
/// posting's two list pages (100 a page), marks the 117 unchanged ones synced from them, and
/// reads only the 3 whose state changed (while HeyMilo's webhooks were off) on their own —
/// each of those gets its one `interview.started`, the others no event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_reads_pages_and_only_changed_interviews_alone() {
    sweep_of_120(500).await;
}

/// The same with a poll batch of 10: the pages the first tick reads for its 10 leased polls
/// show the other 110 due ones too, and refresh them — still 2 pages in all, not 2 per
/// batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_refreshes_all_its_pages_show_not_only_its_batch() {
    sweep_of_120(10).await;
}

async fn sweep_of_120(batch: u32) {
    let app = TestApp::spawn_with(
        crate::harness::Backend::Postgres,
        &[
            ("poller.interval_secs", json!(3600)),
            ("poller.batch", json!(batch)),
        ],
    )
    .await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let mut interviews: Vec<(String, String)> = Vec::new();
    for chunk in 0..2 {
        let batch: Vec<Value> = (0..60)
            .map(|i| json!({"email": format!("sweep{chunk}x{i}@example.com")}))
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
        for d in res["data"].as_array().unwrap() {
            let iv = &d["interview"];
            assert_eq!(iv["status"], "invited", "{d}");
            interviews.push((
                iv["id"].as_str().unwrap().to_string(),
                iv["provider_refs"]["interview_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
    }
    // HeyMilo stops pushing: what changes now only the poller can find.
    {
        let mut st = app.sandbox.shared.lock(|i| &i.heymilo);
        for account in st.accounts.values_mut() {
            for hook in &mut account.webhooks {
                hook.is_active = false;
            }
        }
    }
    let changed: Vec<&(String, String)> = interviews.iter().step_by(40).collect();
    assert_eq!(changed.len(), 3);
    for (_, vendor_id) in &changed {
        app.sandbox_control(
            &format!("/heymilo/interviews/{vendor_id}/advance"),
            json!({"to": "in_progress"}),
        )
        .await;
    }
    app.sandbox.shared.log.clear();
    let pool = crate::sweeps::all_due_and_swept(&app).await;
    let posting = app.vendor_calls("heymilo", "GET", "/api/interviews/");
    let single = app.vendor_calls("heymilo", "GET", "/api/interview/");
    assert_eq!(posting, 2, "list pages read");
    assert_eq!(single, 3, "interviews read on their own");
    for (id, _) in &interviews {
        let events = crate::inbound::events_of(&app, id).await;
        if changed.iter().any(|(c, _)| c == id) {
            assert_eq!(events, ["interview.invited", "interview.started"], "{id}");
        } else {
            assert_eq!(events, ["interview.invited"], "{id}");
        }
    }
    // The poller's calls are background work: in the call log with its run's trace, no
    // client request id.
    let conn: Value = app
        .admin(Method::GET, "/v1/connections")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conn = conn["data"][0]["id"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    let listed = loop {
        let log: Value = app
            .admin(
                Method::GET,
                &format!("/v1/connections/{conn}/calls?operation=list_interviews"),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed = log["data"].as_array().unwrap().clone();
        if listed.len() >= 2 || started.elapsed() > Duration::from_secs(10) {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed.iter().all(|c| c["request_id"].is_null()),
        "{listed:?}"
    );
    assert!(
        listed.iter().all(|c| c["trace_id"].is_string()),
        "{listed:?}"
    );
    assert_eq!(
        listed[0]["trace_id"], listed[1]["trace_id"],
        "one run, one trace"
    );

    // Every one is synced, the unchanged ones from the pages.
    let (unsynced,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM interviews WHERE last_synced_at IS NULL OR last_synced_at < now() - interval '30 seconds'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unsynced, 0);
}

/// A stopping gateway does not wait for a poller tick stuck on a hung vendor: with three
/// due reads hanging (each would take the 25 s total budget, one after another), a graceful
/// stop returns within seconds, and the leased polls lapse for the next process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_does_not_wait_for_a_tick_on_a_hung_vendor() {
    let app = TestApp::spawn_with(
        crate::harness::Backend::Postgres,
        &[
            ("poller.tick_secs", json!(1)),
            ("poller.sweep", json!(false)),
        ],
    )
    .await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let res = invite_batch(&app, &template, 3, "hung").await;
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/interview/", "fault": {"kind": "hang"}}),
    )
    .await;
    let due = gateway_core::time::now() - chrono::Duration::seconds(1);
    for d in res["data"].as_array().unwrap() {
        let id = d["interview"]["id"].as_str().unwrap().parse().unwrap();
        app.state
            .store
            .reschedule_poll(app.workspace, id, Some(due))
            .await
            .unwrap();
    }
    // Let a tick lease them and hang on the first read.
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let (leased,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM interviews WHERE poll_leased_until > now()")
                .fetch_one(&pool)
                .await
                .unwrap();
        if leased == 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no tick leased them"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopping = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .expect("the gateway stopped");
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        stopping.elapsed()
    );
    let (open,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM interviews WHERE next_poll_at IS NOT NULL AND status = 'invited'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(open, 3, "the abandoned polls are still scheduled");
}
