//! The hostile-key walk: every operation in the published spec, called by keys that must not
//! get through, on a real socket:
//! - a key of the same workspace holding every scope but the one the route needs: 403;
//! - a key that may only manage keys (`keys:write`): 403 except on the key routes;
//! - a key of another workspace with every workspace scope: 404 for the first workspace's ids;
//! - each of them reusing the Idempotency-Key the owner used first on every POST: never the
//!   owner's stored answer.
//!
//! None of the refusals may change anything: no vendor call, no audit entry, every resource
//! still there. The scope table below is the one the README's route table states; an
//! operation in the spec without an entry here fails the walk, so a new route cannot be
//! forgotten.

use gateway_core::Scope;
use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(hostile_keys_get_nothing_on_any_route);

/// What an operation demands of the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    /// No API key (health, metrics, vendor webhooks with their own token).
    Open,
    /// Any valid key.
    AnyKey,
    Scope(Scope),
}

fn needs(method: &str, path: &str) -> Needs {
    use Scope::*;
    let s = Needs::Scope;
    match (method, path) {
        ("get", "/health/live" | "/health/ready" | "/metrics") => Needs::Open,
        ("post", "/v1/inbound/{connection_id}/{token}") => Needs::Open,
        ("get", "/v1/providers") => Needs::AnyKey,
        (_, p) if p.starts_with("/v1/api-keys") => s(KeysWrite),
        ("get", "/v1/audit-log") => s(Admin),
        (_, p) if p.starts_with("/v1/workspaces") => s(Admin),
        ("post", "/v1/candidates") | ("delete", "/v1/candidates/{id}") => s(CandidatesWrite),
        ("get", "/v1/candidates" | "/v1/candidates/{id}" | "/v1/candidates/{id}/export") => {
            s(CandidatesRead)
        }
        ("get", "/v1/candidates/{id}/interviews") => s(InterviewsRead),
        ("get", "/v1/connections" | "/v1/connections/{id}" | "/v1/connections/{id}/calls") => {
            s(ConnectionsRead)
        }
        ("post", "/v1/connections/{id}/check") => s(ConnectionsRead),
        ("post", "/v1/connections/{id}/passthrough") => s(Passthrough),
        ("post", "/v1/connections") | ("patch" | "delete", "/v1/connections/{id}") => {
            s(ConnectionsWrite)
        }
        ("post", "/v1/connections/{id}/templates/import") => s(TemplatesWrite),
        ("get", "/v1/templates" | "/v1/templates/{id}") => s(TemplatesRead),
        ("post", "/v1/templates" | "/v1/templates/link") | ("patch", "/v1/templates/{id}") => {
            s(TemplatesWrite)
        }
        ("get", "/v1/interviews" | "/v1/interviews/{id}") => s(InterviewsRead),
        ("post", "/v1/interviews" | "/v1/interviews/batch" | "/v1/interviews/{id}/sync")
        | ("post", "/v1/interviews/{id}/cancel")
        | ("patch", "/v1/interviews/{id}") => s(InterviewsWrite),
        // ATS partners (HTTP Basic there, Bearer accepted too) and their operator routes.
        ("get", "/partners/greenhouse/list_tests") => s(TemplatesRead),
        ("post", "/partners/greenhouse/send_test") => s(InterviewsWrite),
        ("get", "/partners/greenhouse/test_status") => s(InterviewsRead),
        ("post", "/partners/greenhouse/response_error") => s(InterviewsRead),
        ("get", "/v1/partners/{partner}/requests" | "/v1/partners/{partner}/errors") => {
            s(InterviewsRead)
        }
        ("put" | "delete", "/v1/partners/{partner}/hidden-templates/{template_id}") => {
            s(TemplatesWrite)
        }
        ("get", "/v1/events" | "/v1/events/{id}") => s(WebhooksRead),
        ("post", "/v1/events/{id}/redeliver") => s(WebhooksWrite),
        ("get", p) if p.starts_with("/v1/webhook-endpoints") => s(WebhooksRead),
        ("post" | "delete" | "patch", p) if p.starts_with("/v1/webhook-endpoints") => {
            s(WebhooksWrite)
        }
        _ => panic!(
            "the hostile walk has no scope for {method} {path}: add it here and to the README"
        ),
    }
}

struct Ids {
    api_key: String,
    connection: String,
    template: String,
    candidate: String,
    interview: String,
    event: String,
    endpoint: String,
}

