//! Flowmingo (`shared/vendor-docs/flowmingo.txt`): interview sets are created through the
//! API and candidates invited to a set, a project or a project's job post, many in one
//! call. Flowmingo publishes no read endpoint for sets or interviews: state arrives by its
//! dashboard webhooks (HMAC-signed), so listing and reading are declared unsupported.
//!
//! Template refs: `{kind: "interview_set" | "project", id: <uuid>}` or
//! `{kind: "job_post", id: "<project uuid>/<job post uuid>"}`. Interview refs:
//! `invitation_id` and `submission_id`. Connection credentials: `api_key`, and
//! `webhook_secret` (the dashboard's `whsec_…`) to verify webhooks.

pub mod translate;
pub mod wire;

use async_trait::async_trait;
use gateway_core::provider::{
    CheckReport, ConnectionContext, CredentialField, InboundEvent, InboundRequest, InviteCandidate,
    InviteOptions, InviteOutcome, Provider, ProviderDescriptor, RemoteTemplate, TemplateDraft,
};
use gateway_core::{Capabilities, FieldError, ProviderError, ProviderRef};
use hmac::{Hmac, Mac};
use http::{HeaderName, Method};
use provider_http::{Call, EgressPolicy, Failure, Outcomes, RetryPolicy, VendorApi, VendorHttp};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const NAME: &str = "flowmingo";
pub const DEFAULT_BASE_URL: &str = "https://apis.flowmingo.ai";
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");
/// How old a signed webhook may be before it counts as a replay.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

pub struct Flowmingo {
    http: VendorHttp,
    descriptor: ProviderDescriptor,
}

impl Default for Flowmingo {
    fn default() -> Self {
        Self::new(RetryPolicy::default(), EgressPolicy::PUBLIC_ONLY)
    }
}

impl Flowmingo {
    /// `egress` decides which addresses the client may call (see `provider_http::egress`).
    pub fn new(policy: RetryPolicy, egress: EgressPolicy) -> Self {
        Self::on(&VendorHttp::new(NAME, 0, policy, egress))
    }

