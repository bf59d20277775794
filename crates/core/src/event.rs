use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::{CandidateId, EventId, InterviewId};

/// A normalized change to an interview (or, for `candidate.*`, `connection.*` and
/// `webhook_endpoint.*` events, to that resource, named in `data`). One
/// vendor change yields one event, however it reached the gateway (webhook, poll, sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub created_at: DateTime<Utc>,
    /// The interview the event is about; `null` for events about something else.
    pub interview_id: Option<InterviewId>,
    /// The candidate a `candidate.*` event is about.
    #[serde(default)]
    pub candidate_id: Option<CandidateId>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "interview.invited")]
    Invited,
    #[serde(rename = "interview.started")]
    Started,
    #[serde(rename = "interview.completed")]
    Completed,
    #[serde(rename = "interview.result_ready")]
    ResultReady,
    #[serde(rename = "interview.status_changed")]
    StatusChanged,
    #[serde(rename = "interview.errored")]
    Errored,
    /// A candidate's personal data was erased; the data holds ids only.
    #[serde(rename = "candidate.erased")]
    CandidateErased,
    /// The caller cancelled the interview (`POST /v1/interviews/{id}/cancel`).
    #[serde(rename = "interview.cancelled")]
    Cancelled,
    /// Sent by `POST /v1/webhook-endpoints/{id}/test` to that endpoint only.
    #[serde(rename = "webhook_endpoint.test")]
    WebhookEndpointTest,
    /// An endpoint stopped receiving deliveries (410 Gone, or failing without a success for
    /// `webhooks.auto_disable_after_secs`); sent to the other subscribed endpoints.
    #[serde(rename = "webhook_endpoint.disabled")]
    WebhookEndpointDisabled,
    /// The vendor refused a connection's credentials, or has been unreachable for
    /// `connection_health.unavailable_after_secs`.
    #[serde(rename = "connection.unhealthy")]
    ConnectionUnhealthy,
    /// The first successful vendor call after `connection.unhealthy`.
    #[serde(rename = "connection.recovered")]
    ConnectionRecovered,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        Self::Invited,
        Self::Started,
        Self::Completed,
        Self::ResultReady,
        Self::StatusChanged,
        Self::Errored,
        Self::CandidateErased,
        Self::Cancelled,
        Self::WebhookEndpointTest,
        Self::WebhookEndpointDisabled,
        Self::ConnectionUnhealthy,
        Self::ConnectionRecovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "interview.invited",
            Self::Started => "interview.started",
            Self::Completed => "interview.completed",
            Self::ResultReady => "interview.result_ready",
            Self::StatusChanged => "interview.status_changed",
            Self::Errored => "interview.errored",
            Self::CandidateErased => "candidate.erased",
            Self::Cancelled => "interview.cancelled",
            Self::WebhookEndpointTest => "webhook_endpoint.test",
            Self::WebhookEndpointDisabled => "webhook_endpoint.disabled",
            Self::ConnectionUnhealthy => "connection.unhealthy",
            Self::ConnectionRecovered => "connection.recovered",
        }
    }
}

impl std::str::FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown event type `{s}`"))
    }
}
