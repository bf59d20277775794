//! Resilience, bounded and on loopback: vendor storms end in bounded retries and clear
//! problems with no duplicate invitation; a database outage answers 503 and heals without a
//! restart; a gateway SIGKILLed mid-batch leaves every interview visible and none duplicated.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gateway_core::Scope;
use interview_gateway::bootstrap::{create_key, WorkspaceChoice};
use interview_gateway::crypto::KeyRing;
use interview_gateway::Gateway;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::crash::{admin_key, free_port, ready, start, unsafe_kill};
use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    a_read_storm_is_retried_a_bounded_number_of_times,
    a_rate_limit_storm_on_invites_never_invites_twice
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

/// A TCP proxy in front of Postgres that can "stop the database": drop every connection
/// and refuse new ones, then accept again — the shared server itself is never touched.
struct DbSwitch {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl DbSwitch {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Self {
            addr,
            up,
            links,
            accept,
        }
    }

    fn stop_database(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn start_database(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for DbSwitch {
    fn drop(&mut self) {
        self.accept.abort();
        self.stop_database();
    }
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
    let master = interview_gateway::crypto::MasterKey::generate_base64();
    let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let admin = admin_key(&db, &master).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut gateway = start(&db.url, &master, port);
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

    let mut gateway = start(&db.url, &master, port);
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
