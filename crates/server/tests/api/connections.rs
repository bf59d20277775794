use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};

crate::on_both_backends!(
    providers_describe_themselves,
    connections_crud_without_ever_returning_credentials,
    connection_bodies_are_validated,
    check_reports_and_records_credential_trouble,
    passthrough_is_confined_and_scoped,
    credentials_never_follow_a_new_host,
);

async fn providers_describe_themselves(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["templates:read"]).await;
    let body: Value = app
        .request(Method::GET, "/v1/providers", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let heymilo = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "heymilo")
        .unwrap();
    assert_eq!(heymilo["capabilities"]["create_template"], false);
    assert_eq!(heymilo["capabilities"]["batch_invite"], true);
    assert_eq!(heymilo["credentials"][0]["field"], "api_key");
    assert_eq!(heymilo["credentials"][0]["secret"], true);
}

async fn connections_crud_without_ever_returning_credentials(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["connections:write"]).await;
    let hm = app.heymilo(&key, 0).await;
    let path = format!("/v1/connections/{}", hm.connection_id);
    let got: Value = app
        .request(Method::GET, &path, Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["provider"], "heymilo");
    assert_eq!(got["status"], "active");
    let text = got.to_string();
    assert!(
        !text.contains(&hm.api_key),
        "credentials are never returned"
    );
    assert!(got.get("credentials").is_none());
    let inbound = got["inbound_webhook_url"].as_str().unwrap();
    assert!(inbound.starts_with(&format!(
        "{}/v1/inbound/{}/",
        app.state.config.public_url(),
        hm.connection_id
    )));

    // The database holds only ciphertext.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (blob,): (Vec<u8>,) = sqlx::query_as("SELECT credentials FROM connections")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(!blob
        .windows(hm.api_key.len())
        .any(|w| w == hm.api_key.as_bytes()));

    let list: Value = app
        .request(Method::GET, "/v1/connections", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Rename and point the credentials at a key that does not exist: check says so.
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"name": "renamed", "credentials": {"api_key": "wrong"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "renamed");
    let check: Value = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], false);
    // Clearing the base URL returns to the vendor's real host; absent fields are kept.
    let res = app
        .request(Method::PATCH, &path, Some(&key))
        .json(&json!({"base_url": null, "credentials": {"api_key": "for-the-real-host"}}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["base_url"].clone(), body["name"].clone()),
        (Value::Null, json!("renamed"))
    );

    assert_eq!(
        app.request(Method::DELETE, &path, Some(&key))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    expect_problem(
        app.request(Method::GET, &path, Some(&key))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.request(Method::DELETE, &path, Some(&key))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
}

async fn connection_bodies_are_validated(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["connections:write"]).await;
    let base = json!({"provider": "heymilo", "name": "x", "credentials": {"api_key": "k"}});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("provider", json!("acme")), "provider"),
        (with("credentials", json!({})), "credentials.api_key"),
        (
            with("credentials", json!({"api_key": "k", "password": "p"})),
            "credentials.password",
        ),
        (
            with("credentials", json!({"api_key": 42})),
            "credentials.api_key",
        ),
        (
            with("credentials", json!({"api_key": "  "})),
            "credentials.api_key",
        ),
        (with("base_url", json!("ftp://x")), "base_url"),
        (
            with("base_url", json!("https://user:pw@api.heymilo.network")),
            "base_url",
        ),
        (
            with("settings", json!({"colour": "red"})),
            "settings.colour",
        ),
        (
            with("settings", json!({"outbound_requests_per_minute": -1})),
            "settings.outbound_requests_per_minute",
        ),
        (with("name", json!("")), "name"),
    ] {
        let res = app
            .request(Method::POST, "/v1/connections", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let list: Value = app
        .request(Method::GET, "/v1/connections", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list["data"].as_array().unwrap().is_empty(),
        "nothing half-written"
    );
}

/// Without `security.allow_private_base_urls`, a connection cannot aim the gateway at
/// loopback or private addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_base_urls_need_configuration() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("security.allow_private_base_urls", json!(false))],
    )
    .await;
    for url in [
        "http://127.0.0.1:9/heymilo",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://localhost:8080",
    ] {
        let res = app
            .admin(Method::POST, "/v1/connections")
            .json(&json!({"provider": "heymilo", "name": "x", "credentials": {"api_key": "k"}, "base_url": url}))
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], "base_url");
    }
    app.stop().await;
}

async fn check_reports_and_records_credential_trouble(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["connections:write"]).await;
    let hm = app.heymilo(&key, 2).await;
    let path = format!("/v1/connections/{}", hm.connection_id);
    let ok: Value = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["ok"], true);
    assert!(ok["detail"].as_str().unwrap().contains("2 postings"));
    app.request(Method::PATCH, &path, Some(&key))
        .json(&json!({"credentials": {"api_key": "revoked-at-vendor"}}))
        .send()
        .await
        .unwrap();
    let bad: Value = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (bad["ok"].clone(), bad["status"].clone()),
        (json!(false), json!("invalid_credentials"))
    );
    assert!(!bad.to_string().contains("revoked-at-vendor"));
    let got: Value = app
        .request(Method::GET, &path, Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "invalid_credentials");
    // New credentials earn a fresh verdict.
    app.request(Method::PATCH, &path, Some(&key))
        .json(&json!({"credentials": {"api_key": hm.api_key}}))
        .send()
        .await
        .unwrap();
    let ok: Value = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (ok["ok"].clone(), ok["status"].clone()),
        (json!(true), json!("active"))
    );
}

