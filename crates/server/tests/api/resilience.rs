//! Resilience, bounded and on loopback: vendor storms end in bounded retries and clear
//! problems with no duplicate invitation; a database outage answers 503 and heals without a
//! restart; a gateway SIGKILLed mid-batch leaves every interview visible and none duplicated.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway_core::Scope;
use interview_gateway::ops::bootstrap::{create_key, WorkspaceChoice};
use interview_gateway::secrets::crypto::KeyRing;
use interview_gateway::Gateway;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::harness::fronts::{DbSwitch, VendorFront};
use crate::harness::heymilo::{held_at_heymilo, heymilo_behind};
use crate::harness::process::{admin_key, free_port, ready, spawn_gateway, unsafe_kill, Child};
use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    a_read_storm_is_retried_a_bounded_number_of_times,
    a_rate_limit_storm_on_invites_never_invites_twice,
    vendor_read_failures_end_in_bounded_retries_and_clean_problems,
);

/// The default retry policy's attempts (`vendors.max_attempts`).
const MAX_ATTEMPTS: usize = 3;

async fn a_read_storm_is_retried_a_bounded_number_of_times(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "storm@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for status in [500, 502, 503] {
        app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/interview/", "fault": {"kind": "status", "status": status}})).await;
        let before = app.vendor_calls("heymilo", "GET", "/api/interview/");
        let started = Instant::now();
        let res = app
            .admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 502, "provider_unavailable").await;
        assert_eq!(p["provider"]["name"], "heymilo", "{p}");
        assert_eq!(
            app.vendor_calls("heymilo", "GET", "/api/interview/") - before,
            MAX_ATTEMPTS,
            "a safe read is retried, and only max_attempts times ({status})"
        );
        // The test config's total budget is 6 s; retries never outlive it.
        assert!(started.elapsed() < Duration::from_secs(8));
        app.clear_faults().await;
    }
    // The interview is untouched by the failed reads, and the vendor still has it once.
    let i: Value = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(i["status"], "invited");
    assert_eq!(app.vendor_calls("heymilo", "POST", "/api/ingest"), 1);
}

async fn a_rate_limit_storm_on_invites_never_invites_twice(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    // 429 means "not processed": even an invitation may go again — within the budget.
    app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "rate_limit", "retry_after_secs": 1}})).await;
    let started = Instant::now();
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "limited@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1"),
        "the vendor's Retry-After reaches the client"
    );
    let p = expect_problem(res, 503, "provider_rate_limited").await;
    assert_eq!(p["provider"]["name"], "heymilo");
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        MAX_ATTEMPTS,
        "retried after each Retry-After, then given up"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the waits were honoured"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    // Refused every time, so nothing exists at the vendor and nothing is left here.
    let list: Value = app
        .admin(Method::GET, "/v1/interviews")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");

    // The storm passes after one more refusal: the invitation goes through, once.
    app.clear_faults().await;
    app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "rate_limit", "retry_after_secs": 1}, "times": 1})).await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "limited@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        MAX_ATTEMPTS + 2,
        "one refused attempt, one accepted"
    );
    let ok = app
        .sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .iter()
        .filter(|r| r.path.starts_with("/api/ingest") && r.status == 200)
        .count();
    assert_eq!(ok, 1, "exactly one invitation reached the vendor");
}

