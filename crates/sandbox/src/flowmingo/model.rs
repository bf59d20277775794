use std::collections::HashMap;

use serde_json::Value;

#[derive(Default)]
pub struct State {
    /// API key → (organization, key id, scopes; empty = all).
    pub keys: HashMap<String, ApiKey>,
    pub orgs: HashMap<String, Org>,
}

pub struct ApiKey {
    pub key_id: String,
    pub organization_id: String,
    pub scopes: Vec<String>,
}

impl ApiKey {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.is_empty() || self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Default)]
pub struct Org {
    pub projects: Vec<Project>,
    pub sets: Vec<Value>,
    pub submissions: Vec<Submission>,
    pub webhook: Option<(String, String)>,
}

pub struct Project {
    pub id: String,
    pub job_posts: Vec<String>,
    /// The interview set a project's candidates take.
    pub set_id: String,
}

pub struct Submission {
    pub id: String,
    pub invitation_id: Option<String>,
    pub set_id: String,
    pub email: String,
    pub ats_candidate_id: Option<String>,
    pub status: String,
}

pub fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}