impl Ids {
    fn concrete(&self, path: &str) -> String {
        let path = path
            .replace("{partner}", "greenhouse")
            .replace("{template_id}", &self.template);
        if path.ends_with("/test_status") {
            return format!("{path}?partner_interview_id={}", self.interview);
        }
        if !path.contains("{id}") {
            return path;
        }
        let id = match path.split('/').nth(2).unwrap_or_default() {
            "api-keys" => &self.api_key,
            "connections" => &self.connection,
            "templates" => &self.template,
            "candidates" => &self.candidate,
            "interviews" => &self.interview,
            "events" => &self.event,
            "webhook-endpoints" => &self.endpoint,
            "workspaces" => "ws_01jd8x3k5m7q9s1v3x5z7b9d1f",
            other => panic!("the hostile walk has no id for `{other}` ({path})"),
        };
        path.replace("{id}", id)
    }

    /// A valid body, so a request that got past authorization would act.
    fn body(&self, method: &str, path: &str, connection_body: &Value) -> Option<Value> {
        let v = match (method, path) {
            ("post", "/v1/api-keys") => json!({"name": "walk", "scopes": ["keys:write"]}),
            ("post", "/v1/api-keys/{id}/rotate") => json!({"grace_seconds": 0}),
            ("post", "/v1/candidates") => json!({"email": "walk@example.com"}),
            ("post", "/v1/connections") => connection_body.clone(),
            ("patch", "/v1/connections/{id}" | "/v1/templates/{id}") => json!({"name": "walked"}),
            ("patch", "/v1/interviews/{id}") => json!({"metadata": {"walked": true}}),
            ("post", "/v1/connections/{id}/passthrough") => {
                json!({"method": "GET", "path": "/api/postings"})
            }
            ("post", "/v1/interviews") => {
                json!({"template_id": self.template, "candidate": {"email": "walk@example.com"}})
            }
            ("post", "/v1/interviews/batch") => {
                json!({"template_id": self.template, "candidates": [{"email": "walk2@example.com"}]})
            }
            ("post", "/v1/templates") => json!({"connection_id": self.connection, "name": "walk"}),
            ("post", "/v1/templates/link") => json!({"connection_id": self.connection,
                "provider_ref": {"kind": "posting", "id": "p"}}),
            ("post", "/v1/webhook-endpoints") => json!({"url": "https://hooks.example.com/walk"}),
            ("patch", "/v1/webhook-endpoints/{id}") => json!({"disabled": true}),
            ("post", "/v1/webhook-endpoints/{id}/recover") => {
                json!({"since": "2026-01-01T00:00:00Z"})
            }
            ("post", "/v1/workspaces") => json!({"name": "walk"}),
            ("post", "/partners/greenhouse/send_test") => json!({"partner_test_id": self.template,
                "url": "https://example.com/greenhouse/walk",
                "candidate": {"first_name": "Walk", "last_name": "Er", "email": "walk3@example.com",
                    "greenhouse_profile_url": "https://app.greenhouse.io/people/1"}}),
            ("post", "/partners/greenhouse/response_error") => {
                json!({"api_call": "test_status", "errors": ["walk"]})
            }
            _ => return None,
        };
        Some(v)
    }
}

/// Operations whose body names one of the first workspace's resources.
fn references_owner(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        (
            "post",
            "/v1/interviews"
                | "/v1/interviews/batch"
                | "/v1/templates"
                | "/v1/templates/link"
                | "/partners/greenhouse/send_test"
        ) | ("get", "/partners/greenhouse/test_status")
    )
}

/// Every workspace scope except those that would grant `needed`.
fn all_but(needed: Scope) -> Vec<&'static str> {
    Scope::ALL
        .into_iter()
        .filter(|s| *s != Scope::Admin && !s.grants(needed))
        .map(Scope::as_str)
        .collect()
}

