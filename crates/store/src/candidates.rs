use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::candidate::normalize_email;
use gateway_core::{Candidate, CandidateId, CandidateInput, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateFilter {
    pub email: Option<String>,
    pub external_id: Option<String>,
}

#[async_trait]
pub trait CandidateStore: Send + Sync {
    /// Find the person and refresh the fields given, or create them.
    ///
    /// With an `external_id`, the candidate with that id is the match; failing that, one
    /// with the same email and no external id adopts it. Without one, the newest candidate
    /// with that email is the match. Given fields overwrite, absent ones are kept.
    async fn upsert_candidate(
        &self,
        ws: WorkspaceId,
        input: &CandidateInput,
        at: DateTime<Utc>,
    ) -> StoreResult<Candidate>;
    async fn get_candidate(
        &self,
        ws: WorkspaceId,
        id: CandidateId,
    ) -> StoreResult<Option<Candidate>>;
    async fn list_candidates(
        &self,
        ws: WorkspaceId,
        filter: &CandidateFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Candidate>>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct CandidateRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub resume_url: Option<String>,
    pub metadata: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

impl From<CandidateRow> for Candidate {
    fn from(r: CandidateRow) -> Self {
        Candidate {
            id: CandidateId::from_uuid(r.id),
            email: r.email,
            name: r.name,
            first_name: r.first_name,
            last_name: r.last_name,
            phone: r.phone,
            external_id: r.external_id,
            resume_url: r.resume_url,
            metadata: r.metadata.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            erased_at: r.erased_at,
        }
    }
}

const COLUMNS: &str = "id, email, name, first_name, last_name, phone, external_id, resume_url, \
     metadata, created_at, updated_at, erased_at";

for_each_backend! {
    impl Backend {
        async fn try_upsert_candidate(
            &self,
            ws: WorkspaceId,
            input: &CandidateInput,
            at: DateTime<Utc>,
        ) -> StoreResult<Candidate> {
            let mut tx = self.begin_write().await?;
            let candidate = Self::upsert_candidate_in(&mut tx, ws, input, at).await?;
            tx.commit().await?;
            Ok(candidate)
        }

        /// The upsert, inside the caller's transaction (so an invitation can store the
        /// candidate and its pending interview with one commit).
        pub(crate) async fn upsert_candidate_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            input: &CandidateInput,
            at: DateTime<Utc>,
        ) -> StoreResult<Candidate> {
            let email = normalize_email(&input.email);
            // A new person, the usual invitation, costs one statement: the insert runs only
            // when none of the lookups below would find a candidate to update.
            if let Some(row) = Self::insert_if_new(tx, ws, input, &email, at).await? {
                return Ok(row.into());
            }
            let mut existing: Option<(Uuid,)> = None;
            if let Some(ext) = &input.external_id {
                existing = sqlx::query_as(
                    "SELECT id FROM candidates WHERE workspace_id = $1 AND external_id = $2 AND erased_at IS NULL",
                )
                .bind(ws.as_uuid())
                .bind(ext)
                .fetch_optional(&mut **tx)
                .await?;
            }
            if existing.is_none() {
                // Prefer a candidate without an external id: with one given, only such a
                // candidate may adopt it.
                let only_unclaimed = if input.external_id.is_some() { " AND external_id IS NULL" } else { "" };
                let sql = format!(
                    "SELECT id FROM candidates WHERE workspace_id = $1 AND email = $2 AND erased_at IS NULL{only_unclaimed}
                     ORDER BY (external_id IS NULL) DESC, id DESC LIMIT 1"
                );
                existing = sqlx::query_as(&sql)
                    .bind(ws.as_uuid())
                    .bind(&email)
                    .fetch_optional(&mut **tx)
                    .await?;
            }
            // `insert_if_new` saw someone these lookups do not (candidates are never deleted,
            // and an erased one holds no email or external id, so only a change between the
            // two statements): the caller retries from the start.
            let Some((id,)) = existing else {
                return Err(StoreError::Conflict(
                    "the candidate changed while it was being saved; retry".into(),
                ));
            };
            let sql = format!(
                "UPDATE candidates SET
                     email = $3,
                     name = COALESCE($4, name),
                     first_name = COALESCE($5, first_name),
                     last_name = COALESCE($6, last_name),
                     phone = COALESCE($7, phone),
                     external_id = COALESCE($8, external_id),
                     resume_url = COALESCE($9, resume_url),
                     metadata = COALESCE($10, metadata),
                     updated_at = $11
                 WHERE workspace_id = $1 AND id = $2 AND erased_at IS NULL
                 RETURNING {COLUMNS}"
            );
            let row: Option<CandidateRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id)
                .bind(&email)
                .bind(input.display_name())
                .bind(&input.first_name)
                .bind(&input.last_name)
                .bind(&input.phone)
                .bind(&input.external_id)
                .bind(&input.resume_url)
                .bind(input.metadata.as_ref().map(Json))
                .bind(at)
                .fetch_optional(&mut **tx)
                .await?;
            // Erased while this waited on its row lock: the person is a new candidate now,
            // which the caller's retry creates (the tombstone is never written back to).
            let Some(row) = row else {
                return Err(StoreError::Conflict(
                    "the candidate was erased while it was being saved; retry".into(),
                ));
            };
            Ok(row.into())
        }

        /// Insert the candidate unless one exists that the upsert would update instead: the
        /// same external id, or the same email (unclaimed only, when an external id is given).
        async fn insert_if_new(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            input: &CandidateInput,
            email: &str,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<CandidateRow>> {
            let (only_unclaimed, no_external) = if input.external_id.is_some() {
                (
                    " AND external_id IS NULL",
                    " AND NOT EXISTS (SELECT 1 FROM candidates WHERE workspace_id = $2 AND external_id = $8)",
                )
            } else {
                ("", "")
            };
            let sql = format!(
                "INSERT INTO candidates (id, workspace_id, email, name, first_name, last_name,
                     phone, external_id, resume_url, metadata, created_at, updated_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11
                 WHERE NOT EXISTS (SELECT 1 FROM candidates WHERE workspace_id = $2 AND email = $3{only_unclaimed}){no_external}
                 RETURNING {COLUMNS}"
            );
            let empty = serde_json::Value::Object(Default::default());
            Ok(sqlx::query_as(&sql)
                .bind(CandidateId::new().as_uuid())
                .bind(ws.as_uuid())
                .bind(email)
                .bind(input.display_name())
                .bind(&input.first_name)
                .bind(&input.last_name)
                .bind(&input.phone)
                .bind(&input.external_id)
                .bind(&input.resume_url)
                .bind(Json(input.metadata.as_ref().unwrap_or(&empty)))
                .bind(at)
                .fetch_optional(&mut **tx)
                .await?)
        }
    }

    #[async_trait]
    impl CandidateStore for Backend {
        async fn upsert_candidate(
            &self,
            ws: WorkspaceId,
            input: &CandidateInput,
            at: DateTime<Utc>,
        ) -> StoreResult<Candidate> {
            // Two requests creating the same new person race to the insert; the loser hits
            // the unique index and, on its second try, finds the winner's row.
            match self.try_upsert_candidate(ws, input, at).await {
                Err(StoreError::Conflict(_)) => self.try_upsert_candidate(ws, input, at).await,
                other => other,
            }
        }

        async fn get_candidate(&self, ws: WorkspaceId, id: CandidateId) -> StoreResult<Option<Candidate>> {
            let sql = format!("SELECT {COLUMNS} FROM candidates WHERE workspace_id = $1 AND id = $2");
            let row: Option<CandidateRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(Into::into))
        }

        async fn list_candidates(
            &self,
            ws: WorkspaceId,
            filter: &CandidateFilter,
            page: PageRequest,
        ) -> StoreResult<Page<Candidate>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {COLUMNS} FROM candidates WHERE workspace_id = "
            ));
            qb.push_bind(ws.as_uuid());
            if let Some(email) = &filter.email {
                qb.push(" AND email = ").push_bind(normalize_email(email));
            }
            if let Some(ext) = &filter.external_id {
                qb.push(" AND external_id = ").push_bind(ext.clone());
            }
            push_keyset(&mut qb, "id", page);
            let rows: Vec<CandidateRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(Into::into))
        }
    }
}
