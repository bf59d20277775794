//! Every HeyMilo operation through the adapter against the simulator, over real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{setup, setup_with};
use gateway_core::provider::InterviewLocator;
use gateway_core::{
    Credentials, InterviewId, InterviewStatus, Provider, ProviderError, ProviderRef,
};
use provider_conformance::{add_fault, candidate, context, control, options, requests};
use provider_heymilo::BULK_CHUNK;
use serde_json::{json, Value};

fn email(tag: &str) -> String {
    format!("{tag}.{}@example.com", InterviewId::new())
}

#[tokio::test]
async fn check_health_and_credentials() {
    let s = setup().await;
    assert!(s
        .heymilo
        .check(&s.ctx)
        .await
        .unwrap()
        .detail
        .contains("1 postings"));
    assert_eq!(s.heymilo.health(&s.ctx).await.unwrap().status, 200);
    let bad = context(
        &s.sandbox,
        "heymilo",
        Credentials::new().with("api_key", "wrong"),
    );
    let err = s.heymilo.check(&bad).await.unwrap_err();
    match err {
        ProviderError::InvalidCredentials { status, message } => {
            assert_eq!(status, Some(401));
            assert!(
                !message.contains("wrong"),
                "the key never appears in errors"
            );
        }
        other => panic!("{other:?}"),
    }
    let none = context(&s.sandbox, "heymilo", Credentials::new());
    assert!(matches!(
        s.heymilo.check(&none).await,
        Err(ProviderError::InvalidCredentials { .. })
    ));
    assert_eq!(
        requests(&s.sandbox, "heymilo", "GET", "/api/postings"),
        2,
        "a missing credential is not sent"
    );
}

