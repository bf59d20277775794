//! The candidate data lifecycle over HTTP: subject-access export, erasure (everywhere, the
//! database files included), and the routes' defences.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{expect_problem, TestApp};

crate::on_both_backends!(
    export_then_erase_leaves_the_person_nowhere,
    erasure_routes_refuse_strangers_and_bad_ids,
);

async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = app.admin(method, path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn export_then_erase_leaves_the_person_nowhere(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let (status, endpoint) = send(
        &app,
        Method::POST,
        "/v1/webhook-endpoints",
        Some(json!({"url": "http://127.0.0.1:9/hooks"})),
    )
    .await;
    assert_eq!(status, 201, "{endpoint}");
    let invite = |email: &str, name: &str, phone: &str| json!({"template_id": template, "candidate": {"email": email, "name": name, "phone": phone}});
    // Alex is invited with an Idempotency-Key (its stored answer names them) and completes.
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .header("Idempotency-Key", "invite-alex")
        .json(&invite(
            "alex.private@example.com",
            "Alex Secretname",
            "+44 7700 900111",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let alex_i: Value = res.json().await.unwrap();
    let (iid, cid) = (
        alex_i["id"].as_str().unwrap().to_string(),
        alex_i["candidate"]["id"].as_str().unwrap().to_string(),
    );
    let vendor_id = alex_i["provider_refs"]["interview_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sandbox_control(
        &format!("/heymilo/interviews/{vendor_id}/advance"),
        json!({"to": "completed", "score": 91.0}),
    )
    .await;
    let (status, synced) = send(
        &app,
        Method::POST,
        &format!("/v1/interviews/{iid}/sync"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{synced}");
    let line = synced["result"]["transcript"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    let recording = synced["result"]["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&synced["result"]["report_url"]))
        .find_map(|a| a.get("url").and_then(Value::as_str).or(a.as_str()))
        .expect("a recording or report link")
        .to_string();
    let needles = [
        "alex.private@example.com".to_string(),
        "Alex Secretname".to_string(),
        "+44 7700 900111".to_string(),
        line.clone(),
        recording.clone(),
    ];
    // Blake is another person in the same workspace.
    let (status, blake_i) = send(
        &app,
        Method::POST,
        "/v1/interviews",
        Some(invite(
            "blake.other@example.com",
            "Blake Othername",
            "+44 7700 900222",
        )),
    )
    .await;
    assert_eq!(status, 201, "{blake_i}");

    // The export holds every piece.
    let (status, export) = send(
        &app,
        Method::GET,
        &format!("/v1/candidates/{cid}/export"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["candidate"]["email"], "alex.private@example.com");
    assert_eq!(export["interviews"].as_array().unwrap().len(), 1);
    let exported = &export["interviews"][0];
    assert_eq!(exported["interview"]["id"], iid.as_str());
    assert_eq!(exported["interview"]["result"], synced["result"]);
    // The vendor's webhooks may have replaced the raw payload since the sync: it is the
    // vendor's latest about this interview either way.
    assert_eq!(
        exported["interview"]["remote_data"]["interview_id"],
        synced["remote_data"]["interview_id"]
    );
    assert!(!exported["events"].as_array().unwrap().is_empty());
    let text = export.to_string();
    for n in &needles {
        assert!(text.contains(n.as_str()), "the export lacks {n}");
    }
    assert!(!text.contains("blake.other@example.com"));

    // Erase.
    let (status, erased) = send(&app, Method::DELETE, &format!("/v1/candidates/{cid}"), None).await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["candidate_id"], cid.as_str());
    assert_eq!(erased["interviews_erased"], 1);
    let copy = &erased["vendor_copies"][0];
    assert_eq!(copy["provider"], "heymilo");
    assert_eq!(copy["interview_id"], iid.as_str());
    assert_eq!(copy["vendor_ids"]["interview_id"], vendor_id.as_str());
    assert_eq!(copy["open"], false);
    // Again: the same answer, nothing new.
    let (status, again) = send(&app, Method::DELETE, &format!("/v1/candidates/{cid}"), None).await;
    assert_eq!((status, &again), (200, &erased));

    // Nowhere in the API: the candidate, the interview, the export, the events.
    let mut answers = Vec::new();
    for path in [
        format!("/v1/candidates/{cid}"),
        format!("/v1/interviews/{iid}"),
        format!("/v1/candidates/{cid}/export"),
        format!("/v1/candidates/{cid}/interviews"),
        "/v1/events?limit=200".to_string(),
        "/v1/interviews?limit=200".to_string(),
        "/v1/candidates?limit=200".to_string(),
        "/v1/audit-log".to_string(),
    ] {
        let (status, body) = send(&app, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        answers.push(body);
    }
    assert!(answers[0]["erased_at"].is_string());
    assert_eq!(
        (answers[0]["email"].as_str(), &answers[0]["name"]),
        (Some(""), &Value::Null)
    );
    assert_eq!(answers[1]["status"], "completed");
    assert!(answers[1]["result"].is_null() && answers[1]["interview_url"].is_null());
    let all = Value::Array(answers.clone()).to_string();
    for n in &needles {
        assert!(!all.contains(n.as_str()), "{n} is still answered");
    }
    assert!(
        all.contains("blake.other@example.com"),
        "the other person is gone"
    );
    // The audit log says who erased whom, by id.
    let audit = answers[7]["data"].as_array().unwrap();
    let entry = audit
        .iter()
        .find(|e| e["action"] == "candidate.erased")
        .unwrap();
    assert_eq!(entry["target_id"], cid.as_str());
    assert!(entry["actor_key_id"].is_string());
    // The events: candidate.erased (ids only) is queued to the endpoint.
    let events = answers[4]["data"].as_array().unwrap();
    let ev = events
        .iter()
        .find(|e| e["type"] == "candidate.erased")
        .unwrap();
    assert_eq!(
        (ev["candidate_id"].as_str(), &ev["interview_id"]),
        (Some(cid.as_str()), &Value::Null)
    );
    let (_, deliveries) = send(
        &app,
        Method::GET,
        &format!(
            "/v1/webhook-endpoints/{}/deliveries?limit=200",
            endpoint["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert!(deliveries["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["event_type"] == "candidate.erased"));
    assert!(!deliveries.to_string().contains("alex.private@example.com"));

    // A replay of the invitation's Idempotency-Key: it ran, and its answer is gone.
    let res = app
        .admin(Method::POST, "/v1/interviews")
        .header("Idempotency-Key", "invite-alex")
        .json(&invite(
            "alex.private@example.com",
            "Alex Secretname",
            "+44 7700 900111",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["status"].as_u64()),
        (Some("erased"), Some(410))
    );
    assert!(!body.to_string().contains("alex.private"));

    // Not in the database files either.
    let bytes = gateway_store::testing::database_bytes(&app.database_url).unwrap();
    for n in &needles {
        assert!(!holds(&bytes, n), "{n} is still in the database files");
    }
    assert!(holds(&bytes, "blake.other@example.com"));
}

async fn erasure_routes_refuse_strangers_and_bad_ids(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let (status, created) = send(
        &app,
        Method::POST,
        "/v1/interviews",
        Some(json!({"template_id": template, "candidate": {"email": "pat@example.com"}})),
    )
    .await;
    assert_eq!(status, 201);
    let cid = created["candidate"]["id"].as_str().unwrap().to_string();
    let (_, stranger) = app
        .workspace_with_key("other", &["candidates:read", "candidates:write"])
        .await;
    let ws = app.workspace.to_string();
    let reader = app.key_in(&ws, &["candidates:read"]).await;
    let writer = app.key_in(&ws, &["candidates:write"]).await;
    let interviews_only = app.key_in(&ws, &["interviews:read"]).await;
    let keys_only = app.key_in(&ws, &["keys:write"]).await;
    let erase = format!("/v1/candidates/{cid}");
    let export = format!("/v1/candidates/{cid}/export");
    let call = |m: Method, path: &str, key: &str| app.request(m, path, Some(key)).send();
    // Another workspace's key: the candidate does not exist for it.
    expect_problem(
        call(Method::DELETE, &erase, &stranger).await.unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_problem(
        call(Method::GET, &export, &stranger).await.unwrap(),
        404,
        "not_found",
    )
    .await;
    // The wrong scope, or only key management.
    expect_problem(
        call(Method::DELETE, &erase, &reader).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        call(Method::GET, &export, &interviews_only).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        call(Method::DELETE, &erase, &keys_only).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    expect_problem(
        call(Method::GET, &export, &keys_only).await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    // No key.
    let res = app
        .request(Method::DELETE, &erase, None)
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
    // Unknown and malformed ids (NUL and control characters included).
    let unknown = format!("/v1/candidates/{}", gateway_core::CandidateId::new());
    expect_problem(
        call(Method::DELETE, &unknown, &writer).await.unwrap(),
        404,
        "not_found",
    )
    .await;
    for bad in [
        "nope",
        "cand_%00",
        "cand_%1b%5b31m",
        "intv_01jd8x3k5m7q9s1v3x5z7b9d1f",
    ] {
        let res = call(Method::DELETE, &format!("/v1/candidates/{bad}"), &writer)
            .await
            .unwrap();
        expect_problem(res, 404, "not_found").await;
        let res = call(
            Method::GET,
            &format!("/v1/candidates/{bad}/export"),
            &reader,
        )
        .await
        .unwrap();
        expect_problem(res, 404, "not_found").await;
    }
    // None of that touched the candidate.
    let (status, c) = send(&app, Method::GET, &erase, None).await;
    assert_eq!(
        (status, c["email"].as_str(), &c["erased_at"]),
        (200, Some("pat@example.com"), &Value::Null)
    );
    // The right key erases it.
    let res = call(Method::DELETE, &erase, &writer).await.unwrap();
    assert_eq!(res.status(), 200);
    let (_, c) = send(&app, Method::GET, &erase, None).await;
    assert!(c["erased_at"].is_string());
}
