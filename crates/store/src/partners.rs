//! ATS partner contracts: the requests an ATS made (and the completion callback owed for
//! each), the errors it reported about our answers, and the templates hidden from it.
//!
//! A partner is named by a short string (`greenhouse`); nothing here knows what any one ATS
//! means by its fields.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{InterviewId, TemplateId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::page::{push_keyset, Page, PageRequest};

/// What an ATS asks for, keyed by its own identity of the request.
#[derive(Debug, Clone)]
pub struct PartnerRequestIn<'a> {
    pub partner: &'a str,
    pub request_key: &'a str,
    pub template_id: TemplateId,
    pub callback_url: &'a str,
    pub profile_url: Option<&'a str>,
}

/// How a claim on a request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This caller sends it: a new request, or one whose earlier sender died mid-send.
    Claimed(Uuid),
    /// Already sent: the interview it made.
    Done(InterviewId),
    /// Another caller is sending it right now.
    Busy,
}

/// One request as stored, for operators.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerRequest {
    pub id: Uuid,
    pub partner: String,
    pub template_id: TemplateId,
    pub interview_id: Option<InterviewId>,
    pub callback_url: String,
    pub profile_url: Option<String>,
    /// `waiting` (until the interview completes), `sent`, `failed` (retries exhausted).
    pub callback_status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub notified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A completion callback that is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DueCallback {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub partner: String,
    pub callback_url: String,
    pub attempts: i32,
}

/// How one callback attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackOutcome {
    Sent {
        status: u16,
    },
    Retry {
        status: Option<u16>,
        error: String,
        at: DateTime<Utc>,
    },
    GaveUp {
        status: Option<u16>,
        error: String,
    },
}

