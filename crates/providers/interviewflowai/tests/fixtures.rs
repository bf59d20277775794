//! The example requests of interviewflowai-ingest.md and interviewflowai-fetch.txt, as the
//! adapter builds them, and unpublished response shapes read tolerantly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gateway_core::provider::InviteOptions;
use gateway_core::{InterviewId, InterviewStatus, ProviderError};
use provider_interviewflowai::{translate, wire};
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn options() -> InviteOptions {
    InviteOptions {
        send_invite: true,
        delay_hours: Some(1),
        ..Default::default()
    }
}

#[test]
fn the_ingest_example_is_what_the_adapter_sends() {
    let mut c = provider_conformance::candidate("john.doe@example.com");
    c.correlation_id = InterviewId::new();
    c.name = Some("John Doe".into());
    c.external_id = Some("candidate_12345".into());
    c.phone = Some("+1-555-123-4567".into());
    c.metadata = json!({"interviewflowai": {
        "skills": ["nodejs", "aws", "mongodb"],
        "additionalFields": {"Manual Score": 72, "isSynced": "true"}
    }});
    let body = wire::IngestBody {
        status: Some("shortlisted".into()),
        interviewer_id: "304c0cfb-324f-4b2c-ac89-c93725c00399".into(),
        data: vec![translate::ingest_candidate(&c, 0, &options(), "b1").unwrap()],
    };
    let mut ours = serde_json::to_value(body).unwrap();
    // The gateway's two tags ride along in additionalFields; the rest is the example.
    let tags = ours["data"][0]["additionalFields"].as_object_mut().unwrap();
    assert_eq!(
        tags.remove(translate::CORRELATION_FIELD),
        Some(json!(c.correlation_id.to_string()))
    );
    assert_eq!(tags.remove(translate::BATCH_FIELD), Some(json!("b1")));
    assert_eq!(ours, fixture("ingest_request"));
}

#[test]
fn the_three_fetch_examples_are_what_the_adapter_sends() {
    let interviewer = "9786b00b-d110-454f-9e6f-1732daec8916".to_string();
    let paginated = wire::FetchBody {
        interviewer_id: interviewer.clone(),
        page: Some(1),
        limit: Some(20),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&paginated).unwrap(),
        fixture("fetch_paginated")
    );
    let single = wire::FetchBody {
        interviewer_id: interviewer.clone(),
        interview_id: Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&single).unwrap(),
        fixture("fetch_single")
    );
    let mut filter = Map::new();
    filter.insert("score".into(), json!(50));
    filter.insert("review".into(), json!("yes"));
    let filtered = wire::FetchBody {
        additional_fields: Some(filter),
        ..paginated
    };
    assert_eq!(
        serde_json::to_value(&filtered).unwrap(),
        fixture("fetch_filtered")
    );
}

#[test]
fn delays_and_names_are_checked_before_sending() {
    for bad in [0, 97] {
        let o = InviteOptions {
            delay_hours: Some(bad),
            ..options()
        };
        assert!(
            matches!(translate::check_options(&o), Err(ProviderError::InvalidInput(e)) if e[0].field == "delay_hours")
        );
    }
    for ok in [1, 96] {
        assert!(translate::check_options(&InviteOptions {
            delay_hours: Some(ok),
            ..options()
        })
        .is_ok());
    }
    let mut c = provider_conformance::candidate("a@example.com");
    c.name = None;
    c.first_name = Some("Ada".into());
    c.last_name = Some("Lovelace".into());
    assert_eq!(
        translate::ingest_candidate(&c, 0, &options(), "b")
            .unwrap()
            .name,
        "Ada Lovelace"
    );
    c.first_name = None;
    c.last_name = None;
    let Err(ProviderError::InvalidInput(e)) = translate::ingest_candidate(&c, 4, &options(), "b")
    else {
        panic!()
    };
    assert_eq!(e[0].field, "candidates[4].name");
    c.name = Some("A".into());
    c.metadata = json!({"interviewflowai": {"additionalFields": {"gateway_interview_id": "x"}}});
    assert!(
        translate::ingest_candidate(&c, 0, &options(), "b").is_err(),
        "the gateway's tag is its own"
    );
}

