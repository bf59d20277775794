//! InterviewFlowAI (`shared/vendor-docs/interviewflowai-ingest.md`,
//! `interviewflowai-fetch.txt`, notes.md): candidates are ingested into an interviewer's
//! pipeline, many in one call, and fetched back by page, by interview id, or by
//! `additionalFields`. Response bodies and webhook payloads are not published: they are
//! read tolerantly and kept whole as `remote_data`.
//!
//! Template refs: `{kind: "interviewer", id: <interviewer id>}` (the API cannot list
//! interviewers, so they are linked). Interview ref: `interview_id`. Every ingested
//! candidate carries `additionalFields.gateway_interview_id` (the gateway's interview id)
//! so the exact-match filter finds it even when ingest does not answer ids. Settings:
//! `ingest_status` (`shortlisted`/`draft`), `check_interviewer_id`. Candidate
//! `metadata.interviewflowai` may carry `{skills, additionalFields, metadata}`.

pub mod translate;
pub mod wire;

use async_trait::async_trait;
use gateway_core::page::RemotePage;
use gateway_core::provider::{
    validate_common_settings, CheckReport, ConnectionContext, CredentialField, InboundEvent,
    InboundRequest, InterviewLocator, InviteCandidate, InviteOptions, InviteOutcome, Provider,
    ProviderDescriptor, RemoteInterview, RemoteTemplate,
};
use gateway_core::{Capabilities, FieldError, ProviderError, ProviderRef, TemplateStatus};
use http::{HeaderName, Method};
use provider_http::{
    Call, EgressPolicy, Failure, Outcomes, RetryPolicy, Safety, VendorApi, VendorHttp,
};
use serde_json::{Map, Value};

pub const NAME: &str = "interviewflowai";
pub const DEFAULT_BASE_URL: &str = "https://api.interviewflowai.com";
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// Candidates per fetch page the adapter asks for.
const PAGE_LIMIT: u32 = 50;
/// Fetch pages read to find one ingest call's candidates (the call is at most 1000).
const MAX_RESOLVE_PAGES: u32 = 20;

pub struct InterviewFlowAi {
    http: VendorHttp,
    descriptor: ProviderDescriptor,
}

impl Default for InterviewFlowAi {
    fn default() -> Self {
        Self::new(RetryPolicy::default(), EgressPolicy::PUBLIC_ONLY)
    }
}

impl InterviewFlowAi {
    /// `egress` decides which addresses the client may call (see `provider_http::egress`).
    pub fn new(policy: RetryPolicy, egress: EgressPolicy) -> Self {
        Self::on(&VendorHttp::new(NAME, 0, policy, egress))
    }

    /// On the gateway's shared client: its pool, outbound budget and bulkheads.
    pub fn on(base: &VendorHttp) -> Self {
        Self {
            http: base
                .for_provider(NAME, 0)
                .describing_failures(|status, body| {
                    provider_http::vendor_said(&translate::error(status, body, None, &[]))
                }),
            descriptor: ProviderDescriptor {
                name: NAME,
                display_name: "InterviewFlowAI",
                default_base_url: DEFAULT_BASE_URL,
                credentials: vec![CredentialField {
                    field: "api_key",
                    secret: true,
                    required: true,
                    description: "InterviewFlowAI API key, sent as X-API-KEY",
                }],
                capabilities: Capabilities {
                    create_template: false,
                    update_template: false,
                    list_templates: false,
                    invite: true,
                    batch_invite: true,
                    get_interview: true,
                    list_interviews: true,
                    results: true,
                    transcript: false,
                    recordings: false,
                    webhook_registration: false,
                    inbound_webhooks: true,
                    passthrough: true,
                    // No cancel call in the vendor's docs.
                    cancel: false,
                },
            },
        }
    }

    /// `POST /api/external/fetch/candidates`: a read, so safe to retry.
    async fn fetch(
        &self,
        ctx: &ConnectionContext,
        body: &wire::FetchBody,
    ) -> Result<Value, ProviderError> {
        let call = Call::new(
            "fetch_candidates",
            Method::POST,
            self.endpoint(ctx, &["fetch", "candidates"]),
        )
        .json(body)?
        .safety(Safety::Safe);
        self.call(ctx, call, &[]).await
    }

    /// The candidates one ingest call created, by correlation id, read back through the
    /// batch tag (when ingest did not answer their ids).
    async fn resolve_batch(
        &self,
        ctx: &ConnectionContext,
        interviewer: &str,
        batch: &str,
        wanted: usize,
    ) -> Vec<Value> {
        let mut found = Vec::new();
        for page in 1..=MAX_RESOLVE_PAGES {
            let mut filter = Map::new();
            filter.insert(translate::BATCH_FIELD.into(), Value::String(batch.into()));
            let body = wire::FetchBody {
                interviewer_id: interviewer.into(),
                page: Some(page),
                limit: Some(PAGE_LIMIT),
                additional_fields: Some(filter),
                ..Default::default()
            };
            let Ok(answer) = self.fetch(ctx, &body).await else {
                break;
            };
            let (items, more) = translate::fetch_page(&answer, page, PAGE_LIMIT);
            found.extend(items);
            if !more || found.len() >= wanted {
                break;
            }
        }
        found
    }
}