#[tokio::test]
async fn postings_are_imported_across_pages() {
    let s = setup().await;
    for i in 0..150 {
        control(
            &s.sandbox,
            &format!("/heymilo/accounts/{}/postings", s.api_key),
            json!({"title": format!("Role {i}")}),
        )
        .await;
    }
    s.sandbox.shared.log.clear();
    let all = s.heymilo.list_templates(&s.ctx).await.unwrap();
    assert_eq!(all.len(), 151);
    assert!(all.iter().all(|t| t
        .provider_ref
        .vendor
        .get("url_key")
        .is_some_and(|k| k.is_string())));
    assert_eq!(
        requests(&s.sandbox, "heymilo", "GET", "/api/postings"),
        2,
        "100 per page"
    );
    let one = s.heymilo.get_template(&s.ctx, &s.template).await.unwrap();
    assert_eq!(one.name, "Backend Engineer");
    let missing = ProviderRef {
        kind: "posting".into(),
        id: "nope".into(),
        vendor: Default::default(),
    };
    assert!(matches!(
        s.heymilo.get_template(&s.ctx, &missing).await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn single_ingest_then_read_back_and_retake() {
    let s = setup().await;
    let c = candidate(&email("alex"));
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    let first = out[0].as_ref().unwrap();
    let id = first.refs["interview_id"].clone();
    assert!(first.interview_url.as_deref().unwrap().contains(&id));
    assert_eq!(requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/"), 1);
    assert_eq!(
        requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/bulk"),
        0,
        "one candidate uses the single ingest"
    );
    let raw = s
        .sandbox
        .shared
        .log
        .list(Some("heymilo"))
        .into_iter()
        .find(|r| r.path.starts_with("/api/ingest"))
        .unwrap()
        .body;
    assert_eq!(
        raw["metadata"]["gateway_interview_id"],
        c.correlation_id.to_string()
    );
    assert_eq!(raw["email"], c.email);
    assert_eq!(raw["retake"], false);

    // Without retake HeyMilo hands back the same interview; with it, a new one.
    let again = s
        .heymilo
        .invite(&s.ctx, &s.template, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    assert_eq!(again[0].as_ref().unwrap().refs["interview_id"], id);
    let retake = gateway_core::InviteOptions {
        retake: true,
        ..options()
    };
    let new = s
        .heymilo
        .invite(&s.ctx, &s.template, std::slice::from_ref(&c), &retake)
        .await
        .unwrap();
    assert_ne!(new[0].as_ref().unwrap().refs["interview_id"], id);

    let locator = InterviewLocator {
        template: &s.template,
        refs: &first.refs,
        candidate_email: &c.email,
        correlation_id: c.correlation_id,
    };
    let got = s.heymilo.get_interview(&s.ctx, locator).await.unwrap();
    assert_eq!(got.status, Some(InterviewStatus::Invited));
    assert!(got.result.is_none());
}

#[tokio::test]
async fn batches_use_bulk_ingest_in_chunks_and_keep_order() {
    let s = setup().await;
    let batch: Vec<_> = (0..600)
        .map(|i| candidate(&email(&format!("c{i}"))))
        .collect();
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, &batch, &options())
        .await
        .unwrap();
    assert_eq!(out.len(), 600);
    assert_eq!(
        requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/bulk/"),
        600usize.div_ceil(BULK_CHUNK)
    );
    assert_eq!(
        requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/"),
        3,
        "bulk calls only"
    );
    let mut ids = std::collections::HashSet::new();
    for (o, c) in out.iter().zip(&batch).step_by(37) {
        let r = o.as_ref().unwrap();
        let raw: Value = reqwest::get(format!(
            "{}/_control/heymilo/interviews/{}",
            s.sandbox.base_url(),
            r.refs["interview_id"]
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(raw["email"], c.email, "outcome i belongs to candidate i");
        ids.insert(r.refs["interview_id"].clone());
    }
    assert_eq!(ids.len(), 600usize.div_ceil(37));
}

#[tokio::test]
async fn a_refused_bulk_falls_back_to_single_ingests() {
    let s = setup().await;
    add_fault(&s.sandbox, json!({"vendor": "heymilo", "path_prefix": "/api/ingest/x/bulk", "fault": {"kind": "status", "status": 422}, "times": 1})).await;
    let batch: Vec<_> = (0..3)
        .map(|i| candidate(&email(&format!("f{i}"))))
        .collect();
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, &batch, &options())
        .await
        .unwrap();
    assert!(out.iter().all(|o| o.is_ok()), "{out:?}");
    assert_eq!(
        requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/bulk/"),
        1
    );
    assert_eq!(requests(&s.sandbox, "heymilo", "POST", "/api/ingest/x/"), 4);
}

#[tokio::test]
async fn invites_need_the_posting_url_key() {
    let s = setup().await;
    let no_key = ProviderRef {
        vendor: Default::default(),
        ..s.template.clone()
    };
    let err = s
        .heymilo
        .invite(&s.ctx, &no_key, &[candidate(&email("x"))], &options())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::InvalidInput(ref e) if e[0].field == "template.provider_ref.url_key"),
        "{err:?}"
    );
    let unknown = provider_heymilo::posting_ref::template_ref(
        s.template.id.clone(),
        Some("no-such-key".into()),
    );
    let out = s
        .heymilo
        .invite(&s.ctx, &unknown, &[candidate(&email("x"))], &options())
        .await
        .unwrap();
    assert!(
        matches!(out[0], Err(ProviderError::NotFound { .. })),
        "{out:?}"
    );
    assert_eq!(
        s.sandbox.shared.log.list(Some("heymilo")).len(),
        1,
        "the missing url_key was caught before any call"
    );
}

#[tokio::test]
async fn completed_interviews_read_back_with_results_and_list_in_pages() {
    let s = setup().await;
    let batch: Vec<_> = (0..150)
        .map(|i| candidate(&email(&format!("p{i}"))))
        .collect();
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, &batch, &options())
        .await
        .unwrap();
    let done = out[7].as_ref().unwrap().refs["interview_id"].clone();
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{done}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    let refs = [("interview_id".to_string(), done.clone())].into();
    let locator = InterviewLocator {
        template: &s.template,
        refs: &refs,
        candidate_email: &batch[7].email,
        correlation_id: batch[7].correlation_id,
    };
    assert_eq!(
        s.heymilo
            .get_interview(&s.ctx, locator)
            .await
            .unwrap()
            .status,
        Some(InterviewStatus::InProgress)
    );
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{done}/advance"),
        json!({"to": "evaluating"}),
    )
    .await;
    assert_eq!(
        s.heymilo
            .get_interview(&s.ctx, locator)
            .await
            .unwrap()
            .status,
        Some(InterviewStatus::Evaluating)
    );
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{done}/advance"),
        json!({"to": "completed", "score": 72.0}),
    )
    .await;
    let got = s.heymilo.get_interview(&s.ctx, locator).await.unwrap();
    assert_eq!(got.status, Some(InterviewStatus::Completed));
    let r = got.result.unwrap();
    assert_eq!(r.score.unwrap().normalized, 72.0);
    assert!(!r.transcript.is_empty() && !r.criteria.is_empty());
    assert_eq!(r.artifacts.len(), 3);

    // Without a vendor id (an ingest whose answer was lost) the posting is searched by email.
    let empty = Default::default();
    let by_email = InterviewLocator {
        template: &s.template,
        refs: &empty,
        candidate_email: &batch[120].email,
        correlation_id: batch[120].correlation_id,
    };
    let found = s.heymilo.get_interview(&s.ctx, by_email).await.unwrap();
    assert_eq!(
        found.refs["interview_id"],
        out[120].as_ref().unwrap().refs["interview_id"]
    );

    let p1 = s
        .heymilo
        .list_interviews(&s.ctx, &s.template, None)
        .await
        .unwrap();
    assert_eq!((p1.items.len(), p1.next.as_deref()), (100, Some("2")));
    let p2 = s
        .heymilo
        .list_interviews(&s.ctx, &s.template, p1.next.as_deref())
        .await
        .unwrap();
    assert_eq!((p2.items.len(), p2.next), (50, None));
    // A change after a page was read shows on the next read of that page.
    let moved = out[8].as_ref().unwrap().refs["interview_id"].clone();
    let status_in =
        |page: &gateway_core::page::RemotePage<gateway_core::provider::RemoteInterview>| {
            page.items
                .iter()
                .find(|i| i.refs.get("interview_id") == Some(&moved))
                .and_then(|i| i.status)
        };
    assert_eq!(status_in(&p1), Some(InterviewStatus::Invited));
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{moved}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    let again = s
        .heymilo
        .list_interviews(&s.ctx, &s.template, None)
        .await
        .unwrap();
    assert_eq!(status_in(&again), Some(InterviewStatus::InProgress));
    let missing = ProviderRef {
        id: "nope".into(),
        ..s.template.clone()
    };
    assert!(matches!(
        s.heymilo.list_interviews(&s.ctx, &missing, None).await,
        Err(ProviderError::NotFound { .. })
    ));
    let nobody = InterviewLocator {
        template: &s.template,
        refs: &empty,
        candidate_email: "ghost@example.com",
        correlation_id: InterviewId::new(),
    };
    assert!(matches!(
        s.heymilo.get_interview(&s.ctx, nobody).await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn webhooks_are_registered_fire_and_deactivate() {
    let s = setup().await;
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = url::Url::parse(&format!("http://{}/hook", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let made = s
        .heymilo
        .register_webhooks(&s.ctx, &s.template, &hook)
        .await
        .unwrap();
    let events: Vec<_> = made.iter().map(|w| w.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "interview_started",
            "interview_completed",
            "report_available"
        ]
    );
    assert!(made.iter().all(|w| w.active));
    let listed = s
        .heymilo
        .list_webhooks(&s.ctx, Some(&s.template.id), None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(
        s.heymilo
            .list_webhooks(&s.ctx, None, Some("report_available"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.heymilo
            .fetch_webhook(&s.ctx, &made[1].id)
            .await
            .unwrap()
            .event,
        "interview_completed"
    );

    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, &[candidate(&email("w"))], &options())
        .await
        .unwrap();
    let id = out[0].as_ref().unwrap().refs["interview_id"].clone();
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{id}/advance"),
        json!({"to": "in_progress"}),
    )
    .await;
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{id}/advance"),
        json!({"to": "completed"}),
    )
    .await;
    let got: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["event_type"].as_str().unwrap().to_string(),
                v["interview_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("interview_started".to_string(), id.clone()),
            ("interview_completed".to_string(), id.clone()),
            ("report_available".to_string(), id.clone())
        ]
    );

    for w in &made {
        s.heymilo.deactivate_webhook(&s.ctx, &w.id).await.unwrap();
    }
    assert!(
        !s.heymilo
            .fetch_webhook(&s.ctx, &made[0].id)
            .await
            .unwrap()
            .active
    );
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, &[candidate(&email("w2"))], &options())
        .await
        .unwrap();
    let id2 = out[0].as_ref().unwrap().refs["interview_id"].clone();
    control(
        &s.sandbox,
        &format!("/heymilo/interviews/{id2}/advance"),
        json!({"to": "completed"}),
    )
    .await;
    assert_eq!(
        received.lock().unwrap().len(),
        3,
        "deactivated webhooks stay silent"
    );
    assert!(matches!(
        s.heymilo.fetch_webhook(&s.ctx, "nope").await,
        Err(ProviderError::NotFound { .. })
    ));
    let bad_posting = ProviderRef {
        id: "nope".into(),
        ..s.template.clone()
    };
    assert!(matches!(
        s.heymilo
            .register_webhooks(&s.ctx, &bad_posting, &hook)
            .await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn export_writes_a_downloadable_file() {
    let s = setup().await;
    s.heymilo
        .invite(
            &s.ctx,
            &s.template,
            &[candidate(&email("e1")), candidate(&email("e2"))],
            &options(),
        )
        .await
        .unwrap();
    let job = s.heymilo.export_json(&s.ctx, &s.template.id).await.unwrap();
    assert_eq!(job.status, "success");
    let file: Vec<Value> = reqwest::get(job.file_url.unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file.len(), 2);
    assert!(matches!(
        s.heymilo.export_json(&s.ctx, "nope").await,
        Err(ProviderError::NotFound { .. })
    ));
}

#[tokio::test]
async fn the_documented_rate_limit_surfaces_with_retry_after() {
    let s = setup_with(json!({"rate_limit_per_minute": 3})).await;
    for _ in 0..3 {
        s.heymilo.check(&s.ctx).await.unwrap();
    }
    match s.heymilo.check(&s.ctx).await.unwrap_err() {
        ProviderError::RateLimited { retry_after, .. } => {
            assert!(retry_after.unwrap().as_secs() >= 30)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests(&s.sandbox, "heymilo", "GET", "/api/postings"),
        4,
        "a minute-long Retry-After is not waited for"
    );
}

#[tokio::test]
async fn a_non_retake_ingest_is_retried_without_duplicating() {
    let s = setup().await;
    add_fault(&s.sandbox, json!({"vendor": "heymilo", "path_prefix": "/api/ingest", "fault": {"kind": "status", "status": 503}, "times": 1})).await;
    let c = candidate(&email("retry"));
    let out = s
        .heymilo
        .invite(&s.ctx, &s.template, std::slice::from_ref(&c), &options())
        .await
        .unwrap();
    let id = out[0].as_ref().unwrap().refs["interview_id"].clone();
    assert_eq!(
        requests(&s.sandbox, "heymilo", "POST", "/api/ingest"),
        2,
        "retried once"
    );
    let page = s
        .heymilo
        .list_interviews(&s.ctx, &s.template, None)
        .await
        .unwrap();
    let mine: Vec<_> = page
        .items
        .iter()
        .filter(|i| i.candidate_email.as_deref() == Some(c.email.as_str()))
        .collect();
    assert_eq!(mine.len(), 1, "one interview at the vendor");
    assert_eq!(mine[0].refs["interview_id"], id);
}

#[tokio::test]
async fn reads_are_retried_through_a_blip() {
    let s = setup().await;
    add_fault(&s.sandbox, json!({"vendor": "heymilo", "method": "GET", "fault": {"kind": "status", "status": 502}, "times": 2})).await;
    assert!(s.heymilo.check(&s.ctx).await.is_ok());
    assert_eq!(requests(&s.sandbox, "heymilo", "GET", "/api/postings"), 3);
    add_fault(&s.sandbox, json!({"vendor": "heymilo", "method": "GET", "fault": {"kind": "latency", "ms": 1500}, "times": 1})).await;
    assert!(
        s.heymilo.check(&s.ctx).await.is_ok(),
        "a slow first answer is abandoned and retried"
    );
}

#[tokio::test]
async fn settings_accept_only_the_outbound_limit() {
    let s = setup().await;
    assert!(s
        .heymilo
        .validate_settings(&json!({"outbound_requests_per_minute": 100}))
        .is_ok());
    assert!(s
        .heymilo
        .validate_settings(&json!({"outbound_requests_per_minute": 0}))
        .is_err());
    assert!(s
        .heymilo
        .validate_settings(&json!({"colour": "red"}))
        .is_err());
    assert!(s.heymilo.validate_settings(&json!([])).is_err());
}
