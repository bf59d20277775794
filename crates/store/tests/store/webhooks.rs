//! Outbound deliveries: in order per interview, gone receivers disable their endpoint, events redelivered.

use chrono::Duration;
use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    deliveries_keep_order_per_interview,
    gone_receivers_disable_their_endpoint,
    events_can_be_redelivered,
);

async fn deliveries_keep_order_per_interview(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, ids) = interviews_for(&s, &["a@example.com", "b@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    let (_, v) = s
        .get_interview_versioned(ws, ids[0])
        .await
        .unwrap()
        .unwrap();
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        Some(v),
        &[event(EventType::Invited), event(EventType::Started)],
    )
    .await
    .unwrap();
    s.save_vendor_state(
        ws,
        ids[1],
        &vendor_state(&[]),
        None,
        &[event(EventType::Invited)],
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let kinds: Vec<(InterviewId, EventType)> = due
        .iter()
        .map(|d| (d.event.interview_id.unwrap(), d.event.event_type))
        .collect();
    assert_eq!(
        kinds.len(),
        2,
        "the second event of an interview waits for the first: {kinds:?}"
    );
    assert!(
        kinds.contains(&(ids[0], EventType::Invited))
            && kinds.contains(&(ids[1], EventType::Invited))
    );
    let first = due
        .iter()
        .find(|d| d.event.interview_id == Some(ids[0]))
        .unwrap();
    assert_eq!(first.url, "https://hooks.example.com/x");
    assert_eq!(first.secret_ciphertext, b"sealed");
    // Failing with a retry later keeps the next one waiting.
    let attempt = Attempt {
        attempted_at: t,
        status: Some(500),
        error: None,
        duration_ms: 3,
    };
    s.record_attempt(
        first.id,
        &attempt,
        &DeliveryOutcome::Retry {
            at: t + Duration::hours(1),
        },
    )
    .await
    .unwrap();
    let t2 = t + Duration::seconds(31);
    assert!(s
        .lease_due_deliveries(t2, t2 + Duration::seconds(30), 10)
        .await
        .unwrap()
        .iter()
        .all(|d| d.event.interview_id != Some(ids[0])));
    // Delivered: the next one comes.
    let t3 = t + Duration::hours(2);
    let again = s
        .lease_due_deliveries(t3, t3 + Duration::seconds(30), 10)
        .await
        .unwrap();
    let retry = again
        .iter()
        .find(|d| d.event.interview_id == Some(ids[0]))
        .unwrap();
    assert_eq!(
        (retry.id, retry.attempts),
        (first.id, 1),
        "same message id across attempts"
    );
    let ok = Attempt {
        attempted_at: t3,
        status: Some(200),
        error: None,
        duration_ms: 2,
    };
    s.record_attempt(retry.id, &ok, &DeliveryOutcome::Delivered)
        .await
        .unwrap();
    let t4 = t3 + Duration::seconds(31);
    let next = s
        .lease_due_deliveries(t4, t4 + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert!(next
        .iter()
        .any(|d| d.event.interview_id == Some(ids[0]) && d.event.event_type == EventType::Started));
    let log = s
        .list_deliveries(ws, ep.id, PageRequest::first(10))
        .await
        .unwrap();
    let delivered = log.items.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!(
        (
            delivered.status.as_str(),
            delivered.attempts,
            delivered.attempt_log.len()
        ),
        ("delivered", 2, 2)
    );
    assert_eq!(delivered.attempt_log[0].status, Some(500));
    assert_eq!(s.pending_delivery_count().await.unwrap(), 2);
}

async fn gone_receivers_disable_their_endpoint(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        &[event(EventType::Invited), event(EventType::Started)],
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let gone = Attempt {
        attempted_at: t,
        status: Some(410),
        error: None,
        duration_ms: 1,
    };
    s.record_attempt(
        due[0].id,
        &gone,
        &DeliveryOutcome::DisableEndpoint {
            reason: "410".into(),
        },
    )
    .await
    .unwrap();
    let e = s.get_endpoint(ws, ep.id).await.unwrap().unwrap().endpoint;
    assert!(e.disabled_at.is_some());
    assert_eq!(
        s.pending_delivery_count().await.unwrap(),
        0,
        "its queue is dropped"
    );
    // Later events skip a disabled endpoint.
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        &[event(EventType::Completed)],
    )
    .await
    .unwrap();
    assert_eq!(s.pending_delivery_count().await.unwrap(), 0);
    // Secrets can be replaced; deleted endpoints disappear.
    assert!(s
        .set_endpoint_secret(ws, ep.id, b"new", now())
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        s.get_endpoint(ws, ep.id)
            .await
            .unwrap()
            .unwrap()
            .secret_ciphertext,
        b"new"
    );
    assert!(s.delete_endpoint(ws, ep.id, now()).await.unwrap());
    assert!(s.get_endpoint(ws, ep.id).await.unwrap().is_none());
    assert!(s
        .list_endpoints(ws, PageRequest::first(5))
        .await
        .unwrap()
        .items
        .is_empty());
}

async fn events_can_be_redelivered(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, ids) = interviews_for(&s, &["a@example.com"]).await;
    let ep = endpoint(&[]);
    s.insert_endpoint(ws, &ep, b"sealed").await.unwrap();
    let e = event(EventType::Invited);
    s.save_vendor_state(
        ws,
        ids[0],
        &vendor_state(&[]),
        None,
        std::slice::from_ref(&e),
    )
    .await
    .unwrap();
    let t = now() + Duration::seconds(1);
    let due = s
        .lease_due_deliveries(t, t + Duration::seconds(30), 10)
        .await
        .unwrap();
    let ok = Attempt {
        attempted_at: t,
        status: Some(204),
        error: None,
        duration_ms: 1,
    };
    s.record_attempt(due[0].id, &ok, &DeliveryOutcome::Delivered)
        .await
        .unwrap();
    let late = endpoint(&["interview.invited"]);
    s.insert_endpoint(ws, &late, b"sealed").await.unwrap();
    assert_eq!(
        s.redeliver_event(ws, e.id, now()).await.unwrap(),
        Some(2),
        "the old message again, and one for the new endpoint"
    );
    let again = s
        .lease_due_deliveries(
            now() + Duration::seconds(1),
            now() + Duration::seconds(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 2);
    assert!(
        again.iter().any(|d| d.id == due[0].id),
        "the redelivery keeps its webhook-id"
    );
    let other = workspace(&s, "b").await;
    assert_eq!(s.redeliver_event(other, e.id, now()).await.unwrap(), None);
}
