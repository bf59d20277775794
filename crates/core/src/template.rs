use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::{ConnectionId, TemplateId};

/// What a candidate is invited to: a Flowmingo interview set or project, an InterviewFlowAI
/// interviewer, a HeyMilo posting, a TapTalent assessment flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Template {
    pub id: TemplateId,
    pub connection_id: ConnectionId,
    #[schema(example = "heymilo")]
    pub provider: String,
    pub provider_ref: ProviderRef,
    pub name: String,
    pub description: Option<String>,
    pub status: TemplateStatus,
    pub steps: Vec<TemplateStep>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The vendor's last raw payload for this object.
    pub remote_data: serde_json::Value,
}

/// Which vendor object a template stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRef {
    /// The vendor's kind of object: `interview_set`, `project`, `interviewer`, `posting`,
    /// `assessment_flow`.
    #[schema(example = "posting")]
    pub kind: String,
    /// The vendor's id for it.
    #[schema(example = "posting_123")]
    pub id: String,
    /// HeyMilo only: the posting's `url_key`, the address candidates are ingested at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    Active,
    Draft,
    Archived,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Draft => "draft",
            Self::Archived => "archived",
        }
    }
}

impl std::str::FromStr for TemplateStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "draft" => Ok(Self::Draft),
            "archived" => Ok(Self::Archived),
            other => Err(format!("unknown template status `{other}`")),
        }
    }
}

/// One stage of a multi-step template (TapTalent flow steps, HeyMilo workflow steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TemplateStep {
    pub name: Option<String>,
    /// The stage's kind as the vendor names it (`resume`, `web_interview`, `CODING`…).
    pub kind: Option<String>,
    pub assessment_id: Option<String>,
    /// Minimum score (0–100) to pass the stage.
    pub pass_threshold: Option<f64>,
}
