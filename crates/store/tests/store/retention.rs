//! Retention: old results and remote data stripped, recent kept; one lease holder.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;
use serde_json::json;

use crate::erasure::*;

store_tests!(
    retention_strips_old_data_and_keeps_recent,
    retention_lease_has_one_holder,
);

async fn retention_strips_old_data_and_keeps_recent(db: TestDatabase) {
    let s = db.store;
    let w = world(&s).await;
    let old_at = now() - Duration::days(40);
    let (_, old) = interviewed(&s, &w, &Person::new("olga"), old_at).await;
    let (_, recent) = interviewed(&s, &w, &Person::new("rita"), now()).await;
    let cutoff = now() - Duration::days(30);

    // Events of the old interview still waiting to be delivered are kept until sent.
    assert_eq!(s.strip_event_payloads(cutoff, now(), 10).await.unwrap(), 0);
    let due = s
        .lease_due_deliveries(
            now() + Duration::seconds(1),
            now() + Duration::minutes(1),
            100,
        )
        .await
        .unwrap();
    for d in &due {
        let attempt = Attempt {
            attempted_at: now(),
            status: Some(200),
            error: None,
            duration_ms: 3,
        };
        s.record_attempt(d.id, &attempt, &DeliveryOutcome::Delivered)
            .await
            .unwrap();
    }

    // In batches of one: each call takes one row and a row is never taken twice.
    assert_eq!(s.strip_results(cutoff, 1).await.unwrap(), 1);
    assert_eq!(s.strip_results(cutoff, 1).await.unwrap(), 0);
    // Old remote_data, then the old processed receipt (pending ones wait).
    assert_eq!(s.strip_remote_data(cutoff, 10).await.unwrap(), 1);
    let pending = s
        .pending_receipts(now() + Duration::days(1), 100)
        .await
        .unwrap();
    for r in &pending {
        s.finish_receipt(r.id, ReceiptStatus::Processed, None, now())
            .await
            .unwrap();
    }
    assert_eq!(s.strip_remote_data(cutoff, 10).await.unwrap(), 1);
    assert_eq!(s.strip_remote_data(cutoff, 10).await.unwrap(), 0);
    assert_eq!(s.strip_event_payloads(cutoff, now(), 10).await.unwrap(), 1);
    assert_eq!(s.strip_event_payloads(cutoff, now(), 10).await.unwrap(), 0);

    let o = s.get_interview(w.ws, old.id).await.unwrap().unwrap();
    assert!(o.result.is_none() && o.remote_data == json!({}));
    assert_eq!(
        (o.status, o.interview_url.clone()),
        (old.status, old.interview_url.clone())
    );
    let r = s.get_interview(w.ws, recent.id).await.unwrap().unwrap();
    assert_eq!(r, recent);
    let old_events = s
        .list_events(
            w.ws,
            &EventFilter {
                interview_id: Some(old.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(old_events[0].data["redacted"], true);
    assert!(old_events[0].data["interview"].get("result").is_none());
    let recent_events = s
        .list_events(
            w.ws,
            &EventFilter {
                interview_id: Some(recent.id),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items;
    assert!(recent_events[0].data["interview"]["result"]["transcript"].is_array());
    let receipts: Vec<_> = [pending[0].id, pending[1].id].into();
    let mut payloads = Vec::new();
    for id in receipts {
        payloads.push(s.get_receipt(id).await.unwrap().unwrap().payload);
    }
    assert_eq!(payloads.iter().filter(|p| **p == json!({})).count(), 1);
}

async fn retention_lease_has_one_holder(db: TestDatabase) {
    let s = db.store;
    let t = now();
    let until = t + Duration::minutes(5);
    // Three replicas at once: one wins.
    let (a, b, c) = tokio::join!(
        s.lease_job("retention", "a", t, until),
        s.lease_job("retention", "b", t, until),
        s.lease_job("retention", "c", t, until),
    );
    let won: Vec<bool> = vec![a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let holder = ["a", "b", "c"][won.iter().position(|w| *w).unwrap()];
    let other = if holder == "a" { "b" } else { "a" };
    // The holder renews; others wait for it to lapse, then take over.
    assert!(s.lease_job("retention", holder, t, until).await.unwrap());
    assert!(!s
        .lease_job("retention", other, t + Duration::minutes(1), until)
        .await
        .unwrap());
    let later = until + Duration::seconds(1);
    assert!(s
        .lease_job("retention", other, later, later + Duration::minutes(5))
        .await
        .unwrap());
    assert!(!s
        .lease_job("retention", holder, later, later + Duration::minutes(5))
        .await
        .unwrap());
    // Another job's lease is its own.
    assert!(s.lease_job("other-job", holder, t, until).await.unwrap());
}
