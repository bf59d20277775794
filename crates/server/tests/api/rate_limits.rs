use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, test_config, Backend, TestApp};

crate::on_both_backends!(
    keys_are_limited_with_headers,
    outbound_limits_protect_the_vendor
);

async fn keys_are_limited_with_headers(app: TestApp) {
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "tight", "scopes": ["keys:write"], "rate_limit": {"requests_per_minute": 60, "burst": 3}}))
        .send()
        .await
        .unwrap();
    let key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let res = app
            .request(Method::GET, "/v1/api-keys", Some(&key))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["ratelimit-limit"], "3");
        assert!(res.headers().contains_key("ratelimit-reset"));
        remaining.push(
            res.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    let p = expect_problem(res, 429, "rate_limited").await;
    assert!(p["detail"].as_str().unwrap().contains("60 requests/minute"));
    // Errors count and carry the headers too; other keys are not affected.
    let res = app
        .admin(Method::GET, "/v1/workspaces/ws_01jd8x3k5m7q9s1v3x5z7b9d1f")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["ratelimit-limit"],
        "10000",
        "the configured default burst"
    );
    // Open routes are not limited (and carry no headers).
    let res = app
        .request(Method::GET, "/health/live", None)
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("ratelimit-limit").is_none());
    // After a second the steady rate (1/s) gives one more.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.request(Method::GET, "/v1/api-keys", Some(&key))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn unique_prefix() -> String {
    format!("ig-test-{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_unreachable_fails_open_or_closed_as_configured() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("redis://{}", l.local_addr().unwrap())
    };
    for (fail_open, status) in [(true, 200), (false, 503)] {
        let app = TestApp::spawn_with(
            Backend::Sqlite,
            &[
                ("rate_limit.backend", json!("redis")),
                ("rate_limit.redis_url", json!(closed)),
                ("rate_limit.fail_open", json!(fail_open)),
            ],
        )
        .await;
        let res = app
            .admin(Method::GET, "/v1/workspaces")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "fail_open = {fail_open}");
        if !fail_open {
            assert_eq!(res.headers()["retry-after"], "1");
            expect_problem(res, 503, "service_unavailable").await;
        }
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_limits_one_key_within_a_process() {
    let prefix = unique_prefix();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("rate_limit.backend", json!("redis")),
            ("rate_limit.redis_url", json!(redis_url())),
            ("rate_limit.redis_prefix", json!(prefix)),
        ],
    )
    .await;
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "r", "scopes": ["keys:write"], "rate_limit": {"requests_per_minute": 1, "burst": 5}}))
        .send()
        .await
        .unwrap();
    let key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let res = app
            .request(Method::GET, "/v1/api-keys", Some(&key))
            .send()
            .await
            .unwrap();
        statuses.push((
            res.status().as_u16(),
            res.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        ));
    }
    let codes: Vec<u16> = statuses.iter().map(|s| s.0).collect();
    assert_eq!(codes, [200, 200, 200, 200, 200, 429, 429]);
    assert_eq!(statuses[0].1, "4");
    assert_eq!(statuses[4].1, "0");
    app.stop().await;
}

/// Three gateway processes, one Redis: the limit is global, not per replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_one_limit_through_redis() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let prefix = unique_prefix();
    let master = interview_gateway::secrets::crypto::MasterKey::generate_base64();
    // Make the admin key with the same database and master key the replicas use.
    let mut config = test_config(&db.url, &[]);
    config.security.master_key = Some(gateway_core::Secret::new(master.clone()));
    let key = {
        let mk = interview_gateway::secrets::crypto::KeyRing::load(&config.security).unwrap();
        let gw = interview_gateway::Gateway::with_store(config, db.store.clone(), mk)
            .await
            .unwrap();
        let made = interview_gateway::ops::bootstrap::create_key(
            gw.state(),
            interview_gateway::ops::bootstrap::WorkspaceChoice::Default { name: "w".into() },
            "replicas",
            vec![gateway_core::Scope::Admin],
        )
        .await
        .unwrap();
        made.secret.expose().clone()
    };
    {
        let client = reqwest::Client::new();
        let mut ports = Vec::new();
        let mut children = Vec::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_interview-gateway"))
                .arg("serve")
                .env("GATEWAY_SERVER__BIND", format!("127.0.0.1:{port}"))
                .env("GATEWAY_DATABASE__URL", &db.url)
                .env("GATEWAY_SECURITY__MASTER_KEY", &master)
                .env("GATEWAY_RATE_LIMIT__BACKEND", "redis")
                .env("GATEWAY_RATE_LIMIT__REDIS_URL", redis_url())
                .env("GATEWAY_RATE_LIMIT__REDIS_PREFIX", &prefix)
                .env("GATEWAY_LOG__LEVEL", "warn")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            children.push(KillOnDrop(child));
            ports.push(port);
        }
        for port in &ports {
            let mut ready = false;
            for _ in 0..100 {
                if client
                    .get(format!("http://127.0.0.1:{port}/health/ready"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
                {
                    ready = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(ready, "replica on {port} did not become ready");
        }
        // A tight quota with almost no refill during the test: 20 at once, 1 per minute.
        let res = client
            .post(format!("http://127.0.0.1:{}/v1/api-keys", ports[0]))
            .bearer_auth(&key)
            .json(&json!({"name": "shared", "scopes": ["keys:write"], "rate_limit": {"requests_per_minute": 1, "burst": 20}}))
            .send()
            .await
            .unwrap();
        let limited = res.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_string();
        // 90 requests, spread over the replicas, 30 at a time.
        let mut admitted = 0;
        let mut refused = 0;
        for round in 0..3 {
            let tasks: Vec<_> = (0..30)
                .map(|i| {
                    let url = format!("http://127.0.0.1:{}/v1/api-keys", ports[(i + round) % 3]);
                    let rb = client.get(url).bearer_auth(&limited);
                    tokio::spawn(async move { rb.send().await.unwrap().status().as_u16() })
                })
                .collect();
            for t in tasks {
                match t.await.unwrap() {
                    200 => admitted += 1,
                    429 => refused += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
        }
        assert_eq!(admitted + refused, 90);
        assert!(
            (20..=21).contains(&admitted),
            "admitted {admitted} with a shared burst of 20"
        );
        drop(children);
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection's outbound budget: calls beyond it are refused before they reach the vendor.
async fn outbound_limits_protect_the_vendor(app: TestApp) {
    let hm = app.heymilo(&app.admin_key, 1).await;
    let conn = format!("/v1/connections/{}", hm.connection_id);
    let res = app
        .admin(Method::PATCH, &conn)
        .json(&json!({"settings": {"outbound_requests_per_minute": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let import = format!("{conn}/templates/import");
    assert_eq!(
        app.admin(Method::POST, &import)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = app.admin(Method::POST, &import).send().await.unwrap();
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after > 30,
        "the next slot is about a minute away: {retry_after}"
    );
    let p = expect_problem(res, 503, "provider_rate_limited").await;
    assert_eq!(p["provider"]["name"], "heymilo");
    assert_eq!(
        app.vendor_calls("heymilo", "GET", "/api/postings"),
        1,
        "the refused call never left the gateway"
    );
}
