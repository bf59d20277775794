use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(security_actions_are_audited_without_secrets);

async fn security_actions_are_audited_without_secrets(app: TestApp) {
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "ci", "scopes": ["connections:write"]}))
        .send()
        .await
        .unwrap();
    let create_request = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let made: Value = res.json().await.unwrap();
    let (id, secret) = (
        made["id"].as_str().unwrap().to_string(),
        made["key"].as_str().unwrap().to_string(),
    );
    app.admin(Method::POST, &format!("/v1/api-keys/{id}/rotate"))
        .json(&json!({"grace_seconds": 0}))
        .send()
        .await
        .unwrap();
    let hm = app.heymilo(&app.admin_key, 0).await;
    let conn = format!("/v1/connections/{}", hm.connection_id);
    app.admin(Method::PATCH, &conn)
        .json(&json!({"credentials": {"api_key": "replaced-secret-value"}}))
        .send()
        .await
        .unwrap();
    app.admin(Method::DELETE, &conn).send().await.unwrap();
    app.admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();

    let log: Value = app
        .admin(Method::GET, "/v1/audit-log")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "api_key.revoked",
            "connection.deleted",
            "connection.updated",
            "connection.created",
            "api_key.rotated",
            "api_key.created",
            "api_key.created",
            "workspace.created"
        ],
        "newest first; the last two are the command line's admin key and workspace"
    );
    let created = &entries[5];
    assert_eq!(created["target_id"], id.as_str());
    assert_eq!(created["request_id"], create_request.as_str());
    assert!(created["actor_key_id"]
        .as_str()
        .unwrap()
        .starts_with("key_"));
    assert!(created["id"].as_str().unwrap().starts_with("aud_"));
    assert_eq!(entries[2]["details"]["credentials_replaced"], true);
    assert_eq!(
        entries[6]["actor_key_id"],
        Value::Null,
        "made on the command line"
    );
    let text = log.to_string();
    for secret in [
        secret.as_str(),
        hm.api_key.as_str(),
        "replaced-secret-value",
        app.admin_key.as_str(),
    ] {
        assert!(!text.contains(secret), "the audit log holds a secret");
    }
    let only: Value = app
        .admin(Method::GET, "/v1/audit-log?action=connection.updated")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only["data"].as_array().unwrap().len(), 1);

    let (other_ws, manager) = app
        .workspace_with_key("b", &["keys:write", "connections:write"])
        .await;
    expect_problem(
        app.request(Method::GET, "/v1/audit-log", Some(&manager))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let theirs: Value = app
        .admin(
            Method::GET,
            &format!("/v1/audit-log?workspace_id={other_ws}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let theirs: Vec<&str> = theirs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(theirs, ["api_key.created", "workspace.created"]);
}
