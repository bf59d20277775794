//! The literal JSON examples of heymilo.md, decoded and translated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gateway_core::provider::InviteCandidate;
use gateway_core::{ArtifactKind, InterviewId, InterviewStatus, ProviderError, TemplateStatus};
use provider_heymilo::{translate, wire};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn health() {
    let h: wire::Health = serde_json::from_value(fixture("health")).unwrap();
    assert_eq!(
        (h.message.as_str(), h.status),
        ("API Gateway is running successfully", 200)
    );
}

#[test]
fn postings_become_templates_with_their_url_key() {
    let page: wire::PostingsPage = serde_json::from_value(fixture("postings_response")).unwrap();
    assert_eq!(
        (page.total, page.page, page.limit, page.total_pages),
        (Some(42), Some(1), Some(10), Some(5))
    );
    let templates: Vec<_> = page
        .postings
        .into_iter()
        .map(|p| translate::template(p).unwrap())
        .collect();
    assert_eq!(templates.len(), 2);
    let t = &templates[0];
    assert_eq!(t.provider_ref.kind, "posting");
    assert_eq!(t.provider_ref.id, "posting_123");
    assert_eq!(
        t.provider_ref
            .vendor
            .get("url_key")
            .and_then(|k| k.as_str()),
        Some("unique_url_key_for_posting")
    );
    assert_eq!(t.name, "Software Engineer");
    assert_eq!(t.status, TemplateStatus::Active);
    let kinds: Vec<_> = t.steps.iter().map(|s| s.kind.as_deref().unwrap()).collect();
    assert_eq!(kinds, ["resume", "web_interview", "conversational_sms"]);
    assert_eq!(
        t.steps[0].pass_threshold,
        Some(70.0),
        "min_evaluation_score 0.7 is 70 on 0–100"
    );
    assert_eq!(t.steps[0].name.as_deref(), Some("resume_screen_1"));
    assert_eq!(
        t.raw["root_level_configs"]["interviewer_name"], "Alex Johnson",
        "the payload is kept"
    );
    assert_eq!(templates[1].provider_ref.id, "post_67890");
}

#[test]
fn a_completed_interview_translates_fully() {
    let raw = fixture("interview_response");
    let i = translate::interview(raw.clone()).unwrap();
    assert_eq!(
        i.refs.get("interview_id").map(String::as_str),
        Some("int_abc123")
    );
    assert_eq!(i.status, Some(InterviewStatus::Completed));
    assert_eq!(i.outcome, None, "HeyMilo v1 gives no pass/fail");
    assert_eq!(i.candidate_email.as_deref(), Some("john.smith@example.com"));
    let r = i.result.unwrap();
    let score = r.score.unwrap();
    assert_eq!(
        (score.value, score.max, score.normalized),
        (85.5, 100.0, 85.5)
    );
    assert_eq!(
        r.highlights,
        ["Strong communication skills", "Problem-solving abilities"]
    );
    assert_eq!(r.lowlights, ["Limited experience with Python"]);
    assert_eq!(r.summary.as_deref(), Some("Good fit for the role"));
    let names: Vec<_> = r.criteria.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "JavaScript experience",
            "Resume: JavaScript Experience",
            "Eligibility: Minimum 3 years of experience"
        ]
    );
    assert_eq!(
        (r.criteria[0].score, r.criteria[0].max),
        (Some(4.0), Some(5.0))
    );
    assert_eq!(
        r.criteria[0].comment.as_deref(),
        Some("Strong experience with modern JavaScript frameworks")
    );
    assert_eq!(r.criteria[1].score, Some(4.5));
    assert_eq!(r.criteria[2].passed, Some(true));
    assert_eq!(r.transcript.len(), 2);
    assert_eq!(r.transcript[1].speaker, "candidate");
    assert_eq!(r.transcript[1].offset, Some(10.0));
    assert_eq!(r.transcript[0].at.unwrap().timestamp(), 1676452800);
    let artifacts: Vec<_> = r
        .artifacts
        .iter()
        .map(|a| (a.kind, a.url.as_str()))
        .collect();
    assert_eq!(
        artifacts,
        [
            (
                ArtifactKind::Audio,
                "https://example.com/recordings/abc123.mp3"
            ),
            (
                ArtifactKind::Video,
                "https://example.com/recordings/abc123.mp4"
            ),
            (
                ArtifactKind::Resume,
                "https://example.com/resumes/abc123.pdf"
            ),
        ]
    );
    assert_eq!(r.completed_at.unwrap().timestamp(), 1676456400);
    assert_eq!(i.raw, raw);
}

