use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    invite_read_complete_and_sync,
    bad_invites_leave_nothing_behind,
    vendor_refusals_store_nothing_and_outages_stay_pending,
    the_same_candidate_gets_the_existing_interview,
    a_batch_of_1000_goes_in_bulk_calls,
    batches_report_each_candidate,
    lists_filter_and_page,
    candidates_upsert_and_list_their_interviews,
);

fn invite(template: &str, email: &str) -> Value {
    json!({"template_id": template, "candidate": {"email": email, "first_name": "Alex", "last_name": "Doe"}})
}

async fn invite_read_complete_and_sync(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&invite(&template, "Alex@Example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["status"], "invited");
    assert_eq!(created["candidate"]["email"], "alex@example.com");
    assert_eq!(created["candidate"]["name"], "Alex Doe");
    let vendor_id = created["provider_refs"]["interview_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created["interview_url"]
        .as_str()
        .unwrap()
        .contains(&vendor_id));
    // The vendor saw the gateway's id with the candidate.
    let raw = app
        .sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .into_iter()
        .find(|r| r.path.starts_with("/api/ingest"))
        .unwrap();
    assert_eq!(raw.body["metadata"]["gateway_interview_id"], id.as_str());
    // The answer is built from what was written, not read back: it must be what a read sees.
    let read = |app: &TestApp, key: &str| {
        let req = app.request(Method::GET, &format!("/v1/interviews/{id}"), Some(key));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(read(&app, &key).await, created);

    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "completed", "score": 91.0}),
    )
    .await;
    let synced: Value = app
        .request(
            Method::POST,
            &format!("/v1/interviews/{id}/sync"),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(synced["status"], "completed");
    assert_eq!(synced["result"]["score"]["normalized"], 91.0);
    assert!(!synced["result"]["transcript"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(synced["last_synced_at"].is_string());
    assert_eq!(synced["remote_data"]["details"]["status"], "completed");
}

async fn bad_invites_leave_nothing_behind(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &[
                "connections:write",
                "templates:write",
                "interviews:write",
                "candidates:read",
            ],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    for (body, status, field) in [
        (invite(&template, "not-an-email"), 422, "candidate.email"),
        (
            json!({"template_id": template, "candidate": {"email": "a@b.co", "resume_url": "file:///etc/passwd"}}),
            422,
            "candidate.resume_url",
        ),
        (
            json!({"template_id": template, "candidate": {"email": "a@b.co", "metadata": [1]}}),
            422,
            "candidate.metadata",
        ),
        (
            json!({"template_id": template, "candidate": {"email": "a@b.co"}, "delay_hours": 1000}),
            422,
            "delay_hours",
        ),
        (
            json!({"template_id": template, "candidate": {"email": "a@b.co", "age": 3}}),
            422,
            "candidate.age",
        ),
        (
            json!({"template_id": "conn_01jd8x3k5m7q9s1v3x5z7b9d1f", "candidate": {"email": "a@b.co"}}),
            422,
            "template_id",
        ),
        (json!({"template_id": template}), 422, "candidate"),
    ] {
        let res = app
            .request(Method::POST, "/v1/interviews", Some(&key))
            .json(&body)
            .send()
            .await
            .unwrap();
        let code = if status == 400 {
            "malformed_request"
        } else {
            "invalid_request"
        };
        let p = expect_problem(res, status, code).await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let unknown = invite("tmpl_01jd8x3k5m7q9s1v3x5z7b9d1f", "a@b.co");
    expect_problem(
        app.request(Method::POST, "/v1/interviews", Some(&key))
            .json(&unknown)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        0,
        "nothing reached the vendor"
    );
    let list: Value = app
        .request(Method::GET, "/v1/interviews", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["data"].as_array().unwrap().is_empty());
    let people: Value = app
        .request(Method::GET, "/v1/candidates", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        people["data"].as_array().unwrap().is_empty(),
        "no candidate from a refused request"
    );
}

async fn vendor_refusals_store_nothing_and_outages_stay_pending(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "status", "status": 422}, "times": 1})).await;
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&invite(&template, "refused@example.com"))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "provider_rejected").await;
    assert_eq!(
        (
            p["provider"]["name"].clone(),
            p["provider"]["status"].clone()
        ),
        (json!("heymilo"), json!(422))
    );
    let list: Value = app
        .request(Method::GET, "/v1/interviews", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list["data"].as_array().unwrap().is_empty(),
        "a refusal stores no interview"
    );

    // An outage on a retake (never resent): the interview is kept, pending, with the reason.
    app.sandbox_control("/faults", json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "status", "status": 503}})).await;
    let mut body = invite(&template, "outage@example.com");
    body["retake"] = json!(true);
    let res = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["status"], "pending");
    assert!(pending["error"].as_str().unwrap().contains("sync"));
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest"),
        2,
        "the refused one and the outage, each sent once"
    );
    let id = pending["id"].as_str().unwrap();
    app.clear_faults().await;
    // The vendor never got it: sync says so and keeps it visible.
    let synced: Value = app
        .request(
            Method::POST,
            &format!("/v1/interviews/{id}/sync"),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(synced["status"], "pending");
    assert!(synced["error"].as_str().unwrap().contains("not found"));
}

async fn the_same_candidate_gets_the_existing_interview(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let first = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&invite(&template, "twice@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&invite(&template, "twice@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        200,
        "HeyMilo handed back the interview it had"
    );
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let mut retake = invite(&template, "twice@example.com");
    retake["retake"] = json!(true);
    let third = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&retake)
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 201);
    let list: Value = app
        .request(Method::GET, "/v1/interviews", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
}