#[test]
fn unknown_response_shapes_degrade_to_remote_data() {
    // Whatever the fetch answers, the candidate is kept raw, and what can be read is read.
    let odd = json!({"results": [{"_id": "x1", "candidateEmail": "a@example.com", "state": "Report Available", "overallScore": "82.5%", "brandNew": {"nested": true}}], "meta": {"total_pages": 3}});
    let (items, more) = translate::fetch_page(&odd, 1, 50);
    assert!(more);
    let r = translate::interview(items[0].clone());
    assert_eq!(r.refs["interview_id"], "x1");
    assert_eq!(r.candidate_email.as_deref(), Some("a@example.com"));
    assert_eq!(r.status, Some(InterviewStatus::Completed));
    assert_eq!(r.result.unwrap().score.unwrap().normalized, 82.5);
    assert_eq!(r.raw["brandNew"]["nested"], true);
    // Nothing recognizable at all: still no error, just no facts.
    let r = translate::interview(json!({"weird": [1, 2, 3]}));
    assert!(r.refs.is_empty() && r.status.is_none() && r.result.is_none());
    assert_eq!(r.raw["weird"][2], 3);
    let (items, more) = translate::fetch_page(&json!("not even an object"), 1, 50);
    assert!(items.is_empty() && !more);
}

#[test]
fn statuses_follow_progress_and_reports() {
    use InterviewStatus::*;
    let s = |v: Value| translate::status(&v);
    assert_eq!(s(json!({"status": "shortlisted"})), Some(Invited));
    assert_eq!(s(json!({"status": "draft"})), Some(Invited));
    assert_eq!(
        s(json!({"status": "shortlisted", "interviewStatus": "in_progress"})),
        Some(InProgress)
    );
    assert_eq!(s(json!({"interviewStatus": "completed"})), Some(Evaluating));
    assert_eq!(
        s(json!({"interviewStatus": "completed", "reportAvailable": true})),
        Some(Completed)
    );
    assert_eq!(
        s(json!({"interviewStatus": "completed", "score": 70})),
        Some(Completed)
    );
    assert_eq!(s(json!({"interviewStatus": "expired"})), Some(Expired));
    assert_eq!(s(json!({"interviewStatus": "something new"})), None);
}

#[test]
fn ingest_answers_are_read_with_or_without_ids() {
    let full = json!({"success": true, "data": {"ingested": [{"interviewId": "i1", "email": "A@example.com"}], "skipped": [{"email": "b@example.com", "reason": "exists"}]}});
    let r = translate::ingest_report(&full);
    assert_eq!(r.ingested[0].0, "a@example.com");
    assert_eq!(r.ingested[0].1.as_deref(), Some("i1"));
    assert_eq!(
        r.skipped,
        [("b@example.com".to_string(), "exists".to_string())]
    );
    let bare =
        translate::ingest_report(&json!({"success": true, "message": "2 candidates ingested"}));
    assert!(bare.ingested.is_empty() && bare.skipped.is_empty());
}

#[test]
fn errors_name_the_callers_fields() {
    let body = json!({"success": false, "message": "Validation failed", "errors": [{"field": "data[1].metadata.sendEmailAfter", "message": "too long"}, {"field": "interviewerId", "message": "is required"}]});
    let ProviderError::Rejected {
        errors, message, ..
    } = translate::error(400, &body, None, &[0, 3])
    else {
        panic!()
    };
    assert_eq!(message, "Validation failed");
    assert_eq!(errors[0].field, "candidates[3].delay_hours");
    assert_eq!(errors[1].field, "template_id");
    assert!(matches!(
        translate::error(401, &json!({"message": "Invalid API key"}), None, &[]),
        ProviderError::InvalidCredentials { .. }
    ));
    assert!(matches!(
        translate::error(404, &json!({}), None, &[]),
        ProviderError::NotFound { .. }
    ));
}

#[test]
fn webhooks_dedupe_by_id_and_find_the_interview() {
    let id = InterviewId::new();
    let body = json!({"id": "wh_1", "event": "interview.completed", "data": {"interviewId": "i9", "email": "a@example.com", "interviewStatus": "completed", "additionalFields": {"gateway_interview_id": id.to_string()}}});
    let e = translate::inbound(body.to_string().as_bytes()).unwrap();
    assert_eq!(e.dedupe_key, "wh_1");
    assert_eq!(e.refs["interview_id"], "i9");
    assert_eq!(e.correlation_id, Some(id));
    assert_eq!(e.observed.status, Some(InterviewStatus::Evaluating));
    assert!(e.refresh);
    let report = json!({"event": "interview.report_available", "data": {"interviewId": "i9"}});
    let e2 = translate::inbound(report.to_string().as_bytes()).unwrap();
    assert_eq!(e2.observed.status, Some(InterviewStatus::Completed));
    assert_eq!(e2.dedupe_key.len(), 64, "no webhook id: the body's hash");
    assert!(translate::inbound(br#"{"event": "interview.started"}"#).is_err());
}
