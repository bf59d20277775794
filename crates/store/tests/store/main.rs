//! The store suite, run against every backend: each test gets a fresh Postgres schema and a
//! fresh SQLite file (see `gateway_store::testing`). One module per store module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Each named test, once on Postgres (`<module>::postgres::<name>`) and once on SQLite
/// (`<module>::sqlite::<name>`); a test takes its `TestDatabase` (the store and its URL).
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = gateway_store::testing::postgres().await.expect("a Postgres test schema");
                    super::$name(db).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = gateway_store::testing::sqlite().await.expect("a SQLite test file");
                    super::$name(db).await;
                }
            )*
        }
    };
}

mod fixtures;

mod api_keys;
mod backend;
mod call_log;
mod candidates;
mod connections;
mod console_sessions;
mod erasure;
mod gateway_secrets;
mod idempotency;
mod inbound;
mod interviews;
mod lifecycle;
mod mappings;
mod outbound_budget;
mod retention;
#[cfg(unix)]
mod sqlite_files;
mod templates;
mod webhooks;
mod workspaces;
