//! HeyMilo (`shared/vendor-docs/heymilo.md`): postings are templates, candidates are
//! ingested into a posting's `url_key`, interviews are read back with scores, scorecards,
//! transcripts and recordings, and webhooks are registered through the API.
//!
//! Refs this adapter sets: templates are `{kind: "posting", id: posting_id, url_key}`, the
//! `url_key` being HeyMilo's own part of the ref (`posting_ref`);
//! interviews carry `refs["interview_id"]`.

pub mod posting_ref;
mod result;
pub mod translate;
pub mod wire;

use async_trait::async_trait;
use gateway_core::candidate::is_plausible_email;
use gateway_core::page::RemotePage;
use gateway_core::provider::{
    CheckReport, ConnectionContext, CredentialField, InboundEvent, InboundRequest,
    InterviewLocator, InviteCandidate, InviteOptions, InviteOutcome, Provider, ProviderDescriptor,
    RemoteInterview, RemoteTemplate, RemoteWebhook,
};
use gateway_core::{Capabilities, ProviderError, ProviderRef};
use http::{HeaderName, Method};
use provider_http::{
    Call, EgressPolicy, Failure, Outcomes, RetryPolicy, Safety, VendorApi, VendorHttp,
};
use serde_json::Value;
use url::Url;

pub use posting_ref::POSTING;
pub use translate::INTERVIEW_ID;

pub const NAME: &str = "heymilo";
pub const DEFAULT_BASE_URL: &str = "https://api.heymilo.network";
/// "300 requests per minute per API key": the outbound limit every connection starts with.
pub const DOCUMENTED_LIMIT_PER_MINUTE: u32 = 300;
/// Candidates per bulk ingest. The document sets no maximum; bounding each request keeps
/// it well inside one attempt's timeout and a rejected chunk small.
pub const BULK_CHUNK: usize = 250;
/// Page size for listings (the document's default is 10; larger pages mean fewer calls
/// against the 300/min budget).
const PAGE_LIMIT: u32 = 100;
/// Listings stop here, whatever `total_pages` claims.
const MAX_PAGES: u32 = 1000;

const API_KEY: HeaderName = HeaderName::from_static("x-api-key");

pub struct HeyMilo {
    http: VendorHttp,
    descriptor: ProviderDescriptor,
}

impl Default for HeyMilo {
    fn default() -> Self {
        Self::new(RetryPolicy::default(), EgressPolicy::PUBLIC_ONLY)
    }
}

impl HeyMilo {
    /// `egress` decides which addresses the client may call (see `provider_http::egress`).
    pub fn new(policy: RetryPolicy, egress: EgressPolicy) -> Self {
        Self::on(&VendorHttp::new(
            NAME,
            DOCUMENTED_LIMIT_PER_MINUTE,
            policy,
            egress,
        ))
    }

    /// On the gateway's shared client: its pool, outbound budget and bulkheads.
    pub fn on(base: &VendorHttp) -> Self {
        Self {
            http: base
                .for_provider(NAME, DOCUMENTED_LIMIT_PER_MINUTE)
                .describing_failures(|status, body| {
                    provider_http::vendor_said(&translate::error(status, body, None))
                }),
            descriptor: ProviderDescriptor {
                name: NAME,
                display_name: "HeyMilo",
                default_base_url: DEFAULT_BASE_URL,
                credentials: vec![CredentialField {
                    field: "api_key",
                    secret: true,
                    required: true,
                    description: "HeyMilo API key, sent as X-API-KEY",
                }],
                capabilities: Capabilities {
                    create_template: false,
                    update_template: false,
                    list_templates: true,
                    invite: true,
                    batch_invite: true,
                    get_interview: true,
                    list_interviews: true,
                    results: true,
                    transcript: true,
                    recordings: true,
                    webhook_registration: true,
                    inbound_webhooks: true,
                    passthrough: true,
                    // No cancel call in the vendor's docs.
                    cancel: false,
                },
            },
        }
    }

    /// `GET /api/health`.
    pub async fn health(&self, ctx: &ConnectionContext) -> Result<wire::Health, ProviderError> {
        Ok(self
            .call_typed(
                ctx,
                Call::get("health", self.endpoint(ctx, &["health"])),
                &(),
            )
            .await?
            .0)
    }

