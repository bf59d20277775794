//! [`InterviewStore`] on both backends.
use crate::backend::for_each_backend;
use crate::page::push_keyset;

use super::row::{InterviewRow, SELECT};
use super::*;

for_each_backend! {
    #[async_trait]
    impl InterviewStore for Backend {
        async fn insert_interviews(&self, ws: WorkspaceId, rows: &[NewInterview]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            for n in rows {
                Self::insert_interview_in(&mut tx, ws, n, None).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn insert_pending(
            &self,
            ws: WorkspaceId,
            candidates: &[CandidateInput],
            rows: &mut [NewInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<Vec<Slot>> {
            if candidates.len() != rows.len() {
                return Err(StoreError::Internal("one interview per candidate".into()));
            }
            // Two requests creating the same new person or the same open interview race to
            // its insert; the loser's transaction is rolled back whole and, on its next try,
            // finds the winner's row.
            let mut tries = 0;
            loop {
                tries += 1;
                match self.try_insert_pending(ws, candidates, rows, at).await {
                    Err(StoreError::Conflict(_)) if tries < 3 => continue,
                    other => return other,
                }
            }
        }

        async fn get_interview(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<Option<Interview>> {
            let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.id = $2");
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn list_interviews(
            &self,
            ws: WorkspaceId,
            f: &InterviewFilter,
            page: PageRequest,
        ) -> StoreResult<Page<Interview>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(SELECT);
            qb.push(" WHERE i.workspace_id = ").push_bind(ws.as_uuid());
            if let Some(t) = f.template_id {
                qb.push(" AND i.template_id = ").push_bind(t.as_uuid());
            }
            if let Some(c) = f.candidate_id {
                qb.push(" AND i.candidate_id = ").push_bind(c.as_uuid());
            }
            if let Some(s) = f.status {
                qb.push(" AND i.status = ").push_bind(s.as_str());
            }
            if let Some(u) = f.updated_after {
                qb.push(" AND i.updated_at > ").push_bind(u);
            }
            if let Some(e) = &f.external_id {
                qb.push(" AND i.external_id = ").push_bind(e.clone());
            }
            if let Some((key, value)) = &f.metadata {
                Backend::push_metadata_eq(&mut qb, key, value);
            }
            push_keyset(&mut qb, "i.id", page);
            let rows: Vec<InterviewRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let items = page.items.into_iter().map(Interview::try_from).collect::<StoreResult<_>>()?;
            Ok(Page { items, next_after: page.next_after })
        }

        async fn get_interview_versioned(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<Option<(Interview, i64)>> {
            let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.id = $2");
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| {
                let version = r.version;
                Interview::try_from(r).map(|i| (i, version))
            })
            .transpose()
        }

        async fn save_vendor_state(
            &self,
            ws: WorkspaceId,
            id: InterviewId,
            s: &VendorState,
            expected_version: Option<i64>,
            events: &[NewEvent],
        ) -> StoreResult<Saved> {
            let mut tx = self.begin_write().await?;
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE interviews SET status = ");
            qb.push_bind(s.status.as_str())
                .push(", outcome = ").push_bind(s.outcome.map(Outcome::as_str))
                .push(", interview_url = ").push_bind(s.interview_url.clone())
                .push(", provider_refs = ").push_bind(Json(s.provider_refs.clone()))
                .push(", result = ").push_bind(s.result.clone().map(Json))
                .push(", error = ").push_bind(s.error.clone())
                .push(", remote_data = ").push_bind(Json(s.remote_data.clone()))
                .push(", updated_at = ").push_bind(s.synced_at)
                .push(", last_synced_at = ").push_bind(s.synced_at)
                .push(", next_poll_at = ").push_bind(s.next_poll_at)
                // An ended row frees its candidate's place; a retake holds its place only
                // until the vendor confirms it.
                .push(", open_key = CASE WHEN ").push_bind(s.status.is_terminal())
                .push(" THEN NULL WHEN open_key = 'retake' AND ").push_bind(s.status != InterviewStatus::Pending)
                .push(" THEN NULL ELSE open_key END")
                .push(", poll_leased_until = NULL, version = version + 1 WHERE workspace_id = ").push_bind(ws.as_uuid())
                .push(" AND id = ").push_bind(id.as_uuid())
                // Checked on the row itself (not through its candidate), so a write that waited
                // on an erasure's row lock re-reads it and stops.
                .push(" AND erased_at IS NULL");
            if let Some(v) = expected_version {
                qb.push(" AND version = ").push_bind(v);
            }
            qb.push(" RETURNING connection_id, version");
            let row: Option<(Uuid, i64)> = qb.build_query_as().fetch_optional(&mut *tx).await?;
            let Some((connection_id, version)) = row else {
                drop(tx);
                let exists: Option<(i64,)> = sqlx::query_as("SELECT version FROM interviews WHERE workspace_id = $1 AND id = $2 AND erased_at IS NULL")
                    .bind(ws.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?;
                return Ok(if exists.is_some() { Saved::Stale } else { Saved::Missing });
            };
            for (kind, vendor_id) in &s.provider_refs {
                // A new mapping answers with its row; only an existing one needs reading.
                let inserted: Option<(Uuid,)> = sqlx::query_as(
                    "INSERT INTO provider_mappings (connection_id, kind, vendor_id, workspace_id,
                         resource_type, resource_id, created_at)
                     VALUES ($1, $2, $3, $4, 'interview', $5, $6)
                     ON CONFLICT (connection_id, kind, vendor_id) DO NOTHING
                     RETURNING resource_id",
                )
                .bind(connection_id)
                .bind(kind)
                .bind(vendor_id)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .bind(s.synced_at)
                .fetch_optional(&mut *tx)
                .await?;
                let owner = match inserted {
                    Some((owner,)) => owner,
                    None => {
                        let (owner,): (Uuid,) = sqlx::query_as(
                            "SELECT resource_id FROM provider_mappings
                             WHERE connection_id = $1 AND kind = $2 AND vendor_id = $3",
                        )
                        .bind(connection_id)
                        .bind(kind)
                        .bind(vendor_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        owner
                    }
                };
                if owner != id.as_uuid() {
                    return Err(StoreError::Conflict(format!(
                        "vendor {kind} `{vendor_id}` already belongs to {}",
                        InterviewId::from_uuid(owner)
                    )));
                }
            }
            Backend::insert_events(&mut tx, ws, id, events).await?;
            tx.commit().await?;
            Ok(Saved::Saved { version })
        }

        async fn lease_due_polls(
            &self,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
            limit: i64,
        ) -> StoreResult<Vec<(WorkspaceId, InterviewId)>> {
            // SKIP LOCKED (Postgres): replicas polling at once each take different rows.
            let sql = format!(
                "UPDATE interviews SET poll_leased_until = $2
                 WHERE id IN (
                     SELECT id FROM interviews
                     WHERE next_poll_at <= $1 AND (poll_leased_until IS NULL OR poll_leased_until < $1)
                       AND erased_at IS NULL
                     ORDER BY next_poll_at LIMIT $3{}
                 )
                 RETURNING workspace_id, id",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(|(w, i)| (WorkspaceId::from_uuid(w), InterviewId::from_uuid(i))).collect())
        }

        async fn oldest_due_polls(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(ConnectionId, DateTime<Utc>)>> {
            // Only due rows are grouped, through the partial index on next_poll_at.
            let rows: Vec<(Uuid, DateTime<Utc>)> = sqlx::query_as(
                "SELECT connection_id, MIN(next_poll_at) AS due FROM interviews
                 WHERE next_poll_at IS NOT NULL AND next_poll_at <= $1
                 GROUP BY connection_id ORDER BY due LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(|(c, due)| (ConnectionId::from_uuid(c), due)).collect())
        }

        async fn lease_due_of_template(
            &self,
            ws: WorkspaceId,
            template: TemplateId,
            due_by: DateTime<Utc>,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
        ) -> StoreResult<Vec<InterviewId>> {
            let sql = format!(
                "UPDATE interviews SET poll_leased_until = $5
                 WHERE id IN (
                     SELECT id FROM interviews
                     WHERE workspace_id = $1 AND template_id = $2 AND erased_at IS NULL
                       AND next_poll_at IS NOT NULL AND next_poll_at <= $3
                       AND (poll_leased_until IS NULL OR poll_leased_until < $4){}
                 )
                 RETURNING id",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let rows: Vec<(Uuid,)> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(template.as_uuid())
                .bind(due_by)
                .bind(now)
                .bind(lease_until)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(|(id,)| InterviewId::from_uuid(id)).collect())
        }

        async fn lease_due_among_listed(
            &self,
            ws: WorkspaceId,
            connection: ConnectionId,
            listed: (&str, &[String]),
            due_by: DateTime<Utc>,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
        ) -> StoreResult<Vec<InterviewId>> {
            let (kind, vendor_ids) = listed;
            if vendor_ids.is_empty() {
                return Ok(Vec::new());
            }
            // Leased like `lease_due_polls` (SKIP LOCKED on Postgres), so of several replicas
            // whose pages show the same interview exactly one settles it.
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE interviews SET poll_leased_until = ");
            qb.push_bind(lease_until)
                .push(" WHERE id IN (SELECT id FROM interviews WHERE workspace_id = ")
                .push_bind(ws.as_uuid())
                .push(" AND connection_id = ").push_bind(connection.as_uuid())
                .push(" AND erased_at IS NULL AND next_poll_at IS NOT NULL AND next_poll_at <= ")
                .push_bind(due_by)
                .push(" AND (poll_leased_until IS NULL OR poll_leased_until < ")
                .push_bind(now)
                .push(") AND id IN (SELECT resource_id FROM provider_mappings WHERE resource_type = 'interview' AND workspace_id = ")
                .push_bind(ws.as_uuid())
                .push(" AND connection_id = ").push_bind(connection.as_uuid())
                .push(" AND kind = ").push_bind(kind.to_string())
                .push(" AND vendor_id IN (");
            let mut ids = qb.separated(", ");
            for v in vendor_ids {
                ids.push_bind(v.clone());
            }
            qb.push("))").push(Backend::SKIP_LOCKED).push(") RETURNING id");
            let mut tx = self.begin_write().await?;
            let rows: Vec<(Uuid,)> = qb.build_query_as().fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(|(id,)| InterviewId::from_uuid(id)).collect())
        }

        async fn reschedule_poll(&self, ws: WorkspaceId, id: InterviewId, next_poll_at: Option<DateTime<Utc>>) -> StoreResult<()> {
            sqlx::query("UPDATE interviews SET next_poll_at = $3, poll_leased_until = NULL WHERE workspace_id = $1 AND id = $2 AND erased_at IS NULL")
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .bind(next_poll_at)
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn delete_pending_interview(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<bool> {
            let done = sqlx::query(
                "DELETE FROM interviews WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }
}