    /// On the gateway's shared client: its pool, outbound budget and bulkheads.
    pub fn on(base: &VendorHttp) -> Self {
        Self {
            http: base
                .for_provider(NAME, 0)
                .describing_failures(translate::message),
            descriptor: ProviderDescriptor {
                name: NAME,
                display_name: "Flowmingo",
                default_base_url: DEFAULT_BASE_URL,
                credentials: vec![
                    CredentialField { field: "api_key", secret: true, required: true, description: "Flowmingo API key (fl_live_<id>.<secret>), sent as X-API-Key" },
                    CredentialField {
                        field: "webhook_secret",
                        secret: true,
                        required: false,
                        description: "The whsec_… secret of the webhook set up in Flowmingo's dashboard; needed to accept its webhooks",
                    },
                ],
                capabilities: Capabilities {
                    create_template: true,
                    update_template: false,
                    list_templates: false,
                    invite: true,
                    batch_invite: true,
                    get_interview: false,
                    list_interviews: false,
                    // Evaluation scores arrive by webhook (interview.evaluation.update).
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
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (notes.md), within the tolerance.
fn signature_valid(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > SIGNATURE_TOLERANCE_SECS {
        return false;
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    sigs.iter()
        .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
}

/// Flowmingo's own plumbing: `X-API-KEY`, paths under `/company/integration`, answers
/// wrapped in `{results}`, errors that name the scope a 403 lacked.
impl VendorApi for Flowmingo {
    /// The scope the operation needs, for a 403's message.
    type CallContext = str;

    fn http(&self) -> &VendorHttp {
        &self.http
    }

    fn path_prefix(&self) -> &'static [&'static str] {
        &["company", "integration"]
    }

    fn auth_header(&self, ctx: &ConnectionContext) -> Result<(HeaderName, String), ProviderError> {
        Ok((API_KEY, ctx.credential("api_key")?.to_string()))
    }

    fn error_response(&self, f: Failure<'_>, scope: &str) -> ProviderError {
        translate::error(f.status, f.body, f.retry_after, scope)
    }

    fn unwrap_envelope(&self, status: u16, body: Value) -> Result<Value, ProviderError> {
        body.get("results")
            .cloned()
            .ok_or_else(|| ProviderError::BadResponse {
                status: Some(status),
                message: "no `results` in Flowmingo's answer".into(),
            })
    }
}

#[async_trait]
impl Provider for Flowmingo {
    fn descriptor(&self) -> &ProviderDescriptor {
        &self.descriptor
    }

    fn validate_template_ref(&self, template: &ProviderRef) -> Result<(), Vec<FieldError>> {
        template.without_vendor_part()?;
        translate::validate_ref(template)
    }

    fn auth_headers(
        &self,
        ctx: &ConnectionContext,
    ) -> Result<Vec<(HeaderName, String)>, ProviderError> {
        Ok(vec![self.auth_header(ctx)?])
    }

    fn verify_inbound(
        &self,
        ctx: &ConnectionContext,
        request: InboundRequest<'_>,
    ) -> Result<(), ProviderError> {
        let refuse = |m: &str| ProviderError::InvalidCredentials {
            status: Some(401),
            message: m.to_string(),
        };
        let secret = ctx.credential("webhook_secret").map_err(|_| {
            refuse("the connection has no webhook_secret to verify Flowmingo's signature")
        })?;
        let header = request
            .headers
            .get("x-webhook-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refuse("no X-Webhook-Signature"))?;
        if signature_valid(secret, header, request.body, chrono::Utc::now().timestamp()) {
            Ok(())
        } else {
            Err(refuse(
                "X-Webhook-Signature does not match (or is older than 5 minutes)",
            ))
        }
    }

    fn parse_inbound(
        &self,
        request: InboundRequest<'_>,
    ) -> Result<Vec<InboundEvent>, ProviderError> {
        translate::inbound(request.body).map(|e| vec![e])
    }

    /// `GET /company/integration/me/v1` (notes.md): a who-am-I that proves the key.
    async fn check(&self, ctx: &ConnectionContext) -> Result<CheckReport, ProviderError> {
        let me = self
            .call(
                ctx,
                Call::get("me", self.endpoint(ctx, &["me", "v1"])),
                "any",
            )
            .await?;
        let org = me
            .get("organization_id")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let scopes = me
            .get("scopes")
            .and_then(Value::as_array)
            .map(|s| {
                s.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        Ok(CheckReport {
            detail: format!("authenticated for organization {org}; scopes: [{scopes}]"),
        })
    }

    async fn create_template(
        &self,
        ctx: &ConnectionContext,
        draft: &TemplateDraft,
    ) -> Result<RemoteTemplate, ProviderError> {
        let body = translate::create_set(draft)?;
        // Creating a set twice makes two sets: sent once.
        let call = Call::new(
            "create_set",
            Method::POST,
            self.endpoint(ctx, &["interview", "set", "v1"]),
        )
        .json(&body)?;
        translate::template(self.call(ctx, call, "create_set").await?)
    }

    /// One call for the whole batch (the endpoint takes `candidates[]`).
    async fn invite(
        &self,
        ctx: &ConnectionContext,
        template: &ProviderRef,
        candidates: &[InviteCandidate],
        options: &InviteOptions,
    ) -> Result<Vec<InviteOutcome>, ProviderError> {
        let (body, refused) = translate::invite(template, candidates, options)?;
        let mut outcomes = Outcomes::new(candidates.len());
        for (i, e) in refused {
            outcomes.set(i, Err(e));
        }
        let sent = outcomes.pending();
        if !sent.is_empty() {
            // Inviting twice would invite twice: sent once, never after a timeout or 5xx.
            let call = Call::new(
                "invite",
                Method::POST,
                self.endpoint(ctx, &["interview", "candidate", "invite", "v1"]),
            )
            .json(&body)?;
            match self.call(ctx, call, "invite_candidates").await {
                Ok(Value::Array(items)) if items.len() == sent.len() => {
                    for (i, raw) in sent.iter().zip(items) {
                        let parsed: wire::InviteResult =
                            serde_json::from_value(raw.clone()).unwrap_or_default();
                        let mut r = translate::outcome(parsed, raw);
                        if let Ok(remote) = &r {
                            // Results come in request order; an answer for another address means
                            // the vendor reordered them, and refs cannot be trusted.
                            if remote.candidate_email.as_deref().is_some_and(|e| {
                                !e.eq_ignore_ascii_case(candidates[*i].email.trim())
                            }) {
                                r = Err(ProviderError::BadResponse {
                                    status: Some(200),
                                    message: "Flowmingo answered for another candidate".into(),
                                });
                            }
                        }
                        outcomes.set(*i, r);
                    }
                }
                Ok(_) => {
                    let e = ProviderError::BadResponse { status: Some(200), message: "Flowmingo answered a different number of results; the invitations may exist".into() };
                    outcomes.fail_all(&sent, &e);
                }
                Err(e) => {
                    outcomes.fail_all(&sent, &e);
                }
            }
        }
        Ok(outcomes.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_secret_body_and_age() {
        let secret = "whsec_test";
        let body = br#"{"event_id":"e1"}"#;
        let t = 1_700_000_000;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        let header = format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_valid(secret, &header, body, t + 10));
        assert!(!signature_valid("whsec_other", &header, body, t + 10));
        assert!(!signature_valid(secret, &header, b"{}", t + 10));
        assert!(
            !signature_valid(secret, &header, body, t + 301),
            "too old: a replay"
        );
        assert!(!signature_valid(secret, "v1=abc", body, t));
    }
}
