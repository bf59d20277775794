//! Issue 18 over a real socket, on both backends: a retried invitation whose answer was lost
//! settles to one interview; concurrent identical invitations make one; a sibling found by a
//! read is folded in; `external_id`/`metadata` round-trip, filter and ride in events and
//! signed deliveries; cancel ends an interview without reopening.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::heymilo::held_at_heymilo;
use crate::harness::{expect_problem, TestApp};
use crate::receiver::Receiver;

crate::on_both_backends!(
    a_lost_answer_retried_is_one_interview_that_settles,
    concurrent_identical_invitations_are_one_interview,
    a_pending_sibling_found_by_a_read_is_folded_in,
    references_round_trip_filter_and_ride_in_deliveries,
    cancel_ends_an_interview_for_good,
);

async fn fault(app: &TestApp, vendor: &str, fault: Value) {
    app.sandbox_control(
        "/faults",
        json!({"vendor": vendor, "path_prefix": "", "method": "POST", "fault": fault}),
    )
    .await;
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .admin(Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> Value {
    let res = app.admin(Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

async fn interviews_of(app: &TestApp, template: &str) -> Vec<Value> {
    get(
        app,
        &format!("/v1/interviews?template_id={template}&limit=200"),
    )
    .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_lost_answer_retried_is_one_interview_that_settles(app: TestApp) {
    let (hm, template) = app.heymilo_template(&app.admin_key).await;
    let ingests = || app.vendor_calls("heymilo", "POST", "/api/ingest");
    // HeyMilo acts on every ingest and each answer is lost (500, all attempts).
    fault(
        &app,
        "heymilo",
        json!({"kind": "act_then_status", "status": 500}),
    )
    .await;
    let body = json!({"template_id": template, "candidate": {"email": "lost@example.com"}});
    let (status, first) = post(&app, "/v1/interviews", body.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["status"], "pending");
    assert_eq!(
        held_at_heymilo(&app.sandbox, &hm.api_key, "lost@example.com").len(),
        1
    );
    app.clear_faults().await;

    // The caller retries without an Idempotency-Key: the pending interview answers, read
    // (not re-sent) and settled.
    let before = ingests();
    let (status, again) = post(&app, "/v1/interviews", body.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["status"], "invited", "settled by reading: {again}");
    assert_eq!(ingests(), before, "nothing sent again");
    let (status, synced) = post(
        &app,
        &format!("/v1/interviews/{}/sync", first["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!((status, &synced["id"]), (200, &first["id"]), "{synced}");
    assert_eq!(interviews_of(&app, &template).await.len(), 1);
    assert_eq!(
        held_at_heymilo(&app.sandbox, &hm.api_key, "lost@example.com").len(),
        1
    );

    // A retake whose answer is lost, retried: sent once, one pending retake, settled.
    fault(
        &app,
        "heymilo",
        json!({"kind": "act_then_status", "status": 500}),
    )
    .await;
    let retake = json!({"template_id": template, "candidate": {"email": "lost@example.com"}, "retake": true});
    let before = ingests();
    let (status, r1) = post(&app, "/v1/interviews", retake.clone()).await;
    assert_eq!(status, 202, "{r1}");
    assert_eq!(ingests() - before, 1, "a retake is never resent");
    let (status, r2) = post(&app, "/v1/interviews", retake.clone()).await;
    assert_eq!((status, &r2["id"]), (200, &r1["id"]), "{r2}");
    assert_eq!(
        ingests() - before,
        1,
        "the retried retake was answered, not sent"
    );
    app.clear_faults().await;
    assert_eq!(
        held_at_heymilo(&app.sandbox, &hm.api_key, "lost@example.com").len(),
        2
    );
    let all = interviews_of(&app, &template).await;
    assert_eq!(all.len(), 2, "the interview and its one retake");
    // Whatever the read finds, nothing stays pending after sync.
    let (status, settled) = post(
        &app,
        &format!("/v1/interviews/{}/sync", r1["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{settled}");
    assert_ne!(settled["status"], "pending", "{settled}");
    for i in interviews_of(&app, &template).await {
        assert_ne!(i["status"], "pending", "{i}");
    }
}

async fn concurrent_identical_invitations_are_one_interview(app: TestApp) {
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let body = json!({"template_id": template, "candidate": {"email": "twice@example.com"}});
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let req = app.admin(Method::POST, "/v1/interviews").json(&body);
        sends.spawn(async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = sends.join_next().await {
        let (status, v) = done.unwrap();
        assert!(matches!(status, 200 | 201), "{status} {v}");
        ids.push(v["id"].clone());
    }
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(interviews_of(&app, &template).await.len(), 1);
    // A batch naming the same person again answers the same interview.
    let (status, batch) = post(&app, "/v1/interviews/batch", json!({"template_id": template, "candidates": [{"email": "twice@example.com"}, {"email": "new@example.com"}]})).await;
    assert_eq!(status, 200);
    assert_eq!(batch["data"][0]["interview"]["id"], ids[0]);
    assert_eq!(interviews_of(&app, &template).await.len(), 2);
}

async fn a_pending_sibling_found_by_a_read_is_folded_in(app: TestApp) {
    let (hm, template) = app.heymilo_template(&app.admin_key).await;
    let email = "sib@example.com";
    let (status, done) = post(
        &app,
        "/v1/interviews",
        json!({"template_id": template, "candidate": {"email": email}}),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    // The vendor acts on a retake but the answer is lost; HeyMilo's read by email then
    // names the first interview, which is mapped to `done`.
    fault(&app, "heymilo", json!({"kind": "status", "status": 500})).await;
    let (status, p) = post(
        &app,
        "/v1/interviews",
        json!({"template_id": template, "candidate": {"email": email}, "retake": true}),
    )
    .await;
    assert_eq!(status, 202, "{p}");
    app.clear_faults().await;
    assert_eq!(
        held_at_heymilo(&app.sandbox, &hm.api_key, email).len(),
        1,
        "the lost retake never reached HeyMilo"
    );
    let id = p["id"].as_str().unwrap();
    let (status, synced) = post(&app, &format!("/v1/interviews/{id}/sync"), json!({})).await;
    assert_eq!(status, 200, "no more 409: {synced}");
    let folded = get(&app, &format!("/v1/interviews/{id}")).await;
    assert_eq!(
        synced["id"], done["id"],
        "the one interview answers: {synced}"
    );
    assert_eq!(folded["status"], "superseded");
    assert_eq!(folded["superseded_by"], done["id"]);
    // One event stream: the folded row has none.
    let events = get(&app, &format!("/v1/events?interview_id={id}")).await;
    assert_eq!(events["data"].as_array().unwrap().len(), 0);
    // A superseded row is not polled and syncs to itself without a vendor call.
    let before = app.vendor_calls("heymilo", "GET", "");
    let (status, again) = post(&app, &format!("/v1/interviews/{id}/sync"), json!({})).await;
    assert_eq!((status, &again["status"]), (200, &json!("superseded")));
    assert_eq!(app.vendor_calls("heymilo", "GET", ""), before);
    // Not cancellable either: it has ended.
    let (status, refused) = post(&app, &format!("/v1/interviews/{id}/cancel"), json!({})).await;
    assert_eq!((status, &refused["code"]), (409, &json!("invalid_state")));
}

async fn references_round_trip_filter_and_ride_in_deliveries(app: TestApp) {
    let rx = Receiver::start().await;
    let (status, ep) = post(
        &app,
        "/v1/webhook-endpoints",
        json!({"url": rx.url, "events": []}),
    )
    .await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().unwrap().to_string();
    let (_, template) = app.heymilo_template(&app.admin_key).await;
    let meta =
        json!({"job": "backend-2", "stage": "screen", "round": 2, "remote": true, "note": null});
    let body = json!({"template_id": template, "candidate": {"email": "ref@example.com"}, "external_id": "app-4711", "metadata": meta});
    let (status, iv) = post(&app, "/v1/interviews", body).await;
    assert_eq!(status, 201, "{iv}");
    assert_eq!(
        (&iv["external_id"], &iv["metadata"]),
        (&json!("app-4711"), &meta)
    );
    // The same reference answers the existing interview, whoever is named.
    let (status, again) = post(&app, "/v1/interviews", json!({"template_id": template, "candidate": {"email": "other@example.com"}, "external_id": "app-4711"})).await;
    assert_eq!((status, &again["id"]), (200, &iv["id"]));

    for q in [
        "external_id=app-4711",
        "metadata=stage:screen",
        "metadata=round:2",
        "metadata=remote:true",
    ] {
        let found = get(&app, &format!("/v1/interviews?{q}")).await;
        let ids: Vec<&Value> = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["id"])
            .collect();
        assert_eq!(ids, [&iv["id"]], "{q}");
    }
    for q in [
        "external_id=nope",
        "metadata=stage:onsite",
        "metadata=round:3",
    ] {
        assert!(
            get(&app, &format!("/v1/interviews?{q}")).await["data"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{q}"
        );
    }
    let res = app
        .admin(Method::GET, "/v1/interviews?metadata=nocolon")
        .send()
        .await
        .unwrap();
    expect_problem(res, 422, "invalid_request").await;

    // Bad references are refused before anything is written or sent.
    let before = app.vendor_calls("heymilo", "POST", "");
    for bad in [
        json!({"nested": {"a": 1}}),
        json!(["x"]),
        json!({"k": "nul\u{0}"}),
        json!({"bad key": 1}),
    ] {
        let res = app.admin(Method::POST, "/v1/interviews")
            .json(&json!({"template_id": template, "candidate": {"email": "bad@example.com"}, "metadata": bad}))
            .send().await.unwrap();
        expect_problem(res, 422, "invalid_request").await;
    }
    let res = app.admin(Method::POST, "/v1/interviews")
        .json(&json!({"template_id": template, "candidate": {"email": "bad@example.com"}, "external_id": "a\u{0}b"}))
        .send().await.unwrap();
    expect_problem(res, 422, "invalid_request").await;
    assert_eq!(app.vendor_calls("heymilo", "POST", ""), before);

    // Batch items carry their own references.
    let (status, batch) = post(&app, "/v1/interviews/batch", json!({"template_id": template, "items": [
        {"candidate": {"email": "b1@example.com"}, "external_id": "app-1", "metadata": {"stage": "batch"}},
        {"candidate": {"email": "b2@example.com"}, "external_id": "app-1"},
    ]})).await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["data"][0]["interview"]["external_id"], "app-1");
    assert_eq!(
        batch["data"][0]["interview"]["metadata"],
        json!({"stage": "batch"})
    );
    assert!(
        batch["data"][1]["error"]["detail"].is_string(),
        "a repeated reference in one batch: {batch}"
    );

    // PATCH replaces the metadata; the next event carries it. Scope interviews:write.
    let id = iv["id"].as_str().unwrap();
    let (_, reader) = app.workspace_with_key("r", &["interviews:read"]).await;
    let res = app
        .request(
            Method::PATCH,
            &format!("/v1/interviews/{id}"),
            Some(&reader),
        )
        .json(&json!({"metadata": {}}))
        .send()
        .await
        .unwrap();
    assert!(matches!(res.status().as_u16(), 403 | 404));
    let res = app
        .admin(Method::PATCH, &format!("/v1/interviews/{id}"))
        .json(&json!({"metadata": {"stage": "onsite"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["metadata"], json!({"stage": "onsite"}));
    let (status, cancelled) = post(&app, &format!("/v1/interviews/{id}/cancel"), json!({})).await;
    assert_eq!(status, 200, "{cancelled}");

    // Every delivery about it carries the references, signed.
    let got = rx.wait_for(3, Duration::from_secs(10)).await;
    let mine: Vec<_> = got
        .iter()
        .filter(|r| r.body["interview_id"] == iv["id"])
        .collect();
    assert!(mine.len() >= 2, "{got:?}");
    for r in &mine {
        let msg = r.headers["webhook-id"].to_str().unwrap();
        let ts: i64 = r.headers["webhook-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let expected =
            interview_gateway::workers::outbound_webhooks::sign(&secret, msg, ts, &r.raw).unwrap();
        assert_eq!(r.headers["webhook-signature"].to_str().unwrap(), expected);
        assert_eq!(r.body["data"]["interview"]["external_id"], "app-4711");
    }
    let last = mine
        .iter()
        .find(|r| r.body["type"] == "interview.cancelled")
        .expect("the cancel was delivered");
    assert_eq!(
        last.body["data"]["interview"]["metadata"],
        json!({"stage": "onsite"})
    );
    let first = mine
        .iter()
        .find(|r| r.body["type"] == "interview.invited")
        .unwrap();
    assert_eq!(first.body["data"]["interview"]["metadata"], meta);
}

async fn cancel_ends_an_interview_for_good(app: TestApp) {
    let providers = get(&app, "/v1/providers").await;
    let listed = providers["data"].as_array().unwrap();
    assert_eq!(listed.len(), 4);
    for p in listed {
        assert_eq!(p["capabilities"]["cancel"], false, "{p}");
    }
    let (_hm, template) = app.heymilo_template(&app.admin_key).await;
    let (_, iv) = post(
        &app,
        "/v1/interviews",
        json!({"template_id": template, "candidate": {"email": "cx@example.com"}}),
    )
    .await;
    let id = iv["id"].as_str().unwrap();
    // Another workspace's key, and a key without the scope.
    let (_, stranger) = app.workspace_with_key("s", &["interviews:write"]).await;
    let res = app
        .request(
            Method::POST,
            &format!("/v1/interviews/{id}/cancel"),
            Some(&stranger),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "not_found").await;
    let ws = app.workspace.to_string();
    let reader = app.key_in(&ws, &["interviews:read"]).await;
    let res = app
        .request(
            Method::POST,
            &format!("/v1/interviews/{id}/cancel"),
            Some(&reader),
        )
        .send()
        .await
        .unwrap();
    expect_problem(res, 403, "forbidden").await;

    let (status, done) = post(&app, &format!("/v1/interviews/{id}/cancel"), json!({})).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["vendor_notified"], false);
    assert_eq!(done["interview"]["status"], "cancelled");
    let events = get(
        &app,
        &format!("/v1/events?interview_id={id}&type=interview.cancelled"),
    )
    .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    let (status, again) = post(&app, &format!("/v1/interviews/{id}/cancel"), json!({})).await;
    assert_eq!((status, &again["code"]), (409, &json!("invalid_state")));

    // Later vendor news is recorded, not applied.
    let (status, synced) = post(&app, &format!("/v1/interviews/{id}/sync"), json!({})).await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(synced["status"], "cancelled");
    assert!(synced["remote_data"].is_object());
    let stored = get(&app, &format!("/v1/interviews/{id}")).await;
    assert_eq!(stored["status"], "cancelled");
    assert_eq!(
        get(&app, &format!("/v1/events?interview_id={id}")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "invited, cancelled; nothing after"
    );
    // Its place is free: a retake makes a new interview (without one, HeyMilo hands back
    // the interview it has, which is the cancelled one).
    let (status, same) = post(
        &app,
        "/v1/interviews",
        json!({"template_id": template, "candidate": {"email": "cx@example.com"}}),
    )
    .await;
    assert_eq!(
        (status, &same["id"], &same["status"]),
        (200, &iv["id"], &json!("cancelled")),
        "{same}"
    );
    let (status, fresh) = post(
        &app,
        "/v1/interviews",
        json!({"template_id": template, "candidate": {"email": "cx@example.com"}, "retake": true}),
    )
    .await;
    assert_eq!(status, 201, "{fresh}");
    assert_ne!(fresh["id"], iv["id"]);
}
