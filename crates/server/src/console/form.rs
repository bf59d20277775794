//! Posted forms: the fields as given, turned into the API's own typed bodies.

use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// An `application/x-www-form-urlencoded` body, fields in order (a name may repeat).
#[derive(Debug, Default, Clone)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, as typed.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every value of a multi-select as a JSON list of strings, for an API body.
    pub fn list(&self, name: &str) -> serde_json::Value {
        serde_json::Value::Array(
            self.all(name)
                .into_iter()
                .map(|v| serde_json::Value::String(v.into()))
                .collect(),
        )
    }

    pub fn is_checked(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// The fields whose names start with `prefix`, without it.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

/// Build an API body from JSON made of form fields, through the API's own deserializer:
/// a field of the wrong shape gets the API's problem, naming the same field.
pub fn body<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(&value).map_err(|_| ApiError::internal())?;
    crate::http::extract::parse_json(&bytes)
}

/// A JSON string, or null for an absent field.
pub fn opt(v: Option<&str>) -> serde_json::Value {
    v.map(|s| serde_json::Value::String(s.to_string()))
        .unwrap_or(serde_json::Value::Null)
}
