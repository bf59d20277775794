//! Another workspace's ids answer 404, exactly like unknown ones, on every resource.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(other_workspaces_see_nothing);

async fn other_workspaces_see_nothing(app: TestApp) {
    let scopes = [
        "connections:write",
        "templates:write",
        "interviews:write",
        "candidates:write",
        "passthrough",
        "keys:write",
    ];
    let (_, owner) = app.workspace_with_key("owner", &scopes).await;
    let (_, stranger) = app.workspace_with_key("stranger", &scopes).await;
    let (hm, template) = app.heymilo_template(&owner).await;
    let iv: Value = app
        .request(Method::POST, "/v1/interviews", Some(&owner))
        .json(&json!({"template_id": template, "candidate": {"email": "mine@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let interview = iv["id"].as_str().unwrap();
    let candidate = iv["candidate"]["id"].as_str().unwrap();
    let conn = hm.connection_id.as_str();
    let probes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/connections/{conn}"), None),
        (
            Method::PATCH,
            format!("/v1/connections/{conn}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/v1/connections/{conn}"), None),
        (Method::POST, format!("/v1/connections/{conn}/check"), None),
        (
            Method::POST,
            format!("/v1/connections/{conn}/passthrough"),
            Some(json!({"method": "GET", "path": "/api/postings"})),
        ),
        (
            Method::POST,
            format!("/v1/connections/{conn}/templates/import"),
            None,
        ),
        (Method::GET, format!("/v1/templates/{template}"), None),
        (Method::GET, format!("/v1/candidates/{candidate}"), None),
        (
            Method::GET,
            format!("/v1/candidates/{candidate}/interviews"),
            None,
        ),
        (Method::GET, format!("/v1/interviews/{interview}"), None),
        (
            Method::POST,
            format!("/v1/interviews/{interview}/sync"),
            None,
        ),
        (
            Method::POST,
            "/v1/interviews".into(),
            Some(json!({"template_id": template, "candidate": {"email": "x@example.com"}})),
        ),
        (
            Method::POST,
            "/v1/interviews/batch".into(),
            Some(json!({"template_id": template, "candidates": [{"email": "x@example.com"}]})),
        ),
        (
            Method::POST,
            "/v1/templates/link".into(),
            Some(json!({"connection_id": conn, "provider_ref": {"kind": "posting", "id": "p"}})),
        ),
        (
            Method::POST,
            "/v1/templates".into(),
            Some(json!({"connection_id": conn, "name": "x"})),
        ),
    ];
    for (method, path, body) in probes {
        let mut rb = app.request(method.clone(), &path, Some(&stranger));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        expect_problem(rb.send().await.unwrap(), 404, "not_found").await;
    }
    for path in [
        "/v1/interviews",
        "/v1/templates",
        "/v1/connections",
        "/v1/candidates",
    ] {
        let list: Value = app
            .request(Method::GET, path, Some(&stranger))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(list["data"].as_array().unwrap().is_empty(), "{path}");
    }
    // And the owner's things are untouched.
    let mine: Value = app
        .request(
            Method::GET,
            &format!("/v1/connections/{conn}"),
            Some(&owner),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["name"], "HeyMilo sandbox");
}
