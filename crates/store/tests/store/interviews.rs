//! Interviews: insert, list and filter, tenant scoping, pending invitations, compare-and-set state writes with their events, and poll leases.

use std::collections::BTreeMap;

use chrono::Duration;
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    interviews_insert_list_and_filter,
    interviews_refuse_foreign_rows_atomically,
    pending_invitations_store_people_and_rows_in_one_go,
    only_pending_interviews_are_deleted,
    state_writes_are_compare_and_set_with_events,
    polls_are_leased_to_one_taker,
    listed_polls_are_leased_to_one_sweep,
    a_template_s_due_polls_are_leased_at_once,
);

async fn interviews_insert_list_and_filter(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let sam = s
        .upsert_candidate(ws, &person("sam@example.com"), now())
        .await
        .unwrap();
    let rows: Vec<_> = [alex.id, sam.id, alex.id]
        .iter()
        .map(|c| pending(&t, *c))
        .collect();
    s.insert_interviews(ws, &rows).await.unwrap();

    let got = s.get_interview(ws, rows[0].id).await.unwrap().unwrap();
    assert_eq!(got.candidate, alex);
    assert_eq!(got.status, InterviewStatus::Pending);
    assert_eq!(got.template_id, t.id);
    assert_eq!(got.provider_refs, BTreeMap::new());

    let all = s
        .list_interviews(ws, &InterviewFilter::default(), PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(
        all.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[2].id, rows[1].id]
    );
    let rest = s
        .list_interviews(
            ws,
            &InterviewFilter::default(),
            PageRequest {
                limit: 2,
                after: all.next_after,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[0].id]
    );
    assert_eq!(rest.next_after, None);

    let of_alex = s
        .list_interviews(
            ws,
            &InterviewFilter {
                candidate_id: Some(alex.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(of_alex.items.len(), 2);

    save(
        &s,
        ws,
        rows[1].id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await
    .unwrap();
    let invited = s
        .list_interviews(
            ws,
            &InterviewFilter {
                status: Some(InterviewStatus::Invited),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        invited.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[1].id]
    );
    let recent = s
        .list_interviews(
            ws,
            &InterviewFilter {
                updated_after: Some(rows[2].created_at),
                template_id: Some(t.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        recent.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![rows[1].id]
    );
    let other = workspace(&s, "b").await;
    assert_eq!(s.get_interview(other, rows[0].id).await.unwrap(), None);
}

async fn interviews_refuse_foreign_rows_atomically(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let other = workspace(&s, "b").await;
    let stranger = s
        .upsert_candidate(other, &person("x@example.com"), now())
        .await
        .unwrap();
    let good = pending(&t, alex.id);
    let bad = pending(&t, stranger.id);
    let err = s.insert_interviews(ws, &[good.clone(), bad]).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    assert_eq!(
        s.get_interview(ws, good.id).await.unwrap(),
        None,
        "all or nothing"
    );
    // Another workspace cannot use this workspace's template.
    let err = s
        .insert_interviews(other, &[pending(&t, stranger.id)])
        .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
}

async fn pending_invitations_store_people_and_rows_in_one_go(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, _, t) = fixture(&s).await;
    let known = s
        .upsert_candidate(ws, &person("known@example.com"), now())
        .await
        .unwrap();
    // Out of address order on purpose: results still come back in request order.
    let inputs = [
        person("zed@example.com"),
        CandidateInput {
            name: Some("Known Person".into()),
            ..person("KNOWN@example.com")
        },
        person("amy@example.com"),
    ];
    let mut rows: Vec<NewInterview> = inputs
        .iter()
        .map(|_| pending(&t, CandidateId::new()))
        .collect();
    let people: Vec<Candidate> = s
        .insert_pending(ws, &inputs, &mut rows, now())
        .await
        .unwrap()
        .into_iter()
        .map(|slot| match slot {
            Slot::New(p) => p,
            Slot::Open(i) => panic!("nothing was open: {i:?}"),
        })
        .collect();
    let emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        emails,
        ["zed@example.com", "known@example.com", "amy@example.com"]
    );
    assert_eq!(
        people[1].id, known.id,
        "an existing person is updated, not duplicated"
    );
    assert_eq!(people[1].name.as_deref(), Some("Known Person"));
    for (row, p) in rows.iter().zip(&people) {
        assert_eq!(row.candidate_id, p.id);
        let i = s.get_interview(ws, row.id).await.unwrap().unwrap();
        assert_eq!(i.candidate.id, p.id);
        assert_eq!(i.status, InterviewStatus::Pending);
    }

    // One row that cannot be stored (another workspace's template) undoes the whole call:
    // no new person, no interview.
    let other = workspace(&s, "b").await;
    let inputs = [person("new-one@example.com"), person("new-two@example.com")];
    let mut rows = vec![
        pending(&t, CandidateId::new()),
        pending(&t, CandidateId::new()),
    ];
    let err = s.insert_pending(other, &inputs, &mut rows, now()).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let listed = s
        .list_candidates(other, &Default::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "all or nothing: {:?}",
        listed.items
    );
    assert_eq!(s.get_interview(other, rows[0].id).await.unwrap(), None);
}

async fn only_pending_interviews_are_deleted(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let a = pending(&t, alex.id);
    let b = pending(&t, alex.id);
    s.insert_interviews(ws, &[a.clone(), b.clone()])
        .await
        .unwrap();
    save(&s, ws, b.id, &vendor_state(&[])).await.unwrap();
    let other = workspace(&s, "b").await;
    assert!(!s.delete_pending_interview(other, a.id).await.unwrap());
    assert!(s.delete_pending_interview(ws, a.id).await.unwrap());
    assert!(
        !s.delete_pending_interview(ws, b.id).await.unwrap(),
        "invited interviews stay"
    );
    assert!(s.get_interview(ws, b.id).await.unwrap().is_some());
}

async fn state_writes_are_compare_and_set_with_events(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let all = endpoint(&[]);
    let completed_only = endpoint(&["interview.completed"]);
    s.insert_endpoint(ws, &all, b"sealed").await.unwrap();
    s.insert_endpoint(ws, &completed_only, b"sealed")
        .await
        .unwrap();
    let (_, v0) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    let saved = s
        .save_vendor_state(
            ws,
            ids[0],
            &vendor_state(&[]),
            Some(v0),
            &[event(EventType::Invited)],
        )
        .await
        .unwrap();
    assert_eq!(saved, Saved::Saved { version: v0 + 1 });
    let (now_stored, v1) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((now_stored.status, v1), (InterviewStatus::Invited, v0 + 1));
    // A second writer that read the same version loses, and writes nothing.
    let late = s
        .save_vendor_state(
            ws,
            ids[0],
            &vendor_state(&[]),
            Some(v0),
            &[event(EventType::Invited)],
        )
        .await
        .unwrap();
    assert_eq!(late, Saved::Stale);
    let events = s
        .list_events(ws, &EventFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(events.items[0].event_type, EventType::Invited);
    assert_eq!(
        s.list_deliveries(ws, all.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        s.list_deliveries(ws, completed_only.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty(),
        "not subscribed"
    );
    let (_, v1) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1, v0 + 1);
    let mut done = vendor_state(&[]);
    done.status = InterviewStatus::Completed;
    s.save_vendor_state(ws, ids[0], &done, Some(v1), &[event(EventType::Completed)])
        .await
        .unwrap();
    assert_eq!(
        s.list_deliveries(ws, completed_only.id, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let other = workspace(&s, "b").await;
    assert_eq!(
        s.save_vendor_state(other, ids[0], &done, None, &[])
            .await
            .unwrap(),
        Saved::Missing
    );
    assert!(s
        .get_event(other, events.items[0].id)
        .await
        .unwrap()
        .is_none());
}

async fn polls_are_leased_to_one_taker(db: TestDatabase) {
    let s = db.store.clone();
    let emails: Vec<String> = (0..10).map(|i| format!("p{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ws, ids) = interviews_for(&s, &refs).await;
    let past = now() - Duration::seconds(5);
    for id in &ids {
        s.reschedule_poll(ws, *id, Some(past)).await.unwrap();
    }
    // Another connection (another workspace's) with one poll due, 2 s less late.
    let (ws2, other) = interviews_for(&s, &["q@example.com"]).await;
    s.reschedule_poll(ws2, other[0], Some(past + Duration::seconds(2)))
        .await
        .unwrap();
    let conn = |ws, id| {
        let s = s.clone();
        async move {
            s.get_interview(ws, id)
                .await
                .unwrap()
                .unwrap()
                .connection_id
        }
    };
    let (c1, c2) = (conn(ws, ids[0]).await, conn(ws2, other[0]).await);
    assert_ne!(c1, c2);
    let t = now();
    let oldest = s.oldest_due_polls(t, 100).await.unwrap();
    assert_eq!(oldest.len(), 2, "one row per connection: {oldest:?}");
    assert_eq!(oldest[0].0, c1, "the longest-waiting connection first");
    assert_eq!(oldest[1].0, c2);
    assert!(
        (oldest[0].1 - past).num_milliseconds().abs() <= 1,
        "the lag is measured from the longest-waiting due poll: {:?} vs {past}",
        oldest[0].1
    );
    assert!(
        (oldest[1].1 - past - Duration::seconds(2))
            .num_milliseconds()
            .abs()
            <= 1
    );
    assert_eq!(s.oldest_due_polls(t, 1).await.unwrap().len(), 1);
    assert_eq!(
        s.oldest_due_polls(past - Duration::seconds(1), 100)
            .await
            .unwrap(),
        vec![],
        "nothing was due before then"
    );
    s.reschedule_poll(ws2, other[0], None).await.unwrap();
    let lease = t + Duration::seconds(60);
    let (a, b) = tokio::join!(
        s.lease_due_polls(t, lease, 6),
        s.lease_due_polls(t, lease, 6)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.len() + b.len(),
        10,
        "every due interview leased once: {} + {}",
        a.len(),
        b.len()
    );
    assert!(
        a.iter().all(|x| !b.contains(x)),
        "no interview leased twice"
    );
    assert!(
        s.lease_due_polls(t, lease, 10).await.unwrap().is_empty(),
        "leased ones are not due"
    );
    // A lapsed lease frees them; a future schedule does not.
    let later = lease + Duration::seconds(1);
    s.reschedule_poll(ws, ids[0], Some(later + Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(
        s.lease_due_polls(later, later + Duration::seconds(60), 20)
            .await
            .unwrap()
            .len(),
        9
    );
}

/// What a sweep's page shows beyond its own lease is leased too: of two sweeps showing the
/// same due interviews at once each gets its own share, never one another holds, and only
/// what is due by the given time, of the asked id kind and connection.
async fn listed_polls_are_leased_to_one_sweep(db: TestDatabase) {
    let s = db.store.clone();
    let emails: Vec<String> = (0..8).map(|i| format!("l{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ws, ids) = interviews_for(&s, &refs).await;
    let t = now();
    let mut vendor_ids = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let vid = format!("v-{i}");
        let mut state = vendor_state(&[("interview_id", &vid)]);
        // Six due now, one due in an hour, one never polled again.
        state.next_poll_at = match i {
            6 => Some(t + Duration::hours(1)),
            7 => None,
            _ => Some(t - Duration::seconds(1)),
        };
        s.save_vendor_state(ws, *id, &state, None, &[])
            .await
            .unwrap();
        vendor_ids.push(vid);
    }
    let connection = s
        .get_interview(ws, ids[0])
        .await
        .unwrap()
        .unwrap()
        .connection_id;
    let lease = t + Duration::seconds(60);
    // One of them is already leased (this tick's own batch, or another replica's).
    let mine = s.lease_due_polls(t, lease, 1).await.unwrap();
    assert_eq!(mine.len(), 1);
    let (a, b) = tokio::join!(
        s.lease_due_among_listed(ws, connection, ("interview_id", &vendor_ids), t, t, lease),
        s.lease_due_among_listed(ws, connection, ("interview_id", &vendor_ids), t, t, lease)
    );
    let (mut a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.iter().all(|x| !b.contains(x)),
        "none leased twice: {a:?} {b:?}"
    );
    a.extend(b);
    a.sort();
    let mut want: Vec<InterviewId> = ids[..6]
        .iter()
        .copied()
        .filter(|i| *i != mine[0].1)
        .collect();
    want.sort();
    assert_eq!(a, want, "the due ones not already held, once each");
    assert!(
        s.lease_due_among_listed(ws, connection, ("interview_id", &vendor_ids), t, t, lease)
            .await
            .unwrap()
            .is_empty(),
        "all held"
    );
    // The one due in an hour is taken when asked for what is due by then; an unknown id
    // kind or another workspace finds nothing.
    let later = t + Duration::hours(2);
    assert!(s
        .lease_due_among_listed(
            ws,
            connection,
            ("assignment_id", &vendor_ids),
            later,
            t,
            lease
        )
        .await
        .unwrap()
        .is_empty());
    let other = workspace(&s, "other-sweep").await;
    assert!(s
        .lease_due_among_listed(
            other,
            connection,
            ("interview_id", &vendor_ids),
            later,
            t,
            lease
        )
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.lease_due_among_listed(
            ws,
            connection,
            ("interview_id", &vendor_ids),
            later,
            t,
            lease
        )
        .await
        .unwrap(),
        vec![ids[6]]
    );
}

/// A sweep takes all of a template's due polls at once: only that template's, only the
/// due ones, none another holds, and none twice when two sweeps ask together.
async fn a_template_s_due_polls_are_leased_at_once(db: TestDatabase) {
    let s = db.store.clone();
    let emails: Vec<String> = (0..6).map(|i| format!("t{i}@example.com")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let (ws, ids) = interviews_for(&s, &refs).await;
    let t = now();
    for (i, id) in ids.iter().enumerate() {
        let next = if i == 5 {
            t + Duration::hours(1)
        } else {
            t - Duration::seconds(1)
        };
        s.reschedule_poll(ws, *id, Some(next)).await.unwrap();
    }
    let template = s
        .get_interview(ws, ids[0])
        .await
        .unwrap()
        .unwrap()
        .template_id;
    let lease = t + Duration::seconds(60);
    let held = s.lease_due_polls(t, lease, 1).await.unwrap();
    assert_eq!(held.len(), 1);
    let (a, b) = tokio::join!(
        s.lease_due_of_template(ws, template, t, t, lease),
        s.lease_due_of_template(ws, template, t, t, lease)
    );
    let (mut a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.iter().all(|x| !b.contains(x)),
        "none leased twice: {a:?} {b:?}"
    );
    a.extend(b);
    a.sort();
    let mut want: Vec<InterviewId> = ids[..5]
        .iter()
        .copied()
        .filter(|i| *i != held[0].1)
        .collect();
    want.sort();
    assert_eq!(a, want, "the due ones nobody held");
    // Another workspace's view of the template finds nothing; the later one comes with
    // a later horizon.
    let other = workspace(&s, "other-template").await;
    let later = t + Duration::hours(2);
    assert!(s
        .lease_due_of_template(other, template, later, t, lease)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.lease_due_of_template(ws, template, later, t, lease)
            .await
            .unwrap(),
        vec![ids[5]]
    );
}
