//! The egress policy and redirects, against real local servers: a refused target never
//! receives a request, and a redirect is never followed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use axum::Router;
use gateway_core::{ConnectionContext, ConnectionId, Credentials, ProviderError, WorkspaceId};
use http::HeaderName;
use provider_http::{Call, EgressPolicy, RetryPolicy, VendorHttp};
use url::Url;

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
        total_budget: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
    }
}

fn ctx(base: &Url) -> ConnectionContext {
    ConnectionContext {
        connection_id: ConnectionId::new(),
        workspace_id: WorkspaceId::new(),
        base_url: base.clone(),
        credentials: Credentials::new(),
        settings: serde_json::json!({}),
        observer: None,
        trace: None,
    }
}

/// A server on 127.0.0.1 counting requests (and those carrying the credential header).
struct Catcher {
    port: u16,
    hits: Arc<AtomicU32>,
    with_key: Arc<AtomicU32>,
}

async fn catcher(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> Catcher {
    let hits = Arc::new(AtomicU32::new(0));
    let with_key = Arc::new(AtomicU32::new(0));
    let (h, k) = (hits.clone(), with_key.clone());
    let app = Router::new().fallback(any(move |headers: HeaderMap| {
        let (h, k, answer) = (h.clone(), k.clone(), answer.clone());
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            if headers.contains_key("x-api-key") {
                k.fetch_add(1, Ordering::SeqCst);
            }
            answer()
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Catcher {
        port,
        hits,
        with_key,
    }
}

fn ok() -> axum::response::Response {
    (StatusCode::OK, "{}").into_response()
}

async fn send(
    http: &VendorHttp,
    url: &str,
) -> Result<provider_http::VendorResponse, ProviderError> {
    let url = Url::parse(url).unwrap();
    let call = Call::get("probe", url.clone())
        .secret_header(HeaderName::from_static("x-api-key"), "vendor-secret")
        .unwrap();
    http.send(&ctx(&url), call).await
}

/// This machine's name: it resolves to loopback (as on most hosts) but no text check
/// knows it, so only the resolver can refuse it.
fn own_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn private_targets_are_refused_by_address_and_never_reached() {
    let c = catcher(ok).await;
    let strict = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::PUBLIC_ONLY);
    let host = own_hostname();
    let resolved: Vec<_> = tokio::net::lookup_host((host.as_str(), c.port))
        .await
        .unwrap()
        .collect();
    assert!(
        resolved.iter().any(|a| a.ip().is_loopback()),
        "precondition: {host} resolves to loopback: {resolved:?}"
    );
    for url in [
        format!("http://127.0.0.1:{}/x", c.port),
        format!("http://{host}:{}/x", c.port),
        format!("http://localhost.:{}/x", c.port),
        format!("http://[::ffff:127.0.0.1]:{}/x", c.port),
        format!("http://[::127.0.0.1]:{}/x", c.port),
        format!("http://[64:ff9b::7f00:1]:{}/x", c.port),
        format!("http://2130706433:{}/x", c.port),
    ] {
        match send(&strict, &url).await {
            Err(ProviderError::Unavailable {
                status: None,
                message,
            }) => {
                assert!(message.contains("public addresses"), "{url}: {message}");
                assert!(!message.contains("/x"), "no path in the message: {message}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(
        c.hits.load(Ordering::SeqCst),
        0,
        "no request reached loopback"
    );

    // The same targets are fine where private ones are allowed (simulators, tests).
    let open = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let res = send(&open, &format!("http://{host}:{}/x", c.port))
        .await
        .unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(c.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_credential_stays_home() {
    let thief = catcher(ok).await;
    let target = format!("http://127.0.0.1:{}/steal", thief.port);
    for status in [301u16, 302, 303, 307, 308] {
        let target = target.clone();
        let front = catcher(move || {
            (
                StatusCode::from_u16(status).unwrap(),
                [("location", target.clone())],
                "",
            )
                .into_response()
        })
        .await;
        // Private targets allowed, so only the redirect rule stands between them.
        let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
        match send(&http, &format!("http://127.0.0.1:{}/x", front.port)).await {
            Err(ProviderError::Rejected {
                status: s, message, ..
            }) => {
                assert_eq!(s, Some(status));
                assert!(
                    message.contains(&status.to_string()) && message.contains("redirect"),
                    "{message}"
                );
            }
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(
            front.hits.load(Ordering::SeqCst),
            1,
            "asked once, not retried"
        );
        assert_eq!(front.with_key.load(Ordering::SeqCst), 1);
    }
    assert_eq!(
        thief.hits.load(Ordering::SeqCst),
        0,
        "the redirect target was never called"
    );
}