/// InterviewFlowAI's own plumbing: `X-API-KEY`, paths under `/api/external`, errors whose
/// `data[k]` fields name the `k`th candidate sent.
impl VendorApi for InterviewFlowAi {
    /// Which of the caller's candidates the call sent, in order.
    type CallContext = [usize];

    fn http(&self) -> &VendorHttp {
        &self.http
    }

    fn path_prefix(&self) -> &'static [&'static str] {
        &["api", "external"]
    }

    fn auth_header(&self, ctx: &ConnectionContext) -> Result<(HeaderName, String), ProviderError> {
        Ok((API_KEY, ctx.credential("api_key")?.to_string()))
    }

    fn error_response(&self, f: Failure<'_>, sent: &[usize]) -> ProviderError {
        translate::error(f.status, f.body, f.retry_after, sent)
    }
}

#[async_trait]
impl Provider for InterviewFlowAi {
    fn descriptor(&self) -> &ProviderDescriptor {
        &self.descriptor
    }

    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>> {
        let mut errors = validate_common_settings(
            settings,
            &[
                translate::INGEST_STATUS_SETTING,
                translate::CHECK_INTERVIEWER_SETTING,
            ],
        )
        .err()
        .unwrap_or_default();
        errors.extend(translate::validate_settings(settings));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validate_template_ref(&self, template: &ProviderRef) -> Result<(), Vec<FieldError>> {
        translate::validate_ref(template)
    }

    fn auth_headers(
        &self,
        ctx: &ConnectionContext,
    ) -> Result<Vec<(HeaderName, String)>, ProviderError> {
        Ok(vec![self.auth_header(ctx)?])
    }

    fn parse_inbound(
        &self,
        request: InboundRequest<'_>,
    ) -> Result<Vec<InboundEvent>, ProviderError> {
        translate::inbound(request.body).map(|e| vec![e])
    }

    /// The API has no who-am-I: a one-row fetch for the configured interviewer (or for none)
    /// tells a refused key (401/403) from an accepted one.
    async fn check(&self, ctx: &ConnectionContext) -> Result<CheckReport, ProviderError> {
        let configured = ctx
            .settings
            .get(translate::CHECK_INTERVIEWER_SETTING)
            .and_then(Value::as_str);
        let body = wire::FetchBody {
            interviewer_id: configured
                .unwrap_or("00000000-0000-0000-0000-000000000000")
                .into(),
            page: Some(1),
            limit: Some(1),
            ..Default::default()
        };
        match self.fetch(ctx, &body).await {
            Ok(_) => Ok(CheckReport { detail: format!("authenticated; interviewer {} readable", body.interviewer_id) }),
            Err(ProviderError::NotFound { .. } | ProviderError::Rejected { status: Some(400), .. }) if configured.is_none() => Ok(CheckReport {
                detail: "authenticated (the key was accepted; set settings.check_interviewer_id to also check an interviewer)".into(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Confirms the interviewer exists (a one-row fetch). Its name is not in the API: the
    /// link's `name` is used, else a placeholder naming the id.
    async fn get_template(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
    ) -> Result<RemoteTemplate, ProviderError> {
        let body = wire::FetchBody {
            interviewer_id: template.id.clone(),
            page: Some(1),
            limit: Some(1),
            ..Default::default()
        };
        self.fetch(ctx, &body).await.map_err(|e| match e {
            ProviderError::NotFound { message } => ProviderError::NotFound {
                message: format!(
                    "{message}: no interviewer `{}` for this InterviewFlowAI key",
                    template.id
                ),
            },
            e => e,
        })?;
        Ok(RemoteTemplate {
            provider_ref: template.clone(),
            name: format!("InterviewFlowAI interviewer {}", template.id),
            description: None,
            status: TemplateStatus::Active,
            steps: Vec::new(),
            raw: serde_json::json!({"interviewerId": template.id}),
        })
    }

    /// One ingest call for the whole batch.
    async fn invite(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        candidates: &[InviteCandidate],
        options: &InviteOptions,
    ) -> Result<Vec<InviteOutcome>, ProviderError> {
        translate::check_options(options)?;
        let batch = uuid::Uuid::now_v7().simple().to_string();
        let mut outcomes = Outcomes::new(candidates.len());
        let mut sent = Vec::new();
        let mut data = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            match translate::ingest_candidate(c, i, options, &batch) {
                Ok(d) => {
                    sent.push(i);
                    data.push(d);
                }
                Err(e) => outcomes.set(i, Err(e)),
            }
        }
        if !sent.is_empty() {
            let body = wire::IngestBody {
                status: ctx
                    .settings
                    .get(translate::INGEST_STATUS_SETTING)
                    .and_then(Value::as_str)
                    .map(str::to_string),
                interviewer_id: template.id.clone(),
                data,
            };
            // Ingesting twice would invite twice: sent once, never after a timeout or 5xx.
            let call = Call::new(
                "ingest_candidates",
                Method::POST,
                self.endpoint(ctx, &["ingest", "candidates"]),
            )
            .json(&body)?;
            match self.call(ctx, call, &sent).await {
                Err(e) => {
                    outcomes.fail_all(&sent, &e);
                }
                Ok(answer) => {
                    let report = translate::ingest_report(&answer);
                    let mut unresolved = Vec::new();
                    for &i in &sent {
                        let email = candidates[i].email.trim().to_lowercase();
                        if let Some((_, reason)) = report.skipped.iter().find(|(e, _)| *e == email)
                        {
                            outcomes.set(
                                i,
                                Err(ProviderError::Rejected {
                                    status: Some(200),
                                    code: Some("skipped".into()),
                                    message: reason.clone(),
                                    errors: vec![FieldError::new(
                                        format!("candidates[{i}].email"),
                                        reason.clone(),
                                    )],
                                }),
                            );
                        } else if let Some((_, Some(_), item)) =
                            report.ingested.iter().find(|(e, _, _)| *e == email)
                        {
                            let mut r = translate::interview(item.clone());
                            r.status = r.status.or(Some(gateway_core::InterviewStatus::Invited));
                            outcomes.set(i, Ok(r));
                        } else {
                            unresolved.push(i);
                        }
                    }
                    if !unresolved.is_empty() {
                        // Ingest said nothing about these ids: read them back by the batch tag.
                        let found = self
                            .resolve_batch(ctx, &template.id, &batch, unresolved.len())
                            .await;
                        for i in unresolved {
                            let c = &candidates[i];
                            let hit = found
                                .iter()
                                .find(|f| translate::correlation(f) == Some(c.correlation_id));
                            let r = match hit {
                                Some(raw) => translate::interview(raw.clone()),
                                // Ingested (the call succeeded) but not yet readable: no ids;
                                // a later sync finds it by the gateway id it carries.
                                None => RemoteInterview {
                                    status: Some(gateway_core::InterviewStatus::Invited),
                                    candidate_email: Some(c.email.trim().to_string()),
                                    raw: answer.clone(),
                                    ..Default::default()
                                },
                            };
                            outcomes.set(i, Ok(r));
                        }
                    }
                }
            }
        }
        Ok(outcomes.finish())
    }

    /// By interview id when known, else by the gateway id the candidate was tagged with.
    async fn get_interview(
        &self,
        ctx: &ConnectionContext,
        locator: InterviewLocator<'_>,
    ) -> Result<RemoteInterview, ProviderError> {
        let interviewer = locator.template.id.clone();
        if let Some(id) = locator.refs.get(translate::INTERVIEW_ID) {
            let body = wire::FetchBody {
                interviewer_id: interviewer,
                interview_id: Some(id.clone()),
                ..Default::default()
            };
            let answer = self.fetch(ctx, &body).await?;
            let (items, _) = translate::fetch_page(&answer, 1, 1);
            let hit = items
                .into_iter()
                .map(translate::interview)
                .find(|r| r.refs.get(translate::INTERVIEW_ID).is_none_or(|x| x == id));
            return hit.ok_or_else(|| ProviderError::NotFound {
                message: format!("no InterviewFlowAI interview {id}"),
            });
        }
        let mut filter = Map::new();
        filter.insert(
            translate::CORRELATION_FIELD.into(),
            Value::String(locator.correlation_id.to_string()),
        );
        let body = wire::FetchBody {
            interviewer_id: interviewer,
            page: Some(1),
            limit: Some(10),
            additional_fields: Some(filter),
            ..Default::default()
        };
        let answer = self.fetch(ctx, &body).await?;
        let (items, _) = translate::fetch_page(&answer, 1, 10);
        items
            .into_iter()
            .find(|raw| translate::correlation(raw) == Some(locator.correlation_id))
            .map(translate::interview)
            .ok_or_else(|| ProviderError::NotFound {
                message: format!(
                    "no InterviewFlowAI candidate tagged {}",
                    locator.correlation_id
                ),
            })
    }

    async fn list_interviews(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        page: Option<&str>,
    ) -> Result<RemotePage<RemoteInterview>, ProviderError> {
        let page = match page {
            None => 1,
            Some(p) => p.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                ProviderError::invalid("page", "not an InterviewFlowAI page token")
            })?,
        };
        let body = wire::FetchBody {
            interviewer_id: template.id.clone(),
            page: Some(page),
            limit: Some(PAGE_LIMIT),
            ..Default::default()
        };
        let answer = self.fetch(ctx, &body).await?;
        let (items, more) = translate::fetch_page(&answer, page, PAGE_LIMIT);
        Ok(RemotePage {
            items: items.into_iter().map(translate::interview).collect(),
            next: more.then(|| (page + 1).to_string()),
        })
    }
}