async fn passthrough_is_confined_and_scoped(app: TestApp) {
    let (ws, key) = app
        .workspace_with_key("a", &["connections:write", "passthrough"])
        .await;
    let hm = app.heymilo(&key, 1).await;
    let path = format!("/v1/connections/{}/passthrough", hm.connection_id);
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(&json!({"method": "GET", "path": "/api/postings", "query": {"page": "1", "limit": "5"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 200);
    assert_eq!(body["body"]["total"], 1);
    assert_eq!(body["headers"]["x-ratelimit-limit"], "300");
    // The vendor's own error comes back as data, not as a gateway error.
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(&json!({"method": "GET", "path": "/api/interview/nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["status"], 404);
    for bad in [
        "../_control/requests",
        "/api/../../_control/faults",
        "https://example.com/x",
        "//example.com/x",
    ] {
        let res = app
            .request(Method::POST, &path, Some(&key))
            .json(&json!({"method": "GET", "path": bad}))
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], "path", "{bad}");
    }
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(&json!({"method": "TRACE", "path": "/api/postings"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
    assert_eq!(app.vendor_calls("heymilo", "GET", "/_control"), 0);
    let no_scope = app.key_in(&ws, &["connections:write"]).await;
    let res = app
        .request(Method::POST, &path, Some(&no_scope))
        .json(&json!({"method": "GET", "path": "/api/postings"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "forbidden").await;
}

/// `vendors.simulator_url` sends every connection to the simulators, whatever its base_url.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_mode_reaches_the_sandbox_for_every_connection() {
    let app = TestApp::spawn_with_simulators(Backend::Sqlite).await;
    let acct = app.sandbox_control("/heymilo/accounts", json!({})).await;
    let key = acct["api_key"].as_str().unwrap();
    app.sandbox_control(
        &format!("/heymilo/accounts/{key}/postings"),
        json!({"title": "Role"}),
    )
    .await;
    // No base_url: in production this would be api.heymilo.network.
    let res = app
        .admin(Method::POST, "/v1/connections")
        .json(&json!({"provider": "heymilo", "name": "x", "credentials": {"api_key": key}}))
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let check: Value = app
        .admin(Method::POST, &format!("/v1/connections/{id}/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(app.vendor_calls("heymilo", "GET", "/api/postings"), 1);
    app.stop().await;
}

/// A listener that records every byte sent to it and answers 401: the attacker's host.
async fn recording_host() -> (String, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                if let Ok(n) = sock.read(&mut buf).await {
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = sock
                    .write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, seen)
}

async fn credentials_never_follow_a_new_host(app: TestApp) {
    let (ws, key) = app.workspace_with_key("a", &["connections:write"]).await;
    let hm = app.heymilo(&key, 0).await;
    let path = format!("/v1/connections/{}", hm.connection_id);
    let (attacker, seen) = recording_host().await;
    let patch = |body: Value| {
        let rb = app.request(Method::PATCH, &path, Some(&key)).json(&body);
        async move { rb.send().await.unwrap() }
    };

    // Moving the connection without its credentials is refused, and nothing changes.
    let p = expect_problem(
        patch(json!({"base_url": attacker})).await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "credentials", "{p}");
    let p = expect_problem(
        patch(json!({"base_url": null})).await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "credentials", "{p}");
    let got: Value = app
        .request(Method::GET, &path, Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["base_url"],
        app.sandbox.vendor_url("heymilo").trim_end_matches('/')
    );
    let check: Value = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], true, "still talks to its own host: {check}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the other host"
    );

    // The same origin needs no credentials (here: the same URL again, and a rename).
    let res =
        patch(json!({"base_url": app.sandbox.vendor_url("heymilo"), "name": "same host"})).await;
    assert_eq!(res.status(), 200);

    // With new credentials the move is allowed, audited, and only the new ones go there.
    let res =
        patch(json!({"base_url": attacker, "credentials": {"api_key": "given-for-the-new-host"}}))
            .await;
    assert_eq!(res.status(), 200);
    let _ = app
        .request(Method::POST, &format!("{path}/check"), Some(&key))
        .send()
        .await
        .unwrap();
    let sent = String::from_utf8_lossy(&seen.lock().unwrap()).to_string();
    assert!(sent.contains("given-for-the-new-host"), "{sent}");
    assert!(
        !sent.contains(&hm.api_key),
        "the old credential never went to the new host"
    );
    let audit: Value = app
        .admin(
            Method::GET,
            &format!(
                "/v1/audit-log?action=connection.updated&workspace_id={}",
                ws
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let moved: Vec<&Value> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["host_changed"] == true)
        .collect();
    assert_eq!(moved.len(), 1, "{audit}");
    assert_eq!(moved[0]["details"]["base_url_after"], attacker.as_str());
}
