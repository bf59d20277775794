//! The retry rules against a real local server that misbehaves on cue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use gateway_core::{ConnectionContext, ConnectionId, Credentials, ProviderError, WorkspaceId};
use provider_http::{Call, EgressPolicy, RetryPolicy, Safety, VendorHttp};
use url::Url;

struct Server {
    base: Url,
    hits: Arc<AtomicU32>,
}

/// Answers `fail_first` times with `status` (and `Retry-After: retry_after` if set), then 200.
async fn server(
    status: u16,
    fail_first: u32,
    retry_after: Option<&'static str>,
    delay: Duration,
) -> Server {
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let handler = move |headers: HeaderMap| {
        let h = h.clone();
        async move {
            let n = h.fetch_add(1, Ordering::SeqCst);
            assert!(headers.get("x-api-key").is_some());
            tokio::time::sleep(delay).await;
            if n < fail_first {
                let mut res = (
                    StatusCode::from_u16(status).unwrap(),
                    "{\"detail\":\"nope\"}",
                )
                    .into_response();
                if let Some(ra) = retry_after {
                    res.headers_mut().insert("retry-after", ra.parse().unwrap());
                }
                res
            } else {
                (StatusCode::OK, "{\"ok\":true}").into_response()
            }
        }
    };
    let app = Router::new()
        .route("/x", get(handler.clone()))
        .route("/x", post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { base, hits }
}

fn ctx(base: &Url) -> ConnectionContext {
    ConnectionContext {
        connection_id: ConnectionId::new(),
        workspace_id: WorkspaceId::new(),
        base_url: base.clone(),
        credentials: Credentials::new().with("api_key", "k"),
        settings: serde_json::json!({}),
        observer: None,
        trace: None,
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
        total_budget: Duration::from_secs(5),
        attempt_timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
    }
}

fn call(s: &Server, safety: Safety) -> Call {
    let url = s.base.join("x").unwrap();
    let c = if safety == Safety::Safe {
        Call::get("t", url)
    } else {
        Call::new("t", http::Method::POST, url)
    };
    c.secret_header(http::HeaderName::from_static("x-api-key"), "k")
        .unwrap()
        .safety(safety)
}

#[tokio::test]
async fn safe_calls_retry_5xx_then_succeed() {
    let s = server(503, 2, None, Duration::ZERO).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let r = http
        .send(&ctx(&s.base), call(&s, Safety::Safe))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn safe_calls_give_up_after_max_attempts() {
    let s = server(500, 100, None, Duration::ZERO).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let r = http
        .send(&ctx(&s.base), call(&s, Safety::Safe))
        .await
        .unwrap();
    assert_eq!(
        r.status, 500,
        "the last answer is returned for the adapter to read"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unsafe_calls_are_never_repeated_after_5xx_or_timeout() {
    let s = server(502, 100, None, Duration::ZERO).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    assert_eq!(
        http.send(&ctx(&s.base), call(&s, Safety::Unsafe))
            .await
            .unwrap()
            .status,
        502
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);

    let slow = server(200, 0, None, Duration::from_secs(2)).await;
    let err = http
        .send(&ctx(&slow.base), call(&slow, Safety::Unsafe))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Unavailable { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        slow.hits.load(Ordering::SeqCst),
        1,
        "a timed-out invite is not sent again"
    );
}

#[tokio::test]
async fn timeouts_on_safe_calls_are_retried_within_the_budget() {
    let slow = server(200, 0, None, Duration::from_secs(2)).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let started = std::time::Instant::now();
    let err = http
        .send(&ctx(&slow.base), call(&slow, Safety::Safe))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Unavailable { .. }));
    assert_eq!(slow.hits.load(Ordering::SeqCst), 3);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn any_call_waits_out_a_429_retry_after() {
    let s = server(429, 1, Some("1"), Duration::ZERO).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let started = std::time::Instant::now();
    let r = http
        .send(&ctx(&s.base), call(&s, Safety::Unsafe))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited the vendor's Retry-After"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_retry_after_past_the_cap_ends_the_call() {
    let s = server(429, 100, Some("120"), Duration::ZERO).await;
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let r = http
        .send(&ctx(&s.base), call(&s, Safety::Safe))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.retry_after()),
        (429, Some(Duration::from_secs(120)))
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_vendors_are_unavailable() {
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}", l.local_addr().unwrap())).unwrap();
    drop(l);
    let http = VendorHttp::new("t", 0, fast_policy(), EgressPolicy::ALLOW_PRIVATE);
    let c = Call::new("t", http::Method::POST, base.join("x").unwrap());
    let err = http.send(&ctx(&base), c).await.unwrap_err();
    match err {
        ProviderError::Unavailable { message, .. } => {
            assert!(message.contains("cannot connect"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_outbound_limit_holds_calls_per_connection() {
    let s = server(200, 0, None, Duration::ZERO).await;
    let http = VendorHttp::new(
        "t",
        0,
        RetryPolicy {
            total_budget: Duration::from_millis(200),
            ..fast_policy()
        },
        EgressPolicy::ALLOW_PRIVATE,
    );
    let mut c = ctx(&s.base);
    c.settings = serde_json::json!({"outbound_requests_per_minute": 2});
    assert!(http.send(&c, call(&s, Safety::Safe)).await.is_ok());
    assert!(http.send(&c, call(&s, Safety::Safe)).await.is_ok());
    let err = http.send(&c, call(&s, Safety::Safe)).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        2,
        "the third call never left the gateway"
    );
}

/// Clients made from one base (an adapter's, passthrough's) spend one budget per connection,
/// and background work leaves the reserve to interactive calls.
#[tokio::test]
async fn clients_from_one_base_share_the_budget_and_background_keeps_the_reserve() {
    let s = server(200, 0, None, Duration::ZERO).await;
    let base = VendorHttp::new(
        "passthrough",
        0,
        RetryPolicy {
            total_budget: Duration::from_millis(200),
            ..fast_policy()
        },
        EgressPolicy::ALLOW_PRIVATE,
    );
    let adapter = base.for_provider("t", 10);
    let c = ctx(&s.base);
    // 10/min, 30 % reserve: background takes 7, then is refused.
    for _ in 0..7 {
        let sent = provider_http::budget::in_background(adapter.send(&c, call(&s, Safety::Safe)));
        assert!(sent.await.is_ok());
    }
    let refused = provider_http::budget::in_background(adapter.send(&c, call(&s, Safety::Safe)));
    assert!(matches!(
        refused.await.unwrap_err(),
        ProviderError::RateLimited { .. }
    ));
    // The reserve is there for interactive calls, through either client, and no more.
    for _ in 0..3 {
        assert!(base
            .send_with_default_limit(&c, call(&s, Safety::Safe), 10)
            .await
            .is_ok());
    }
    let err = adapter.send(&c, call(&s, Safety::Safe)).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    assert_eq!(s.hits.load(Ordering::SeqCst), 10);
}
