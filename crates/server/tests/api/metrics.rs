//! `/metrics` over a real socket: what clients and vendors did shows up, labelled by route
//! template (never a raw path), and the scrape-time gauges are there.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(metrics_show_requests_vendor_calls_and_limits);

async fn scrape(app: &TestApp) -> String {
    let res = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The sum of every sample of `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

async fn metrics_show_requests_vendor_calls_and_limits(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "m",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let before = scrape(&app).await;
    let http_count = "gateway_http_request_duration_seconds_count";
    let vendor_count = "gateway_vendor_call_duration_seconds_count";

    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&json!({"template_id": template, "candidate": {"email": "metrics@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        let res = app
            .request(Method::GET, &format!("/v1/interviews/{id}"), Some(&key))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // The vendor fails every read: the safe call is retried, then given up.
    app.sandbox_control(
        "/faults",
        json!({"vendor": "heymilo", "path_prefix": "/api", "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    let res = app
        .request(
            Method::POST,
            &format!("/v1/interviews/{id}/sync"),
            Some(&key),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 502, "provider_unavailable").await;

    // A key with a burst of 1 is refused on its second request.
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "tight", "scopes": ["keys:write"], "rate_limit": {"requests_per_minute": 1, "burst": 1}}))
        .send()
        .await
        .unwrap();
    let tight = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    for expected in [200, 429] {
        let res = app
            .request(Method::GET, "/v1/api-keys", Some(&tight))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
    }

    let after = scrape(&app).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    assert_eq!(
        delta(
            http_count,
            &[
                ("route", "/v1/interviews"),
                ("method", "POST"),
                ("status", "201")
            ]
        ),
        1.0
    );
    assert_eq!(
        delta(
            http_count,
            &[
                ("route", "/v1/interviews/{id}"),
                ("method", "GET"),
                ("status", "200")
            ]
        ),
        2.0,
        "labelled by the route template"
    );
    assert!(!after.contains(&id), "no raw path or id in a label");
    assert_eq!(
        delta(
            http_count,
            &[("route", "/v1/interviews/{id}/sync"), ("status", "502")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            http_count,
            &[
                ("route", "/v1/api-keys"),
                ("method", "GET"),
                ("status", "429")
            ]
        ),
        1.0
    );
    assert_eq!(
        delta("gateway_rate_limited_total", &[("limiter", "api_key")]),
        1.0
    );
    assert_eq!(
        delta(vendor_count, &[("provider", "heymilo"), ("outcome", "ok")]),
        1.0,
        "the invitation"
    );
    assert_eq!(
        delta(
            vendor_count,
            &[("provider", "heymilo"), ("outcome", "server_error")]
        ),
        1.0,
        "one failed call, however many attempts"
    );
    assert!(
        delta("gateway_vendor_retries_total", &[("provider", "heymilo")]) >= 1.0,
        "the failed read was retried"
    );
    // Latency histograms carry cumulative buckets up to +Inf.
    assert!(after.contains(
        "gateway_http_request_duration_seconds_bucket{route=\"/v1/interviews\",method=\"POST\",status=\"201\",le=\"+Inf\"}"
    ));
    for gauge in [
        "gateway_webhook_queue_depth",
        "gateway_poller_lag_seconds",
        "process_resident_memory_bytes",
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(&format!("{gauge} "))),
            "{gauge} in {after}"
        );
    }
    assert!(sample(&after, "process_resident_memory_bytes", &[]) > 1e6);
}
