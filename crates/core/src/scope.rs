//! API key scopes (api-v1.md "Scopes").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum Scope {
    /// Everything in the key's workspace, plus managing workspaces and other workspaces' keys.
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "connections:read")]
    ConnectionsRead,
    #[serde(rename = "connections:write")]
    ConnectionsWrite,
    #[serde(rename = "templates:read")]
    TemplatesRead,
    #[serde(rename = "templates:write")]
    TemplatesWrite,
    #[serde(rename = "candidates:read")]
    CandidatesRead,
    #[serde(rename = "candidates:write")]
    CandidatesWrite,
    #[serde(rename = "interviews:read")]
    InterviewsRead,
    #[serde(rename = "interviews:write")]
    InterviewsWrite,
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    #[serde(rename = "keys:write")]
    KeysWrite,
    #[serde(rename = "passthrough")]
    Passthrough,
}

impl Scope {
    pub const ALL: [Scope; 13] = [
        Self::Admin,
        Self::ConnectionsRead,
        Self::ConnectionsWrite,
        Self::TemplatesRead,
        Self::TemplatesWrite,
        Self::CandidatesRead,
        Self::CandidatesWrite,
        Self::InterviewsRead,
        Self::InterviewsWrite,
        Self::WebhooksRead,
        Self::WebhooksWrite,
        Self::KeysWrite,
        Self::Passthrough,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::ConnectionsRead => "connections:read",
            Self::ConnectionsWrite => "connections:write",
            Self::TemplatesRead => "templates:read",
            Self::TemplatesWrite => "templates:write",
            Self::CandidatesRead => "candidates:read",
            Self::CandidatesWrite => "candidates:write",
            Self::InterviewsRead => "interviews:read",
            Self::InterviewsWrite => "interviews:write",
            Self::WebhooksRead => "webhooks:read",
            Self::WebhooksWrite => "webhooks:write",
            Self::KeysWrite => "keys:write",
            Self::Passthrough => "passthrough",
        }
    }

    /// The read scope a write scope includes: a key that may change a resource may also
    /// read it back.
    fn implied_read(self) -> Option<Scope> {
        match self {
            Self::ConnectionsWrite => Some(Self::ConnectionsRead),
            Self::TemplatesWrite => Some(Self::TemplatesRead),
            Self::CandidatesWrite => Some(Self::CandidatesRead),
            Self::InterviewsWrite => Some(Self::InterviewsRead),
            Self::WebhooksWrite => Some(Self::WebhooksRead),
            _ => None,
        }
    }

    /// Does holding `self` allow an operation that needs `needed`?
    pub fn grants(self, needed: Scope) -> bool {
        self == Self::Admin || self == needed || self.implied_read() == Some(needed)
    }
}

/// Does any of `held` allow `needed`?
pub fn any_grants(held: &[Scope], needed: Scope) -> bool {
    held.iter().any(|s| s.grants(needed))
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown scope `{s}`"))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_grants_everything_and_write_implies_read() {
        for s in Scope::ALL {
            assert!(Scope::Admin.grants(s));
            assert!(s.grants(s));
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
        assert!(Scope::TemplatesWrite.grants(Scope::TemplatesRead));
        assert!(!Scope::TemplatesRead.grants(Scope::TemplatesWrite));
        assert!(!Scope::TemplatesWrite.grants(Scope::InterviewsRead));
        assert!(!Scope::KeysWrite.grants(Scope::Admin));
        assert!(any_grants(
            &[Scope::ConnectionsRead, Scope::InterviewsWrite],
            Scope::InterviewsRead
        ));
    }
}
