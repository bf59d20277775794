use thiserror::Error;

/// Store failures, already sorted by what the caller should do about them.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A constraint refused the write (duplicate, dangling reference): the caller's fault,
    /// answered as 409, never as an internal error.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached right now (pool timeout, connection refused).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that does not decode: a bug or a hand-edited row.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &err {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation => Self::Conflict(db.message().to_string()),
                // 57P01..03: admin shutdown / crash shutdown / cannot connect now;
                // 08xxx: connection exceptions.
                _ if db
                    .code()
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")) =>
                {
                    Self::Unavailable(db.message().to_string())
                }
                _ => Self::Internal(db.message().to_string()),
            },
            // A broken conversation (`Protocol`) is what a connection cut mid-handshake
            // looks like — e.g. a pooler or proxy in front of a database that is down — so it
            // is an outage to retry, not a bug to page about.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(err.to_string()),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Corrupt(err.to_string())
            }
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        match err {
            sqlx::migrate::MigrateError::Execute(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
