use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    scoped_keys_stay_in_their_workspace,
    keys_cannot_grant_what_they_lack,
    key_bodies_are_validated,
    revocation_is_idempotent_and_rotation_refuses_revoked_keys,
    last_used_is_recorded_in_batches,
    keys_manage_only_keys_no_stronger_than_themselves,
);

async fn create(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.request(Method::POST, "/v1/api-keys", Some(key))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn scoped_keys_stay_in_their_workspace(app: TestApp) {
    let (ws_a, manager_a) = app.workspace_with_key("a", &["keys:write"]).await;
    let (ws_b, manager_b) = app.workspace_with_key("b", &["keys:write"]).await;

    let res = create(
        &app,
        &manager_a,
        json!({"name": "ci", "scopes": ["keys:write"]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    assert_eq!(made["workspace_id"], ws_a.as_str());
    assert!(made["key"].as_str().unwrap().starts_with("igk_"));
    let made_id = made["id"].as_str().unwrap().to_string();

    // Listing never shows a secret.
    let list: Value = app
        .request(Method::GET, "/v1/api-keys", Some(&manager_a))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = list["data"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .all(|k| k.get("key").is_none() && k["workspace_id"] == ws_a.as_str()));

    // Workspace B sees nothing of A: 404, exactly as for an unknown id.
    for method in [Method::GET, Method::DELETE] {
        let res = app
            .request(method, &format!("/v1/api-keys/{made_id}"), Some(&manager_b))
            .send()
            .await
            .unwrap();
        expect_problem(res, 404, "not_found").await;
    }
    let res = app
        .request(
            Method::POST,
            &format!("/v1/api-keys/{made_id}/rotate"),
            Some(&manager_b),
        )
        .json(&json!({"grace_seconds": 0}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
    let still: Value = app
        .request(
            Method::GET,
            &format!("/v1/api-keys/{made_id}"),
            Some(&manager_a),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["revoked_at"], Value::Null);

    // Only admins reach into another workspace.
    let res = create(
        &app,
        &manager_b,
        json!({"name": "x", "scopes": ["keys:write"], "workspace_id": ws_a}),
    )
    .await;
    expect_problem(res, 403, "forbidden").await;
    let res = app
        .request(
            Method::GET,
            &format!("/v1/api-keys?workspace_id={ws_a}"),
            Some(&manager_b),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "forbidden").await;
    let res = app
        .admin(Method::GET, &format!("/v1/api-keys?workspace_id={ws_b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let res = app
        .admin(Method::GET, &format!("/v1/api-keys/{made_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "admins find any workspace's key");
    let res = app.admin(Method::POST, "/v1/api-keys").json(&json!({"name": "x", "scopes": ["admin"], "workspace_id": "ws_01jd8x3k5m7q9s1v3x5z7b9d1f"})).send().await.unwrap();
    expect_problem(res, 404, "not_found").await;
}

async fn keys_cannot_grant_what_they_lack(app: TestApp) {
    let (_, manager) = app
        .workspace_with_key("a", &["keys:write", "templates:read"])
        .await;
    let res = create(
        &app,
        &manager,
        json!({"name": "x", "scopes": ["templates:read", "interviews:write", "admin"]}),
    )
    .await;
    let problem = expect_problem(res, 422, "invalid_request").await;
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["scopes[1]", "scopes[2]"]);
    let res = create(
        &app,
        &manager,
        json!({"name": "reader", "scopes": ["templates:read", "templates:read"]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<Value>().await.unwrap()["scopes"],
        json!(["templates:read"]),
        "duplicates collapse"
    );
}

async fn key_bodies_are_validated(app: TestApp) {
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    for (body, field) in [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (
            json!({"name": "x", "scopes": ["launch:missiles"]}),
            "scopes[0]",
        ),
        (json!({"name": "", "scopes": ["admin"]}), "name"),
        (
            json!({"name": "x", "scopes": ["admin"], "expires_at": past}),
            "expires_at",
        ),
        (
            json!({"name": "x", "scopes": ["admin"], "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "scopes": ["admin"], "rate_limit": {"requests_per_minute": 0, "burst": 1}}),
            "rate_limit.requests_per_minute",
        ),
        (
            json!({"name": "x", "scopes": ["admin"], "rate_limit": {"requests_per_minute": 10}}),
            "rate_limit.burst",
        ),
        (
            json!({"name": "x", "scopes": ["admin"], "workspace_id": "tmpl_01jd8x3k5m7q9s1v3x5z7b9d1f"}),
            "workspace_id",
        ),
    ] {
        let res = app
            .admin(Method::POST, "/v1/api-keys")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body} -> {problem}");
    }
    let res = app
        .admin(
            Method::POST,
            "/v1/api-keys/key_01jd8x3k5m7q9s1v3x5z7b9d1f/rotate",
        )
        .json(&json!({"grace_seconds": 99999999}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
    let list: Value = app
        .admin(Method::GET, "/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "no key was created by a bad request"
    );
}

async fn revocation_is_idempotent_and_rotation_refuses_revoked_keys(app: TestApp) {
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&json!({"name": "x", "scopes": ["keys:write"]}))
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first: Value = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second: Value = app
        .admin(Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(first["revoked_at"].is_string());
    assert_eq!(first["revoked_at"], second["revoked_at"]);
    let res = app
        .admin(Method::POST, &format!("/v1/api-keys/{id}/rotate"))
        .json(&json!({"grace_seconds": 0}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 409, "conflict").await;
}

async fn last_used_is_recorded_in_batches(app: TestApp) {
    let (_, key) = app.workspace_with_key("a", &["keys:write"]).await;
    let list: Value = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["data"][0]["last_used_at"],
        Value::Null,
        "not written per request"
    );
    app.state.auth.flush_usage().await;
    let list: Value = app
        .request(Method::GET, "/v1/api-keys", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["data"][0]["last_used_at"].is_string(), "{list}");
}

/// (id, secret) of a new key the admin makes in `ws` (`None`: the admin's own workspace).
async fn made(app: &TestApp, ws: Option<&str>, scopes: &[&str]) -> (String, String) {
    let mut body = json!({"name": "k", "scopes": scopes});
    if let Some(ws) = ws {
        body["workspace_id"] = json!(ws);
    }
    let res = app
        .admin(Method::POST, "/v1/api-keys")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    (
        v["id"].as_str().unwrap().into(),
        v["key"].as_str().unwrap().into(),
    )
}

async fn works(app: &TestApp, secret: &str) -> bool {
    let res = app
        .request(Method::GET, "/v1/api-keys", Some(secret))
        .send()
        .await
        .unwrap();
    res.status() == 200
}

async fn keys_manage_only_keys_no_stronger_than_themselves(app: TestApp) {
    let (ws, _) = app.workspace_with_key("a", &["keys:write"]).await;
    let (manager_id, manager) = made(&app, Some(&ws), &["keys:write"]).await;
    let (strong_id, strong) = made(&app, Some(&ws), &["keys:write", "interviews:write"]).await;
    let (peer_id, _) = made(&app, Some(&ws), &["keys:write"]).await;

    let rotate = |id: String, by: String| {
        let app = &app;
        async move {
            app.request(
                Method::POST,
                &format!("/v1/api-keys/{id}/rotate"),
                Some(&by),
            )
            .json(&json!({"grace_seconds": 0}))
            .send()
            .await
            .unwrap()
        }
    };
    let revoke = |id: String, by: String| {
        let app = &app;
        async move {
            app.request(Method::DELETE, &format!("/v1/api-keys/{id}"), Some(&by))
                .send()
                .await
                .unwrap()
        }
    };

    // A keys:write key cannot take over a stronger key: no new secret, no revocation.
    let p = expect_problem(
        rotate(strong_id.clone(), manager.clone()).await,
        403,
        "forbidden",
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("`interviews:write`"), "{detail}");
    assert!(!p.to_string().contains("igk_"), "no secret in the refusal");
    let p = expect_problem(
        revoke(strong_id.clone(), manager.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("`interviews:write`"));
    assert!(
        works(&app, &strong).await,
        "the stronger key was neither rotated nor revoked"
    );

    // The admin key of the default workspace: only admins touch it.
    let (_, default_manager) = made(&app, None, &["keys:write"]).await;
    let admin_id = {
        let list: Value = app
            .admin(Method::GET, "/v1/api-keys?limit=200")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let prefix = app.admin_key.rsplit_once('_').unwrap().0.to_string();
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["prefix"] == prefix.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let p = expect_problem(
        rotate(admin_id.clone(), default_manager.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("admin key"), "{p}");
    expect_problem(
        revoke(admin_id.clone(), default_manager.clone()).await,
        403,
        "forbidden",
    )
    .await;
    assert!(
        works(&app, &app.admin_key).await,
        "the admin key still works"
    );
    let audit: Value = app
        .admin(Method::GET, "/v1/audit-log?limit=200")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !audit.to_string().contains("api_key.rotated")
            && !audit.to_string().contains("api_key.revoked"),
        "refusals changed nothing: {audit}"
    );

    // Keys no stronger than the caller's: peers, itself; and a stronger key manages weaker ones.
    assert_eq!(rotate(peer_id.clone(), manager.clone()).await.status(), 200);
    assert_eq!(revoke(peer_id, manager.clone()).await.status(), 200);
    let res = rotate(manager_id.clone(), manager.clone()).await;
    assert_eq!(res.status(), 200);
    let manager = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(revoke(manager_id, strong.clone()).await.status(), 200);
    assert!(!works(&app, &manager).await);
    // An admin manages any key.
    assert_eq!(rotate(strong_id, app.admin_key.clone()).await.status(), 200);
}
