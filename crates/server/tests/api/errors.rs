use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};

crate::on_both_backends!(
    bad_bodies_are_clear_4xx,
    bad_paths_and_queries_are_clear_4xx,
    request_ids_are_echoed_or_made
);

async fn bad_bodies_are_clear_4xx(app: TestApp) {
    let post = |body: &'static str, ct: Option<&'static str>| {
        let mut rb = app.admin(Method::POST, "/v1/workspaces").body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        rb.send()
    };
    expect_problem(
        post(r#"{"name": "#, Some("application/json"))
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    let p = expect_problem(
        post("", Some("application/json")).await.unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("empty"));
    expect_problem(
        post(r#"["name"]"#, Some("application/json")).await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    expect_problem(
        post(r#"{"name":"x"}"#, None).await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    expect_problem(
        post(r#"{"name":"x"}"#, Some("text/plain")).await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    // application/json with parameters and +json types are JSON.
    assert_eq!(
        post(r#"{"name":"x"}"#, Some("application/json; charset=utf-8"))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        post(r#"{"name":"y"}"#, Some("application/merge-patch+json"))
            .await
            .unwrap()
            .status(),
        201
    );
}

async fn bad_paths_and_queries_are_clear_4xx(app: TestApp) {
    for path in [
        "/v1/workspaces/nope",
        "/v1/workspaces/key_01jd8x3k5m7q9s1v3x5z7b9d1f",
        "/v1/workspaces/ws_01jd8x3k5m7q9s1v3x5z7b9d1f",
        "/v1/api-keys/ws_01jd8x3k5m7q9s1v3x5z7b9d1f",
        "/v1/no-such-thing",
    ] {
        let res = app.admin(Method::GET, path).send().await.unwrap();
        expect_problem(res, 404, "not_found").await;
    }
    let res = app
        .admin(Method::PATCH, "/v1/workspaces")
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("allow"));
    expect_problem(res, 405, "method_not_allowed").await;
    let p = expect_problem(
        app.admin(Method::GET, "/v1/workspaces?limit=abc")
            .send()
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "limit");
    let p = expect_problem(
        app.admin(Method::GET, "/v1/workspaces?limit=0")
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "limit");
    let p = expect_problem(
        app.admin(Method::GET, "/v1/workspaces?cursor=zzz")
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "cursor");
    let p = expect_problem(
        app.admin(Method::GET, "/v1/workspaces?colour=red")
            .send()
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "colour");
}

async fn request_ids_are_echoed_or_made(app: TestApp) {
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made.starts_with("req_"));
    // An id that could forge log lines or break headers is replaced.
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "has space")
        .send()
        .await
        .unwrap();
    assert!(res.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
    let long = "a".repeat(129);
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", long.as_str())
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], long.as_str());
    // Problems carry the id in the body as well.
    let res = app
        .client
        .get(app.url("/v1/workspaces"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 401, "unauthorized").await;
    assert_eq!(p["request_id"], "trace-me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413() {
    let app =
        TestApp::spawn_with(Backend::Sqlite, &[("server.body_limit_bytes", json!(2048))]).await;
    let big = json!({ "name": "x".repeat(4096) });
    let res = app
        .admin(Method::POST, "/v1/workspaces")
        .json(&big)
        .send()
        .await
        .unwrap();
    expect_problem(res, 413, "payload_too_large").await;
    let list: Value = app
        .admin(Method::GET, "/v1/workspaces")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_stops_serving() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = app.url("/health/live");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    app.stop().await;
    assert!(
        reqwest::get(&url).await.is_err(),
        "the listener is closed after shutdown"
    );
}
