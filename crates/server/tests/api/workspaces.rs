use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    admin_creates_lists_and_gets_workspaces,
    workspace_names_are_validated
);

async fn admin_creates_lists_and_gets_workspaces(app: TestApp) {
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let res = app
            .admin(Method::POST, "/v1/workspaces")
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        assert!(body["id"].as_str().unwrap().starts_with("ws_"));
        assert_eq!(body["name"], name);
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    // Newest first, two per page, over three pages (the admin's own workspace is the oldest).
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/workspaces?limit=2&cursor={c}"),
            None => "/v1/workspaces?limit=2".to_string(),
        };
        let page: Value = app
            .admin(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for w in page["data"].as_array().unwrap() {
            seen.push(w["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[..3], [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    let one: Value = app
        .admin(Method::GET, &format!("/v1/workspaces/{}", ids[1]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["name"], "b");
}

async fn workspace_names_are_validated(app: TestApp) {
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": 5}), "name"),
        (json!({}), "name"),
        (json!({"name": "ok", "extra": true}), "extra"),
    ] {
        let res = app
            .admin(Method::POST, "/v1/workspaces")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let list: Value = app
        .admin(Method::GET, "/v1/workspaces")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "nothing was half-written"
    );
}
