use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::id::ConnectionId;
use crate::secret::Secret;

/// A configured vendor account. Credentials are kept apart (encrypted in the store) and
/// never part of this value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub provider: String,
    pub name: String,
    /// Overrides the provider's default base URL (vendor sandboxes, the built-in simulators).
    pub base_url: Option<String>,
    pub settings: serde_json::Value,
    pub status: ConnectionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Usable.
    Active,
    /// The vendor rejected the credentials on the last call.
    InvalidCredentials,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::InvalidCredentials => "invalid_credentials",
        }
    }
}

impl std::str::FromStr for ConnectionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "invalid_credentials" => Ok(Self::InvalidCredentials),
            other => Err(format!("unknown connection status `{other}`")),
        }
    }
}

/// A connection's decrypted credentials, by field name (`api_key`, `webhook_secret`…).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Credentials(BTreeMap<String, Secret<String>>);

impl Credentials {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, field: &str, value: impl Into<String>) -> Self {
        self.0.insert(field.to_string(), Secret::new(value.into()));
        self
    }

    pub fn get(&self, field: &str) -> Option<&Secret<String>> {
        self.0.get(field)
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The plaintext as JSON, for encryption at rest and nothing else.
    pub fn to_plaintext_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.expose().clone())))
                .collect(),
        )
    }
}
