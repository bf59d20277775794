//! Erasure and retention, on every backend: the person's data is gone from every table and
//! from the database files themselves, another person's is untouched, and retention strips
//! what is old and keeps what is recent.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;
use serde_json::json;

use crate::fixtures::*;

store_tests!(
    erasure_reaches_every_table_and_spares_others,
    erased_data_is_not_in_the_database_files,
    erasure_racing_invitations_leaves_no_half_erased_row,
);

/// What identifies one test person, each piece searched for after the erasure.
pub(crate) struct Person {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) phone: String,
    pub(crate) transcript_line: String,
    pub(crate) recording_url: String,
    pub(crate) vendor_id: String,
}

impl Person {
    pub(crate) fn new(tag: &str) -> Self {
        Person {
            email: format!("{tag}.private@example.com"),
            name: format!("{tag} Secretname"),
            phone: format!("+44 7700 9{:05}", tag.len() * 111),
            transcript_line: format!("{tag} said my previous employer was Initech"),
            recording_url: format!("https://media.example.com/rec/{tag}-recording.mp4"),
            vendor_id: format!("int_{tag}_9"),
        }
    }

    fn needles(&self) -> [&str; 5] {
        [
            &self.email,
            &self.name,
            &self.phone,
            &self.transcript_line,
            &self.recording_url,
        ]
    }
}

pub(crate) struct World {
    pub(crate) ws: WorkspaceId,
    pub(crate) conn: ConnectionId,
    pub(crate) template: Template,
}

pub(crate) async fn world(s: &S) -> World {
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: "acme".into(),
        created_at: now(),
    };
    s.insert_workspace(&ws).await.unwrap();
    let c = Connection {
        id: ConnectionId::new(),
        provider: "heymilo".into(),
        name: "heymilo prod".into(),
        base_url: None,
        settings: json!({}),
        status: ConnectionStatus::Active,
        created_at: now(),
        updated_at: now(),
    };
    s.insert_connection(ws.id, &c, b"ciphertext").await.unwrap();
    let t = Template {
        id: TemplateId::new(),
        connection_id: c.id,
        provider: "heymilo".into(),
        provider_ref: ProviderRef {
            kind: "posting".into(),
            id: "posting_1".into(),
            vendor: Default::default(),
        },
        name: "Backend".into(),
        description: None,
        status: TemplateStatus::Active,
        steps: vec![],
        created_at: now(),
        updated_at: now(),
        remote_data: json!({}),
    };
    let template = s.upsert_template(ws.id, &t).await.unwrap().value;
    // Every event goes to this endpoint, so deliveries exist to check.
    let endpoint = WebhookEndpoint {
        id: WebhookEndpointId::new(),
        url: "https://hooks.example.com/x".into(),
        description: None,
        events: vec![],
        disabled_at: None,
        disabled_reason: None,
        failing_since: None,
        created_at: now(),
        updated_at: now(),
    };
    s.insert_endpoint(ws.id, &endpoint, b"sealed")
        .await
        .unwrap();
    World {
        ws: ws.id,
        conn: c.id,
        template,
    }
}