async fn status_and_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert!(
            content_type.starts_with("application/problem+json"),
            "{status} {content_type} {body}"
        );
    }
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_heals_without_a_restart() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let parsed = url::Url::parse(&db.url).unwrap();
    let target: SocketAddr = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let switch = DbSwitch::start(target).await;
    let proxied = db
        .url
        .replacen(&target.to_string(), &switch.addr.to_string(), 1);
    let config = crate::harness::test_config(
        &proxied,
        &[
            ("database.acquire_timeout_secs", json!(2)),
            ("poller.enabled", json!(false)),
        ],
    );
    let store = gateway_store::connect(
        &proxied,
        gateway_store::PoolSettings {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(2),
        },
    )
    .await
    .unwrap();
    let ring = KeyRing::load(&config.security).unwrap();
    let gateway = Gateway::with_store(config, store, ring).await.unwrap();
    let key = |name: &'static str| {
        let state = gateway.state().clone();
        async move {
            create_key(
                &state,
                WorkspaceChoice::Default { name: "w".into() },
                name,
                vec![Scope::Admin],
            )
            .await
            .unwrap()
            .secret
            .expose()
            .clone()
        }
    };
    let admin = key("used").await;
    let unused = key("never used before the outage").await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.serve(listener, async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let get = |path: &str, key: &str| client.get(format!("{base}{path}")).bearer_auth(key);

    // Load: a steady stream of reads and writes while the database goes away and comes back.
    let load_stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (client, base, admin, load_stop) = (
            client.clone(),
            base.clone(),
            admin.clone(),
            load_stop.clone(),
        );
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeMap::<(u16, String), usize>::new();
            let mut n = 0;
            while !load_stop.load(Ordering::SeqCst) {
                n += 1;
                let res = if n % 3 == 0 {
                    client
                        .post(format!("{base}/v1/workspaces"))
                        .bearer_auth(&admin)
                        .json(&json!({"name": format!("load {n}")}))
                        .send()
                        .await
                } else {
                    client
                        .get(format!("{base}/v1/workspaces"))
                        .bearer_auth(&admin)
                        .send()
                        .await
                };
                let res = res.expect("the gateway answers even without its database");
                *seen.entry(status_and_code(res).await).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    switch.stop_database();
    let down_at = Instant::now();
    let res = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert!(
        down_at.elapsed() < Duration::from_secs(5),
        "readiness answers quickly"
    );
    assert_eq!(
        status_and_code(res).await,
        (503, "service_unavailable".to_string())
    );
    let res = get("/v1/workspaces", &admin).send().await.unwrap();
    assert_eq!(
        status_and_code(res).await,
        (503, "service_unavailable".to_string())
    );
    // A key the cache has never seen cannot be checked: 503, not a misleading 401.
    let res = get("/v1/workspaces", &unused).send().await.unwrap();
    assert_eq!(
        status_and_code(res).await,
        (503, "service_unavailable".to_string())
    );
    let res = client
        .post(format!("{base}/v1/workspaces"))
        .bearer_auth(&admin)
        .json(&json!({"name": "during the outage"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(res).await,
        (503, "service_unavailable".to_string())
    );
    assert!(down_at.elapsed() < Duration::from_secs(15));
    tokio::time::sleep(Duration::from_millis(500)).await;

    switch.start_database();
    let back_at = Instant::now();
    loop {
        let ready = client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap()
            .status();
        if ready == 200 {
            break;
        }
        assert!(
            back_at.elapsed() < Duration::from_secs(15),
            "the pool reconnects by itself"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let list: Value = get("/v1/workspaces?limit=200", &unused)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["name"] != "during the outage"),
        "a refused write left nothing behind"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    load_stop.store(true, Ordering::SeqCst);
    let seen = load.await.unwrap();
    for ((status, code), n) in &seen {
        assert!(
            matches!(
                (status, code.as_str()),
                (200 | 201, _) | (503, "service_unavailable")
            ),
            "only successes and clean 503s under load: {seen:?} ({n})"
        );
    }
    assert!(
        seen.keys().any(|(s, _)| *s == 503) && seen.keys().any(|(s, _)| *s == 200),
        "the load saw the outage and the recovery: {seen:?}"
    );
    let _ = stop_tx.send(());
    let _ = server.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_batch_loses_and_duplicates_nothing() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let master = interview_gateway::secrets::crypto::MasterKey::generate_base64();
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let admin = admin_key(&db, &master).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut gateway = spawn_gateway(&db.url, &master, port, &[]);
    ready(&client, &base).await;

    let control = |path: &str, body: Value| {
        client
            .post(format!("{}/_control{path}", sandbox.base_url()))
            .json(&body)
            .send()
    };
    let acct: Value = control("/heymilo/accounts", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_key = acct["api_key"].as_str().unwrap();
    control(
        &format!("/heymilo/accounts/{api_key}/postings"),
        json!({"title": "R"}),
    )
    .await
    .unwrap();
    let conn: Value = client
        .post(format!("{base}/v1/connections"))
        .bearer_auth(&admin)
        .json(&json!({"provider": "heymilo", "name": "hm", "credentials": {"api_key": api_key}, "base_url": sandbox.vendor_url("heymilo")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

    // The vendor takes 3 s over the bulk ingest; the gateway dies in the middle of it.
    control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "latency", "ms": 3000}, "times": 1}),
    )
    .await
    .unwrap();
    let emails: Vec<String> = (0..50).map(|i| format!("k{i}@example.com")).collect();
    let batch = {
        let (client, base, admin, template) = (
            client.clone(),
            base.clone(),
            admin.clone(),
            template.clone(),
        );
        let candidates: Vec<Value> = emails.iter().map(|e| json!({"email": e})).collect();
        tokio::spawn(async move {
            client
                .post(format!("{base}/v1/interviews/batch"))
                .bearer_auth(&admin)
                .json(&json!({"template_id": template, "candidates": candidates}))
                .send()
                .await
        })
    };
    let ingests = || {
        sandbox
            .shared
            .log
            .list(Some("heymilo"))
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/api/ingest"))
            .count()
    };
    // The rows are written (pending) before the vendor is called; once all 50 are there,
    // the bulk call is under way and takes 3 s: kill the gateway inside it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Value = client
            .get(format!("{base}/v1/interviews?limit=200"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if rows["data"].as_array().unwrap().len() == 50 {
            break;
        }
        assert!(Instant::now() < deadline, "the batch never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    unsafe_kill(&mut gateway);
    assert!(batch.await.unwrap().is_err(), "the client lost its answer");
    // Whatever the vendor does with the cut-off call, it does within its 3 s.
    tokio::time::sleep(Duration::from_millis(3200)).await;

    let mut gateway = spawn_gateway(&db.url, &master, port, &[]);
    ready(&client, &base).await;
    let list = |q: &'static str| {
        client
            .get(format!("{base}/v1/interviews?limit=200{q}"))
            .bearer_auth(&admin)
            .send()
    };
    let rows: Value = list("").await.unwrap().json().await.unwrap();
    let rows = rows["data"].as_array().unwrap().clone();
    assert_eq!(
        rows.len(),
        50,
        "every interview of the batch is visible after the crash"
    );
    let mut seen: Vec<&str> = rows
        .iter()
        .map(|r| r["candidate"]["email"].as_str().unwrap())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 50, "one row per candidate");
    for r in &rows {
        assert!(
            matches!(r["status"].as_str(), Some("pending" | "invited" | "error")),
            "{r}"
        );
    }
    // Settle them all: sync reads (never re-invites) whatever the vendor has.
    for r in &rows {
        let id = r["id"].as_str().unwrap();
        let res = client
            .post(format!("{base}/v1/interviews/{id}/sync"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_client_error(),
            "{}",
            res.status()
        );
    }
    assert!(
        ingests() <= 1,
        "the killed batch was sent at most once and never again: no duplicate invitations"
    );
    // And the vendor holds each candidate at most once.
    let holds = |email: &str| {
        sandbox
            .shared
            .log
            .list(Some("heymilo"))
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/api/ingest") && r.status < 300)
            .map(|r| r.body.to_string().matches(&format!("\"{email}\"")).count())
            .sum::<usize>()
    };
    for e in &emails {
        assert!(holds(e) <= 1, "{e} invited more than once");
    }
    let after: Value = list("").await.unwrap().json().await.unwrap();
    for r in after["data"].as_array().unwrap() {
        assert!(
            matches!(r["status"].as_str(), Some("pending" | "invited" | "error")),
            "{r}"
        );
    }
    unsafe_kill(&mut gateway);
}

async fn get_interview(app: &TestApp, id: &str) -> Value {
    app.admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The problem document must not carry any credential the gateway holds.
fn assert_no_secret(app: &TestApp, vendor_key: &str, problem: &Value) {
    let text = problem.to_string();
    let master = app.state.config.security.master_key.as_ref().unwrap();
    for (what, secret) in [
        ("the vendor api key", vendor_key),
        ("the caller's api key", app.admin_key.as_str()),
        ("the master key", master.expose().as_str()),
    ] {
        assert!(!text.contains(secret), "{what} leaked: {text}");
    }
}

/// Reads (`sync`) in a 5xx storm, a hang and a 429 storm: exactly `max_attempts` vendor
/// requests each (counted in front of the vendor, so unanswered ones count too), within the
/// call budget, answered with a problem naming the provider and no secret; `GET` answers
/// the stored state without calling the vendor at all. A Retry-After past the cap ends the
/// call at once, for reads and invitations alike.
async fn vendor_read_failures_end_in_bounded_retries_and_clean_problems(app: TestApp) {
    let front = VendorFront::start(app.sandbox.addr).await;
    let (vendor_key, template) =
        heymilo_behind(&app.client, &app.base, &app.admin_key, &app.sandbox, &front).await;
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "reader@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reads = || front.requests("GET", "/heymilo/api/interview/");
    let fault = |fault: Value| {
        app.sandbox_control(
            "/faults",
            json!({"vendor": "heymilo", "method": "GET", "path_prefix": "/api/interview/", "fault": fault}),
        )
    };
    let sync = || {
        app.admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
            .send()
    };
    // Budget 6 s in the test config; slack for a loaded machine.
    let budget = Duration::from_secs(6 + 4);

    // 503 on every read.
    fault(json!({"kind": "status", "status": 503})).await;
    let before = reads();
    let res = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET is the stored state");
    assert_eq!(reads(), before, "GET never calls the vendor");
    let started = Instant::now();
    let p = expect_problem(sync().await.unwrap(), 502, "provider_unavailable").await;
    assert!(started.elapsed() < budget);
    assert_eq!(reads() - before, MAX_ATTEMPTS, "5xx: max_attempts reads");
    assert_eq!(p["provider"]["name"], "heymilo", "{p}");
    assert_eq!(p["provider"]["status"], 503, "{p}");
    assert_no_secret(&app, &vendor_key, &p);
    app.clear_faults().await;

    // A vendor that never answers: each attempt times out, and the reads stay in budget.
    fault(json!({"kind": "hang"})).await;
    let before = reads();
    let started = Instant::now();
    let p = expect_problem(sync().await.unwrap(), 502, "provider_unavailable").await;
    assert!(
        started.elapsed() < budget,
        "hang: {:?}, past the budget",
        started.elapsed()
    );
    assert_eq!(reads() - before, MAX_ATTEMPTS, "hang: max_attempts reads");
    assert_eq!(p["provider"]["name"], "heymilo", "{p}");
    assert_no_secret(&app, &vendor_key, &p);
    app.clear_faults().await;

    // 429 with a Retry-After under the cap: waited out each time, then surfaced.
    fault(json!({"kind": "rate_limit", "retry_after_secs": 1})).await;
    let before = reads();
    let started = Instant::now();
    let res = sync().await.unwrap();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let p = expect_problem(res, 503, "provider_rate_limited").await;
    assert_eq!(
        retry_after.as_deref(),
        Some("1"),
        "Retry-After reaches the client"
    );
    assert_eq!(reads() - before, MAX_ATTEMPTS, "429: max_attempts reads");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "two Retry-After waits were honoured"
    );
    assert!(started.elapsed() < budget);
    assert_no_secret(&app, &vendor_key, &p);
    app.clear_faults().await;

    // A Retry-After past `max_retry_after` (2 s here): no wait, one request, surfaced as is.
    fault(json!({"kind": "rate_limit", "retry_after_secs": 30})).await;
    let before = reads();
    let started = Instant::now();
    let res = sync().await.unwrap();
    assert_eq!(
        res.headers().get("retry-after").unwrap().to_str().unwrap(),
        "30"
    );
    expect_problem(res, 503, "provider_rate_limited").await;
    assert_eq!(reads() - before, 1, "a wait past the cap is not waited out");
    assert!(started.elapsed() < Duration::from_secs(2));
    app.clear_faults().await;

    // The same for an invitation: refused (429 = not processed), nothing left behind.
    let ingests = || front.requests("POST", "/heymilo/api/ingest/");
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "rate_limit", "retry_after_secs": 30}}),
    )
    .await;
    let before = ingests();
    let started = Instant::now();
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "capped@example.com"}, "retake": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("retry-after").unwrap().to_str().unwrap(),
        "30"
    );
    let p = expect_problem(res, 503, "provider_rate_limited").await;
    assert_no_secret(&app, &vendor_key, &p);
    assert_eq!(ingests() - before, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(held_at_heymilo(&app.sandbox, &vendor_key, "capped@example.com").is_empty());
    app.clear_faults().await;

    // The failed reads changed nothing: still invited, invited once.
    let i: Value = app
        .admin(Method::GET, &format!("/v1/interviews/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(i["status"], "invited", "{i}");
    let list: Value = app
        .admin(Method::GET, "/v1/interviews")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        held_at_heymilo(&app.sandbox, &vendor_key, "reader@example.com").len(),
        1
    );
}

/// Invitations whose outcome the gateway cannot know — the vendor answered 500 or 503,
/// never answered (hang), or acted and its answer was lost — with `retake`, so every ingest
/// HeyMilo receives makes a new interview there: each is sent exactly once, answered 202
/// with the interview `pending` and the reason, and settled later by the poller and `sync`
/// (which read, never re-invite): the one the vendor acted on becomes `invited` with the
/// vendor's id, the others stay visibly `pending`; the vendor holds each candidate at most
/// once. Without `retake` HeyMilo itself dedups by email, so the gateway may resend
/// (max_attempts) and the vendor still holds the candidate once. A batch in a 503 goes once.
async fn an_invite_with_an_unknown_outcome_is_sent_once_and_settled_without_a_resend(app: TestApp) {
    let front = VendorFront::start(app.sandbox.addr).await;
    let (vendor_key, template) =
        heymilo_behind(&app.client, &app.base, &app.admin_key, &app.sandbox, &front).await;
    let ingests = || front.requests("POST", "/heymilo/api/ingest/");
    let invite = |email: &str, retake: bool| {
        app.admin(Method::POST, "/v1/interviews")
            .json(
                &json!({"template_id": template, "candidate": {"email": email}, "retake": retake}),
            )
            .send()
    };
    let budget = Duration::from_secs(6 + 4);
    let fault = |fault: Value| {
        app.sandbox_control(
            "/faults",
            json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": fault}),
        )
    };

    let mut pending: Vec<(&str, String)> = Vec::new();
    for case in ["s500", "s503", "hang", "lost"] {
        match case {
            "s500" => fault(json!({"kind": "status", "status": 500})).await,
            "s503" => fault(json!({"kind": "status", "status": 503})).await,
            "hang" => fault(json!({"kind": "hang"})).await,
            _ => {
                front.lose_answers(true);
                Value::Null
            }
        };
        let email = format!("{case}@example.com");
        let before = ingests();
        let started = Instant::now();
        let res = invite(&email, true).await.unwrap();
        assert!(
            started.elapsed() < budget,
            "{case}: {:?}",
            started.elapsed()
        );
        assert_eq!(
            res.status(),
            202,
            "{case}: an unknown outcome is accepted, pending"
        );
        let i: Value = res.json().await.unwrap();
        assert_eq!(i["status"], "pending", "{case}: {i}");
        let why = i["error"].as_str().unwrap_or_default();
        assert!(
            why.contains("heymilo") && why.contains("/sync"),
            "{case}: the interview says why and what settles it: {i}"
        );
        assert_eq!(
            ingests() - before,
            1,
            "{case}: an invitation that may have arrived is never resent"
        );
        app.clear_faults().await;
        front.lose_answers(false);
        pending.push((case, i["id"].as_str().unwrap().to_string()));
    }
    // What the vendor did: acted on the one whose answer was lost, on none of the others.
    for (case, _) in &pending {
        let held = held_at_heymilo(&app.sandbox, &vendor_key, &format!("{case}@example.com"));
        assert_eq!(held.len(), usize::from(*case == "lost"), "{case}: {held:?}");
    }

    // Without retake HeyMilo answers a repeated ingest with the interview it has: safe to
    // resend, so a 503 is retried — and still one interview at most at the vendor.
    fault(json!({"kind": "status", "status": 503})).await;
    let before = ingests();
    let res = invite("safe@example.com", false).await.unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(ingests() - before, MAX_ATTEMPTS);
    app.clear_faults().await;
    front.lose_answers(true);
    let before = ingests();
    let res = invite("safe-lost@example.com", false).await.unwrap();
    front.lose_answers(false);
    assert_eq!(res.status(), 202);
    let safe_lost = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = ingests() - before;
    assert!((1..=MAX_ATTEMPTS).contains(&sent), "{sent}");
    assert_eq!(
        held_at_heymilo(&app.sandbox, &vendor_key, "safe-lost@example.com").len(),
        1,
        "resent {sent} times, held once"
    );

    // A batch in a 503 storm: one bulk request, every candidate pending with the problem.
    fault(json!({"kind": "status", "status": 503})).await;
    let before = ingests();
    let candidates: Vec<Value> = (0..5)
        .map(|i| json!({"email": format!("b{i}@example.com")}))
        .collect();
    let res = app
        .admin(Method::POST, "/v1/interviews/batch")
        .json(&json!({"template_id": template, "candidates": candidates, "retake": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let batch: Value = res.json().await.unwrap();
    assert_eq!(ingests() - before, 1, "one bulk request, not resent");
    for item in batch["data"].as_array().unwrap() {
        assert_eq!(item["interview"]["status"], "pending", "{item}");
        assert_eq!(item["error"]["code"], "provider_unavailable", "{item}");
        assert_eq!(item["error"]["provider"]["name"], "heymilo", "{item}");
        pending.push((
            "batch",
            item["interview"]["id"].as_str().unwrap().to_string(),
        ));
    }
    app.clear_faults().await;
    let sent_before_settling = ingests();

    // The fault is gone. The poller (interval 1 s here) settles the lost one by reading it.
    let lost_id = pending
        .iter()
        .find(|(c, _)| *c == "lost")
        .unwrap()
        .1
        .clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let i = get_interview(&app, &lost_id).await;
        if i["status"] == "invited" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the poller never settled it: {i}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And a client's explicit sync of every one of them reads, never re-invites.
    for (case, id) in &pending {
        let res = app
            .admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{case}");
        let i: Value = res.json().await.unwrap();
        let want = if *case == "lost" {
            "invited"
        } else {
            "pending"
        };
        assert_eq!(i["status"], want, "{case}: {i}");
    }
    let res = app
        .admin(Method::POST, &format!("/v1/interviews/{safe_lost}/sync"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "invited");
    // Give the poller a few more ticks, then count.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        ingests(),
        sent_before_settling,
        "settling sent no invitation"
    );
    let lost = get_interview(&app, &lost_id).await;
    assert_eq!(
        [lost["provider_refs"]["interview_id"]
            .as_str()
            .unwrap()
            .to_string()]
        .to_vec(),
        held_at_heymilo(&app.sandbox, &vendor_key, "lost@example.com"),
        "the pending row is now the vendor's one interview"
    );
    for (case, _) in pending.iter().filter(|(c, _)| *c != "batch") {
        let email = format!("{case}@example.com");
        assert!(held_at_heymilo(&app.sandbox, &vendor_key, &email).len() <= 1);
    }
    for i in 0..5 {
        assert!(
            held_at_heymilo(&app.sandbox, &vendor_key, &format!("b{i}@example.com")).is_empty()
        );
    }
    // Every row is still there: nothing lost, nothing doubled.
    let list: Value = app
        .admin(Method::GET, "/v1/interviews?limit=200")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        pending.len() + 2,
        "{list}"
    );
}

/// [`an_invite_with_an_unknown_outcome_is_sent_once_and_settled_without_a_resend`] with a
/// poller that reads pending interviews every second.
mod unknown_invite_outcome {
    use crate::harness::{Backend, TestApp};
    use serde_json::json;

    async fn app(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, &[("poller.interval_secs", json!(1))]).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::an_invite_with_an_unknown_outcome_is_sent_once_and_settled_without_a_resend(
            app(Backend::Postgres).await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_invite_with_an_unknown_outcome_is_sent_once_and_settled_without_a_resend(
            app(Backend::Sqlite).await,
        )
        .await;
    }
}

/// The binary under test with short vendor timeouts and a poller that reads a pending
/// interview 3 s after it was written.
fn start_polling(db: &str, master: &str, port: u16) -> Child {
    spawn_gateway(
        db,
        master,
        port,
        &[
            ("GATEWAY_VENDORS__ATTEMPT_TIMEOUT_SECS", "4"),
            ("GATEWAY_VENDORS__TOTAL_BUDGET_SECS", "6"),
            ("GATEWAY_POLLER__INTERVAL_SECS", "3"),
            ("GATEWAY_POLLER__TICK_SECS", "1"),
        ],
    )
}

/// The worst case of a crash: the vendor has acted on the whole batch, and the gateway dies
/// before its answer arrives, so no vendor id was recorded. With `retake`, every ingest
/// HeyMilo receives makes a new interview: after a restart on the same database, all 50
/// interviews are there (`pending`), the poller settles each one to `invited` by *reading*
/// the vendor, each row ends up with the one interview the vendor made for it, and the
/// vendor received the batch once and holds every candidate exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_after_the_vendor_acted_settles_by_reading_not_resending() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let master = interview_gateway::secrets::crypto::MasterKey::generate_base64();
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let front = VendorFront::start(sandbox.addr).await;
    let admin = admin_key(&db, &master).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut gateway = start_polling(&db.url, &master, port);
    ready(&client, &base).await;
    let (vendor_key, template) = heymilo_behind(&client, &base, &admin, &sandbox, &front).await;
    let ingests = || front.requests("POST", "/heymilo/api/ingest/");

    front.lose_answers(true);
    let emails: Vec<String> = (0..50).map(|i| format!("lost{i}@example.com")).collect();
    let batch = {
        let (client, base, admin, template) = (
            client.clone(),
            base.clone(),
            admin.clone(),
            template.clone(),
        );
        let candidates: Vec<Value> = emails.iter().map(|e| json!({"email": e})).collect();
        tokio::spawn(async move {
            client
                .post(format!("{base}/v1/interviews/batch"))
                .bearer_auth(&admin)
                .json(&json!({"template_id": template, "candidates": candidates, "retake": true}))
                .send()
                .await
        })
    };
    // The vendor has acted once its log shows the bulk ingest answered; the gateway is now
    // waiting for an answer the front swallows. Kill it there.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .iter()
        .any(|r| r.path.starts_with("/api/ingest/x/bulk/") && r.status == 200)
    {
        assert!(
            Instant::now() < deadline,
            "the batch never reached the vendor"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    unsafe_kill(&mut gateway);
    assert!(batch.await.unwrap().is_err(), "the client lost its answer");
    front.lose_answers(false);
    for e in &emails {
        assert_eq!(held_at_heymilo(&sandbox, &vendor_key, e).len(), 1, "{e}");
    }

    let mut gateway = start_polling(&db.url, &master, port);
    ready(&client, &base).await;
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
        v["data"].as_array().unwrap().clone()
    };
    let rows = list().await;
    assert_eq!(
        rows.len(),
        50,
        "every interview of the batch survived the crash"
    );
    assert!(
        rows.iter().all(|r| r["status"] == "pending"),
        "no answer was recorded, so each is visibly pending"
    );
    // The restarted gateway's poller settles them all, by reading.
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let rows = list().await;
        if rows.iter().all(|r| r["status"] == "invited") {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "the poller did not settle them: {:?}",
            rows.iter().map(|r| &r["status"]).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // A few more poller ticks, then the vendor's view.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ingests(), 1, "the batch was sent once, never again");
    for r in &rows {
        let email = r["candidate"]["email"].as_str().unwrap();
        let held = held_at_heymilo(&sandbox, &vendor_key, email);
        assert_eq!(
            held.len(),
            1,
            "{email} is held once at the vendor: {held:?}"
        );
        assert_eq!(
            r["provider_refs"]["interview_id"].as_str(),
            Some(held[0].as_str()),
            "{email}: the row is the vendor's interview"
        );
    }
    unsafe_kill(&mut gateway);
}