    /// One page of `GET /api/postings`.
    pub async fn postings_page(
        &self,
        ctx: &ConnectionContext,
        page: u32,
        limit: u32,
    ) -> Result<wire::PostingsPage, ProviderError> {
        let mut url = self.endpoint(ctx, &["postings"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("limit", &limit.to_string());
        Ok(self
            .call_typed(ctx, Call::get("list_postings", url), &())
            .await?
            .0)
    }

    /// `POST /api/interviews/export/json`: HeyMilo writes a JSON file and answers its URL.
    pub async fn export_json(
        &self,
        ctx: &ConnectionContext,
        posting_id: &str,
    ) -> Result<wire::ExportJob, ProviderError> {
        // Starting an export twice only makes a second file: safe to retry.
        let call = Call::new(
            "export_json",
            Method::POST,
            self.endpoint(ctx, &["interviews", "export", "json"]),
        )
        .json(&wire::ExportRequest { posting_id })?
        .safety(Safety::Safe);
        Ok(self.call_typed(ctx, call, &()).await?.0)
    }

    /// `GET /api/webhook/fetch/{webhook_id}`.
    pub async fn fetch_webhook(
        &self,
        ctx: &ConnectionContext,
        webhook_id: &str,
    ) -> Result<RemoteWebhook, ProviderError> {
        let (w, raw) = self
            .call_typed::<wire::Webhook>(
                ctx,
                Call::get(
                    "fetch_webhook",
                    self.endpoint(ctx, &["webhook", "fetch", webhook_id]),
                ),
                &(),
            )
            .await?;
        Ok(translate::webhook(w, raw))
    }

    /// `GET /api/webhook/all`, optionally filtered. The response shape is not documented: a
    /// list of webhooks, bare or under a `webhooks`/`data` key, is accepted.
    pub async fn list_webhooks(
        &self,
        ctx: &ConnectionContext,
        posting_id: Option<&str>,
        event_type: Option<&str>,
    ) -> Result<Vec<RemoteWebhook>, ProviderError> {
        let mut url = self.endpoint(ctx, &["webhook", "all"]);
        if let Some(p) = posting_id {
            url.query_pairs_mut().append_pair("posting_id", p);
        }
        if let Some(e) = event_type {
            url.query_pairs_mut().append_pair("event_type", e);
        }
        let (body, _) = self
            .call_typed::<Value>(ctx, Call::get("list_webhooks", url), &())
            .await?;
        let items = match &body {
            Value::Array(a) => a.clone(),
            Value::Object(o) => o
                .get("webhooks")
                .or_else(|| o.get("data"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(items
            .into_iter()
            .filter_map(|raw| {
                serde_json::from_value::<wire::Webhook>(raw.clone())
                    .ok()
                    .map(|w| translate::webhook(w, raw))
            })
            .collect())
    }

    async fn create_webhook(
        &self,
        ctx: &ConnectionContext,
        posting_id: &str,
        url: &str,
        event_type: &str,
    ) -> Result<RemoteWebhook, ProviderError> {
        let call = Call::new(
            "create_webhook",
            Method::POST,
            self.endpoint(ctx, &["webhook", "create"]),
        )
        .json(&wire::CreateWebhook {
            posting_id,
            url,
            event_type,
            http_method: "post",
        })?;
        let (w, raw) = self.call_typed::<wire::Webhook>(ctx, call, &()).await?;
        Ok(translate::webhook(w, raw))
    }

    /// Ingest `group` (one or a bulk chunk) and answer one outcome per candidate.
    async fn ingest(
        &self,
        ctx: &ConnectionContext,
        url_key: &str,
        group: &[&InviteCandidate],
        retake: bool,
    ) -> Vec<InviteOutcome> {
        let bodies: Vec<wire::IngestCandidate> = group
            .iter()
            .map(|c| translate::ingest_candidate(c, retake))
            .collect();
        // Without `retake`, HeyMilo answers a repeated ingest of the same candidate into the
        // same posting with the interview it already made, so resending after a timeout
        // cannot create a second interview: safe to retry. With `retake` every ingest makes
        // a new interview, so it is sent at most once.
        let safety = if retake { Safety::Unsafe } else { Safety::Safe };
        let call = if let [one] = bodies.as_slice() {
            Call::new(
                "ingest",
                Method::POST,
                self.endpoint(ctx, &["ingest", "x", url_key]),
            )
            .json(one)
        } else {
            Call::new(
                "ingest_bulk",
                Method::POST,
                self.endpoint(ctx, &["ingest", "x", "bulk", url_key]),
            )
            .json(&wire::BulkIngest { data: &bodies })
        };
        let answer = match call {
            Ok(call) => {
                self.call_typed::<wire::IngestResponse>(ctx, call.safety(safety), &())
                    .await
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok((res, _)) if res.interview_details.len() == group.len() => res
                .interview_details
                .iter()
                .zip(group)
                .map(|(d, c)| Ok(translate::invited(d, &c.email, res.ingestion_id.as_deref())))
                .collect(),
            Ok((res, _)) => {
                let e = ProviderError::BadResponse {
                    status: Some(200),
                    message: format!(
                        "HeyMilo answered {} interviews for {} candidates; their interviews may exist at HeyMilo",
                        res.interview_details.len(),
                        group.len()
                    ),
                };
                group.iter().map(|_| Err(e.clone())).collect()
            }
            Err(e) => group.iter().map(|_| Err(e.clone())).collect(),
        }
    }
}

/// HeyMilo's own plumbing: `X-API-KEY`, paths under `/api`, its `{detail, …}` errors.
impl VendorApi for HeyMilo {
    type CallContext = ();

    fn http(&self) -> &VendorHttp {
        &self.http
    }

    fn path_prefix(&self) -> &'static [&'static str] {
        &["api"]
    }

    fn auth_header(&self, ctx: &ConnectionContext) -> Result<(HeaderName, String), ProviderError> {
        Ok((API_KEY, ctx.credential("api_key")?.to_string()))
    }

    fn error_response(&self, f: Failure<'_>, _: &()) -> ProviderError {
        translate::error(f.status, f.body, f.retry_after)
    }
}

#[async_trait]
impl Provider for HeyMilo {
    fn descriptor(&self) -> &ProviderDescriptor {
        &self.descriptor
    }

    /// Only the kind is checked: linking looks the posting up (`get_template`), which fills
    /// in its `url_key` when the client did not give it.
    fn validate_template_ref(
        &self,
        template: &ProviderRef,
    ) -> Result<(), Vec<gateway_core::FieldError>> {
        let mut errors = posting_ref::read(template).err().unwrap_or_default();
        if template.kind != POSTING {
            errors.push(gateway_core::FieldError::new(
                "provider_ref.kind",
                "HeyMilo templates are postings: use `posting`",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// HeyMilo publishes no webhook schema or signature: the payload is read tolerantly
    /// (JSON for `post` webhooks, query parameters for `get` ones) and authenticity rests on
    /// the unguessable token in the inbound URL the gateway registered.
    fn parse_inbound(
        &self,
        request: InboundRequest<'_>,
    ) -> Result<Vec<InboundEvent>, ProviderError> {
        translate::inbound(request.body, request.query).map(|e| vec![e])
    }

    fn default_outbound_per_minute(&self) -> u32 {
        DOCUMENTED_LIMIT_PER_MINUTE
    }

    fn auth_headers(
        &self,
        ctx: &ConnectionContext,
    ) -> Result<Vec<(HeaderName, String)>, ProviderError> {
        Ok(vec![self.auth_header(ctx)?])
    }

    async fn check(&self, ctx: &ConnectionContext) -> Result<CheckReport, ProviderError> {
        // /api/health does not prove the key; a one-item postings page does.
        let page = self.postings_page(ctx, 1, 1).await?;
        Ok(CheckReport {
            detail: format!(
                "authenticated; {} postings",
                page.total.unwrap_or(page.postings.len() as u64)
            ),
        })
    }

    async fn list_templates(
        &self,
        ctx: &ConnectionContext,
    ) -> Result<Vec<RemoteTemplate>, ProviderError> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let p = self.postings_page(ctx, page, PAGE_LIMIT).await?;
            let n = p.postings.len();
            for raw in p.postings {
                out.push(
                    translate::template(raw).map_err(|m| ProviderError::BadResponse {
                        status: Some(200),
                        message: m,
                    })?,
                );
            }
            let last = p
                .total_pages
                .map_or(n < PAGE_LIMIT as usize, |t| u64::from(page) >= t);
            if last || n == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// HeyMilo has no single-posting read: the listing is searched.
    async fn get_template(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
    ) -> Result<RemoteTemplate, ProviderError> {
        self.list_templates(ctx)
            .await?
            .into_iter()
            .find(|t| t.provider_ref.id == template.id)
            .map(|mut t| {
                t.provider_ref = posting_ref::keep_given_url_key(t.provider_ref, template);
                t
            })
            .ok_or_else(|| ProviderError::NotFound {
                message: format!("no posting `{}` in this HeyMilo account", template.id),
            })
    }

    async fn invite(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        candidates: &[InviteCandidate],
        options: &InviteOptions,
    ) -> Result<Vec<InviteOutcome>, ProviderError> {
        let url_key = posting_ref::url_key(template)?;
        let url_key = url_key.as_str();
        let mut outcomes = Outcomes::new(candidates.len());
        let mut valid: Vec<usize> = Vec::new();
        for (i, c) in candidates.iter().enumerate() {
            if is_plausible_email(&c.email) {
                valid.push(i);
            } else {
                outcomes.set(
                    i,
                    Err(ProviderError::invalid(
                        format!("candidates[{i}].email"),
                        "must be a valid email address",
                    )),
                );
            }
        }
        for chunk in valid.chunks(BULK_CHUNK) {
            let group: Vec<&InviteCandidate> = chunk.iter().map(|&i| &candidates[i]).collect();
            let mut results = self.ingest(ctx, url_key, &group, options.retake).await;
            // HeyMilo refuses a whole bulk request for one invalid candidate; ingest each on
            // its own so only that one fails.
            let whole_refused = group.len() > 1
                && results.iter().all(|r| {
                    matches!(
                        r,
                        Err(ProviderError::Rejected {
                            status: Some(422),
                            ..
                        })
                    )
                });
            if whole_refused {
                results = Vec::with_capacity(group.len());
                for c in &group {
                    results.extend(
                        self.ingest(ctx, url_key, std::slice::from_ref(c), options.retake)
                            .await,
                    );
                }
            }
            for (&i, r) in chunk.iter().zip(results) {
                outcomes.set(i, r);
            }
        }
        Ok(outcomes.finish())
    }

    async fn get_interview(
        &self,
        ctx: &ConnectionContext,
        locator: InterviewLocator<'_>,
    ) -> Result<RemoteInterview, ProviderError> {
        if let Some(id) = locator.refs.get(INTERVIEW_ID) {
            let (_, raw) = self
                .call_typed::<Value>(
                    ctx,
                    Call::get("get_interview", self.endpoint(ctx, &["interview", id])),
                    &(),
                )
                .await?;
            return translate::interview(raw).map_err(|m| ProviderError::BadResponse {
                status: Some(200),
                message: m,
            });
        }
        // No id yet (the ingest's answer was lost): find the candidate in the posting.
        let mut token: Option<String> = None;
        loop {
            let page = self
                .list_interviews(ctx, locator.template, token.as_deref())
                .await?;
            if let Some(found) = page.items.into_iter().rev().find(|i| {
                i.candidate_email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(locator.candidate_email))
            }) {
                return Ok(found);
            }
            match page.next {
                Some(next) => token = Some(next),
                None => {
                    return Err(ProviderError::NotFound {
                        message: format!(
                            "no interview for {} in posting `{}`",
                            locator.candidate_email, locator.template.id
                        ),
                    })
                }
            }
        }
    }

    async fn list_interviews(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        page: Option<&str>,
    ) -> Result<RemotePage<RemoteInterview>, ProviderError> {
        let page_no: u32 = match page {
            None => 1,
            Some(t) => t
                .parse()
                .map_err(|_| ProviderError::invalid("cursor", "not a HeyMilo page token"))?,
        };
        let mut url = self.endpoint(ctx, &["interviews", &template.id]);
        url.query_pairs_mut()
            .append_pair("page", &page_no.to_string())
            .append_pair("limit", &PAGE_LIMIT.to_string());
        let (p, _) = self
            .call_typed::<wire::InterviewsPage>(ctx, Call::get("list_interviews", url), &())
            .await?;
        let n = p.candidates.len();
        let items = p
            .candidates
            .into_iter()
            .map(|raw| {
                translate::interview(raw).map_err(|m| ProviderError::BadResponse {
                    status: Some(200),
                    message: m,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let more = p
            .total_pages
            .map_or(n == PAGE_LIMIT as usize, |t| u64::from(page_no) < t)
            && n > 0
            && page_no < MAX_PAGES;
        Ok(RemotePage {
            items,
            next: more.then(|| (page_no + 1).to_string()),
        })
    }

    /// One webhook per documented event, for this posting. If one fails, the ones made
    /// before it are deactivated so no half-registered set is left behind.
    async fn register_webhooks(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        url: &Url,
    ) -> Result<Vec<RemoteWebhook>, ProviderError> {
        let mut made = Vec::new();
        for event in wire::EVENT_TYPES {
            match self
                .create_webhook(ctx, &template.id, url.as_str(), event)
                .await
            {
                Ok(w) => made.push(w),
                Err(e) => {
                    for w in &made {
                        if let Err(cleanup) = self.deactivate_webhook(ctx, &w.id).await {
                            tracing::warn!(webhook_id = %w.id, error = %cleanup, "could not deactivate a webhook after a failed registration");
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(made)
    }

    async fn deactivate_webhook(
        &self,
        ctx: &ConnectionContext,
        webhook_id: &str,
    ) -> Result<(), ProviderError> {
        // Deactivating twice leaves it deactivated: safe to retry.
        let call = Call::new(
            "deactivate_webhook",
            Method::POST,
            self.endpoint(ctx, &["webhook", "deactivate", webhook_id]),
        )
        .safety(Safety::Safe);
        self.call_typed::<Value>(ctx, call, &()).await.map(|_| ())
    }
}