/// Invite the person and record a completed interview with a result, vendor data and an
/// event, all naming them; answers the candidate and interview.
pub(crate) async fn interviewed(
    s: &S,
    w: &World,
    p: &Person,
    at: DateTime<Utc>,
) -> (Candidate, Interview) {
    let input = CandidateInput {
        email: p.email.clone(),
        name: Some(p.name.clone()),
        phone: Some(p.phone.clone()),
        external_id: Some(format!("ats-{}", p.vendor_id)),
        resume_url: Some(format!("https://cv.example.com/{}.pdf", p.vendor_id)),
        metadata: Some(json!({"note": p.name})),
        ..Default::default()
    };
    let mut rows = [NewInterview {
        id: InterviewId::new(),
        template_id: w.template.id,
        connection_id: w.conn,
        candidate_id: CandidateId::new(),
        provider: "heymilo".into(),
        status: InterviewStatus::Pending,
        invite_options: json!({"message": format!("Hi {}", p.name)}),
        created_at: at,
        next_poll_at: Some(at),
        external_id: None,
        metadata: serde_json::json!({}),
        retake: false,
    }];
    let people = s
        .insert_pending(w.ws, std::slice::from_ref(&input), &mut rows, at)
        .await
        .unwrap();
    let id = rows[0].id;
    let state = VendorState {
        status: InterviewStatus::Completed,
        outcome: None,
        interview_url: Some(format!("https://candidates.example.com/i/{}", p.vendor_id)),
        provider_refs: [("interview_id".to_string(), p.vendor_id.clone())].into(),
        result: Some(InterviewResult {
            summary: Some(format!("{} is strong", p.name)),
            transcript: vec![TranscriptEntry {
                speaker: "candidate".into(),
                text: p.transcript_line.clone(),
                at: None,
                offset: Some(1.0),
            }],
            artifacts: vec![Artifact {
                kind: ArtifactKind::Video,
                url: p.recording_url.clone(),
            }],
            ..Default::default()
        }),
        error: None,
        remote_data: json!({"candidate": {"email": p.email, "phone": p.phone}}),
        synced_at: at,
        next_poll_at: None,
    };
    let (before, _) = s.get_interview_versioned(w.ws, id).await.unwrap().unwrap();
    let mut after = before.clone();
    after.status = state.status;
    after.interview_url = state.interview_url.clone();
    after.result = state.result.clone();
    after.remote_data = state.remote_data.clone();
    let event = NewEvent {
        id: EventId::new(),
        event_type: EventType::Completed,
        data: json!({"interview": after, "previous_status": "pending"}),
        created_at: at,
    };
    let saved = s
        .save_vendor_state(w.ws, id, &state, None, &[event])
        .await
        .unwrap();
    assert!(matches!(saved, Saved::Saved { .. }));
    // A vendor webhook naming them, and a stored idempotent answer naming them.
    s.insert_receipt(
        w.conn,
        w.ws,
        &format!("evt-{}", p.vendor_id),
        &json!({"event": "interview.completed", "interview_id": p.vendor_id, "email": p.email}),
        at,
    )
    .await
    .unwrap()
    .unwrap();
    let interview = s.get_interview(w.ws, id).await.unwrap().unwrap();
    let key = format!("idem-{}", p.vendor_id);
    let times = IdempotencyTimes {
        now: now(),
        locked_until: now() + Duration::seconds(30),
        expires_at: now() + Duration::hours(24),
    };
    assert_eq!(
        s.begin_idempotent(w.ws, &key, b"hash", times)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    let body = serde_json::to_vec(&json!({"data": [interview]})).unwrap();
    s.complete_idempotent(w.ws, &key, 201, &body).await.unwrap();
    (slot_person(&people[0]), interview)
}

pub(crate) fn tombstone() -> ReplayTombstone {
    ReplayTombstone {
        status: 410,
        body: br#"{"code":"erased"}"#.to_vec(),
    }
}

pub(crate) async fn replay(s: &S, ws: WorkspaceId, key: &str) -> IdempotencyBegin {
    let times = IdempotencyTimes {
        now: now(),
        locked_until: now() + Duration::seconds(30),
        expires_at: now() + Duration::hours(24),
    };
    s.begin_idempotent(ws, key, b"hash", times).await.unwrap()
}

pub(crate) fn text_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

async fn erasure_reaches_every_table_and_spares_others(db: TestDatabase) {
    let s = db.store;
    let w = world(&s).await;
    let (alex_p, blake_p) = (Person::new("alex"), Person::new("blake"));
    let (alex, alex_i) = interviewed(&s, &w, &alex_p, now()).await;
    let (blake, blake_i) = interviewed(&s, &w, &blake_p, now()).await;

    let event_id = EventId::new();
    let erasure = s
        .erase_candidate(w.ws, alex.id, event_id, &tombstone(), now())
        .await
        .unwrap()
        .unwrap();
    assert!(erasure.erased_now);
    assert_eq!(erasure.interviews.len(), 1);
    assert_eq!(erasure.interviews[0].id, alex_i.id);
    assert_eq!(
        erasure.interviews[0].provider_refs["interview_id"],
        alex_p.vendor_id
    );

    // The candidate: a tombstone with ids and timestamps.
    let c = s.get_candidate(w.ws, alex.id).await.unwrap().unwrap();
    assert_eq!(c.erased_at, Some(erasure.erased_at));
    assert_eq!((c.email.as_str(), c.created_at), ("", alex.created_at));
    assert!(c.name.is_none() && c.phone.is_none() && c.external_id.is_none());
    assert!(c.resume_url.is_none() && c.metadata == json!({}));
    // The interview: status and ids stay, everything personal goes; no more polling.
    let i = s.get_interview(w.ws, alex_i.id).await.unwrap().unwrap();
    assert_eq!(i.status, InterviewStatus::Completed);
    assert_eq!(i.provider_refs, alex_i.provider_refs);
    assert!(i.result.is_none() && i.interview_url.is_none() && i.remote_data == json!({}));
    assert!(s
        .lease_due_polls(now() + Duration::days(1), now() + Duration::days(2), 100)
        .await
        .unwrap()
        .iter()
        .all(|(_, id)| *id != alex_i.id));

    // Events (what every delivery sends), read as a receiver and the API would.
    let events = s
        .list_events(w.ws, &EventFilter::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items;
    let erased_event = events.iter().find(|e| e.id == event_id).unwrap();
    assert_eq!(erased_event.event_type, EventType::CandidateErased);
    assert_eq!(
        (erased_event.interview_id, erased_event.candidate_id),
        (None, Some(alex.id))
    );
    let alex_event = events
        .iter()
        .find(|e| e.interview_id == Some(alex_i.id))
        .unwrap();
    assert_eq!(alex_event.data["interview"]["status"], "completed");
    assert_eq!(
        alex_event.data["interview"]["candidate"]["id"],
        json!(alex.id)
    );
    let all = text_of(&events);
    for needle in alex_p.needles() {
        assert!(!all.contains(needle), "{needle} is still in an event");
    }
    for needle in blake_p.needles() {
        assert!(all.contains(needle), "{needle} of the other person is gone");
    }
    // Deliveries: the erasure event is queued to the endpoint; the payloads are the events.
    let due = s
        .lease_due_deliveries(
            now() + Duration::seconds(1),
            now() + Duration::minutes(1),
            100,
        )
        .await
        .unwrap();
    assert!(due.iter().any(|d| d.event.id == event_id));
    let due_text = text_of(&due.iter().map(|d| &d.event).collect::<Vec<_>>());
    assert!(!due_text.contains(&alex_p.email) && !due_text.contains(&alex_p.recording_url));

    // Idempotent replays: the one naming alex answers the tombstone; blake's is intact.
    let key_a = format!("idem-{}", alex_p.vendor_id);
    let key_b = format!("idem-{}", blake_p.vendor_id);
    assert_eq!(
        replay(&s, w.ws, &key_a).await,
        IdempotencyBegin::Erased {
            status: 410,
            body: tombstone().body
        }
    );
    match replay(&s, w.ws, &key_b).await {
        IdempotencyBegin::Completed { status: 201, body } => {
            assert!(String::from_utf8(body).unwrap().contains(&blake_p.email))
        }
        other => panic!("blake's replay changed: {other:?}"),
    }

    // Vendor webhooks: alex's emptied, blake's kept (whose vendor id shares alex's shape).
    let receipts = s
        .pending_receipts(now() + Duration::days(1), 100)
        .await
        .unwrap();
    assert_eq!(receipts.len(), 2);
    let text = text_of(&receipts.iter().map(|r| &r.payload).collect::<Vec<_>>());
    assert!(!text.contains(&alex_p.email) && !text.contains(&alex_p.vendor_id));
    assert!(text.contains(&blake_p.email));

    // A vendor answer arriving after the erasure cannot write data back.
    let late = VendorState {
        status: InterviewStatus::Completed,
        outcome: None,
        interview_url: Some("https://candidates.example.com/late".into()),
        provider_refs: alex_i.provider_refs.clone(),
        result: None,
        error: None,
        remote_data: json!({"email": alex_p.email}),
        synced_at: now(),
        next_poll_at: None,
    };
    assert_eq!(
        s.save_vendor_state(w.ws, alex_i.id, &late, None, &[])
            .await
            .unwrap(),
        Saved::Missing
    );
    // No new interview for the tombstone either.
    let mut row = NewInterview {
        id: InterviewId::new(),
        template_id: w.template.id,
        connection_id: w.conn,
        candidate_id: alex.id,
        provider: "heymilo".into(),
        status: InterviewStatus::Pending,
        invite_options: json!({}),
        created_at: now(),
        next_poll_at: None,
        external_id: None,
        metadata: serde_json::json!({}),
        retake: false,
    };
    assert!(matches!(
        s.insert_interviews(w.ws, std::slice::from_ref(&row)).await,
        Err(StoreError::Conflict(_))
    ));
    // Inviting the same email again makes a new person, not a resurrected tombstone.
    row.id = InterviewId::new();
    let again = s
        .insert_pending(
            w.ws,
            &[CandidateInput {
                email: alex_p.email.clone(),
                ..Default::default()
            }],
            &mut [row],
            now(),
        )
        .await
        .unwrap();
    assert_ne!(slot_person(&again[0]).id, alex.id);

    // Blake is untouched.
    assert_eq!(
        s.get_candidate(w.ws, blake.id).await.unwrap().unwrap(),
        blake
    );
    assert_eq!(
        s.get_interview(w.ws, blake_i.id).await.unwrap().unwrap(),
        blake_i
    );

    // A second erasure changes nothing and answers the first.
    let second = s
        .erase_candidate(w.ws, alex.id, EventId::new(), &tombstone(), now())
        .await
        .unwrap()
        .unwrap();
    assert!(!second.erased_now);
    assert_eq!(
        (second.erased_at, second.event_id, second.interviews),
        (erasure.erased_at, Some(event_id), erasure.interviews)
    );
    // Unknown, or another workspace's: nothing.
    assert!(s
        .erase_candidate(
            w.ws,
            CandidateId::new(),
            EventId::new(),
            &tombstone(),
            now()
        )
        .await
        .unwrap()
        .is_none());
    let other = world(&s).await;
    assert!(s
        .erase_candidate(other.ws, blake.id, EventId::new(), &tombstone(), now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        s.get_candidate(w.ws, blake.id).await.unwrap().unwrap(),
        blake
    );
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

async fn erased_data_is_not_in_the_database_files(db: TestDatabase) {
    let s = db.store;
    let w = world(&s).await;
    let (alex_p, blake_p) = (Person::new("alex"), Person::new("blake"));
    let (alex, _) = interviewed(&s, &w, &alex_p, now()).await;
    interviewed(&s, &w, &blake_p, now()).await;
    // Before: the search finds what is there (so its silence afterwards means something).
    let before = gateway_store::testing::database_bytes(&db.url).unwrap();
    for needle in alex_p.needles() {
        assert!(
            contains(&before, needle),
            "{needle} not stored to begin with"
        );
    }
    s.erase_candidate(w.ws, alex.id, EventId::new(), &tombstone(), now())
        .await
        .unwrap()
        .unwrap();
    s.compact_after_erasure().await.unwrap();
    let after = gateway_store::testing::database_bytes(&db.url).unwrap();
    for needle in alex_p.needles() {
        assert!(
            !contains(&after, needle),
            "{needle} is still in the database files"
        );
    }
    for needle in blake_p.needles() {
        assert!(
            contains(&after, needle),
            "{needle} of the other person is gone"
        );
    }
}

async fn erasure_racing_invitations_leaves_no_half_erased_row(db: TestDatabase) {
    let s = db.store;
    let w = Arc::new(world(&s).await);
    let p = Person::new("casey");
    let (casey, _) = interviewed(&s, &w, &p, now()).await;
    // Invitations of the same person (upsert + pending row, then the vendor's answer) run
    // while the erasure does.
    let mut tasks = Vec::new();
    for n in 0..6 {
        let (s, w, email) = (s.clone(), w.clone(), p.email.clone());
        tasks.push(tokio::spawn(async move {
            let mut rows = [NewInterview {
                id: InterviewId::new(),
                template_id: w.template.id,
                connection_id: w.conn,
                candidate_id: CandidateId::new(),
                provider: "heymilo".into(),
                status: InterviewStatus::Pending,
                invite_options: json!({}),
                created_at: now(),
                next_poll_at: None,
                external_id: None,
                metadata: serde_json::json!({}),
                retake: false,
            }];
            let input = CandidateInput {
                email,
                ..Default::default()
            };
            s.insert_pending(w.ws, &[input], &mut rows, now())
                .await
                .unwrap();
            let state = VendorState {
                status: InterviewStatus::Invited,
                outcome: None,
                interview_url: Some(format!("https://candidates.example.com/race/{n}")),
                provider_refs: [("interview_id".to_string(), format!("race_{n}"))].into(),
                result: None,
                error: None,
                remote_data: json!({"n": n}),
                synced_at: now(),
                next_poll_at: None,
            };
            s.save_vendor_state(w.ws, rows[0].id, &state, None, &[])
                .await
                .unwrap();
        }));
    }
    s.erase_candidate(w.ws, casey.id, EventId::new(), &tombstone(), now())
        .await
        .unwrap()
        .unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    // Every interview of the erased person is wholly erased; any other belongs to a new
    // candidate made by an invitation after the erasure. One interview per candidate and
    // template while one is open (Casey's first one is completed, so not open).
    let all = s
        .list_interviews(w.ws, &InterviewFilter::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items;
    // Casey's completed interview, plus at most one open one an invitation made before the
    // erasure committed (both erased below); at most one row of a new candidate after it.
    let caseys = all.iter().filter(|i| i.candidate.id == casey.id).count();
    assert!(
        (1..=2).contains(&caseys),
        "{caseys} interviews of the erased person"
    );
    assert!(all.len() - caseys <= 1, "{} interviews in all", all.len());
    for i in &all {
        if i.candidate.id == casey.id {
            assert!(i.candidate.erased_at.is_some());
            assert!(
                i.interview_url.is_none() && i.remote_data == json!({}),
                "{i:?}"
            );
        } else {
            assert!(i.candidate.erased_at.is_none());
            assert_eq!(i.candidate.email, p.email);
        }
    }
}

/// The candidate a fresh pending row was stored for.
pub(crate) fn slot_person(slot: &gateway_store::Slot) -> Candidate {
    match slot {
        gateway_store::Slot::New(c) => c.clone(),
        gateway_store::Slot::Open(i) => panic!("expected a new row, got {}", i.id),
    }
}
