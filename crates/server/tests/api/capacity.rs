//! Capacity (issue 17): one outbound budget per vendor account across the fleet, spent by
//! priority; bulkheads per connection; gateway-wide load shedding. Against the HeyMilo
//! simulator enforcing its per-minute limit the way HeyMilo documents it.

use std::time::{Duration, Instant};

use interview_gateway::secrets::crypto::KeyRing;
use interview_gateway::Gateway;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};

/// Another replica on the app's database and configuration, serving on its own port;
/// answers its base URL and the sender that stops it.
pub(crate) async fn replica(app: &TestApp) -> (String, tokio::sync::oneshot::Sender<()>) {
    let config = app.state.config.clone();
    let store = gateway_store::connect(&app.database_url, Default::default())
        .await
        .unwrap();
    let gw = Gateway::with_store(
        config.clone(),
        store,
        KeyRing::load(&config.security).unwrap(),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gw.serve(listener, async {
        let _ = rx.await;
    }));
    (base, tx)
}

/// A HeyMilo account the simulator limits to `limit` calls a minute, and a connection to it
/// that states the same limit. Answers (connection id, api key).
async fn limited_heymilo(app: &TestApp, limit: u32) -> (String, String) {
    let acct = app
        .sandbox_control("/heymilo/accounts", json!({"rate_limit_per_minute": limit}))
        .await;
    let api_key = acct["api_key"].as_str().unwrap().to_string();
    app.sandbox_control(
        &format!("/heymilo/accounts/{api_key}/postings"),
        json!({"title": "Backend engineer"}),
    )
    .await;
    let res = app
        .admin(Method::POST, "/v1/connections")
        .json(&json!({
            "provider": "heymilo",
            "name": "limited",
            "credentials": {"api_key": api_key},
            "base_url": app.sandbox.vendor_url("heymilo"),
            "settings": {"outbound_requests_per_minute": limit},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (id, api_key)
}

fn vendor_statuses(app: &TestApp) -> Vec<u16> {
    app.sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .iter()
        .map(|r| r.status)
        .collect()
}

/// Three replicas on one database send 60 passthrough calls at once for a connection the
/// vendor limits to 20 a minute: the vendor receives at most 20 and answers none 429; the
/// rest are refused by the gateway itself, naming its outbound budget.
async fn budget_holds_across_three_replicas(overrides: &[(&str, Value)]) {
    let mut all = vec![("poller.enabled", json!(false))];
    all.extend(overrides.iter().cloned());
    let app = TestApp::spawn_with(Backend::Postgres, &all).await;
    let (conn, _) = limited_heymilo(&app, 20).await;
    let (b2, stop2) = replica(&app).await;
    let (b3, stop3) = replica(&app).await;
    app.sandbox.shared.log.clear();
    let bases = [app.base.clone(), b2, b3];
    let mut calls = Vec::new();
    for i in 0..60 {
        let url = format!("{}/v1/connections/{conn}/passthrough", bases[i % 3]);
        let rb = app.client.post(url).bearer_auth(&app.admin_key);
        calls.push(tokio::spawn(async move {
            rb.json(&json!({"method": "GET", "path": "/api/postings"}))
                .send()
                .await
                .unwrap()
        }));
    }
    let mut ok = 0;
    for c in calls {
        let res = c.await.unwrap();
        if res.status() == 200 {
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["status"], 200, "the vendor answered {body}");
            ok += 1;
        } else {
            assert!(res.headers().contains_key("retry-after"));
            let p = expect_problem(res, 503, "provider_rate_limited").await;
            assert!(
                p["provider"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("outbound budget"),
                "{p}"
            );
        }
    }
    let statuses = vendor_statuses(&app);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 0);
    assert_eq!(statuses.len(), 20, "the whole budget, and not a call more");
    assert_eq!(ok, 20);
    let _ = (stop2.send(()), stop3.send(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_holds_across_three_replicas_through_postgres() {
    budget_holds_across_three_replicas(&[("capacity.budget_backend", json!("auto"))]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_holds_across_three_replicas_through_redis() {
    let prefix = format!("ig-cap-{}", uuid::Uuid::now_v7().simple());
    budget_holds_across_three_replicas(&[
        ("rate_limit.backend", json!("redis")),
        (
            "rate_limit.redis_url",
            json!(crate::rate_limits::redis_url()),
        ),
        ("rate_limit.redis_prefix", json!(prefix)),
    ])
    .await;
}

/// The poller of three replicas saturates what background work may take of a 20/min
/// budget; an invitation made meanwhile is sent at once from the reserve, and the vendor
/// never answers 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_sent_at_once_while_the_poller_saturates_the_budget() {
    // One read per interview (no sweep): the poller must be able to fill its share.
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[
            ("poller.interval_secs", json!(3600)),
            ("poller.sweep", json!(false)),
        ],
    )
    .await;
    let (conn, _) = limited_heymilo(&app, 20).await;
    let res = app
        .admin(
            Method::POST,
            &format!("/v1/connections/{conn}/templates/import"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let template = res.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let batch: Vec<Value> = (0..30)
        .map(|i| json!({"email": format!("busy{i}@example.com")}))
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
    let (_b2, _s2) = replica(&app).await;
    let (_b3, _s3) = replica(&app).await;
    let due = gateway_core::time::now() - chrono::Duration::seconds(1);
    for d in res["data"].as_array().unwrap() {
        let id = d["interview"]["id"].as_str().unwrap().parse().unwrap();
        app.state
            .store
            .reschedule_poll(app.workspace, id, Some(due))
            .await
            .unwrap();
    }
    // Background work may take 14 of the 20 (30 % reserve); wait until it has.
    let started = Instant::now();
    loop {
        let n = vendor_statuses(&app).len();
        if n >= 14 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{n} calls");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        vendor_statuses(&app).len(),
        14,
        "background stopped at its cap"
    );
    let sent = Instant::now();
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "urgent@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(
        vendor_statuses(&app).iter().filter(|s| **s == 429).count(),
        0
    );
}

/// A hung vendor holds at most `max_in_flight_per_connection` requests; the next is
/// refused at once with 503 `provider_busy` and Retry-After, and reads that need no vendor still answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_vendor_fills_its_bulkhead_and_nothing_else() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[
            ("capacity.max_in_flight_per_connection", json!(2)),
            ("poller.enabled", json!(false)),
        ],
    )
    .await;
    let (conn, _) = limited_heymilo(&app, 300).await;
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/postings", "fault": {"kind": "hang"}}),
    )
    .await;
    let path = format!("/v1/connections/{conn}/passthrough");
    let mut hung = Vec::new();
    for _ in 0..2 {
        let rb = app.admin(Method::POST, &path);
        hung.push(tokio::spawn(async move {
            rb.json(&json!({"method": "GET", "path": "/api/postings"}))
                .send()
                .await
                .unwrap()
        }));
    }
    // Let both reach the (hung) vendor; the third call finds the bulkhead full.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = Instant::now();
    let refused = app
        .admin(Method::POST, &path)
        .json(&json!({"method": "GET", "path": "/api/postings"}))
        .send()
        .await
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert!(refused.headers().contains_key("retry-after"));
    expect_problem(refused, 503, "provider_busy").await;
    let t = Instant::now();
    let res = app
        .admin(Method::GET, "/v1/interviews")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(t.elapsed() < Duration::from_millis(500));
    let m = app.client.get(app.url("/metrics")).send().await.unwrap();
    let text = m.text().await.unwrap();
    assert!(
        text.contains("gateway_shed_total{scope=\"connection\",route=\"passthrough\"}"),
        "{text}"
    );
    app.clear_faults().await;
    for h in hung {
        h.abort();
    }
}

/// Gateway-wide shedding counts work in the gateway, not waiting on a vendor: with
/// `capacity.max_in_flight` = 1, a passthrough hung at its vendor leaves room for another
/// write; a write still being received (its body trickling in) does not, and the next one is
/// answered 503 `service_unavailable` with `Retry-After` at once. Health, metrics and reads
/// (their own pool) are never starved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_shed_at_once_and_health_never_is() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[
            ("capacity.max_in_flight", json!(1)),
            ("capacity.shed_retry_after_secs", json!(2)),
            ("poller.enabled", json!(false)),
        ],
    )
    .await;
    let (conn, _) = limited_heymilo(&app, 300).await;
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/postings", "fault": {"kind": "hang"}}),
    )
    .await;
    let path = format!("/v1/connections/{conn}/passthrough");
    let rb = app.admin(Method::POST, &path);
    let hung = tokio::spawn(async move {
        rb.json(&json!({"method": "GET", "path": "/api/postings"}))
            .send()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!hung.is_finished(), "the passthrough waits on its vendor");
    let admitted = app
        .admin(Method::POST, "/v1/workspaces")
        .json(&json!({"name": "beside the hung vendor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        admitted.status(),
        201,
        "a request waiting on a vendor holds no gateway slot"
    );

    // A write whose body has not all arrived is work in the gateway: it holds the slot.
    use tokio::io::AsyncWriteExt;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut trickle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    trickle
        .write_all(
            format!(
                "POST /v1/workspaces HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{{\"name\":",
                app.admin_key
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let shed = app
        .admin(Method::POST, "/v1/workspaces")
        .json(&json!({"name": "more"}))
        .send()
        .await
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(shed.headers()["retry-after"], "2");
    expect_problem(shed, 503, "service_unavailable").await;
    for path in ["/health/live", "/metrics", "/v1/interviews"] {
        let res = app.admin(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    // The slot comes back when that request ends.
    drop(trickle);
    let started = Instant::now();
    loop {
        let res = app
            .admin(Method::POST, "/v1/workspaces")
            .json(&json!({"name": "after"}))
            .send()
            .await
            .unwrap();
        if res.status() == 201 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.clear_faults().await;
    hung.abort();
}

/// An open interview invited two days ago is read by the poller, then scheduled four
/// intervals later (the documented back-off), not one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_open_interviews_are_polled_less_often() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "old@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    sqlx::query(
        "UPDATE interviews SET created_at = now() - interval '2 days', next_poll_at = now() - interval '1 second'",
    )
    .execute(&pool)
    .await
    .unwrap();
    app.sandbox.shared.log.clear();
    let started = Instant::now();
    while app.vendor_calls("heymilo", "GET", "/api/interview/") == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (secs,): (f64,) =
        sqlx::query_as("SELECT EXTRACT(EPOCH FROM next_poll_at - now())::float8 FROM interviews")
            .fetch_one(&pool)
            .await
            .unwrap();
    // 4 × the 300 s interval, give or take the test's own time.
    assert!((1150.0..=1200.0).contains(&secs), "next poll in {secs} s");
}

/// Seconds until the one interview's next poll, read straight from the database.
async fn next_poll_in(pool: &sqlx::PgPool, id: &str) -> f64 {
    let id: gateway_core::InterviewId = id.parse().unwrap();
    let (secs,): (f64,) = sqlx::query_as(
        "SELECT EXTRACT(EPOCH FROM next_poll_at - now())::float8 FROM interviews WHERE id = $1",
    )
    .bind(id.as_uuid())
    .fetch_one(pool)
    .await
    .unwrap();
    secs
}

/// Make the interview due and wait until the poller has read it and rescheduled it.
async fn polled_once_more(app: &TestApp, pool: &sqlx::PgPool, id: &str) -> f64 {
    app.sandbox.shared.log.clear();
    let iid: gateway_core::InterviewId = id.parse().unwrap();
    sqlx::query("UPDATE interviews SET next_poll_at = now() - interval '1 second' WHERE id = $1")
        .bind(iid.as_uuid())
        .execute(pool)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let secs = next_poll_in(pool, id).await;
        if app.vendor_calls("heymilo", "GET", "/api/interview/") > 0 && secs > 0.0 {
            return secs;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// While a connection's HeyMilo webhooks arrive, its open interviews are read only every
/// `poller.reconcile_interval_secs` (3600 s); before the first webhook, every interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_fed_connection_is_polled_only_to_reconcile() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let iv: Value = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "pushed@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = iv["id"].as_str().unwrap().to_string();
    let vendor_id = iv["provider_refs"]["interview_id"].as_str().unwrap();
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();

    // No webhook yet: the plain 300 s interval.
    let secs = polled_once_more(&app, &pool, &id).await;
    assert!((250.0..=300.0).contains(&secs), "next poll in {secs} s");

    // HeyMilo pushes the start; from then on the poller only reconciles.
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    crate::inbound::wait_for_events(&app, &id, 2).await;
    // The webhook's own processing (its record, then the refresh read it asks for) ends by
    // moving the next read to reconciliation.
    let started = Instant::now();
    while next_poll_in(&pool, &id).await < 3550.0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the webhook left the next poll at {} s",
            next_poll_in(&pool, &id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And the poller's own read keeps it there.
    let secs = polled_once_more(&app, &pool, &id).await;
    assert!((3550.0..=3600.0).contains(&secs), "next poll in {secs} s");
}

/// `/metrics` names each connection whose polls are late, by how long its longest-waiting
/// one has waited, beside the fleet-wide lag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_lag_is_reported_per_connection() {
    // No poller here: nothing catches up while the lag is read.
    let app = TestApp::spawn_with(Backend::Postgres, &[("poller.enabled", json!(false))]).await;
    let (hm, template) = app.heymilo_template(&app.admin_key).await;
    let iv: Value = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "late@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id: gateway_core::InterviewId = iv["id"].as_str().unwrap().parse().unwrap();
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE interviews SET next_poll_at = now() - interval '90 seconds' WHERE id = $1")
        .bind(id.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |prefix: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let lag = value(&format!(
        "gateway_poller_connection_lag_seconds{{connection=\"{}\"}} ",
        hm.connection_id
    ));
    assert!((89.0..120.0).contains(&lag), "connection lag {lag}");
    assert_eq!(
        value("gateway_poller_lag_seconds "),
        lag,
        "the fleet's is the worst one's"
    );
}
