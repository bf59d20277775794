use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::{ConnectionId, TemplateId};
use crate::provider_error::FieldError;

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

/// Which vendor object a template stands for: a kind and an id every vendor has, plus
/// whatever else one vendor needs to address it (HeyMilo: the posting's `url_key`), which
/// only that vendor's adapter reads and documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProviderRef {
    /// The vendor's kind of object: `interview_set`, `project`, `interviewer`, `posting`,
    /// `assessment_flow`.
    #[schema(example = "posting")]
    pub kind: String,
    /// The vendor's id for it.
    #[schema(example = "posting_123")]
    pub id: String,
    /// The adapter-owned part, beside `kind` and `id` in the JSON: opaque to the gateway,
    /// typed and checked inside the vendor's adapter (see the provider's documentation;
    /// HeyMilo: `url_key`, the address candidates are ingested at). Keys a vendor does not
    /// take are refused when a template is linked.
    #[serde(flatten)]
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

impl ProviderRef {
    /// A reference with no adapter-owned part.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
            vendor: serde_json::Map::new(),
        }
    }

    /// The adapter-owned part read as the adapter's own type `T`; a key `T` does not take,
    /// or a value of the wrong shape, is an error naming `provider_ref.<key>`.
    pub fn vendor_part<T: serde::de::DeserializeOwned>(&self) -> Result<T, Vec<FieldError>> {
        let value = serde_json::Value::Object(self.vendor.clone());
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "provider_ref".to_string()
            } else {
                format!("provider_ref.{path}")
            };
            vec![FieldError::new(field, e.into_inner().to_string())]
        })
    }

    /// Refuse any adapter-owned part: for vendors whose objects a kind and id address.
    pub fn without_vendor_part(&self) -> Result<(), Vec<FieldError>> {
        match self.vendor.keys().next() {
            None => Ok(()),
            Some(key) => Err(vec![FieldError::new(
                format!("provider_ref.{key}"),
                "this provider takes no such field",
            )]),
        }
    }
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
