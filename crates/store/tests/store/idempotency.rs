//! Idempotency keys: begin, complete, replay, expire, take over.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(idempotency_key_lifecycle, idempotency_expiry_and_takeover,);

async fn idempotency_key_lifecycle(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let t = now();
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"other", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );
    // Keys are per workspace.
    let other = workspace(&s, "b").await;
    assert_eq!(
        s.begin_idempotent(other, "k1", b"x", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    s.complete_idempotent(ws, "k1", 201, b"{\"id\":1}")
        .await
        .unwrap();
    assert_eq!(
        s.begin_idempotent(ws, "k1", b"hash", times(t))
            .await
            .unwrap(),
        IdempotencyBegin::Completed {
            status: 201,
            body: b"{\"id\":1}".to_vec()
        }
    );
    // Released keys run again.
    assert_eq!(
        s.begin_idempotent(ws, "k2", b"h", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
    s.release_idempotent(ws, "k2").await.unwrap();
    assert_eq!(
        s.begin_idempotent(ws, "k2", b"h2", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
}

async fn idempotency_expiry_and_takeover(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let t = now();
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(t)).await.unwrap(),
        IdempotencyBegin::Started
    );
    // The owner never finished: after its lock lapses one retry takes over.
    let later = t + Duration::seconds(31);
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(later))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        s.begin_idempotent(ws, "k", b"h", times(later))
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    s.complete_idempotent(ws, "k", 200, b"done").await.unwrap();
    // After the retention window the key is free for any body.
    let next_day = t + Duration::hours(25);
    assert_eq!(
        s.begin_idempotent(ws, "k", b"new", times(next_day))
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(s.purge_expired_idempotency(next_day).await.unwrap(), 0);
    assert_eq!(
        s.purge_expired_idempotency(next_day + Duration::hours(25))
            .await
            .unwrap(),
        1
    );
}