/// What an ATS reported as wrong with one of our answers.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerError {
    pub id: Uuid,
    pub partner: String,
    pub api_call: String,
    pub errors: Vec<String>,
    pub partner_test_id: Option<String>,
    pub partner_interview_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait PartnerStore: Send + Sync {
    /// Claim the request for sending until `claim_until`, or find what an earlier send made.
    async fn claim_partner_request(
        &self,
        ws: WorkspaceId,
        req: &PartnerRequestIn<'_>,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
    ) -> StoreResult<Claim>;
    /// The claimed request made `interview`.
    async fn attach_partner_request(
        &self,
        ws: WorkspaceId,
        id: Uuid,
        interview: InterviewId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The claimed send failed without making anything: the ATS may send it again.
    async fn release_partner_request(&self, ws: WorkspaceId, id: Uuid) -> StoreResult<()>;
    async fn list_partner_requests(
        &self,
        ws: WorkspaceId,
        partner: &str,
        page: PageRequest,
    ) -> StoreResult<Page<PartnerRequest>>;
    /// Lease callbacks whose interview completed with a result and that are due.
    /// Workspace-crossing by design: the worker serves every tenant.
    async fn lease_due_callbacks(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DueCallback>>;
    async fn finish_callback(
        &self,
        id: Uuid,
        outcome: &CallbackOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn record_partner_error(&self, ws: WorkspaceId, e: &PartnerError) -> StoreResult<()>;
    async fn list_partner_errors(
        &self,
        ws: WorkspaceId,
        partner: &str,
        page: PageRequest,
    ) -> StoreResult<Page<PartnerError>>;
    /// Hide (`true`) or show a template to a partner; answers whether anything changed.
    async fn set_template_hidden(
        &self,
        ws: WorkspaceId,
        partner: &str,
        template: TemplateId,
        hidden: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn hidden_templates(
        &self,
        ws: WorkspaceId,
        partner: &str,
    ) -> StoreResult<Vec<TemplateId>>;
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Uuid,
    interview_id: Option<Uuid>,
    claimed_until: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    partner: String,
    template_id: Uuid,
    interview_id: Option<Uuid>,
    callback_url: String,
    profile_url: Option<String>,
    callback_status: String,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_status: Option<i32>,
    last_error: Option<String>,
    notified_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<RequestRow> for PartnerRequest {
    fn from(r: RequestRow) -> Self {
        PartnerRequest {
            id: r.id,
            partner: r.partner,
            template_id: TemplateId::from_uuid(r.template_id),
            interview_id: r.interview_id.map(InterviewId::from_uuid),
            callback_url: r.callback_url,
            profile_url: r.profile_url,
            callback_status: r.callback_status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
            notified_at: r.notified_at,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    workspace_id: Uuid,
    partner: String,
    callback_url: String,
    attempts: i32,
}

#[derive(sqlx::FromRow)]
struct ErrorRow {
    id: Uuid,
    partner: String,
    api_call: String,
    errors: Json<Vec<String>>,
    partner_test_id: Option<String>,
    partner_interview_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<ErrorRow> for PartnerError {
    fn from(r: ErrorRow) -> Self {
        PartnerError {
            id: r.id,
            partner: r.partner,
            api_call: r.api_call,
            errors: r.errors.0,
            partner_test_id: r.partner_test_id,
            partner_interview_id: r.partner_interview_id,
            created_at: r.created_at,
        }
    }
}

const REQUEST_COLUMNS: &str = "id, partner, template_id, interview_id, callback_url, profile_url, \
     callback_status, attempts, next_attempt_at, last_status, last_error, notified_at, created_at";

for_each_backend! {
    #[async_trait]
    impl PartnerStore for Backend {
        async fn claim_partner_request(
            &self,
            ws: WorkspaceId,
            req: &PartnerRequestIn<'_>,
            now: DateTime<Utc>,
            claim_until: DateTime<Utc>,
        ) -> StoreResult<Claim> {
            let id = Uuid::now_v7();
            let inserted = sqlx::query(
                "INSERT INTO partner_requests (id, workspace_id, partner, request_key, template_id,
                     callback_url, profile_url, claimed_until, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                 ON CONFLICT (workspace_id, partner, request_key) DO NOTHING",
            )
            .bind(id)
            .bind(ws.as_uuid())
            .bind(req.partner)
            .bind(req.request_key)
            .bind(req.template_id.as_uuid())
            .bind(req.callback_url)
            .bind(req.profile_url)
            .bind(claim_until)
            .bind(now)
            .execute(self.writer())
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Claimed(id));
            }
            let Some(row): Option<ClaimRow> = sqlx::query_as(
                "SELECT id, interview_id, claimed_until FROM partner_requests
                 WHERE workspace_id = $1 AND partner = $2 AND request_key = $3",
            )
            .bind(ws.as_uuid())
            .bind(req.partner)
            .bind(req.request_key)
            .fetch_optional(self.writer())
            .await?
            else {
                // Released between our insert and our read: the caller retries.
                return Ok(Claim::Busy);
            };
            if let Some(done) = row.interview_id {
                return Ok(Claim::Done(InterviewId::from_uuid(done)));
            }
            if row.claimed_until.is_some_and(|until| until >= now) {
                return Ok(Claim::Busy);
            }
            // The claim lapsed: its sender died. Take it over, compare-and-set so two
            // retries cannot both take it.
            let taken = sqlx::query(
                "UPDATE partner_requests SET claimed_until = $3, callback_url = $4, profile_url = $5, updated_at = $6
                 WHERE workspace_id = $1 AND id = $2 AND interview_id IS NULL
                   AND (claimed_until IS NULL OR claimed_until < $6)",
            )
            .bind(ws.as_uuid())
            .bind(row.id)
            .bind(claim_until)
            .bind(req.callback_url)
            .bind(req.profile_url)
            .bind(now)
            .execute(self.writer())
            .await?;
            Ok(if taken.rows_affected() == 1 { Claim::Claimed(row.id) } else { Claim::Busy })
        }

        async fn attach_partner_request(&self, ws: WorkspaceId, id: Uuid, interview: InterviewId, at: DateTime<Utc>) -> StoreResult<()> {
            sqlx::query(
                "UPDATE partner_requests SET interview_id = $3, claimed_until = NULL, updated_at = $4
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.as_uuid())
            .bind(id)
            .bind(interview.as_uuid())
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn release_partner_request(&self, ws: WorkspaceId, id: Uuid) -> StoreResult<()> {
            sqlx::query("DELETE FROM partner_requests WHERE workspace_id = $1 AND id = $2 AND interview_id IS NULL")
                .bind(ws.as_uuid())
                .bind(id)
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn list_partner_requests(&self, ws: WorkspaceId, partner: &str, page: PageRequest) -> StoreResult<Page<PartnerRequest>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {REQUEST_COLUMNS} FROM partner_requests WHERE workspace_id = "
            ));
            qb.push_bind(ws.as_uuid()).push(" AND partner = ").push_bind(partner.to_string());
            push_keyset(&mut qb, "id", page);
            let rows: Vec<RequestRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(PartnerRequest::from))
        }

        async fn lease_due_callbacks(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> StoreResult<Vec<DueCallback>> {
            let sql = format!(
                "UPDATE partner_requests SET leased_until = $2
                 WHERE id IN (
                     SELECT r.id FROM partner_requests r
                     WHERE r.callback_status = 'waiting' AND r.interview_id IS NOT NULL
                       AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= $1)
                       AND (r.leased_until IS NULL OR r.leased_until < $1)
                       AND EXISTS (SELECT 1 FROM interviews i
                                   WHERE i.id = r.interview_id AND i.status = 'completed'
                                     AND i.result IS NOT NULL)
                     ORDER BY r.created_at LIMIT $3{}
                 )
                 RETURNING id, workspace_id, partner, callback_url, attempts",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let rows: Vec<DueRow> = sqlx::query_as(&sql).bind(now).bind(lease_until).bind(limit).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok(rows
                .into_iter()
                .map(|r| DueCallback {
                    id: r.id,
                    workspace_id: WorkspaceId::from_uuid(r.workspace_id),
                    partner: r.partner,
                    callback_url: r.callback_url,
                    attempts: r.attempts,
                })
                .collect())
        }

        async fn finish_callback(&self, id: Uuid, outcome: &CallbackOutcome, at: DateTime<Utc>) -> StoreResult<()> {
            let (status, last_status, error, next, notified) = match outcome {
                CallbackOutcome::Sent { status } => ("sent", Some(*status), None, None, Some(at)),
                CallbackOutcome::Retry { status, error, at: next } => ("waiting", *status, Some(error.as_str()), Some(*next), None),
                CallbackOutcome::GaveUp { status, error } => ("failed", *status, Some(error.as_str()), None, None),
            };
            sqlx::query(
                "UPDATE partner_requests SET callback_status = $2, attempts = attempts + 1, last_status = $3,
                     last_error = $4, next_attempt_at = $5, notified_at = $6, leased_until = NULL, updated_at = $7
                 WHERE id = $1",
            )
            .bind(id)
            .bind(status)
            .bind(last_status.map(i32::from))
            .bind(error)
            .bind(next)
            .bind(notified)
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn record_partner_error(&self, ws: WorkspaceId, e: &PartnerError) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO partner_errors (id, workspace_id, partner, api_call, errors, partner_test_id,
                     partner_interview_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(e.id)
            .bind(ws.as_uuid())
            .bind(&e.partner)
            .bind(&e.api_call)
            .bind(Json(&e.errors))
            .bind(&e.partner_test_id)
            .bind(&e.partner_interview_id)
            .bind(e.created_at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn list_partner_errors(&self, ws: WorkspaceId, partner: &str, page: PageRequest) -> StoreResult<Page<PartnerError>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT id, partner, api_call, errors, partner_test_id, partner_interview_id, created_at
                 FROM partner_errors WHERE workspace_id = ",
            );
            qb.push_bind(ws.as_uuid()).push(" AND partner = ").push_bind(partner.to_string());
            push_keyset(&mut qb, "id", page);
            let rows: Vec<ErrorRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(PartnerError::from))
        }

        async fn set_template_hidden(&self, ws: WorkspaceId, partner: &str, template: TemplateId, hidden: bool, at: DateTime<Utc>) -> StoreResult<bool> {
            let done = if hidden {
                sqlx::query(
                    "INSERT INTO partner_hidden_templates (workspace_id, partner, template_id, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(ws.as_uuid())
                .bind(partner)
                .bind(template.as_uuid())
                .bind(at)
                .execute(self.writer())
                .await?
            } else {
                sqlx::query("DELETE FROM partner_hidden_templates WHERE workspace_id = $1 AND partner = $2 AND template_id = $3")
                    .bind(ws.as_uuid())
                    .bind(partner)
                    .bind(template.as_uuid())
                    .execute(self.writer())
                    .await?
            };
            Ok(done.rows_affected() == 1)
        }

        async fn hidden_templates(&self, ws: WorkspaceId, partner: &str) -> StoreResult<Vec<TemplateId>> {
            let rows: Vec<(Uuid,)> = sqlx::query_as(
                "SELECT template_id FROM partner_hidden_templates WHERE workspace_id = $1 AND partner = $2",
            )
            .bind(ws.as_uuid())
            .bind(partner)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(|(id,)| TemplateId::from_uuid(id)).collect())
        }
    }
}