async fn get(app: &TestApp, path: &str, key: &str) -> Value {
    let res = app
        .request(Method::GET, path, Some(key))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// What a refused request must leave alone: vendor traffic and the audit log.
async fn footprint(app: &TestApp, ws: &str) -> (usize, usize) {
    let audit = get(
        app,
        &format!("/v1/audit-log?limit=200&workspace_id={ws}"),
        &app.admin_key,
    )
    .await;
    (
        app.sandbox.shared.log.list(None).len(),
        audit["data"].as_array().unwrap().len(),
    )
}

async fn hostile_keys_get_nothing_on_any_route(app: TestApp) {
    let every: Vec<&str> = all_but(Scope::Admin);
    let (ws, owner) = app.workspace_with_key("owner", &every).await;
    let (_, stranger) = app.workspace_with_key("stranger", &every).await;
    let key_manager = app.key_in(&ws, &["keys:write"]).await;

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
    let endpoint: Value = app
        .request(Method::POST, "/v1/webhook-endpoints", Some(&owner))
        .json(&json!({"url": "https://hooks.example.com/x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The key the key routes act on: one the keys-only manager may manage.
    let target: Value = app
        .request(Method::POST, "/v1/api-keys", Some(&owner))
        .json(&json!({"name": "target", "scopes": ["keys:write"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = get(&app, "/v1/events", &owner).await;
    let ids = Ids {
        api_key: target["id"].as_str().unwrap().into(),
        connection: hm.connection_id.clone(),
        template,
        candidate: iv["candidate"]["id"].as_str().unwrap().into(),
        interview: iv["id"].as_str().unwrap().into(),
        event: events["data"][0]["id"].as_str().unwrap().into(),
        endpoint: endpoint["id"].as_str().unwrap().into(),
    };
    let acct = app.sandbox_control("/heymilo/accounts", json!({})).await;
    let connection_body = json!({"provider": "heymilo", "name": "walk",
        "credentials": {"api_key": acct["api_key"]}, "base_url": app.sandbox.vendor_url("heymilo")});

    let spec = serde_json::to_value(interview_gateway::openapi_document()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.clone(), path.clone(), needs(method, path)));
        }
    }

    // The owner goes first on every POST with an Idempotency-Key, so its answers are stored.
    for (i, (method, path, need)) in ops.iter().enumerate() {
        if method != "post" || !matches!(need, Needs::Scope(_)) {
            continue;
        }
        let mut rb = app
            .request(Method::POST, &ids.concrete(path), Some(&owner))
            .header("Idempotency-Key", format!("walk-{i}"));
        if let Some(b) = ids.body(method, path, &connection_body) {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        assert!(
            res.status().as_u16() < 500,
            "owner {method} {path}: {}",
            res.status()
        );
    }

    // One key per needed scope holding everything else, made before the footprint is taken.
    let mut lacking_keys = std::collections::HashMap::new();
    for (_, _, need) in &ops {
        if let Needs::Scope(scope) = *need {
            if let std::collections::hash_map::Entry::Vacant(e) = lacking_keys.entry(scope) {
                e.insert(app.key_in(&ws, &all_but(scope)).await);
            }
        }
    }
    let before = footprint(&app, &ws).await;
    let mut refused = 0;
    for (i, (method, path, need)) in ops.iter().enumerate() {
        let Needs::Scope(scope) = *need else {
            continue;
        };
        let lacking = lacking_keys[&scope].clone();
        let mut callers = vec![("lacking the scope", lacking, 403)];
        if !path.starts_with("/v1/api-keys") {
            callers.push(("keys:write only", key_manager.clone(), 403));
        }
        let takes_id = path.contains("{id}")
            || path.contains("{template_id}")
            || references_owner(method, path);
        if scope == Scope::Admin {
            callers.push(("of another workspace", stranger.clone(), 403));
        } else if takes_id {
            callers.push(("of another workspace", stranger.clone(), 404));
        }
        for (who, key, status) in callers {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut rb = app.request(m, &ids.concrete(path), Some(&key));
            if method == "post" {
                rb = rb.header("Idempotency-Key", format!("walk-{i}"));
            }
            if let Some(b) = ids.body(method, path, &connection_body) {
                rb = rb.json(&b);
            }
            let res = rb.send().await.unwrap();
            assert!(
                res.headers().get("idempotent-replayed").is_none(),
                "{method} {path}: a key {who} got the owner's stored answer"
            );
            let code = if status == 403 {
                "forbidden"
            } else {
                "not_found"
            };
            let p = expect_problem(res, status, code).await;
            if status == 403 && scope != Scope::Admin && who == "lacking the scope" {
                let detail = p["detail"].as_str().unwrap();
                assert!(detail.contains(scope.as_str()), "{method} {path}: {detail}");
            }
            refused += 1;
        }
    }
    assert!(refused >= 80, "refused {refused} calls");
    assert_eq!(
        footprint(&app, &ws).await,
        before,
        "refused calls reached no vendor and changed nothing"
    );
    // Every resource the walk aimed at is still there and unchanged.
    let conn = get(&app, &format!("/v1/connections/{}", ids.connection), &owner).await;
    assert_eq!(
        conn["name"], "HeyMilo sandbox",
        "no hostile PATCH renamed it"
    );
    for path in [
        format!("/v1/templates/{}", ids.template),
        format!("/v1/interviews/{}", ids.interview),
        format!("/v1/webhook-endpoints/{}", ids.endpoint),
        format!("/v1/api-keys/{}", ids.api_key),
    ] {
        get(&app, &path, &owner).await;
    }
    let key = get(&app, &format!("/v1/api-keys/{}", ids.api_key), &owner).await;
    assert!(key["revoked_at"].is_null());

    // Routes open to any key answer a keys-only key; open routes need none.
    for (method, path, need) in &ops {
        let key = match need {
            Needs::AnyKey => Some(key_manager.as_str()),
            Needs::Open if method == "get" => None,
            _ => continue,
        };
        let res = app.request(Method::GET, path, key).send().await.unwrap();
        assert_eq!(res.status(), 200, "{method} {path}");
    }
}
