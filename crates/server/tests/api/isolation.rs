//! Tenant isolation, walked from the published spec: every operation that takes an id is
//! called with a second workspace's key against the first workspace's ids, and must answer
//! 404 exactly as for an unknown id. A new resource in the spec without an id mapping here
//! fails the walk, so it cannot be forgotten.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(every_operation_hides_other_workspaces);

/// A valid body for operations that take one, so the request reaches the id lookup.
fn body_for(method: &str, path: &str, ids: &Ids) -> Option<Value> {
    let v = match (method, path) {
        ("patch", "/v1/connections/{id}") => json!({"name": "x"}),
        ("patch", "/v1/templates/{id}") => json!({"name": "x"}),
        ("patch", "/v1/interviews/{id}") => json!({"metadata": {}}),
        ("patch", "/v1/webhook-endpoints/{id}") => json!({"disabled": true}),
        ("post", "/v1/webhook-endpoints/{id}/recover") => json!({"since": "2026-01-01T00:00:00Z"}),
        ("post", "/v1/connections/{id}/passthrough") => {
            json!({"method": "GET", "path": "/api/postings"})
        }
        ("post", "/v1/api-keys/{id}/rotate") => json!({"grace_seconds": 0}),
        ("post", "/v1/interviews") => {
            json!({"template_id": ids.template, "candidate": {"email": "x@example.com"}})
        }
        ("post", "/v1/interviews/batch") => {
            json!({"template_id": ids.template, "candidates": [{"email": "x@example.com"}]})
        }
        ("post", "/v1/templates") => json!({"connection_id": ids.connection, "name": "x"}),
        ("post", "/v1/templates/link") => {
            json!({"connection_id": ids.connection, "provider_ref": {"kind": "posting", "id": "p"}})
        }
        ("post", "/v1/api-keys") => {
            json!({"name": "x", "scopes": ["keys:write"], "workspace_id": ids.workspace})
        }
        _ => return None,
    };
    Some(v)
}

/// Operations that take one of the first workspace's ids outside the path.
const BODY_REFERENCES: [(&str, &str); 5] = [
    ("post", "/v1/interviews"),
    ("post", "/v1/interviews/batch"),
    ("post", "/v1/templates"),
    ("post", "/v1/templates/link"),
    ("post", "/v1/api-keys"),
];

struct Ids {
    workspace: String,
    api_key: String,
    connection: String,
    template: String,
    candidate: String,
    interview: String,
    event: String,
    endpoint: String,
}

impl Ids {
    /// The first workspace's id for a path's resource.
    fn for_path(&self, path: &str) -> &str {
        let resource = path.split('/').nth(2).unwrap_or_default();
        match resource {
            "workspaces" => &self.workspace,
            "api-keys" => &self.api_key,
            "connections" => &self.connection,
            "templates" => &self.template,
            "candidates" => &self.candidate,
            "interviews" => &self.interview,
            "events" => &self.event,
            "webhook-endpoints" => &self.endpoint,
            other => panic!("the isolation walk has no id for `{other}` ({path}): add one"),
        }
    }
}

async fn every_operation_hides_other_workspaces(app: TestApp) {
    let all = [
        "connections:write",
        "templates:write",
        "interviews:write",
        "candidates:write",
        "webhooks:write",
        "keys:write",
        "passthrough",
    ];
    let (owner_ws, owner) = app.workspace_with_key("owner", &all).await;
    let (_, stranger) = app.workspace_with_key("stranger", &all).await;
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
    let keys: Value = app
        .request(Method::GET, "/v1/api-keys", Some(&owner))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events: Value = app
        .request(Method::GET, "/v1/events", Some(&owner))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint: Value = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(&owner))
        .json(&json!({"url": "https://hooks.example.com/x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = Ids {
        workspace: owner_ws,
        api_key: keys["data"][0]["id"].as_str().unwrap().to_string(),
        connection: hm.connection_id.clone(),
        template,
        candidate: iv["candidate"]["id"].as_str().unwrap().to_string(),
        interview: iv["id"].as_str().unwrap().to_string(),
        event: events["data"][0]["id"].as_str().unwrap().to_string(),
        endpoint: endpoint["id"].as_str().unwrap().to_string(),
    };

    let spec = serde_json::to_value(interview_gateway::openapi_document()).unwrap();
    let mut walked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let takes_path_id = path.contains("{id}");
            let references = BODY_REFERENCES.contains(&(method.as_str(), path.as_str()));
            if !takes_path_id && !references {
                continue;
            }
            let concrete = path.replace("{id}", ids.for_path(path));
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut rb = app.request(m, &concrete, Some(&stranger));
            if let Some(b) = body_for(method, path, &ids) {
                rb = rb.json(&b);
            }
            let res = rb.send().await.unwrap();
            // Admin-only operations refuse before looking: no workspace key learns anything there.
            let admin_only =
                op["tags"][0] == "workspaces" || (path == "/v1/api-keys" && references);
            if admin_only {
                assert!(
                    matches!(res.status().as_u16(), 403),
                    "{method} {path}: {}",
                    res.status()
                );
            } else {
                let p = expect_problem(res, 404, "not_found").await;
                assert!(p["detail"].is_string(), "{method} {path}");
            }
            walked += 1;
        }
    }
    assert!(walked >= 20, "walked {walked} operations");
    // Lists show the stranger nothing of the owner's.
    for path in [
        "/v1/interviews",
        "/v1/templates",
        "/v1/connections",
        "/v1/candidates",
        "/v1/api-keys",
    ] {
        let list: Value = app
            .request(Method::GET, path, Some(&stranger))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = list.to_string();
        for id in [
            &ids.connection,
            &ids.template,
            &ids.interview,
            &ids.candidate,
            &ids.api_key,
        ] {
            assert!(!text.contains(id.as_str()), "{path} shows {id}");
        }
    }
    let mine: Value = app
        .request(
            Method::GET,
            &format!("/v1/connections/{}", ids.connection),
            Some(&owner),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["name"], "HeyMilo sandbox",
        "the owner's connection is untouched"
    );
}
