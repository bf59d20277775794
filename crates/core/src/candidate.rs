use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::CandidateId;

/// One person, across vendors. Upserted by `external_id` when given, else by email.
///
/// An erased candidate keeps its id and timestamps; its personal fields read empty (`email`
/// is `""`, the rest `null`) and `erased_at` says when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub id: CandidateId,
    #[schema(example = "alex@example.com")]
    pub email: String,
    #[schema(example = "Alex Doe")]
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    /// The caller's own id for this person (ATS/CRM id).
    pub external_id: Option<String>,
    pub resume_url: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the person's data was erased (`DELETE /v1/candidates/{id}`); `null` otherwise.
    #[serde(default)]
    pub erased_at: Option<DateTime<Utc>>,
}

/// The fields a caller may set on a candidate. Absent fields keep their stored value on
/// upsert.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    #[schema(example = "alex@example.com")]
    pub email: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub resume_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl CandidateInput {
    /// The display name: the given one, else first + last.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return Some(n.trim().to_string());
        }
        let joined = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    }
}

/// Emails compare case-insensitively everywhere in the gateway.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces. Vendors
/// reject worse addresses anyway; this catches typos before a vendor call is spent.
pub fn is_plausible_email(email: &str) -> bool {
    let email = email.trim();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_prefers_name_then_parts() {
        let mut c = CandidateInput {
            email: "a@b.co".into(),
            first_name: Some("Alex".into()),
            last_name: Some("Doe".into()),
            ..Default::default()
        };
        assert_eq!(c.display_name().as_deref(), Some("Alex Doe"));
        c.name = Some(" A. Doe ".into());
        assert_eq!(c.display_name().as_deref(), Some("A. Doe"));
        c.name = None;
        c.first_name = None;
        c.last_name = None;
        assert_eq!(c.display_name(), None);
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("alex@example.com"));
        assert!(!is_plausible_email("alex"));
        assert!(!is_plausible_email("alex@localhost"));
        assert!(!is_plausible_email("a b@example.com"));
        assert!(!is_plausible_email("@example.com"));
        assert!(!is_plausible_email("a@@example.com"));
        assert_eq!(normalize_email(" Alex@Example.COM "), "alex@example.com");
    }
}
