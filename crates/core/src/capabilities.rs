//! What a provider can do. An operation a provider lacks answers 422
//! `unsupported_by_provider` naming the capability.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    CreateTemplate,
    UpdateTemplate,
    ListTemplates,
    Invite,
    BatchInvite,
    GetInterview,
    ListInterviews,
    Results,
    Transcript,
    Recordings,
    WebhookRegistration,
    InboundWebhooks,
    Passthrough,
    /// Cancel an interview at the vendor.
    Cancel,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateTemplate => "create_template",
            Self::UpdateTemplate => "update_template",
            Self::ListTemplates => "list_templates",
            Self::Invite => "invite",
            Self::BatchInvite => "batch_invite",
            Self::GetInterview => "get_interview",
            Self::ListInterviews => "list_interviews",
            Self::Results => "results",
            Self::Transcript => "transcript",
            Self::Recordings => "recordings",
            Self::WebhookRegistration => "webhook_registration",
            Self::InboundWebhooks => "inbound_webhooks",
            Self::Passthrough => "passthrough",
            Self::Cancel => "cancel",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Capabilities {
    pub create_template: bool,
    /// Change a template at the vendor (`PATCH /v1/templates/{id}`).
    pub update_template: bool,
    pub list_templates: bool,
    pub invite: bool,
    pub batch_invite: bool,
    pub get_interview: bool,
    pub list_interviews: bool,
    pub results: bool,
    pub transcript: bool,
    pub recordings: bool,
    pub webhook_registration: bool,
    pub inbound_webhooks: bool,
    pub passthrough: bool,
    /// Cancel an interview at the vendor. None of the four vendors documents a cancel
    /// call: `POST /v1/interviews/{id}/cancel` then ends it in the gateway only.
    pub cancel: bool,
}

impl Capabilities {
    pub fn supports(&self, capability: Capability) -> bool {
        match capability {
            Capability::CreateTemplate => self.create_template,
            Capability::UpdateTemplate => self.update_template,
            Capability::ListTemplates => self.list_templates,
            Capability::Invite => self.invite,
            Capability::BatchInvite => self.batch_invite,
            Capability::GetInterview => self.get_interview,
            Capability::ListInterviews => self.list_interviews,
            Capability::Results => self.results,
            Capability::Transcript => self.transcript,
            Capability::Recordings => self.recordings,
            Capability::WebhookRegistration => self.webhook_registration,
            Capability::InboundWebhooks => self.inbound_webhooks,
            Capability::Passthrough => self.passthrough,
            Capability::Cancel => self.cancel,
        }
    }
}
