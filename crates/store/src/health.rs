//! Readiness: can we reach the database, and is its schema current?

use async_trait::async_trait;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// One round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Apply the embedded migrations not yet applied.
    async fn migrate(&self) -> StoreResult<()>;
    /// Versions of embedded migrations the database has not applied.
    async fn pending_migrations(&self) -> StoreResult<Vec<i64>>;
}

for_each_backend! {
    use sqlx::migrate::Migrate as _;

    fn migrator() -> &'static sqlx::migrate::Migrator {
        if std::any::type_name::<Db>().contains("Postgres") {
            &crate::backend::POSTGRES_MIGRATIONS
        } else {
            &crate::backend::SQLITE_MIGRATIONS
        }
    }

    #[async_trait]
    impl HealthStore for Backend {
        async fn ping(&self) -> StoreResult<()> {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        async fn migrate(&self) -> StoreResult<()> {
            migrator().run(self.writer()).await?;
            Ok(())
        }

        async fn pending_migrations(&self) -> StoreResult<Vec<i64>> {
            // Creates the migrations table when missing: a write.
            let mut conn = self.writer().acquire().await?;
            conn.ensure_migrations_table().await?;
            let applied = conn.list_applied_migrations().await?;
            Ok(migrator()
                .iter()
                .filter(|m| !m.migration_type.is_down_migration())
                .filter(|m| !applied.iter().any(|a| a.version == m.version))
                .map(|m| m.version)
                .collect())
        }
    }
}
