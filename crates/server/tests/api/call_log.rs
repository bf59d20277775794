//! The vendor call log (`GET /v1/connections/{id}/calls`): a successful and a refused vendor
//! call appear with the request and trace that caused them, and nothing secret or personal.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::TestApp;

crate::on_both_backends!(the_call_log_shows_what_was_sent_and_answered_and_nothing_secret);

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";
const WRONG_KEY: &str = "wrong-vendor-key-4471";
const EMAIL: &str = "needle.person@example.com";
const NAME: &str = "Needle Person";

async fn calls(app: &TestApp, key: &str, conn: &str, query: &str) -> (u16, Value, String) {
    let res = app
        .request(
            Method::GET,
            &format!("/v1/connections/{conn}/calls{query}"),
            Some(key),
        )
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap(), text)
}

fn by_request<'a>(page: &'a Value, request_id: &str) -> Vec<&'a Value> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["request_id"] == request_id)
        .collect()
}

async fn the_call_log_shows_what_was_sent_and_answered_and_nothing_secret(app: TestApp) {
    let scopes = [
        "connections:read",
        "connections:write",
        "templates:write",
        "interviews:write",
    ];
    let (ws, key) = app.workspace_with_key("a", &scopes).await;
    let (hm, template) = app.heymilo_template(&key).await;
    let conn = hm.connection_id.as_str();

    // A successful invitation, under the client's trace.
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .header("x-request-id", "req-calllog-invite")
        .header("traceparent", format!("00-{TRACE}-{CLIENT_SPAN}-01"))
        .json(&json!({"template_id": template, "candidate": {"email": EMAIL, "name": NAME}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    // Credentials the vendor refuses.
    let res = app
        .request(
            Method::PATCH,
            &format!("/v1/connections/{conn}"),
            Some(&key),
        )
        .json(&json!({"credentials": {"api_key": WRONG_KEY}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .request(
            Method::POST,
            &format!("/v1/connections/{conn}/check"),
            Some(&key),
        )
        .header("x-request-id", "req-calllog-check")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Written off the request path: wait (bounded) until both requests' calls are there.
    let started = Instant::now();
    let (page, text) = loop {
        let (status, page, text) = calls(&app, &key, conn, "?limit=200").await;
        assert_eq!(status, 200, "{text}");
        if !by_request(&page, "req-calllog-invite").is_empty()
            && !by_request(&page, "req-calllog-check").is_empty()
        {
            break (page, text);
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let invite = by_request(&page, "req-calllog-invite");
    assert!(invite.iter().all(|c| c["trace_id"] == TRACE), "{invite:?}");
    assert!(invite
        .iter()
        .all(|c| c["span_id"] != CLIENT_SPAN && c["span_id"].is_string()));
    let sent = invite
        .iter()
        .find(|c| c["method"] == "POST")
        .expect("the invitation's POST");
    assert_eq!(sent["outcome"], "ok", "{sent}");
    assert!(
        (200..300).contains(&sent["status"].as_u64().unwrap()),
        "{sent}"
    );
    assert_eq!(sent["connection_id"], conn);
    assert_eq!(sent["provider"], "heymilo");
    assert_eq!(sent["last"], true);
    assert!(sent["error"].is_null());
    assert!(sent["id"].as_str().unwrap().starts_with("call_"));
    assert!(!sent["path"].as_str().unwrap().contains('?'));

    let refused = by_request(&page, "req-calllog-check");
    let refused = refused[0];
    assert_eq!(refused["status"], 401, "{refused}");
    assert_eq!(refused["outcome"], "client_error");
    // The status, and what the vendor said (HeyMilo's `detail`, as its adapter reads it).
    let said = refused["error"].as_str().unwrap();
    assert!(said.contains("401"), "{refused}");
    assert!(
        said.contains("Invalid"),
        "the vendor's own words: {refused}"
    );
    assert!(refused["trace_id"].is_string(), "every request has a trace");

    // Nothing secret or personal anywhere in the log.
    for needle in [
        hm.api_key.as_str(),
        WRONG_KEY,
        key.as_str(),
        EMAIL,
        NAME,
        "needle",
    ] {
        assert!(!text.contains(needle), "`{needle}` in the call log: {text}");
    }

    // Filters.
    let (_, failed, _) = calls(&app, &key, conn, "?outcome=client_error").await;
    let failed = failed["data"].as_array().unwrap().clone();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|c| c["outcome"] == "client_error"));
    let (_, by_status, _) = calls(&app, &key, conn, "?status=401").await;
    assert_eq!(by_status["data"].as_array().unwrap().len(), failed.len());
    let op = sent["operation"].as_str().unwrap();
    let (_, by_op, _) = calls(&app, &key, conn, &format!("?operation={op}")).await;
    let by_op = by_op["data"].as_array().unwrap().clone();
    assert!(!by_op.is_empty() && by_op.iter().all(|c| c["operation"] == op));
    let (_, future, _) = calls(&app, &key, conn, "?since=2999-01-01T00:00:00Z").await;
    assert!(future["data"].as_array().unwrap().is_empty());
    for bad in ["?outcome=bogus", "?status=99", "?since=yesterday"] {
        let (status, problem, _) = calls(&app, &key, conn, bad).await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert_eq!(problem["code"], "malformed_request", "{bad}");
    }

    // Paging: one at a time, newest first, no entry twice.
    let (_, first, _) = calls(&app, &key, conn, "?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("more than one call");
    let (_, second, _) = calls(&app, &key, conn, &format!("?limit=1&cursor={cursor}")).await;
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);
    assert!(first["data"][0]["at"].as_str() >= second["data"][0]["at"].as_str());

    // Another workspace's key sees no such connection; a key without the scope is refused.
    let (_, other) = app.workspace_with_key("b", &["connections:read"]).await;
    let (status, _, _) = calls(&app, &other, conn, "").await;
    assert_eq!(status, 404);
    let no_scope = app.key_in(&ws, &["interviews:read"]).await;
    let (status, problem, _) = calls(&app, &no_scope, conn, "").await;
    assert_eq!(status, 403, "{problem}");
    app.stop().await;
}