#[test]
fn interviews_by_posting_page() {
    let page: wire::InterviewsPage =
        serde_json::from_value(fixture("interviews_by_posting_response")).unwrap();
    assert_eq!((page.total, page.total_pages), (Some(42), Some(5)));
    let items: Vec<_> = page
        .candidates
        .into_iter()
        .map(|c| translate::interview(c).unwrap())
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, Some(InterviewStatus::Completed));
    assert_eq!(items[0].result.as_ref().unwrap().transcript.len(), 2);
}

#[test]
fn an_interview_missing_sections_still_translates() {
    let i = translate::interview(json!({"interview_id": "int_1", "details": {"status": "pending", "score": null}, "agentic_data": "unexpected"})).unwrap();
    assert_eq!(i.status, Some(InterviewStatus::Invited));
    assert!(i.result.is_none());
    assert!(translate::interview(json!({"no": "id"})).is_err());
}

#[test]
fn export_job() {
    let req = serde_json::to_value(wire::ExportRequest {
        posting_id: "A03EBF1A",
    })
    .unwrap();
    assert_eq!(req, fixture("export_request"));
    let job: wire::ExportJob = serde_json::from_value(fixture("export_response")).unwrap();
    assert_eq!(job.status, "success");
    assert!(job.file_url.unwrap().ends_with(".json"));
}

#[test]
fn webhook_requests_and_responses() {
    let req = serde_json::to_value(wire::CreateWebhook {
        posting_id: "posting_123",
        url: "https://your-domain.com/webhook-endpoint",
        event_type: "interview_completed",
        http_method: "post",
    })
    .unwrap();
    assert_eq!(req, fixture("webhook_create_request"));
    for name in ["webhook_create_response", "webhook_fetch_response"] {
        let raw = fixture(name);
        let w = translate::webhook(serde_json::from_value(raw.clone()).unwrap(), raw);
        assert_eq!(
            (w.id.as_str(), w.event.as_str(), w.active),
            ("webhook_789", "interview_completed", true)
        );
    }
}

#[test]
fn ingest_requests_match_the_document() {
    let doc = fixture("ingest_request");
    let c = InviteCandidate {
        correlation_id: InterviewId::new(),
        email: "john.doe@example.com".into(),
        name: Some("John Doe".into()),
        first_name: None,
        last_name: None,
        phone: Some("+1234567890".into()),
        external_id: None,
        resume_url: None,
        metadata: doc["metadata"].clone(),
    };
    let ours = serde_json::to_value(translate::ingest_candidate(&c, true)).unwrap();
    for key in ["name", "email", "phone_number", "retake"] {
        assert_eq!(ours[key], doc[key], "{key}");
    }
    // The caller's metadata goes through; the gateway's interview id rides along.
    assert_eq!(ours["metadata"]["source"], "careers_page");
    assert_eq!(
        ours["metadata"]["gateway_interview_id"],
        c.correlation_id.to_string()
    );
    let ours_keys: Vec<_> = ours.as_object().unwrap().keys().cloned().collect();
    let doc_keys: Vec<_> = doc.as_object().unwrap().keys().cloned().collect();
    assert_eq!(ours_keys.len(), doc_keys.len());
    assert!(
        ours_keys.iter().all(|k| doc_keys.contains(k)),
        "{ours_keys:?} vs {doc_keys:?}"
    );

    let bulk = fixture("bulk_ingest_request");
    let body = serde_json::to_value(wire::BulkIngest {
        data: &[translate::ingest_candidate(&c, false)],
    })
    .unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        bulk.as_object().unwrap().keys().collect::<Vec<_>>()
    );
}

#[test]
fn ingest_responses_give_refs_and_links() {
    for (name, n) in [("ingest_response", 1), ("bulk_ingest_response", 2)] {
        let res: wire::IngestResponse = serde_json::from_value(fixture(name)).unwrap();
        assert_eq!(res.interview_details.len(), n);
        let r = translate::invited(
            &res.interview_details[0],
            "john.doe@example.com",
            res.ingestion_id.as_deref(),
        );
        assert_eq!(r.refs["interview_id"], "int_id_78658707");
        assert_eq!(
            r.interview_url.as_deref(),
            Some("https://candidates.sample/heymiloai/i/interview_id")
        );
        assert_eq!(r.status, Some(InterviewStatus::Invited));
    }
}

#[test]
fn the_documented_error_shape() {
    match translate::error(422, &fixture("error_response"), None) {
        ProviderError::Rejected {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(
                (status, code.as_deref(), message.as_str()),
                (Some(422), Some("validation_error"), "Error description")
            );
        }
        other => panic!("{other:?}"),
    }
}
