//! The schema: migrations applied, constraint violations answered as conflicts.

use gateway_core::time::now;
use gateway_core::*;
use gateway_store::testing::TestDatabase;
use gateway_store::*;

use crate::fixtures::*;

store_tests!(
    migrations_are_all_applied,
    constraint_violations_are_conflicts,
);

async fn migrations_are_all_applied(db: TestDatabase) {
    let s = db.store.clone();
    s.ping().await.unwrap();
    assert_eq!(s.pending_migrations().await.unwrap(), Vec::<i64>::new());
    // Running them again is a no-op.
    s.migrate().await.unwrap();
}

async fn constraint_violations_are_conflicts(db: TestDatabase) {
    let s = db.store.clone();
    let w = Workspace {
        id: WorkspaceId::new(),
        name: "a".into(),
        created_at: now(),
    };
    s.insert_workspace(&w).await.unwrap();
    assert!(matches!(
        s.insert_workspace(&w).await,
        Err(StoreError::Conflict(_))
    ));
    let empty = Workspace {
        id: WorkspaceId::new(),
        name: String::new(),
        created_at: now(),
    };
    assert!(matches!(
        s.insert_workspace(&empty).await,
        Err(StoreError::Conflict(_))
    ));
    // A connection in a workspace that does not exist.
    let err = s
        .insert_connection(WorkspaceId::new(), &connection("heymilo"), b"x")
        .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
}
