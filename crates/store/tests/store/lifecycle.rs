//! The interview lifecycle in the store (issue 18), on both backends: one open interview
//! per candidate and template however invitations race, a retake stored once while
//! unconfirmed, `external_id` unique, cancel and supersede, metadata filters, and an
//! Idempotency-Key whose holder is gone taken over before its lock runs out.

use chrono::Duration;
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;
use serde_json::json;

use crate::fixtures::*;

store_tests!(
    concurrent_identical_invitations_make_one_interview,
    a_retake_is_stored_once_while_unconfirmed,
    external_ids_answer_their_interview,
    cancel_and_supersede_end_a_row_and_free_its_place,
    metadata_filters_match_text_numbers_and_booleans,
    an_idempotency_key_of_a_gone_process_is_taken_over_at_once,
);

async fn fixture(s: &S) -> (WorkspaceId, Template) {
    let ws = WorkspaceId::new();
    s.insert_workspace(&Workspace {
        id: ws,
        name: "acme".into(),
        created_at: now(),
    })
    .await
    .unwrap();
    let c = Connection {
        id: ConnectionId::new(),
        provider: "heymilo".into(),
        name: "hm".into(),
        base_url: None,
        settings: json!({}),
        status: ConnectionStatus::Active,
        created_at: now(),
        updated_at: now(),
    };
    s.insert_connection(ws, &c, b"ciphertext").await.unwrap();
    let t = Template {
        id: TemplateId::new(),
        connection_id: c.id,
        provider: "heymilo".into(),
        provider_ref: ProviderRef {
            kind: "posting".into(),
            id: "p1".into(),
            vendor: serde_json::json!({"url_key": "k"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        },
        name: "Backend".into(),
        description: None,
        status: TemplateStatus::Active,
        steps: vec![],
        created_at: now(),
        updated_at: now(),
        remote_data: json!({}),
    };
    let t = s.upsert_template(ws, &t).await.unwrap().value;
    (ws, t)
}

fn row(
    t: &Template,
    retake: bool,
    external_id: Option<&str>,
    metadata: serde_json::Value,
) -> NewInterview {
    NewInterview {
        id: InterviewId::new(),
        template_id: t.id,
        connection_id: t.connection_id,
        candidate_id: CandidateId::new(),
        provider: t.provider.clone(),
        status: InterviewStatus::Pending,
        invite_options: json!({"retake": retake}),
        created_at: now(),
        next_poll_at: Some(now()),
        external_id: external_id.map(str::to_string),
        metadata,
        retake,
    }
}

fn person(email: &str) -> CandidateInput {
    CandidateInput {
        email: email.into(),
        ..Default::default()
    }
}

/// Invite one person; the id of the interview that answers (new or open).
async fn invite_one(
    s: &S,
    ws: WorkspaceId,
    mut r: NewInterview,
    email: &str,
) -> (InterviewId, bool) {
    let id = r.id;
    let slots = s
        .insert_pending(ws, &[person(email)], std::slice::from_mut(&mut r), now())
        .await
        .unwrap();
    match slots.into_iter().next().unwrap() {
        Slot::New(_) => (id, true),
        Slot::Open(i) => (i.id, false),
    }
}

async fn all(s: &S, ws: WorkspaceId, filter: InterviewFilter) -> Vec<Interview> {
    s.list_interviews(ws, &filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

async fn concurrent_identical_invitations_make_one_interview(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, t) = fixture(&s).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, t) = (s.clone(), t.clone());
            tokio::spawn(async move {
                invite_one(&s, ws, row(&t, false, None, json!({})), "race@example.com").await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let created = answers.iter().filter(|(_, new)| *new).count();
    assert_eq!(
        created, 1,
        "one invitation stored, the others answered by it: {answers:?}"
    );
    assert!(answers
        .iter()
        .all(|(id, _)| *id == answers[0].0 || answers.iter().any(|(o, n)| *n && o == id)));
    let ids: std::collections::BTreeSet<_> = answers.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    assert_eq!(all(&s, ws, InterviewFilter::default()).await.len(), 1);

    // Once it ends (here: the vendor says expired), the place is free for a new one.
    let (id, _) = answers[0];
    let (i, v) = s.get_interview_versioned(ws, id).await.unwrap().unwrap();
    let ended = VendorState {
        status: InterviewStatus::Expired,
        outcome: None,
        interview_url: None,
        provider_refs: Default::default(),
        result: None,
        error: None,
        remote_data: json!({}),
        synced_at: now(),
        next_poll_at: None,
    };
    assert_eq!(i.status, InterviewStatus::Pending);
    s.save_vendor_state(ws, id, &ended, Some(v), &[])
        .await
        .unwrap();
    let (again, new) =
        invite_one(&s, ws, row(&t, false, None, json!({})), "race@example.com").await;
    assert!(
        new && again != id,
        "an ended interview answers no invitation"
    );
}

async fn a_retake_is_stored_once_while_unconfirmed(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, t) = fixture(&s).await;
    let (first, _) = invite_one(&s, ws, row(&t, false, None, json!({})), "r@example.com").await;
    let (retake, new) = invite_one(&s, ws, row(&t, true, None, json!({})), "r@example.com").await;
    assert!(
        new && retake != first,
        "a retake is a new row beside the open one"
    );
    let (again, new) = invite_one(&s, ws, row(&t, true, None, json!({})), "r@example.com").await;
    assert_eq!(
        (again, new),
        (retake, false),
        "a retried retake answers the pending one"
    );
    // Without retake, the newest open interview answers.
    let (plain, new) = invite_one(&s, ws, row(&t, false, None, json!({})), "r@example.com").await;
    assert_eq!((plain, new), (retake, false));
    // Confirmed, the retake no longer holds the retake place: a new retake is a new row.
    let (_, v) = s
        .get_interview_versioned(ws, retake)
        .await
        .unwrap()
        .unwrap();
    let invited = VendorState {
        status: InterviewStatus::Invited,
        outcome: None,
        interview_url: None,
        provider_refs: [("interview_id".to_string(), "int_r".to_string())].into(),
        result: None,
        error: None,
        remote_data: json!({}),
        synced_at: now(),
        next_poll_at: None,
    };
    s.save_vendor_state(ws, retake, &invited, Some(v), &[])
        .await
        .unwrap();
    let (third, new) = invite_one(&s, ws, row(&t, true, None, json!({})), "r@example.com").await;
    assert!(new && third != retake);
    assert_eq!(all(&s, ws, InterviewFilter::default()).await.len(), 3);
}

async fn external_ids_answer_their_interview(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, t) = fixture(&s).await;
    let (a, new) = invite_one(
        &s,
        ws,
        row(&t, false, Some("app-1"), json!({"job": "x"})),
        "a@example.com",
    )
    .await;
    assert!(new);
    // The same reference answers, whoever the candidate.
    let (b, new) = invite_one(
        &s,
        ws,
        row(&t, false, Some("app-1"), json!({})),
        "b@example.com",
    )
    .await;
    assert_eq!((b, new), (a, false));
    let found = all(
        &s,
        ws,
        InterviewFilter {
            external_id: Some("app-1".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), [a]);
    assert_eq!(found[0].metadata, json!({"job": "x"}));
    assert_eq!(found[0].external_id.as_deref(), Some("app-1"));
    // Unique in the workspace: a raw insert with it is refused.
    let mut dup = row(&t, false, Some("app-1"), json!({}));
    let c = s
        .upsert_candidate(ws, &person("c@example.com"), now())
        .await
        .unwrap();
    dup.candidate_id = c.id;
    assert!(matches!(
        s.insert_interviews(ws, &[dup]).await,
        Err(StoreError::Conflict(_))
    ));
    // Another workspace has its own references.
    let (ws2, t2) = fixture(&s).await;
    let (other, new) = invite_one(
        &s,
        ws2,
        row(&t2, false, Some("app-1"), json!({})),
        "a@example.com",
    )
    .await;
    assert!(new && other != a);
}

async fn cancel_and_supersede_end_a_row_and_free_its_place(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, t) = fixture(&s).await;
    let (id, _) = invite_one(
        &s,
        ws,
        row(&t, false, None, json!({"k": 1})),
        "c@example.com",
    )
    .await;
    let (_, v) = s.get_interview_versioned(ws, id).await.unwrap().unwrap();
    let event = NewEvent {
        id: EventId::new(),
        event_type: EventType::Cancelled,
        data: json!({"interview": {"id": id}}),
        created_at: now(),
    };
    assert_eq!(
        s.cancel_interview(ws, id, v + 1, now(), std::slice::from_ref(&event))
            .await
            .unwrap(),
        Saved::Stale
    );
    assert!(matches!(
        s.cancel_interview(ws, id, v, now(), &[event])
            .await
            .unwrap(),
        Saved::Saved { .. }
    ));
    let i = s.get_interview(ws, id).await.unwrap().unwrap();
    assert_eq!(i.status, InterviewStatus::Cancelled);
    let due = s
        .lease_due_polls(now() + Duration::hours(1), now() + Duration::hours(2), 10)
        .await
        .unwrap();
    assert!(
        due.iter().all(|(_, d)| *d != id),
        "a cancelled interview is not polled"
    );
    let events = s
        .list_events(ws, &EventFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(events.items[0].event_type, EventType::Cancelled);
    // Its place is free.
    let (next, new) = invite_one(&s, ws, row(&t, false, None, json!({})), "c@example.com").await;
    assert!(new && next != id);

    // A pending retake folds into its sibling; not into a stranger, not twice.
    let (retake, _) = invite_one(&s, ws, row(&t, true, None, json!({})), "c@example.com").await;
    let (stranger, _) = invite_one(&s, ws, row(&t, false, None, json!({})), "s@example.com").await;
    assert!(!s
        .supersede_interview(ws, retake, stranger, now())
        .await
        .unwrap());
    assert!(s
        .supersede_interview(ws, retake, next, now())
        .await
        .unwrap());
    assert!(!s
        .supersede_interview(ws, retake, next, now())
        .await
        .unwrap());
    let folded = s.get_interview(ws, retake).await.unwrap().unwrap();
    assert_eq!(
        (folded.status, folded.superseded_by),
        (InterviewStatus::Superseded, Some(next))
    );
    let (again, new) = invite_one(&s, ws, row(&t, true, None, json!({})), "c@example.com").await;
    assert!(
        new && again != retake,
        "the superseded retake freed its place"
    );
    // Another workspace cannot touch it.
    let (ws2, _) = fixture(&s).await;
    assert!(!s
        .set_interview_metadata(ws2, next, &json!({}), now())
        .await
        .unwrap());
    assert!(s
        .set_interview_metadata(ws, next, &json!({"stage": "done"}), now())
        .await
        .unwrap());
    assert_eq!(
        s.get_interview(ws, next).await.unwrap().unwrap().metadata,
        json!({"stage": "done"})
    );
}

async fn metadata_filters_match_text_numbers_and_booleans(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, t) = fixture(&s).await;
    let meta =
        json!({"stage": "screen", "round": 2, "remote": true, "job.id": "j-7", "none": null});
    let (a, _) = invite_one(&s, ws, row(&t, false, None, meta), "a@example.com").await;
    let (_b, _) = invite_one(
        &s,
        ws,
        row(&t, false, None, json!({"stage": "onsite", "round": 3})),
        "b@example.com",
    )
    .await;
    let by = |k: &str, v: &str| InterviewFilter {
        metadata: Some((k.into(), v.into())),
        ..Default::default()
    };
    for (k, v) in [
        ("stage", "screen"),
        ("round", "2"),
        ("remote", "true"),
        ("job.id", "j-7"),
    ] {
        let found = all(&s, ws, by(k, v)).await;
        assert_eq!(
            found.iter().map(|i| i.id).collect::<Vec<_>>(),
            [a],
            "{k}={v}"
        );
    }
    for (k, v) in [
        ("stage", "Screen"),
        ("round", "20"),
        ("remote", "false"),
        ("none", "null"),
        ("missing", "x"),
    ] {
        assert!(all(&s, ws, by(k, v)).await.is_empty(), "{k}={v}");
    }
}

async fn an_idempotency_key_of_a_gone_process_is_taken_over_at_once(db: TestDatabase) {
    let (s, url) = (db.store.clone(), db.url.clone());
    let ws = WorkspaceId::new();
    s.insert_workspace(&Workspace {
        id: ws,
        name: "w".into(),
        created_at: now(),
    })
    .await
    .unwrap();
    let times = || IdempotencyTimes {
        now: now(),
        locked_until: now() + Duration::hours(1),
        expires_at: now() + Duration::hours(24),
    };
    // Another process (a second store on the same database) takes a key, then is gone.
    let other = connect(&url, PoolSettings::default()).await.unwrap();
    assert_eq!(
        other
            .begin_idempotent(ws, "k1", b"h", times())
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    // While it lives (Postgres: its liveness lock) the key is its own; SQLite has one
    // process per file, so there a second store is already another process start.
    if s.backend() == BackendKind::Postgres {
        assert_eq!(
            s.begin_idempotent(ws, "k1", b"h", times()).await.unwrap(),
            IdempotencyBegin::InProgress
        );
    }
    drop(other);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"h", times()).await.unwrap(),
        IdempotencyBegin::Started,
        "taken over although its lock runs for an hour"
    );
    // Once taken, it is this process's: a third comer waits.
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"h", times()).await.unwrap(),
        IdempotencyBegin::InProgress
    );
    // A different body is still a mismatch, holder or not.
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"other", times())
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );
}
