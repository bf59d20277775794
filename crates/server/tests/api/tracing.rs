//! W3C trace context over real sockets: the trace a client starts (or the gateway starts for
//! it) is the one the vendor receives, seen on the wire by a front between gateway and
//! simulator.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::fronts::VendorFront;
use crate::harness::heymilo::heymilo_behind;
use crate::harness::{Backend, TestApp};

/// (trace id, span id, flags) of a `traceparent`.
fn parts(traceparent: &str) -> (String, String, String) {
    let p: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(p.len(), 4, "{traceparent}");
    assert_eq!(p[0], "00", "{traceparent}");
    (p[1].to_string(), p[2].to_string(), p[3].to_string())
}

fn answered_traceparent(res: &reqwest::Response) -> String {
    res.headers()
        .get("traceparent")
        .expect("a traceparent response header")
        .to_str()
        .unwrap()
        .to_string()
}

/// The one new vendor request with this method and prefix since `before`, and its
/// `traceparent`.
fn vendor_traceparent(front: &VendorFront, method: &str, prefix: &str, before: usize) -> String {
    let seen = front.traceparents(method, prefix);
    assert!(seen.len() > before, "no vendor call {method} {prefix}");
    seen[before]
        .clone()
        .expect("the vendor call carried a traceparent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_receives_the_clients_trace_or_the_one_the_gateway_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let front = VendorFront::start(app.sandbox.addr).await;
    let (_, template) =
        heymilo_behind(&app.client, &app.base, &app.admin_key, &app.sandbox, &front).await;

    // A client trace: the vendor sees the same trace id under a span of the gateway's.
    let client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let before = front.traceparents("POST", "/heymilo/api/ingest/").len();
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .header("traceparent", format!("00-{client_trace}-{client_span}-01"))
        .json(&json!({"template_id": template, "candidate": {"email": "traced@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (answered_trace, gateway_span, _) = parts(&answered_traceparent(&res));
    assert_eq!(answered_trace, client_trace, "the client's trace continues");
    assert_ne!(
        gateway_span, client_span,
        "the gateway answers its own span"
    );
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (vendor_trace, vendor_span, flags) = parts(&vendor_traceparent(
        &front,
        "POST",
        "/heymilo/api/ingest/",
        before,
    ));
    assert_eq!(
        vendor_trace, client_trace,
        "the vendor sees the client's trace"
    );
    assert_ne!(
        vendor_span, client_span,
        "a span of the gateway's, not the client's"
    );
    assert_ne!(
        vendor_span, gateway_span,
        "each attempt is a span of its own"
    );
    assert_eq!(flags, "01", "the client's sampled flag is kept");

    // No client trace: the trace the gateway answers is the one the vendor saw.
    let before = front.traceparents("GET", "/heymilo/api/interview/").len();
    let res = app
        .admin(Method::POST, &format!("/v1/interviews/{id}/sync"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (answered_trace, gateway_span, _) = parts(&answered_traceparent(&res));
    assert_ne!(answered_trace, client_trace, "a new trace");
    let (vendor_trace, vendor_span, _) = parts(&vendor_traceparent(
        &front,
        "GET",
        "/heymilo/api/interview/",
        before,
    ));
    assert_eq!(
        vendor_trace, answered_trace,
        "one trace from client to vendor"
    );
    assert_ne!(vendor_span, gateway_span);
    app.stop().await;
}
