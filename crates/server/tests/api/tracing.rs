//! W3C trace context over real sockets: the trace a client starts (or the gateway starts for
//! it) is the one the vendor receives, seen on the wire by a front between gateway and
//! simulator; and the spans exported over OTLP carry those same ids.

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

mod otlp {
    //! A local OTLP/HTTP collector: what the gateway exports, decoded with the reference
    //! protobuf definitions (`opentelemetry-proto`).

    use std::sync::{Arc, Mutex};

    use axum::body::Bytes;
    use axum::routing::post;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::common::v1::KeyValue;
    use opentelemetry_proto::tonic::trace::v1::Span;
    use prost::Message;

    #[derive(Clone, Default)]
    pub struct Collector {
        exports: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
        pub url: String,
    }

    impl Collector {
        pub async fn start() -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let c = Collector {
                url: format!("http://{}", listener.local_addr().unwrap()),
                ..Default::default()
            };
            let exports = c.exports.clone();
            let app = axum::Router::new().route(
                "/v1/traces",
                post(move |body: Bytes| {
                    let exports = exports.clone();
                    async move {
                        let req = ExportTraceServiceRequest::decode(body)
                            .expect("an OTLP ExportTraceServiceRequest");
                        exports.lock().unwrap().push(req);
                        // An empty ExportTraceServiceResponse: everything accepted.
                        (
                            [("content-type", "application/x-protobuf")],
                            Vec::<u8>::new(),
                        )
                    }
                }),
            );
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            c
        }

        /// Every span received so far, with its resource's `service.name`.
        pub fn spans(&self) -> Vec<(String, Span)> {
            let exports = self.exports.lock().unwrap();
            let mut out = Vec::new();
            for req in exports.iter() {
                for rs in &req.resource_spans {
                    let service = rs
                        .resource
                        .as_ref()
                        .and_then(|r| text(&r.attributes, "service.name"))
                        .unwrap_or_default();
                    for ss in &rs.scope_spans {
                        for s in &ss.spans {
                            out.push((service.clone(), s.clone()));
                        }
                    }
                }
            }
            out
        }
    }

    pub fn text(attrs: &[KeyValue], key: &str) -> Option<String> {
        attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
            match kv.value.as_ref()?.value.as_ref()? {
                Any::StringValue(s) => Some(s.clone()),
                Any::IntValue(i) => Some(i.to_string()),
                _ => None,
            }
        })
    }
}

/// With `telemetry.otlp_endpoint` set, a request, its vendor call attempt and a job run
/// reach a collector as spans carrying the very ids the client was answered and the
/// vendor was sent; an unsampled client trace is not exported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_collector_with_the_ids_client_and_vendor_saw() {
    use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    use otlp::{text, Collector};

    let collector = Collector::start().await;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("telemetry.otlp_endpoint", json!(collector.url)),
            ("telemetry.service_name", json!("gateway-under-test")),
            ("telemetry.batch_delay_ms", json!(50)),
        ],
    )
    .await;
    let front = VendorFront::start(app.sandbox.addr).await;
    let (_, template) =
        heymilo_behind(&app.client, &app.base, &app.admin_key, &app.sandbox, &front).await;

    // Not sampled by the client: carried on, never exported.
    let unsampled = "0af7651916cd43dd8448eb211c80319c";
    let res = app
        .admin(Method::GET, "/v1/interviews")
        .header("traceparent", format!("00-{unsampled}-b7ad6b7169203331-00"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(answered_traceparent(&res).ends_with("-00"), "flag kept");

    let client_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let before = front.traceparents("POST", "/heymilo/api/ingest/").len();
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .header("traceparent", format!("00-{client_trace}-{client_span}-01"))
        .json(&json!({"template_id": template, "candidate": {"email": "exported@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let (_, gateway_span, _) = parts(&answered_traceparent(&res));
    let (_, vendor_span, _) = parts(&vendor_traceparent(
        &front,
        "POST",
        "/heymilo/api/ingest/",
        before,
    ));

    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let started = std::time::Instant::now();
    let (request, attempt, job) = loop {
        let spans = collector.spans();
        let find = |pred: &dyn Fn(&opentelemetry_proto::tonic::trace::v1::Span) -> bool| {
            spans.iter().find(|(_, s)| pred(s)).cloned()
        };
        let request = find(&|s| hex(&s.span_id) == gateway_span);
        let attempt = find(&|s| hex(&s.span_id) == vendor_span);
        let job = find(&|s| s.name == "job poller");
        if let (Some(r), Some(a), Some(j)) = (request, attempt, job) {
            break (r, a, j);
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "spans received: {:?}",
            spans.iter().map(|(_, s)| &s.name).collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };

    // The API request: the client's trace, under the client's span, named by its route.
    let (service, request) = request;
    assert_eq!(service, "gateway-under-test");
    assert_eq!(request.name, "POST /v1/interviews");
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(hex(&request.trace_id), client_trace);
    assert_eq!(hex(&request.parent_span_id), client_span);
    assert_eq!(
        text(&request.attributes, "http.response.status_code").as_deref(),
        Some("201")
    );
    assert!(request.end_time_unix_nano >= request.start_time_unix_nano);

    // The vendor call attempt: the span the vendor was told of, beneath the request's.
    let (_, attempt) = attempt;
    assert_eq!(attempt.kind, SpanKind::Client as i32);
    assert_eq!(hex(&attempt.trace_id), client_trace);
    assert_eq!(hex(&attempt.parent_span_id), gateway_span);
    assert_eq!(
        text(&attempt.attributes, "gateway.provider").as_deref(),
        Some("heymilo")
    );
    assert_eq!(
        text(&attempt.attributes, "gateway.attempt").as_deref(),
        Some("1")
    );
    assert_eq!(
        text(&attempt.attributes, "gateway.outcome").as_deref(),
        Some("ok")
    );
    assert!(text(&attempt.attributes, "http.response.status_code").is_some());
    assert!(
        attempt.start_time_unix_nano >= request.start_time_unix_nano
            && attempt.end_time_unix_nano <= request.end_time_unix_nano,
        "the attempt lies within its request"
    );

    // A poller run: a trace of its own.
    let (_, job) = job;
    assert_eq!(job.kind, SpanKind::Internal as i32);
    assert!(job.parent_span_id.is_empty(), "a job run starts its trace");

    // The unsampled client trace was sent before and is nowhere.
    assert!(
        collector
            .spans()
            .iter()
            .all(|(_, s)| hex(&s.trace_id) != unsampled),
        "an unsampled trace was exported"
    );
    app.stop().await;
}
