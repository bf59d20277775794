//! The contract every vendor adapter fulfils.
//!
//! One trait object per vendor lives in the server's registry, chosen by a connection's
//! provider name. Each call carries the connection it acts for; adapters hold no per-tenant
//! state, never touch the database and never build HTTP responses. Operations a vendor lacks
//! keep the default body, which answers [`ProviderError::Unsupported`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::ToSchema;

use crate::capabilities::{Capabilities, Capability};
use crate::connection::Credentials;
use crate::id::{ConnectionId, InterviewId, WorkspaceId};
use crate::interview::ProviderRefs;
use crate::page::RemotePage;
use crate::provider_error::{FieldError, ProviderError};
use crate::result::InterviewResult;
use crate::status::{InterviewStatus, Outcome};
use crate::template::{ProviderRef, TemplateStatus, TemplateStep};

/// Static facts about a provider, served by `GET /v1/providers`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderDescriptor {
    #[schema(example = "heymilo")]
    pub name: &'static str,
    #[schema(example = "HeyMilo")]
    pub display_name: &'static str,
    /// Used when a connection sets no `base_url`.
    #[schema(example = "https://api.heymilo.network")]
    pub default_base_url: &'static str,
    pub credentials: Vec<CredentialField>,
    pub capabilities: Capabilities,
}

/// One credential a connection to this provider takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialField {
    #[schema(example = "api_key")]
    pub field: &'static str,
    /// Stored encrypted and never returned.
    pub secret: bool,
    pub required: bool,
    pub description: &'static str,
}

/// Connection setting: the most vendor calls per minute the gateway makes for this
/// connection (a positive integer; overrides the provider's default).
pub const OUTBOUND_LIMIT_SETTING: &str = "outbound_requests_per_minute";

/// Check `settings` is an object whose keys are the shared ones or in `own`, and that the
/// shared ones are well-formed. Adapters check the values of their own keys.
pub fn validate_common_settings(
    settings: &serde_json::Value,
    own: &[&str],
) -> Result<(), Vec<FieldError>> {
    let map = match settings {
        serde_json::Value::Null => return Ok(()),
        serde_json::Value::Object(map) => map,
        _ => return Err(vec![FieldError::new("settings", "must be an object")]),
    };
    let mut errors = Vec::new();
    for (key, value) in map {
        if key == OUTBOUND_LIMIT_SETTING {
            if !value.as_u64().is_some_and(|n| (1..=1_000_000).contains(&n)) {
                errors.push(FieldError::new(
                    format!("settings.{key}"),
                    "must be an integer between 1 and 1000000",
                ));
            }
        } else if !own.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("settings.{key}"),
                "unknown setting for this provider",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Everything an adapter needs to act for one connection.
#[derive(Debug, Clone)]
pub struct ConnectionContext {
    pub connection_id: ConnectionId,
    pub workspace_id: WorkspaceId,
    /// The connection's override, or the provider's default.
    pub base_url: Url,
    pub credentials: Credentials,
    pub settings: serde_json::Value,
    /// Told of every vendor call made for this connection (health); `None` = nobody.
    pub observer: Option<crate::observe::Observer>,
    /// The trace this work runs under (the client's request, or a background job's run):
    /// every vendor call carries a child of it as `traceparent`. `None` = no trace.
    pub trace: Option<crate::trace::TraceContext>,
}

impl ConnectionContext {
    /// The named credential, or an error naming what the connection lacks.
    pub fn credential(&self, field: &str) -> Result<&str, ProviderError> {
        self.credentials
            .get(field)
            .map(|s| s.expose().as_str())
            .ok_or_else(|| ProviderError::InvalidCredentials {
                status: None,
                message: format!("the connection has no `{field}` credential"),
            })
    }
}

/// A template to create at the vendor (`POST /v1/templates`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub name: String,
    pub description: Option<String>,
    pub position: Option<String>,
    pub department: Option<String>,
    pub duration_minutes: Option<u32>,
    pub retakes: Option<u32>,
    pub questions: Vec<QuestionDraft>,
    pub requirements: Vec<RequirementDraft>,
    pub steps: Vec<StepDraft>,
    /// Vendor-specific fields the unified model does not name (documented per provider).
    pub settings: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionDraft {
    pub title: Option<String>,
    #[schema(example = "Walk us through how you would design a rate limiter.")]
    pub prompt: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementDraft {
    #[schema(example = "5+ years backend experience")]
    pub title: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDraft {
    #[schema(example = "asmt_123")]
    pub assessment_id: String,
    #[schema(example = 70, minimum = 0, maximum = 100)]
    pub pass_threshold: f64,
    pub name: Option<String>,
}

/// Changes to a template at the vendor (`PATCH /v1/templates/{id}`); `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<TemplateStatus>,
    /// The whole list of steps wanted (vendors may allow only some changes).
    pub steps: Option<Vec<StepDraft>>,
}

/// A vendor object a template can stand for, as the vendor reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTemplate {
    pub provider_ref: ProviderRef,
    pub name: String,
    pub description: Option<String>,
    pub status: TemplateStatus,
    pub steps: Vec<TemplateStep>,
    pub raw: serde_json::Value,
}

/// One candidate to invite. `correlation_id` is the gateway's interview id: adapters may
/// tag the vendor record with it where the vendor keeps caller data, to find it again.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteCandidate {
    pub correlation_id: InterviewId,
    pub email: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub resume_url: Option<String>,
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InviteOptions {
    pub message: Option<String>,
    pub send_invite: bool,
    /// Hours before the vendor sends the invitation email.
    pub delay_hours: Option<u32>,
    /// Create a new interview even if the candidate already has one on this template.
    pub retake: bool,
}

/// Per-candidate result of an invite call, in the order the candidates were given.
pub type InviteOutcome = Result<RemoteInterview, ProviderError>;

/// An interview as the vendor reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteInterview {
    pub refs: ProviderRefs,
    pub status: Option<InterviewStatus>,
    pub outcome: Option<Outcome>,
    pub interview_url: Option<String>,
    pub candidate_email: Option<String>,
    pub result: Option<InterviewResult>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: serde_json::Value,
}

/// How to find one interview at the vendor.
#[derive(Debug, Clone, Copy)]
pub struct InterviewLocator<'a> {
    pub template: &'a ProviderRef,
    pub refs: &'a ProviderRefs,
    pub candidate_email: &'a str,
    pub correlation_id: InterviewId,
}

