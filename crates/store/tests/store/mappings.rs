//! Mappings between our ids and the vendor's, written with vendor state, rolled back on conflict.

use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(vendor_state_writes_mappings, conflicting_mapping_rolls_back,);

async fn vendor_state_writes_mappings(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, conn, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let row = pending(&t, alex.id);
    s.insert_interviews(ws, std::slice::from_ref(&row))
        .await
        .unwrap();
    let mut state = vendor_state(&[("interview_id", "int_1"), ("ingestion_id", "ing_9")]);
    state.result = Some(InterviewResult {
        score: Score::new(4.0, 5.0),
        ..Default::default()
    });
    let saved = save(&s, ws, row.id, &state).await.unwrap().unwrap();
    assert_eq!(saved.status, InterviewStatus::Invited);
    assert_eq!(saved.result.unwrap().score.unwrap().normalized, 80.0);
    assert_eq!(saved.last_synced_at, Some(state.synced_at));
    let m = s
        .find_mapping(conn, "interview_id", "int_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (m.workspace_id, m.resource_id, m.resource_type.as_str()),
        (ws, row.id.as_uuid(), "interview")
    );
    assert!(s
        .find_mapping(conn, "interview_id", "int_2")
        .await
        .unwrap()
        .is_none());
    // Saving the same refs again is fine.
    save(&s, ws, row.id, &state).await.unwrap().unwrap();
    // Unknown interview, or another workspace's: nothing to update.
    let other = workspace(&s, "b").await;
    assert_eq!(save(&s, other, row.id, &state).await.unwrap(), None);
}

async fn conflicting_mapping_rolls_back(db: TestDatabase) {
    let s = db.store.clone();
    let (ws, _, t) = fixture(&s).await;
    let alex = s
        .upsert_candidate(ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    let first = pending(&t, alex.id);
    let second = pending(&t, alex.id);
    s.insert_interviews(ws, &[first.clone(), second.clone()])
        .await
        .unwrap();
    save(
        &s,
        ws,
        first.id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await
    .unwrap();
    let err = save(
        &s,
        ws,
        second.id,
        &vendor_state(&[("interview_id", "int_1")]),
    )
    .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let second_now = s.get_interview(ws, second.id).await.unwrap().unwrap();
    assert_eq!(
        second_now.status,
        InterviewStatus::Pending,
        "the update rolled back with the mapping"
    );
}
