//! Text a client sends, over a real socket on both backends: NUL and control characters are
//! refused before any vendor call or write, naming the field (Postgres cannot store NUL;
//! before this check it answered 500 where SQLite answered 200); emails a vendor would not
//! take are refused; a passthrough path has a documented cap.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    nul_bytes_are_refused_naming_the_field,
    one_bad_candidate_fails_only_its_batch_item,
    emails_must_be_addresses_a_vendor_takes,
    passthrough_paths_have_a_cap
);

fn vendor_requests(app: &TestApp) -> usize {
    app.sandbox.shared.log.list(None).len()
}

async fn field_of(res: reqwest::Response, status: u16) -> String {
    let code = if status == 400 {
        "malformed_request"
    } else if status == 422 {
        "invalid_request"
    } else {
        panic!("unexpected status {status}")
    };
    let p = expect_problem(res, status, code).await;
    p["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn nul_bytes_are_refused_naming_the_field(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &[
                "connections:write",
                "templates:write",
                "interviews:write",
                "interviews:read",
                "candidates:read",
                "candidates:write",
                "webhooks:write",
            ],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let before = vendor_requests(&app);

    // Candidates: every optional text, metadata values and keys at any depth.
    for (body, field) in [
        (
            json!({"email": "a@example.com", "phone": "+1\u{0}"}),
            "phone",
        ),
        (json!({"email": "a@example.com", "name": "A\u{0}B"}), "name"),
        (
            json!({"email": "a@example.com", "external_id": "x\u{0}"}),
            "external_id",
        ),
        (
            json!({"email": "a@example.com", "resume_url": "https://x.example.com/\u{0}"}),
            "resume_url",
        ),
        (
            json!({"email": "a@example.com", "metadata": {"note": "x\u{0}"}}),
            "metadata.note",
        ),
        (
            json!({"email": "a@example.com", "metadata": {"a": {"b": ["ok", "\u{0}"]}}}),
            "metadata.a.b[1]",
        ),
        (
            json!({"email": "a@example.com", "metadata": {"k\u{0}": 1}}),
            "metadata.k\\0",
        ),
        (
            json!({"email": "a@example.com", "name": "bell\u{7}"}),
            "name",
        ),
    ] {
        let res = app
            .request(Method::POST, "/v1/candidates", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(res, 422).await, field, "{body}");
    }
    // Tabs and newlines are text.
    let res = app
        .request(Method::POST, "/v1/candidates", Some(&key))
        .json(&json!({"email": "ok@example.com", "metadata": {"note": "line one\n\tline two\r\n"}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    // Query filters: a 400 naming the parameter.
    for q in ["email=%00", "external_id=a%00b", "email=%1b"] {
        let res = app
            .request(Method::GET, &format!("/v1/candidates?{q}"), Some(&key))
            .send()
            .await
            .unwrap();
        let field = q.split('=').next().unwrap();
        assert_eq!(field_of(res, 400).await, field, "{q}");
    }

    // The invitation message, before any vendor call.
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&json!({"template_id": template, "candidate": {"email": "b@example.com"}, "message": "hi\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "message");
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&json!({"template_id": template, "candidate": {"email": "b@example.com", "metadata": {"x": "\u{0}"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "candidate.metadata.x");

    // A template update is refused before the vendor sees it.
    let res = app
        .request(
            Method::PATCH,
            &format!("/v1/templates/{template}"),
            Some(&key),
        )
        .json(&json!({"name": "Renamed\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "name");
    let res = app
        .request(
            Method::PATCH,
            &format!("/v1/templates/{template}"),
            Some(&key),
        )
        .json(&json!({"description": "x\u{0}y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "description");

    // A webhook endpoint's description.
    let res = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(&key))
        .json(&json!({"url": "http://127.0.0.1:9/hook", "description": "d\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "description");

    assert_eq!(
        vendor_requests(&app),
        before,
        "no vendor call for refused input"
    );
    let people: Value = app
        .request(Method::GET, "/v1/candidates", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = people["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ok@example.com"], "nothing refused was written");
}

async fn one_bad_candidate_fails_only_its_batch_item(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let res = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&json!({"template_id": template, "candidates": [
            {"email": "ok1@example.com"},
            {"email": "bad@example.com", "name": "N\u{0}"},
            {"email": "bad2@example.com", "metadata": {"deep": {"k": "\u{0}"}}},
            {"email": "%00@example.com"},
            {"email": "ok2@example.com"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 5);
    for i in [0, 4] {
        assert_eq!(data[i]["interview"]["status"], "invited", "{}", data[i]);
        assert!(data[i]["error"].is_null());
    }
    for (i, field) in [
        (1, "candidates[1].name"),
        (2, "candidates[2].metadata.deep.k"),
        (3, "candidates[3].email"),
    ] {
        assert!(data[i]["interview"].is_null(), "{}", data[i]);
        assert_eq!(data[i]["error"]["errors"][0]["field"], field, "{}", data[i]);
    }
    // A NUL outside the items is the whole request's problem.
    let res = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&json!({"template_id": template, "message": "\u{0}", "candidates": [{"email": "ok3@example.com"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "message");
}

async fn emails_must_be_addresses_a_vendor_takes(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &[
                "connections:write",
                "templates:write",
                "interviews:write",
                "candidates:write",
            ],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let before = vendor_requests(&app);
    let long_local = format!("{}@example.com", "a".repeat(65));
    for email in [
        "<script>alert(1)</script>@example.com",
        "%00@example.com",
        "a@[127.0.0.1]",
        "a@127.0.0.1",
        "\"q\"@example.com",
        "a..b@example.com",
        long_local.as_str(),
    ] {
        let res = app
            .request(Method::POST, "/v1/interviews", Some(&key))
            .json(&json!({"template_id": template, "candidate": {"email": email}}))
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(res, 422).await, "candidate.email", "{email}");
        let res = app
            .request(Method::POST, "/v1/candidates", Some(&key))
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        assert!(field_of(res, 422).await.ends_with("email"), "{email}");
    }
    assert_eq!(
        vendor_requests(&app),
        before,
        "none of them reached the vendor"
    );
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&json!({"template_id": template, "candidate": {"email": "o'neil+ats@mail.example.co.uk"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn passthrough_paths_have_a_cap(app: TestApp) {
    let (_, key) = app
        .workspace_with_key("a", &["connections:write", "passthrough"])
        .await;
    let hm = app.heymilo(&key, 1).await;
    let path = format!("/v1/connections/{}/passthrough", hm.connection_id);
    let before = vendor_requests(&app);
    let long = format!("/api/{}", "a".repeat(65 * 1024));
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(&json!({"method": "GET", "path": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "path");
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(
            &json!({"method": "GET", "path": "/api/webhook/all", "query": {"q": "b".repeat(9000)}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(res, 422).await, "query");
    assert_eq!(vendor_requests(&app), before, "refused before the vendor");
    // Just under the cap still goes out.
    let res = app
        .request(Method::POST, &path, Some(&key))
        .json(
            &json!({"method": "GET", "path": "/api/webhook/all", "query": {"q": "b".repeat(7000)}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
