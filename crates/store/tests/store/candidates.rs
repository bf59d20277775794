//! Candidates: one per email or external id, however upserts race.

use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    candidates_upsert_by_email,
    candidates_upsert_by_external_id,
    concurrent_upserts_make_one_candidate,
);

async fn candidates_upsert_by_email(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let first = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                email: "Alex@Example.com".into(),
                first_name: Some("Alex".into()),
                last_name: Some("Doe".into()),
                phone: Some("+1".into()),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(first.email, "alex@example.com");
    assert_eq!(first.name.as_deref(), Some("Alex Doe"));
    let again = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                resume_url: Some("https://cv".into()),
                ..person("ALEX@example.com ")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.phone.as_deref(), Some("+1"), "absent fields are kept");
    assert_eq!(again.resume_url.as_deref(), Some("https://cv"));
    let other_ws = workspace(&s, "b").await;
    let elsewhere = s
        .upsert_candidate(other_ws, &person("alex@example.com"), now())
        .await
        .unwrap();
    assert_ne!(elsewhere.id, first.id, "workspaces never share candidates");
    let found = s
        .list_candidates(
            ws,
            &CandidateFilter {
                email: Some("ALEX@EXAMPLE.COM".into()),
                ..Default::default()
            },
            PageRequest::first(5),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(s.get_candidate(other_ws, first.id).await.unwrap(), None);
}

async fn candidates_upsert_by_external_id(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let by_email = s
        .upsert_candidate(ws, &person("sam@example.com"), now())
        .await
        .unwrap();
    // An external id adopts the email-only candidate…
    let adopted = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-1".into()),
                ..person("sam@example.com")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(adopted.id, by_email.id);
    assert_eq!(adopted.external_id.as_deref(), Some("ats-1"));
    // …and then follows the person through an email change.
    let moved = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-1".into()),
                ..person("sam@new.example")
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(moved.id, by_email.id);
    assert_eq!(moved.email, "sam@new.example");
    // A different external id with the same email is a different person.
    let twin = s
        .upsert_candidate(
            ws,
            &CandidateInput {
                external_id: Some("ats-2".into()),
                ..person("sam@new.example")
            },
            now(),
        )
        .await
        .unwrap();
    assert_ne!(twin.id, by_email.id);
}

async fn concurrent_upserts_make_one_candidate(db: TestDatabase) {
    let s = db.store.clone();
    let ws = workspace(&s, "a").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.upsert_candidate(ws, &person("race@example.com"), now())
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one person, one candidate: {ids:?}");
}
