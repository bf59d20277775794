//! An invitation's rows: candidate upserts and pending interviews holding the open place.

use super::row::{open_key, InterviewRow};
use super::*;
use crate::backend::for_each_backend;

for_each_backend! {
    impl Backend {
        pub(crate) async fn try_insert_pending(
            &self,
            ws: WorkspaceId,
            candidates: &[CandidateInput],
            rows: &mut [NewInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<Vec<Slot>> {
            // Candidates are locked in address order, whatever the request's order: two batches
            // sharing people then wait for each other instead of deadlocking.
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by_cached_key(|&i| gateway_core::candidate::normalize_email(&candidates[i].email));
            let mut tx = self.begin_write().await?;
            let mut slots: Vec<Option<Slot>> = vec![None; candidates.len()];
            for i in order {
                let person = Self::upsert_candidate_in(&mut tx, ws, &candidates[i], at).await?;
                rows[i].candidate_id = person.id;
                slots[i] = Some(match Self::answering_in(&mut tx, ws, &rows[i]).await? {
                    Some(open) => Slot::Open(open),
                    None => {
                        Self::insert_interview_in(&mut tx, ws, &rows[i], open_key(&rows[i])).await?;
                        Slot::New(person)
                    }
                });
            }
            tx.commit().await?;
            slots
                .into_iter()
                .map(|p| p.ok_or_else(|| StoreError::Internal("a candidate was skipped".into())))
                .collect()
        }

        /// The interview that already answers this invitation, if any: the one with its
        /// `external_id`; for a retake, the candidate's unconfirmed retake on the template;
        /// otherwise the candidate's newest open interview there.
        pub(crate) async fn answering_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            n: &NewInterview,
        ) -> StoreResult<Option<Interview>> {
            if let Some(ext) = &n.external_id {
                let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.external_id = $2");
                let row: Option<InterviewRow> = sqlx::query_as(&sql)
                    .bind(ws.as_uuid())
                    .bind(ext)
                    .fetch_optional(&mut **tx)
                    .await?;
                if let Some(r) = row {
                    return Ok(Some(r.try_into()?));
                }
            }
            let which = if n.retake {
                "i.open_key = 'retake'"
            } else {
                "i.status IN ('pending', 'invited', 'in_progress', 'evaluating')"
            };
            let sql = format!(
                "{SELECT} WHERE i.workspace_id = $1 AND i.template_id = $2 AND i.candidate_id = $3
                 AND {which} ORDER BY i.created_at DESC, i.id DESC LIMIT 1"
            );
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(n.template_id.as_uuid())
                .bind(n.candidate_id.as_uuid())
                .fetch_optional(&mut **tx)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        pub(crate) async fn insert_interview_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            n: &NewInterview,
            open_key: Option<&'static str>,
        ) -> StoreResult<()> {
            // Template, connection and candidate must all be this workspace's.
            let done = sqlx::query(
                "INSERT INTO interviews (id, workspace_id, template_id, connection_id, candidate_id,
                     provider, status, invite_options, created_at, updated_at, next_poll_at,
                     external_id, metadata, retake, open_key)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14
                 WHERE EXISTS (SELECT 1 FROM templates WHERE id = $3 AND workspace_id = $2 AND connection_id = $4)
                   AND EXISTS (SELECT 1 FROM candidates WHERE id = $5 AND workspace_id = $2 AND erased_at IS NULL)",
            )
            .bind(n.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(n.template_id.as_uuid())
            .bind(n.connection_id.as_uuid())
            .bind(n.candidate_id.as_uuid())
            .bind(&n.provider)
            .bind(n.status.as_str())
            .bind(Json(&n.invite_options))
            .bind(n.created_at)
            .bind(n.next_poll_at)
            .bind(&n.external_id)
            .bind(Json(&n.metadata))
            .bind(n.retake)
            .bind(open_key)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "template or candidate does not exist in this workspace".into(),
                ));
            }
            Ok(())
        }
    }

}