/// A webhook the gateway registered at the vendor.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteWebhook {
    pub id: String,
    pub event: String,
    pub active: bool,
    pub raw: serde_json::Value,
}

/// A vendor's webhook as it reached the gateway.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub headers: &'a http::HeaderMap,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// One vendor change a webhook reports.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    /// Identifies this change at the vendor: a retried delivery carries the same key and is
    /// dropped.
    pub dedupe_key: String,
    /// Vendor ids that name the interview (looked up in the provider mappings).
    pub refs: ProviderRefs,
    /// The gateway's own interview id, when the vendor echoes data the gateway sent.
    pub correlation_id: Option<InterviewId>,
    /// The candidate's email, the last resort for finding the interview.
    pub candidate_email: Option<String>,
    /// What the webhook itself says about the interview.
    pub observed: RemoteInterview,
    /// The payload carries too little: read the interview from the vendor now.
    pub refresh: bool,
}

/// The answer of a cheap authenticated vendor call.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    pub detail: String,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn descriptor(&self) -> &ProviderDescriptor;

    /// The base URL a connection uses when it sets none; `settings` may select a vendor's
    /// sandbox host.
    fn default_base_url(&self, _settings: &serde_json::Value) -> Result<Url, ProviderError> {
        Url::parse(self.descriptor().default_base_url)
            .map_err(|e| ProviderError::invalid("base_url", e.to_string()))
    }

    /// Reject settings this provider does not understand before they are stored. The
    /// default knows only the settings every provider shares; adapters with their own call
    /// [`validate_common_settings`] with the keys they add.
    fn validate_settings(&self, settings: &serde_json::Value) -> Result<(), Vec<FieldError>> {
        validate_common_settings(settings, &[])
    }

    /// Check a template reference a client gives (`POST /v1/templates/link`) before it is
    /// stored: the kinds this vendor has, the shape of its ids.
    fn validate_template_ref(&self, _template: &ProviderRef) -> Result<(), Vec<FieldError>> {
        Ok(())
    }

    /// The headers that authenticate a raw request to this vendor (passthrough). Values are
    /// secrets.
    fn auth_headers(
        &self,
        _ctx: &ConnectionContext,
    ) -> Result<Vec<(http::HeaderName, String)>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::Passthrough))
    }

    /// The vendor calls per minute a connection makes unless its settings say otherwise
    /// (a vendor's documented limit; 0 = none).
    fn default_outbound_per_minute(&self) -> u32 {
        0
    }

    /// Check a webhook is the vendor's, the way the vendor allows (a signature, a shared key).
    /// The per-connection token in the URL is checked before this; vendors that sign
    /// nothing rely on it alone (the default).
    fn verify_inbound(
        &self,
        _ctx: &ConnectionContext,
        _request: InboundRequest<'_>,
    ) -> Result<(), ProviderError> {
        Ok(())
    }

    /// What a (verified) webhook reports.
    fn parse_inbound(
        &self,
        _request: InboundRequest<'_>,
    ) -> Result<Vec<InboundEvent>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::InboundWebhooks))
    }

    /// A cheap authenticated call proving the credentials work.
    async fn check(&self, ctx: &ConnectionContext) -> Result<CheckReport, ProviderError>;

    async fn create_template(
        &self,
        _ctx: &ConnectionContext,
        _draft: &TemplateDraft,
    ) -> Result<RemoteTemplate, ProviderError> {
        Err(ProviderError::Unsupported(Capability::CreateTemplate))
    }

    async fn update_template(
        &self,
        _ctx: &ConnectionContext,
        _template: &ProviderRef,
        _update: &TemplateUpdate,
    ) -> Result<RemoteTemplate, ProviderError> {
        Err(ProviderError::Unsupported(Capability::UpdateTemplate))
    }

    /// Every template-like object at the vendor (all pages).
    async fn list_templates(
        &self,
        _ctx: &ConnectionContext,
    ) -> Result<Vec<RemoteTemplate>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::ListTemplates))
    }

    /// One vendor object, to verify a link. Vendors without a read endpoint answer
    /// `Unsupported`, and the link is taken as given.
    async fn get_template(
        &self,
        _ctx: &ConnectionContext,
        _template: &ProviderRef,
    ) -> Result<RemoteTemplate, ProviderError> {
        Err(ProviderError::Unsupported(Capability::ListTemplates))
    }

    /// Invite candidates in as few vendor calls as the vendor's bulk endpoint allows. The
    /// outer error means no candidate was invited; per-candidate failures go in the list,
    /// which has one entry per candidate, in order.
    async fn invite(
        &self,
        _ctx: &ConnectionContext,
        _template: &ProviderRef,
        _candidates: &[InviteCandidate],
        _options: &InviteOptions,
    ) -> Result<Vec<InviteOutcome>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::Invite))
    }

    async fn get_interview(
        &self,
        _ctx: &ConnectionContext,
        _locator: InterviewLocator<'_>,
    ) -> Result<RemoteInterview, ProviderError> {
        Err(ProviderError::Unsupported(Capability::GetInterview))
    }

    /// Cancel the interview at the vendor. No vendor documents one today: the default
    /// answers `Unsupported` and the gateway cancels on its side only (`vendor_notified:
    /// false`); an adapter whose vendor gains a cancel call overrides this and sets the
    /// `cancel` capability.
    async fn cancel_interview(
        &self,
        _ctx: &ConnectionContext,
        _locator: InterviewLocator<'_>,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::Unsupported(Capability::Cancel))
    }

    /// One page of the template's interviews; `page` is the token from the previous page.
    async fn list_interviews(
        &self,
        _ctx: &ConnectionContext,
        _template: &ProviderRef,
        _page: Option<&str>,
    ) -> Result<RemotePage<RemoteInterview>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::ListInterviews))
    }

    /// Register the gateway's inbound URL for this template's events.
    async fn register_webhooks(
        &self,
        _ctx: &ConnectionContext,
        _template: &ProviderRef,
        _url: &Url,
    ) -> Result<Vec<RemoteWebhook>, ProviderError> {
        Err(ProviderError::Unsupported(Capability::WebhookRegistration))
    }

    async fn deactivate_webhook(
        &self,
        _ctx: &ConnectionContext,
        _webhook_id: &str,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::Unsupported(Capability::WebhookRegistration))
    }
}
