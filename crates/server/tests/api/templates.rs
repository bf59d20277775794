use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    templates_import_link_list_and_get,
    template_requests_are_validated
);

async fn templates_import_link_list_and_get(app: TestApp) {
    let (_, key) = app
        .workspace_with_key("a", &["connections:write", "templates:write"])
        .await;
    let hm = app.heymilo(&key, 3).await;
    let import = format!("/v1/connections/{}/templates/import", hm.connection_id);
    let first: Value = app
        .request(Method::POST, &import, Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let imported = first["data"].as_array().unwrap();
    assert_eq!(imported.len(), 3);
    assert!(imported.iter().all(
        |t| t["provider_ref"]["kind"] == "posting" && t["provider_ref"]["url_key"].is_string()
    ));
    // Importing again refreshes, never duplicates.
    let again: Value = app
        .request(Method::POST, &import, Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = |v: &Value| {
        let mut ids: Vec<String> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&first), ids(&again));
    let listed: Value = app
        .request(
            Method::GET,
            &format!("/v1/templates?connection_id={}&limit=2", hm.connection_id),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert!(listed["next_cursor"].is_string());

    // Linking by posting id alone: the gateway looks it up and fills in the url_key.
    let posting = &hm.postings[1];
    let link = json!({"connection_id": hm.connection_id, "provider_ref": {"kind": "posting", "id": posting["posting_id"]}});
    let res = app
        .request(Method::POST, "/v1/templates/link", Some(&key))
        .json(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "already imported: refreshed");
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["provider_ref"]["url_key"], posting["url_key"]);
    let got: Value = app
        .request(
            Method::GET,
            &format!("/v1/templates/{}", t["id"].as_str().unwrap()),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Role 1");
    assert_eq!(got["remote_data"]["posting_id"], posting["posting_id"]);

    let fresh = app
        .sandbox_control(
            &format!("/heymilo/accounts/{}/postings", hm.api_key),
            json!({"title": "New role"}),
        )
        .await;
    let link = json!({"connection_id": hm.connection_id, "provider_ref": {"kind": "posting", "id": fresh["posting_id"]}, "name": "Our name"});
    let res = app
        .request(Method::POST, "/v1/templates/link", Some(&key))
        .json(&link)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Our name");

    let missing = json!({"connection_id": hm.connection_id, "provider_ref": {"kind": "posting", "id": "posting_nope"}});
    let p = expect_problem(
        app.request(Method::POST, "/v1/templates/link", Some(&key))
            .json(&missing)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_eq!(p["provider"]["name"], "heymilo");
    // HeyMilo cannot create postings through its API.
    let create = json!({"connection_id": hm.connection_id, "name": "X"});
    let p = expect_problem(
        app.request(Method::POST, "/v1/templates", Some(&key))
            .json(&create)
            .send()
            .await
            .unwrap(),
        422,
        "unsupported_by_provider",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("create_template"));
}

async fn template_requests_are_validated(app: TestApp) {
    let (_, key) = app
        .workspace_with_key("a", &["connections:write", "templates:write"])
        .await;
    let hm = app.heymilo(&key, 1).await;
    let conn = hm.connection_id.as_str();
    for (body, field) in [
        (json!({"connection_id": conn, "name": ""}), "name"),
        (
            json!({"connection_id": conn, "name": "x", "duration_minutes": 0}),
            "duration_minutes",
        ),
        (
            json!({"connection_id": conn, "name": "x", "questions": [{"prompt": ""}]}),
            "questions[0].prompt",
        ),
        (
            json!({"connection_id": conn, "name": "x", "steps": [{"assessment_id": "a", "pass_threshold": 101}]}),
            "steps[0].pass_threshold",
        ),
        (
            json!({"connection_id": conn, "name": "x", "settings": []}),
            "settings",
        ),
        (
            json!({"connection_id": "tmpl_01jd8x3k5m7q9s1v3x5z7b9d1f", "name": "x"}),
            "connection_id",
        ),
        (
            json!({"connection_id": conn, "name": "x", "questions": [{"prompt": "p", "weight": 2}]}),
            "questions[0].weight",
        ),
    ] {
        let res = app
            .request(Method::POST, "/v1/templates", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = expect_problem(res, 422, "invalid_request").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let wrong_kind = json!({"connection_id": conn, "provider_ref": {"kind": "flow", "id": "1"}});
    let p = expect_problem(
        app.request(Method::POST, "/v1/templates/link", Some(&key))
            .json(&wrong_kind)
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "provider_ref.kind");
    let unknown_conn = json!({"connection_id": "conn_01jd8x3k5m7q9s1v3x5z7b9d1f", "name": "x"});
    expect_problem(
        app.request(Method::POST, "/v1/templates", Some(&key))
            .json(&unknown_conn)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    let list: Value = app
        .request(Method::GET, "/v1/templates", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["data"].as_array().unwrap().is_empty());
}
