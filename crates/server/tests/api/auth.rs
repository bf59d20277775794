use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};

crate::on_both_backends!(
    missing_malformed_and_wrong_keys_are_401,
    a_key_without_the_scope_is_403,
    revocation_takes_effect_on_the_next_request,
    expired_keys_are_401,
    rotation_keeps_the_old_secret_for_the_grace,
    open_routes_need_no_key,
);

async fn missing_malformed_and_wrong_keys_are_401(app: TestApp) {
    let path = "/v1/workspaces";
    let res = app.request(Method::GET, path, None).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body = expect_problem(res, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("missing API key"));

    let res = app
        .client
        .get(app.url(path))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
    let res = app
        .request(Method::GET, path, Some("not-a-key"))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("malformed"));

    // Right shape, right lookup, wrong secret.
    let (lookup, _) = app.admin_key.rsplit_once('_').unwrap();
    let forged = format!("{lookup}_{}", "x".repeat(40));
    let res = app
        .request(Method::GET, path, Some(&forged))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 401, "unauthorized").await;
    assert_eq!(body["detail"], "invalid API key");
    // Unknown lookup.
    let unknown = format!("igk_{}_{}", "a".repeat(16), "b".repeat(40));
    let res = app
        .request(Method::GET, path, Some(&unknown))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
    // Unknown routes are not an oracle: without a key they are 401 too.
    let res = app
        .request(Method::GET, "/v1/nothing-here", None)
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
}

async fn a_key_without_the_scope_is_403(app: TestApp) {
    let (_, key) = app.workspace_with_key("acme", &["interviews:read"]).await;
    let res = app
        .request(Method::GET, "/v1/workspaces", Some(&key))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 403, "forbidden").await;
    assert!(body["detail"].as_str().unwrap().contains("admin"));
    let res = app
        .request(Method::POST, "/v1/api-keys", Some(&key))
        .json(&json!({"name": "x", "scopes": ["interviews:read"]}))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 403, "forbidden").await;
    assert!(body["detail"].as_str().unwrap().contains("keys:write"));
}

async fn revocation_takes_effect_on_the_next_request(app: TestApp) {
    let (_, key) = app.workspace_with_key("acme", &["keys:write"]).await;
    let me = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the key works and is now cached");
    let id = me.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("revoked"));
}

async fn expired_keys_are_401(app: TestApp) {
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "short-lived", "scopes": ["keys:write"], "expires_at": soon}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.request(Method::GET, "/v1/api-keys", Some(&key))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    let body = expect_problem(res, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("expired"));
}

async fn rotation_keeps_the_old_secret_for_the_grace(app: TestApp) {
    let (_, old) = app.workspace_with_key("acme", &["keys:write"]).await;
    let list = app
        .request(Method::GET, "/v1/api-keys", Some(&old))
        .send()
        .await
        .unwrap();
    let id = list.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .request(
            Method::POST,
            &format!("/v1/api-keys/{id}/rotate"),
            Some(&old),
        )
        .json(&json!({"grace_seconds": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let new = body["key"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(new.starts_with(body["prefix"].as_str().unwrap()));
    assert_eq!(
        app.request(Method::GET, "/v1/api-keys", Some(&new))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.request(Method::GET, "/v1/api-keys", Some(&old))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "inside the grace"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(&old))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(res, 401, "unauthorized").await;
    assert!(problem["detail"].as_str().unwrap().contains("rotated"));
    assert_eq!(
        app.request(Method::GET, "/v1/api-keys", Some(&new))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn open_routes_need_no_key(app: TestApp) {
    for path in ["/health/live", "/health/ready", "/openapi.json"] {
        let res = app.request(Method::GET, path, None).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

/// A cached key is trusted for at most `auth.cache_ttl_secs` after a change the gateway did
/// not make itself (another replica's revocation): here the row is revoked behind its back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cache_is_bounded_by_its_ttl() {
    let app = TestApp::spawn_with(Backend::Postgres, &[("auth.cache_ttl_secs", json!(1))]).await;
    let (_, key) = app.workspace_with_key("acme", &["keys:write"]).await;
    let list = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    let id: gateway_core::ApiKeyId = list.json::<Value>().await.unwrap()["data"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let other = gateway_store::connect(&app.database_url, Default::default())
        .await
        .unwrap();
    let ws = other.api_key_workspace(id).await.unwrap().unwrap();
    other
        .revoke_api_key(ws, id, gateway_core::time::now())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
    app.stop().await;
}

/// Revocation through one replica reaches the others' caches by notification, long before
/// their cache TTL (set to 10 minutes here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_revocation_reaches_every_replica() {
    use interview_gateway::secrets::crypto::KeyRing;
    use interview_gateway::Gateway;
    let db = gateway_store::testing::postgres().await.unwrap();
    let mut config = crate::harness::test_config(&db.url, &[("auth.cache_ttl_secs", json!(600))]);
    config.security.master_key = Some(gateway_core::Secret::new(
        interview_gateway::secrets::crypto::MasterKey::generate_base64(),
    ));
    let mut bases = Vec::new();
    let mut stops = Vec::new();
    let mut admin = String::new();
    for i in 0..2 {
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
    let res = client
        .post(format!("{}/v1/api-keys", bases[0]))
        .bearer_auth(&admin)
        .json(&json!({"name": "k", "scopes": ["keys:write"]}))
        .send()
        .await
        .unwrap();
    let made: Value = res.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_string();
    for base in &bases {
        assert_eq!(
            client
                .get(format!("{base}/v1/api-keys"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "cached on {base}"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // both replicas are listening
    client
        .delete(format!(
            "{}/v1/api-keys/{}",
            bases[0],
            made["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let revoked_at = std::time::Instant::now();
    loop {
        let status = client
            .get(format!("{}/v1/api-keys", bases[1]))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(2),
            "replica B still trusts a revoked key"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for s in stops {
        let _ = s.send(());
    }
}
