//! The outbound budget's sliding log in the database (issue 17), on both backends, and
//! three stores on one Postgres taking slots at once never taking more than the cap.

use std::time::Duration;

use gateway_core::{ConnectionId, WorkspaceId};
use gateway_store::testing::TestDatabase;
use gateway_store::*;

store_tests!(counts_calls_in_the_window_and_says_when_a_slot_frees);

async fn counts_calls_in_the_window_and_says_when_a_slot_frees(db: TestDatabase) {
    let store = db.store;
    let (ws, conn) = (WorkspaceId::new(), ConnectionId::new());
    let window = Duration::from_millis(600);
    for n in 1..=3 {
        let t = store.take_outbound_slot(ws, conn, 3, window).await.unwrap();
        assert_eq!(t, SlotTake::Granted(n));
    }
    let SlotTake::Wait(w) = store.take_outbound_slot(ws, conn, 3, window).await.unwrap() else {
        panic!("a fourth call fit a cap of three");
    };
    assert!(w <= window && w > Duration::ZERO, "{w:?}");
    // A lower cap (background work) is refused too; another connection is not.
    assert!(matches!(
        store.take_outbound_slot(ws, conn, 2, window).await.unwrap(),
        SlotTake::Wait(_)
    ));
    assert_eq!(
        store
            .take_outbound_slot(ws, ConnectionId::new(), 3, window)
            .await
            .unwrap(),
        SlotTake::Granted(1)
    );
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    assert_eq!(
        store.take_outbound_slot(ws, conn, 3, window).await.unwrap(),
        SlotTake::Granted(1)
    );
}

/// Three replicas' stores race for 20 slots with 60 calls each: exactly 20 are granted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_stores_on_one_postgres_never_overspend() {
    let db = gateway_store::testing::postgres().await.unwrap();
    let mut stores = vec![db.store.clone()];
    for _ in 0..2 {
        stores.push(connect(&db.url, Default::default()).await.unwrap());
    }
    let (ws, conn) = (WorkspaceId::new(), ConnectionId::new());
    let mut tasks = Vec::new();
    for store in stores {
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut granted = 0;
                for _ in 0..15 {
                    if let SlotTake::Granted(_) = store
                        .take_outbound_slot(ws, conn, 20, Duration::from_secs(60))
                        .await
                        .unwrap()
                    {
                        granted += 1;
                    }
                }
                granted
            }));
        }
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 20);
}