async fn a_batch_of_1000_goes_in_bulk_calls(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let candidates: Vec<Value> = (0..1000)
        .map(|i| json!({"email": format!("c{i}@example.com"), "name": format!("C {i}")}))
        .collect();
    let res = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&json!({"template_id": template, "candidates": candidates}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1000);
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["index"], i);
        assert_eq!(
            item["interview"]["candidate"]["email"],
            format!("c{i}@example.com")
        );
        assert_eq!(item["interview"]["status"], "invited");
        assert!(item["error"].is_null());
    }
    assert_eq!(
        app.vendor_calls("heymilo", "POST", "/api/ingest/x/bulk/"),
        4,
        "250 per bulk call"
    );
    assert_eq!(app.vendor_calls("heymilo", "POST", "/api/ingest"), 4);
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"email": format!("d{i}@example.com")}))
        .collect();
    let res = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&json!({"template_id": template, "candidates": too_many}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
}

async fn batches_report_each_candidate(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let body = json!({"template_id": template, "candidates": [
        {"email": "ok1@example.com"},
        {"email": "broken"},
        {"email": "OK1@example.com"},
        {"email": "ok2@example.com"}
    ]});
    let res: Value = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let d = res["data"].as_array().unwrap();
    assert!(d[0]["interview"].is_object() && d[0]["error"].is_null());
    assert_eq!(d[1]["error"]["code"], "invalid_request");
    assert_eq!(d[1]["error"]["errors"][0]["field"], "candidates[1].email");
    assert_eq!(
        d[2]["error"]["code"], "invalid_request",
        "a duplicate of an earlier candidate"
    );
    assert!(d[3]["interview"].is_object());
    let res = app
        .request(Method::POST, "/v1/interviews/batch", Some(&key))
        .json(&json!({"template_id": template, "candidates": []}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;
}

async fn lists_filter_and_page(app: TestApp) {
    let (_, key) = app
        .workspace_with_key(
            "a",
            &["connections:write", "templates:write", "interviews:write"],
        )
        .await;
    let (_, template) = app.heymilo_template(&key).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let v: Value = app
            .request(Method::POST, "/v1/interviews", Some(&key))
            .json(&invite(&template, &format!("p{i}@example.com")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(v);
    }
    let vendor_id = ids[1]["provider_refs"]["interview_id"].as_str().unwrap();
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    let since = chrono::Utc::now().to_rfc3339();
    app.request(
        Method::POST,
        &format!("/v1/interviews/{}/sync", ids[1]["id"].as_str().unwrap()),
        Some(&key),
    )
    .send()
    .await
    .unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/interviews?limit=2&template_id={template}&cursor={c}"),
            None => format!("/v1/interviews?limit=2&template_id={template}"),
        };
        let page: Value = app
            .request(Method::GET, &path, Some(&key))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = ids
        .iter()
        .rev()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, expected, "newest first, every one once");
    let q = |path: String| {
        let app = &app;
        let key = key.clone();
        async move {
            app.request(Method::GET, &path, Some(&key))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["data"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(q("/v1/interviews?status=in_progress".into()).await, 1);
    assert_eq!(q("/v1/interviews?status=invited".into()).await, 4);
    assert_eq!(
        q(format!(
            "/v1/interviews?candidate_id={}",
            ids[3]["candidate"]["id"].as_str().unwrap()
        ))
        .await,
        1
    );
    assert_eq!(
        q(format!(
            "/v1/interviews?updated_after={}",
            urlencode(&since)
        ))
        .await,
        1
    );
    let p = expect_problem(
        app.request(Method::GET, "/v1/interviews?status=done", Some(&key))
            .send()
            .await
            .unwrap(),
        400,
        "malformed_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "status");
    expect_problem(
        app.request(
            Method::GET,
            "/v1/interviews?updated_after=yesterday",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
        400,
        "malformed_request",
    )
    .await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn candidates_upsert_and_list_their_interviews(app: TestApp) {
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
    let made: Value = app
        .request(Method::POST, "/v1/candidates", Some(&key))
        .json(&json!({"email": "Sam@Example.com", "external_id": "ats-7", "phone": "+1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = made["id"].as_str().unwrap();
    let mut body = invite(&template, "sam@example.com");
    body["candidate"]["external_id"] = json!("ats-7");
    let iv: Value = app
        .request(Method::POST, "/v1/interviews", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(iv["candidate"]["id"], cid, "the same person");
    assert_eq!(
        iv["candidate"]["phone"], "+1",
        "kept from the earlier upsert"
    );
    let theirs: Value = app
        .request(
            Method::GET,
            &format!("/v1/candidates/{cid}/interviews"),
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1);
    let found: Value = app
        .request(
            Method::GET,
            "/v1/candidates?email=SAM@example.com",
            Some(&key),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["data"][0]["id"], cid);
    let by_ext: Value = app
        .request(Method::GET, "/v1/candidates?external_id=ats-7", Some(&key))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_ext["data"].as_array().unwrap().len(), 1);
    expect_problem(
        app.request(
            Method::GET,
            "/v1/candidates/cand_01jd8x3k5m7q9s1v3x5z7b9d1f/interviews",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;
    let p = expect_problem(
        app.request(Method::POST, "/v1/candidates", Some(&key))
            .json(&json!({"email": "nope"}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "candidate.email");
}
