//! Network egress over a real socket: a base URL that only resolves somewhere private is
//! refused when the gateway connects (not just by its text), IP-literal tricks are refused at
//! creation, and a vendor redirect is never followed — the credential stays with its host.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::IntoResponse;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, Backend, TestApp};

/// A server on 127.0.0.1 that counts what it receives (and how much of it carried the
/// vendor's credential) and answers with `answer`.
struct Listener {
    port: u16,
    hits: Arc<AtomicU32>,
    with_key: Arc<AtomicU32>,
}

async fn listener(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> Listener {
    let hits = Arc::new(AtomicU32::new(0));
    let with_key = Arc::new(AtomicU32::new(0));
    let (h, k) = (hits.clone(), with_key.clone());
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let (h, k, answer) = (h.clone(), k.clone(), answer.clone());
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            if headers.contains_key("x-api-key") || headers.contains_key("authorization") {
                k.fetch_add(1, Ordering::SeqCst);
            }
            answer()
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    Listener {
        port,
        hits,
        with_key,
    }
}

fn own_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

async fn create(app: &TestApp, base_url: &str) -> reqwest::Response {
    app.admin(Method::POST, "/v1/connections")
        .json(&json!({"provider": "heymilo", "name": "x", "credentials": {"api_key": "vendor-secret"}, "base_url": base_url}))
        .send()
        .await
        .unwrap()
}

async fn passthrough(app: &TestApp, connection: &str) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/v1/connections/{connection}/passthrough"),
    )
    .json(&json!({"method": "GET", "path": "/api/webhook/all"}))
    .send()
    .await
    .unwrap()
}

/// `vm:port` passes every text check, resolves to 127.0.0.1, and before connect-time
/// filtering the gateway sent the vendor credential there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolving_to_private_addresses_are_refused_at_connect_time() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("security.allow_private_base_urls", json!(false))],
    )
    .await;
    let internal = listener(|| (axum::http::StatusCode::OK, "[]").into_response()).await;
    let host = own_hostname();
    let resolved: Vec<_> = tokio::net::lookup_host((host.as_str(), internal.port))
        .await
        .unwrap()
        .collect();
    assert!(
        resolved.iter().any(|a| a.ip().is_loopback()),
        "precondition: {host} resolves to loopback: {resolved:?}"
    );

    let res = create(&app, &format!("http://{host}:{}", internal.port)).await;
    assert_eq!(res.status(), 201, "the name itself looks public");
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = expect_problem(passthrough(&app, &id).await, 502, "provider_unavailable").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains(&host) && detail.contains("public addresses"),
        "{detail}"
    );
    let check: Value = app
        .admin(Method::POST, &format!("/v1/connections/{id}/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], false, "{check}");
    assert_eq!(
        internal.hits.load(Ordering::SeqCst),
        0,
        "nothing reached the internal listener"
    );

    // Literal forms that carry a private IPv4 address, and names that are local by
    // definition, are refused when the connection is made.
    for url in [
        "http://[64:ff9b::7f00:1]/".to_string(),
        "http://[::127.0.0.1]/".to_string(),
        "http://[::ffff:7f00:1]/".to_string(),
        "http://198.18.0.1/".to_string(),
        "http://224.0.0.251/".to_string(),
        "http://2130706433/".to_string(),
        "http://localhost./".to_string(),
        format!("http://localhost.:{}/", internal.port),
    ] {
        let p = expect_problem(create(&app, &url).await, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], "base_url", "{url}");
    }
    app.stop().await;
}

/// A "vendor" that redirects to another origin: before, the client followed it with the
/// vendor credential header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_redirects_are_not_followed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let thief = listener(|| (axum::http::StatusCode::OK, "[]").into_response()).await;
    let target = format!("http://127.0.0.1:{}/steal", thief.port);
    let front = listener(move || {
        (
            axum::http::StatusCode::FOUND,
            [("location", target.clone())],
            "",
        )
            .into_response()
    })
    .await;
    let res = create(&app, &format!("http://127.0.0.1:{}", front.port)).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = expect_problem(passthrough(&app, &id).await, 422, "provider_rejected").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("302") && detail.contains("redirect"),
        "{detail}"
    );
    assert_eq!(p["provider"]["status"], 302, "{p}");
    let check: Value = app
        .admin(Method::POST, &format!("/v1/connections/{id}/check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["ok"], false, "{check}");
    assert!(
        front.with_key.load(Ordering::SeqCst) >= 1,
        "the front was asked"
    );
    assert_eq!(
        thief.hits.load(Ordering::SeqCst),
        0,
        "the redirect target never saw a request"
    );
    app.stop().await;
}
