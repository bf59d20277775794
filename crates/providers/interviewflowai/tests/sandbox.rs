//! Ingest and every fetch mode through the adapter against the simulator: one call per
//! batch, status routing, delay bounds, ids found with or without the ingest answer, the
//! documented filter rules, paging, webhooks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{setup, setup_with};
use gateway_core::provider::{InboundRequest, InterviewLocator, InviteCandidate};
use gateway_core::{
    Credentials, InterviewId, InterviewStatus, Provider, ProviderError, ProviderRef,
};
use provider_conformance::{context, control, options, requests};
use serde_json::{json, Value};

const INGEST: &str = "/api/external/ingest/candidates";
const FETCH: &str = "/api/external/fetch/candidates";

fn candidate(email: &str) -> InviteCandidate {
    let mut c = provider_conformance::candidate(email);
    c.correlation_id = InterviewId::new();
    c
}

fn sent(s: &common::Setup, path: &str) -> Vec<Value> {
    s.sandbox
        .shared
        .log
        .list(Some("interviewflowai"))
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.body)
        .collect()
}

/// A raw fetch, as the doc shows it.
async fn fetch(s: &common::Setup, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!(
            "{}{FETCH}",
            s.sandbox.vendor_url("interviewflowai")
        ))
        .header("x-api-key", s.account["api_key"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn locate(
    s: &common::Setup,
    template: &ProviderRef,
    refs: &gateway_core::ProviderRefs,
    c: &InviteCandidate,
) -> Result<gateway_core::RemoteInterview, ProviderError> {
    s.iflow
        .get_interview(
            &s.ctx,
            InterviewLocator {
                template,
                refs,
                candidate_email: &c.email,
                correlation_id: c.correlation_id,
            },
        )
        .await
}

#[tokio::test]
async fn a_batch_is_one_ingest_and_bad_candidates_fail_alone() {
    let s = setup().await;
    let mut nameless = candidate("nameless@example.com");
    nameless.name = None;
    nameless.first_name = None;
    nameless.last_name = None;
    let batch = [
        candidate("one@example.com"),
        candidate("broken"),
        nameless,
        candidate("two@example.com"),
    ];
    let out = s
        .iflow
        .invite(&s.ctx, &s.interviewer, &batch, &options())
        .await
        .unwrap();
    assert_eq!(requests(&s.sandbox, "interviewflowai", "POST", INGEST), 1);
    assert!(
        matches!(&out[1], Err(ProviderError::InvalidInput(e)) if e[0].field == "candidates[1].email")
    );
    assert!(
        matches!(&out[2], Err(ProviderError::InvalidInput(e)) if e[0].field == "candidates[2].name")
    );
    let one = out[0].as_ref().unwrap();
    assert_eq!(one.status, Some(InterviewStatus::Invited));
    assert!(one.refs.contains_key("interview_id"));
    let body = &sent(&s, INGEST)[0];
    assert_eq!(body["interviewerId"], s.interviewer.id.as_str());
    assert!(
        body.get("status").is_none(),
        "omitted: the interviewer's default"
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["data"][1]["additionalFields"]["gateway_interview_id"],
        batch[3].correlation_id.to_string()
    );
    // The public interviewer's default routed them to `shortlisted`.
    let (_, got) = fetch(
        &s,
        json!({"interviewerId": s.interviewer.id, "interviewId": one.refs["interview_id"]}),
    )
    .await;
    assert_eq!(got["data"][0]["status"], "shortlisted");
    // Already in the pipeline: InterviewFlowAI skips them, and says so per candidate.
    let again = s
        .iflow
        .invite(
            &s.ctx,
            &s.interviewer,
            &[candidate("one@example.com"), candidate("three@example.com")],
            &options(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&again[0], Err(ProviderError::Rejected { code: Some(c), .. }) if c == "skipped"),
        "{:?}",
        again[0]
    );
    assert!(again[1].is_ok());
}

#[tokio::test]
async fn status_routing_follows_the_interviewer_and_the_setting() {
    let s = setup().await;
    let private = s.interviewer(1);
    let out = s
        .iflow
        .invite(&s.ctx, &private, &[candidate("p@example.com")], &options())
        .await
        .unwrap();
    let id = out[0].as_ref().unwrap().refs["interview_id"].clone();
    let (_, got) = fetch(&s, json!({"interviewerId": private.id, "interviewId": id})).await;
    assert_eq!(
        got["data"][0]["status"], "draft",
        "private interviewers default to draft"
    );
    // Shortlisting needs screening off: the screened interviewer refuses the whole call.
    let mut ctx = s.ctx.clone();
    ctx.settings = json!({"ingest_status": "shortlisted"});
    let out = s
        .iflow
        .invite(
            &ctx,
            &s.interviewer(2),
            &[candidate("x@example.com"), candidate("y@example.com")],
            &options(),
        )
        .await
        .unwrap();
    for o in &out {
        assert!(
            matches!(o, Err(ProviderError::Rejected { status: Some(400), errors, .. }) if errors[0].field == "status"),
            "{o:?}"
        );
    }
    assert_eq!(sent(&s, INGEST).last().unwrap()["status"], "shortlisted");
    assert!(s
        .iflow
        .validate_settings(&json!({"ingest_status": "hired"}))
        .is_err());
}

#[tokio::test]
async fn delays_map_to_send_email_after_within_bounds() {
    let s = setup().await;
    let delayed = gateway_core::InviteOptions {
        delay_hours: Some(96),
        ..options()
    };
    s.iflow
        .invite(
            &s.ctx,
            &s.interviewer,
            &[candidate("d@example.com")],
            &delayed,
        )
        .await
        .unwrap();
    assert_eq!(
        sent(&s, INGEST)[0]["data"][0]["metadata"]["sendEmailAfter"],
        96
    );
    s.sandbox.shared.log.clear();
    let too_late = gateway_core::InviteOptions {
        delay_hours: Some(97),
        ..options()
    };
    let e = s
        .iflow
        .invite(
            &s.ctx,
            &s.interviewer,
            &[candidate("e@example.com")],
            &too_late,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ProviderError::InvalidInput(ref f) if f[0].field == "delay_hours"));
    assert!(
        s.sandbox
            .shared
            .log
            .list(Some("interviewflowai"))
            .is_empty(),
        "nothing sent"
    );
}

#[tokio::test]
async fn ids_are_found_when_ingest_does_not_say_them() {
    let s = setup_with(json!({"bare_ingest": true})).await;
    let batch = [candidate("a@example.com"), candidate("b@example.com")];
    let out = s
        .iflow
        .invite(&s.ctx, &s.interviewer, &batch, &options())
        .await
        .unwrap();
    let ids: Vec<&str> = out
        .iter()
        .map(|o| o.as_ref().unwrap().refs["interview_id"].as_str())
        .collect();
    assert_ne!(ids[0], ids[1]);
    // One ingest, one fetch by the batch tag.
    assert_eq!(requests(&s.sandbox, "interviewflowai", "POST", INGEST), 1);
    assert_eq!(requests(&s.sandbox, "interviewflowai", "POST", FETCH), 1);
    let (_, got) = fetch(
        &s,
        json!({"interviewerId": s.interviewer.id, "interviewId": ids[1]}),
    )
    .await;
    assert_eq!(got["data"][0]["email"], "b@example.com");
}

#[tokio::test]
async fn every_fetch_mode_reads_interviews() {
    let s = setup().await;
    let c = candidate("f@example.com");
    let out = s
        .iflow
        .invite(&s.ctx, &s.interviewer, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    let refs = out[0].as_ref().unwrap().refs.clone();
    // By interview id, and by the gateway's tag alone.
    let by_id = locate(&s, &s.interviewer, &refs, &c).await.unwrap();
    let by_tag = locate(&s, &s.interviewer, &Default::default(), &c)
        .await
        .unwrap();
    assert_eq!(by_id.refs, by_tag.refs);
    let stranger = candidate("nobody@example.com");
    assert!(matches!(
        locate(&s, &s.interviewer, &Default::default(), &stranger).await,
        Err(ProviderError::NotFound { .. })
    ));
    let gone: gateway_core::ProviderRefs =
        [("interview_id".to_string(), "no-such-interview".to_string())].into();
    assert!(matches!(
        locate(&s, &s.interviewer, &gone, &c).await,
        Err(ProviderError::NotFound { .. })
    ));

    // Moving along: started, completed (evaluating), report available (completed, scored).
    let id = &refs["interview_id"];
    for (to, want) in [
        ("started", InterviewStatus::InProgress),
        ("completed", InterviewStatus::Evaluating),
        ("report_available", InterviewStatus::Completed),
    ] {
        control(
            &s.sandbox,
            &format!("/interviewflowai/interviews/{id}/advance"),
            json!({"to": to, "score": 84}),
        )
        .await;
        assert_eq!(
            locate(&s, &s.interviewer, &refs, &c).await.unwrap().status,
            Some(want),
            "{to}"
        );
    }
    let done = locate(&s, &s.interviewer, &refs, &c).await.unwrap();
    let result = done.result.unwrap();
    assert_eq!(result.score.unwrap().normalized, 84.0);
    assert!(result.summary.is_some() && result.report_url.is_some());
    assert_eq!(result.lowlights.len(), 1);
}

#[tokio::test]
async fn pages_follow_the_vendors_paging() {
    let s = setup().await;
    let batch: Vec<InviteCandidate> = (0..61)
        .map(|i| candidate(&format!("p{i}@example.com")))
        .collect();
    let out = s
        .iflow
        .invite(&s.ctx, &s.interviewer, &batch, &options())
        .await
        .unwrap();
    assert!(out.iter().all(Result::is_ok));
    assert_eq!(
        requests(&s.sandbox, "interviewflowai", "POST", INGEST),
        1,
        "61 candidates, one call"
    );
    let first = s
        .iflow
        .list_interviews(&s.ctx, &s.interviewer, None)
        .await
        .unwrap();
    assert_eq!((first.items.len(), first.next.as_deref()), (50, Some("2")));
    let second = s
        .iflow
        .list_interviews(&s.ctx, &s.interviewer, first.next.as_deref())
        .await
        .unwrap();
    assert_eq!((second.items.len(), second.next), (11, None));
    assert_eq!(
        second.items[10].candidate_email.as_deref(),
        Some("p60@example.com")
    );
}

#[tokio::test]
async fn the_additional_fields_filter_follows_the_documented_rules() {
    let s = setup().await;
    for (email, score, review) in [
        ("lo@example.com", json!(40), "yes"),
        ("hi@example.com", json!(50), "yes"),
        ("top@example.com", json!("75"), "no"),
    ] {
        let mut c = candidate(email);
        c.metadata =
            json!({"interviewflowai": {"additionalFields": {"score": score, "review": review}}});
        s.iflow
            .invite(&s.ctx, &s.interviewer, &[c], &options())
            .await
            .unwrap();
    }
    let emails = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["email"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, at_least) = fetch(
        &s,
        json!({"interviewerId": s.interviewer.id, "additionalFields": {"score": 50}}),
    )
    .await;
    assert_eq!(
        emails(&at_least),
        ["hi@example.com", "top@example.com"],
        "numbers match that value or above"
    );
    let (_, both) = fetch(&s, json!({"interviewerId": s.interviewer.id, "page": 1, "limit": 20, "additionalFields": {"score": 50, "review": "yes"}})).await;
    assert_eq!(emails(&both), ["hi@example.com"], "strings match exactly");
    let (_, none) = fetch(
        &s,
        json!({"interviewerId": s.interviewer.id, "additionalFields": {"review": "YES"}}),
    )
    .await;
    assert!(emails(&none).is_empty());
    let (status, body) = fetch(&s, json!({"page": 1})).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "interviewerId");
}

#[tokio::test]
async fn checks_and_links_tell_keys_and_interviewers_apart() {
    let s = setup().await;
    assert!(s.iflow.check(&s.ctx).await.is_ok());
    let bad = context(
        &s.sandbox,
        "interviewflowai",
        Credentials::new().with("api_key", "wrong"),
    );
    assert!(matches!(
        s.iflow.check(&bad).await,
        Err(ProviderError::InvalidCredentials {
            status: Some(401),
            ..
        })
    ));
    let mut configured = s.ctx.clone();
    configured.settings = json!({"check_interviewer_id": "not-an-interviewer"});
    assert!(matches!(
        s.iflow.check(&configured).await,
        Err(ProviderError::NotFound { .. })
    ));
    configured.settings = json!({"check_interviewer_id": s.interviewer.id});
    assert!(s
        .iflow
        .check(&configured)
        .await
        .unwrap()
        .detail
        .contains(&s.interviewer.id));
    assert!(s.iflow.get_template(&s.ctx, &s.interviewer).await.is_ok());
    let missing = ProviderRef {
        id: "missing".into(),
        ..s.interviewer.clone()
    };
    assert!(matches!(
        s.iflow.get_template(&s.ctx, &missing).await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn webhooks_name_the_interview_and_repeat_with_one_id() {
    let s = setup().await;
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |b: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(b.to_vec());
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let key = s.account["api_key"].as_str().unwrap();
    control(
        &s.sandbox,
        &format!("/interviewflowai/accounts/{key}/webhook"),
        json!({"url": url}),
    )
    .await;
    let c = candidate("w@example.com");
    let out = s
        .iflow
        .invite(&s.ctx, &s.interviewer, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    let id = out[0].as_ref().unwrap().refs["interview_id"].clone();
    control(
        &s.sandbox,
        &format!("/interviewflowai/interviews/{id}/advance"),
        json!({"to": "report_available", "score": 70}),
    )
    .await;
    let got = received.lock().unwrap().clone();
    let headers = axum::http::HeaderMap::new();
    let events = s
        .iflow
        .parse_inbound(InboundRequest {
            headers: &headers,
            query: None,
            body: &got[0],
        })
        .unwrap();
    assert_eq!(events[0].refs["interview_id"], id);
    assert_eq!(events[0].correlation_id, Some(c.correlation_id));
    assert_eq!(events[0].observed.status, Some(InterviewStatus::Completed));
    assert!(events[0].dedupe_key.starts_with("wh_"));
}
