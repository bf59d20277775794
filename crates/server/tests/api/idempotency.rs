use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    replays_and_conflicts,
    concurrent_duplicates_reach_the_vendor_once,
    one_time_secrets_are_not_replayed,
    replays_belong_to_the_key_that_made_them,
    stored_replays_hold_no_secret,
);

async fn replays_and_conflicts(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let body = json!({"template_id": template, "candidate": {"email": "idem@example.com"}, "retake": true});
    let send = |b: &Value, k: &str| {
        app.request(Method::POST, "/v1/interviews", Some(&key))
            .header("Idempotency-Key", k)
            .json(b)
            .send()
    };
    let first = send(&body, "k-1").await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = send(&body, "k-1").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the same response, byte for byte"
    );
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        1,
        "a retake was sent once"
    );

    let mut other = body.clone();
    other["candidate"]["email"] = json!("someone.else@example.com");
    expect_problem(
        send(&other, "k-1").await.unwrap(),
        422,
        "idempotency_conflict",
    )
    .await;
    // Errors are replayed too.
    let bad = json!({"template_id": template, "candidate": {"email": "nope"}});
    expect_problem(send(&bad, "k-2").await.unwrap(), 422, "invalid_request").await;
    let replay = send(&bad, "k-2").await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["content-type"], "application/problem+json");
    assert_eq!(replay.status(), 422);
    // The original response, so it names the original request's id.
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["code"], "invalid_request");
    assert_eq!(replayed["errors"][0]["field"], "candidate.email");
    // Keys belong to a workspace: another workspace may use the same key.
    let (_, other_key) = app
        .workspace_with_key(
            "b",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, other_template) = app.heymilo_template(&other_key).await;
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&other_key))
        .header("Idempotency-Key", "k-1")
        .json(&json!({"template_id": other_template, "candidate": {"email": "idem@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("idempotent-replayed").is_none());
    let long = "x".repeat(256);
    expect_problem(send(&body, &long).await.unwrap(), 400, "malformed_request").await;
}

async fn concurrent_duplicates_reach_the_vendor_once(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    // Slow the vendor so all requests overlap the first.
    app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "latency", "ms": 300}})).await;
    let body = json!({"template_id": template, "candidate": {"email": "race@example.com"}, "retake": true});
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let rb = app
                .request(Method::POST, "/v1/interviews", Some(&key))
                .header("Idempotency-Key", "race")
                .json(&body);
            tokio::spawn(async move {
                let res = rb.send().await.unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "every caller got the one interview");
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        1,
        "the vendor was called once"
    );
    let list: Value = app
        .request(Method::GET, "/v1/interviews", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

async fn one_time_secrets_are_not_replayed(app: TestApp) {
    let body = json!({"name": "ci", "scopes": ["interviews:read"]});
    let first = app
        .admin(Method::POST, "/v1/api-keys")
        .header("Idempotency-Key", "mk")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let secret = first["key"].as_str().unwrap().to_string();
    let again = app
        .admin(Method::POST, "/v1/api-keys")
        .header("Idempotency-Key", "mk")
        .json(&body)
        .send()
        .await
        .unwrap();
    let p = expect_problem(again, 409, "conflict").await;
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains(first["id"].as_str().unwrap()));
    assert!(!p.to_string().contains(&secret));
    // Nothing in the database holds the secret.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT response_body FROM idempotency_keys")
        .fetch_all(&raw)
        .await
        .unwrap();
    assert!(rows
        .iter()
        .all(|(b,)| !String::from_utf8_lossy(b).contains(&secret)));
    let list: Value = app
        .admin(Method::GET, "/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "one admin key and one created key"
    );
}

/// A body creating a HeyMilo connection to a fresh simulator account.
async fn connection_body(app: &TestApp) -> Value {
    let acct = app.sandbox_control("/heymilo/accounts", json!({})).await;
    json!({
        "provider": "heymilo",
        "name": "hm",
        "credentials": {"api_key": acct["api_key"]},
        "base_url": app.sandbox.vendor_url("heymilo"),
    })
}

async fn replays_belong_to_the_key_that_made_them(app: TestApp) {
    let (ws, maker) = app
        .workspace_with_key("a", &["connections:write", "passthrough"])
        .await;
    let reader = app.key_in(&ws, &["templates:read"]).await;
    let peer = app.key_in(&ws, &["connections:write"]).await;
    let body = connection_body(&app).await;
    let create = |key: &str| {
        app.request(Method::POST, "/v1/connections", Some(key))
            .header("Idempotency-Key", "same")
            .json(&body)
            .send()
    };
    let first = create(&maker).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    // A key without the scope is refused, as without the header: no replay, no token.
    let p = expect_problem(create(&reader).await.unwrap(), 403, "forbidden").await;
    assert!(!p.to_string().contains(first["id"].as_str().unwrap()));
    // A key with the scope is a different caller: its request runs on its own.
    let res = create(&peer).await.unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("idempotent-replayed").is_none());
    let theirs: Value = res.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
    // The maker still gets its own answer.
    let again = create(&maker).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    // Passthrough: a stored vendor answer is not handed to a key lacking `passthrough`.
    let path = format!(
        "/v1/connections/{}/passthrough",
        first["id"].as_str().unwrap()
    );
    let pass = json!({"method": "GET", "path": "/api/postings"});
    let send = |key: &str| {
        app.request(Method::POST, &path, Some(key))
            .header("Idempotency-Key", "pass")
            .json(&pass)
            .send()
    };
    assert_eq!(send(&maker).await.unwrap().status(), 200);
    expect_problem(send(&peer).await.unwrap(), 403, "forbidden").await;
    expect_problem(send(&reader).await.unwrap(), 403, "forbidden").await;
    let calls = app.vendor_calls("heymilo", "GET", "/api/postings");
    assert_eq!(
        send(&maker).await.unwrap().headers()["idempotent-replayed"],
        "true"
    );
    assert_eq!(app.vendor_calls("heymilo", "GET", "/api/postings"), calls);
}

async fn stored_replays_hold_no_secret(app: TestApp) {
    let (_, key) = app
        .workspace_with_key("a", &["connections:write", "webhooks:write"])
        .await;
    let body = connection_body(&app).await;
    let credential = body["credentials"]["api_key"].as_str().unwrap().to_string();
    let create = || {
        app.request(Method::POST, "/v1/connections", Some(&key))
            .header("Idempotency-Key", "conn")
            .json(&body)
            .send()
    };
    let first: Value = create().await.unwrap().json().await.unwrap();
    let url = first["inbound_webhook_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap().to_string();
    assert!(token.len() >= 32, "{url}");
    let endpoint = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(&key))
        .header("Idempotency-Key", "hook")
        .json(&json!({"url": "https://hooks.example.com/x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(endpoint.status(), 201);
    let endpoint: Value = endpoint.json().await.unwrap();
    let hook_secret = endpoint["secret"].as_str().unwrap().to_string();

    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT response_body FROM idempotency_keys")
        .fetch_all(&raw)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (b,) in &rows {
        let text = String::from_utf8_lossy(b);
        for secret in [&token, &credential, &hook_secret] {
            assert!(
                !text.contains(secret.as_str()),
                "a stored replay holds a secret: {text}"
            );
        }
        assert!(
            !text.contains(first["id"].as_str().unwrap()),
            "stored bodies are sealed, not just filtered"
        );
    }
    // The replay is still the whole answer, to the key that made it.
    let again = create().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
}
