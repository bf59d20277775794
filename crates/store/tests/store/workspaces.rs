//! Workspaces.

use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(workspaces_page_newest_first,);

async fn workspaces_page_newest_first(db: TestDatabase) {
    let s = db.store.clone();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(workspace(&s, &format!("w{i}")).await);
    }
    ids.reverse();
    let first = s.list_workspaces(PageRequest::first(2)).await.unwrap();
    assert_eq!(
        first.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let second = s
        .list_workspaces(PageRequest {
            limit: 2,
            after: first.next_after,
        })
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[2..4]
    );
    let third = s
        .list_workspaces(PageRequest {
            limit: 2,
            after: second.next_after,
        })
        .await
        .unwrap();
    assert_eq!(
        third.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        ids[4..]
    );
    assert_eq!(third.next_after, None);
    let got = s.get_workspace(ids[0]).await.unwrap().unwrap();
    assert_eq!(got.name, "w4");
}
