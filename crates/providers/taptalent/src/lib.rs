//! TapTalent's partner API for assessment flows
//! (`shared/vendor-docs/taptalent-assessment-flows.txt`, notes.md): a flow is a template,
//! its steps are assessments with pass thresholds, and assigning a candidate to a flow is an
//! interview. There is no bulk assign, so a batch is one call per candidate; reads go
//! through the flow's candidate list (searched by email).
//!
//! Template refs: `{kind: "assessment_flow", id: <flow id>}`. Interview refs:
//! `assignment_id`. Credentials: `api_key` (`sk_live_…`/`sk_test_…`), and
//! `webhook_key` — the `X-Webhook-Key` TapTalent's dashboard shows — to accept its webhooks.
//! Setting `environment: "sandbox"` selects TapTalent's sandbox host when no `base_url` is
//! given. Candidate `metadata.taptalent` may carry `{jobId, jobCandidateId, talentId}`.

pub mod translate;
pub mod wire;

use async_trait::async_trait;
use gateway_core::page::RemotePage;
use gateway_core::provider::{
    validate_common_settings, CheckReport, ConnectionContext, CredentialField, InboundEvent,
    InboundRequest, InterviewLocator, InviteCandidate, InviteOptions, InviteOutcome, Provider,
    ProviderDescriptor, RemoteInterview, RemoteTemplate, TemplateDraft, TemplateUpdate,
};
use gateway_core::{Capabilities, FieldError, ProviderError, ProviderRef};
use http::{HeaderName, Method};
use provider_http::{Call, EgressPolicy, Failure, RetryPolicy, VendorApi, VendorHttp};
use serde_json::Value;
use subtle::ConstantTimeEq;

pub const NAME: &str = "taptalent";
pub const DEFAULT_BASE_URL: &str = "https://partner-api.taptalent.io/v1/partner";
pub const SANDBOX_BASE_URL: &str = "https://sandbox.partner-api.taptalent.io/v1/partner";
/// Connection setting: `production` (default) or `sandbox`.
pub const ENVIRONMENT_SETTING: &str = "environment";
/// The largest page the candidate list serves.
const PAGE_SIZE: u32 = 100;
/// How many candidate pages a lookup by email reads before giving up (10,000 matches).
const MAX_LOOKUP_PAGES: u32 = 100;

pub struct TapTalent {
    http: VendorHttp,
    descriptor: ProviderDescriptor,
}

impl Default for TapTalent {
    fn default() -> Self {
        Self::new(RetryPolicy::default(), EgressPolicy::PUBLIC_ONLY)
    }
}

impl TapTalent {
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
                    provider_http::vendor_said(&translate::error(status, body, None))
                }),
            descriptor: ProviderDescriptor {
                name: NAME,
                display_name: "TapTalent",
                default_base_url: DEFAULT_BASE_URL,
                credentials: vec![
                    CredentialField {
                        field: "api_key",
                        secret: true,
                        required: true,
                        description: "TapTalent partner API key (sk_live_… or sk_test_…), sent as Authorization: Bearer",
                    },
                    CredentialField {
                        field: "webhook_key",
                        secret: true,
                        required: false,
                        description: "The X-Webhook-Key of the webhook set up in TapTalent's dashboard; needed to accept its webhooks",
                    },
                ],
                capabilities: Capabilities {
                    create_template: true,
                    update_template: true,
                    list_templates: true,
                    invite: true,
                    // No bulk endpoint: a batch is one assign call per candidate.
                    batch_invite: false,
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

    async fn flow(
        &self,
        ctx: &ConnectionContext,
        id: &str,
    ) -> Result<(wire::Flow, Value), ProviderError> {
        let raw = self
            .call(
                ctx,
                Call::get("get_flow", self.endpoint(ctx, &["assessment-flows", id])),
                &(),
            )
            .await
            .map_err(|e| match e {
                ProviderError::NotFound { message } => ProviderError::NotFound {
                    message: format!("{message}: no flow `{id}` in this TapTalent workspace"),
                },
                e => e,
            })?;
        let flow = serde_json::from_value(raw.clone()).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("unreadable TapTalent flow: {e}"),
        })?;
        Ok((flow, raw))
    }

    /// `GET /assessment-flows/:id/candidates`, one page.
    async fn candidates(
        &self,
        ctx: &ConnectionContext,
        flow: &str,
        page: u32,
        search: Option<&str>,
    ) -> Result<(Vec<Value>, wire::Pagination), ProviderError> {
        let mut url = self.endpoint(ctx, &["assessment-flows", flow, "candidates"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page", &page.to_string());
            q.append_pair("pageSize", &PAGE_SIZE.to_string());
            if let Some(s) = search {
                q.append_pair("search", s);
            }
        }
        let data = self
            .call(ctx, Call::get("list_flow_candidates", url), &())
            .await?;
        Ok(translate::candidate_page(data))
    }

    /// Is there a page after `page` holding `got` items?
    fn more(page: u32, got: usize, p: &wire::Pagination) -> bool {
        match (p.total, p.limit) {
            (Some(total), limit) => u64::from(page) * limit.unwrap_or(u64::from(PAGE_SIZE)) < total,
            (None, _) => got >= PAGE_SIZE as usize,
        }
    }

    /// A flow as TapTalent has it, for callers that need the vendor's own view
    /// (`GET /assessment-flows/:id`, with steps enriched from the assessment records).
    pub async fn get_flow(
        &self,
        ctx: &ConnectionContext,
        id: &str,
    ) -> Result<RemoteTemplate, ProviderError> {
        let (flow, raw) = self.flow(ctx, id).await?;
        translate::template(flow, raw)
    }
}

/// TapTalent's own plumbing: `Authorization: Bearer`, paths right under the base URL
/// (which carries `/v1/partner`), answers wrapped in `{"status":"success","data":…}`.
impl VendorApi for TapTalent {
    type CallContext = ();

    fn http(&self) -> &VendorHttp {
        &self.http
    }

    fn auth_header(&self, ctx: &ConnectionContext) -> Result<(HeaderName, String), ProviderError> {
        Ok((
            http::header::AUTHORIZATION,
            format!("Bearer {}", ctx.credential("api_key")?),
        ))
    }

    fn error_response(&self, f: Failure<'_>, _: &()) -> ProviderError {
        translate::error(f.status, f.body, f.retry_after)
    }

    fn unwrap_envelope(&self, status: u16, body: Value) -> Result<Value, ProviderError> {
        match body {
            Value::Object(mut m) if m.contains_key("data") => {
                Ok(m.remove("data").unwrap_or(Value::Null))
            }
            _ => Err(ProviderError::BadResponse {
                status: Some(status),
                message: "no `data` in TapTalent's answer".into(),
            }),
        }
    }
}

#[async_trait]
impl Provider for TapTalent {
    fn descriptor(&self) -> &ProviderDescriptor {
        &self.descriptor
    }

    fn default_base_url(&self, settings: &Value) -> Result<url::Url, ProviderError> {
        let base = match settings.get(ENVIRONMENT_SETTING).and_then(Value::as_str) {
            Some("sandbox") => SANDBOX_BASE_URL,
            _ => DEFAULT_BASE_URL,
        };
        url::Url::parse(base).map_err(|e| ProviderError::invalid("base_url", e.to_string()))
    }

    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>> {
        let mut errors = validate_common_settings(settings, &[ENVIRONMENT_SETTING])
            .err()
            .unwrap_or_default();
        if let Some(v) = settings.get(ENVIRONMENT_SETTING) {
            if !matches!(v.as_str(), Some("production") | Some("sandbox")) {
                errors.push(FieldError::new(
                    format!("settings.{ENVIRONMENT_SETTING}"),
                    "must be `production` or `sandbox`",
                ));
            }
        }
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

    /// TapTalent signs nothing; it sends the dashboard's shared key in `X-Webhook-Key`,
    /// compared here in constant time.
    fn verify_inbound(
        &self,
        ctx: &ConnectionContext,
        request: InboundRequest<'_>,
    ) -> Result<(), ProviderError> {
        let refuse = |m: &str| ProviderError::InvalidCredentials {
            status: Some(401),
            message: m.to_string(),
        };
        let key = ctx.credential("webhook_key").map_err(|_| {
            refuse("the connection has no webhook_key to check TapTalent's X-Webhook-Key")
        })?;
        let given = request
            .headers
            .get("x-webhook-key")
            .map(|v| v.as_bytes())
            .ok_or_else(|| refuse("no X-Webhook-Key"))?;
        if bool::from(given.ct_eq(key.as_bytes())) {
            Ok(())
        } else {
            Err(refuse("X-Webhook-Key does not match"))
        }
    }

    fn parse_inbound(
        &self,
        request: InboundRequest<'_>,
    ) -> Result<Vec<InboundEvent>, ProviderError> {
        translate::inbound(request.body).map(|e| vec![e])
    }

    /// `GET /assessment-flows`: cheap, and proves the key.
    async fn check(&self, ctx: &ConnectionContext) -> Result<CheckReport, ProviderError> {
        let flows = self
            .call(
                ctx,
                Call::get("list_flows", self.endpoint(ctx, &["assessment-flows"])),
                &(),
            )
            .await?;
        let n = flows.as_array().map_or(0, Vec::len);
        Ok(CheckReport {
            detail: format!("authenticated; {n} assessment flows in the workspace"),
        })
    }

    async fn create_template(
        &self,
        ctx: &ConnectionContext,
        draft: &TemplateDraft,
    ) -> Result<RemoteTemplate, ProviderError> {
        let body = translate::create_body(draft)?;
        // Creating twice makes two flows: sent once.
        let call = Call::new(
            "create_flow",
            Method::POST,
            self.endpoint(ctx, &["assessment-flows"]),
        )
        .json(&body)?;
        let raw = self.call(ctx, call, &()).await?;
        let flow = serde_json::from_value(raw.clone()).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("unreadable TapTalent flow: {e}"),
        })?;
        translate::template(flow, raw)
    }

    /// Read the flow, then `PATCH` it whole (the endpoint takes the create shape).
    async fn update_template(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        update: &TemplateUpdate,
    ) -> Result<RemoteTemplate, ProviderError> {
        let (current, _) = self.flow(ctx, &template.id).await?;
        let body = translate::update_body(&current, update)?;
        // The same full body twice leaves the same flow: safe to retry.
        let call = Call::new(
            "update_flow",
            Method::PATCH,
            self.endpoint(ctx, &["assessment-flows", &template.id]),
        )
        .json(&body)?
        .safety(provider_http::Safety::Safe);
        let raw = self.call(ctx, call, &()).await?;
        let flow = serde_json::from_value(raw.clone()).map_err(|e| ProviderError::BadResponse {
            status: Some(200),
            message: format!("unreadable TapTalent flow: {e}"),
        })?;
        translate::template(flow, raw)
    }

    async fn list_templates(
        &self,
        ctx: &ConnectionContext,
    ) -> Result<Vec<RemoteTemplate>, ProviderError> {
        let data = self
            .call(
                ctx,
                Call::get("list_flows", self.endpoint(ctx, &["assessment-flows"])),
                &(),
            )
            .await?;
        let Value::Array(items) = data else {
            return Err(ProviderError::BadResponse {
                status: Some(200),
                message: "TapTalent's flow list is not a list".into(),
            });
        };
        items
            .into_iter()
            .map(|raw| {
                let flow = serde_json::from_value(raw.clone()).map_err(|e| {
                    ProviderError::BadResponse {
                        status: Some(200),
                        message: format!("unreadable TapTalent flow: {e}"),
                    }
                })?;
                translate::template(flow, raw)
            })
            .collect()
    }

    async fn get_template(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
    ) -> Result<RemoteTemplate, ProviderError> {
        self.get_flow(ctx, &template.id).await
    }

    /// One `POST /assessment-flows/:id/assign` per candidate, in order.
    async fn invite(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        candidates: &[InviteCandidate],
        options: &InviteOptions,
    ) -> Result<Vec<InviteOutcome>, ProviderError> {
        translate::check_options(options)?;
        let url = self.endpoint(ctx, &["assessment-flows", &template.id, "assign"]);
        let mut out = Vec::with_capacity(candidates.len());
        for (i, c) in candidates.iter().enumerate() {
            let body = match translate::assign_body(c, i) {
                Ok(b) => b,
                Err(e) => {
                    out.push(Err(e));
                    continue;
                }
            };
            // Assigning sends an email: sent once, never after a timeout or 5xx.
            let call = Call::new("assign", Method::POST, url.clone()).json(&body)?;
            let r = match self.call(ctx, call, &()).await {
                Ok(raw) => translate::interview(raw),
                Err(ProviderError::NotFound { message }) if body.job_candidate_id.is_none() => {
                    Err(ProviderError::NotFound {
                        message: format!(
                            "{message}: no flow `{}` in this TapTalent workspace",
                            template.id
                        ),
                    })
                }
                Err(e) => Err(e),
            };
            out.push(r);
        }
        Ok(out)
    }

    /// The flow's candidates searched by email, matched by assignment id when known.
    async fn get_interview(
        &self,
        ctx: &ConnectionContext,
        locator: InterviewLocator<'_>,
    ) -> Result<RemoteInterview, ProviderError> {
        let want_id = locator.refs.get(translate::ASSIGNMENT_ID);
        let email = locator.candidate_email.trim();
        for page in 1..=MAX_LOOKUP_PAGES {
            let (items, pagination) = self
                .candidates(
                    ctx,
                    &locator.template.id,
                    page,
                    (!email.is_empty()).then_some(email),
                )
                .await?;
            let got = items.len();
            for raw in items {
                let r = translate::interview(raw)?;
                let same = match want_id {
                    Some(id) => r.refs.get(translate::ASSIGNMENT_ID) == Some(id),
                    None => r
                        .candidate_email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email)),
                };
                if same {
                    return Ok(r);
                }
            }
            if !Self::more(page, got, &pagination) {
                break;
            }
        }
        Err(ProviderError::NotFound {
            message: format!(
                "no assignment for {email} on TapTalent flow `{}`",
                locator.template.id
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
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| ProviderError::invalid("page", "not a TapTalent page token"))?,
        };
        let (items, pagination) = self.candidates(ctx, &template.id, page, None).await?;
        let next = Self::more(page, items.len(), &pagination).then(|| (page + 1).to_string());
        let items = items
            .into_iter()
            .map(translate::interview)
            .collect::<Result<_, _>>()?;
        Ok(RemotePage { items, next })
    }
}
