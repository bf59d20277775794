//! Field checks shared by handlers. Each collects `FieldError`s so one response names every
//! problem at once.

use gateway_core::FieldError;

use crate::http::error::{ApiError, ApiResult};

#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// A required, trimmed, non-empty string of at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.fail(field, "must not be empty");
        } else if v.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if v.chars().any(char::is_control) {
            self.fail(field, "must not contain control characters");
        }
        v.to_string()
    }

    /// An optional string: empty becomes absent.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        Some(v.to_string())
    }

    pub fn push(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::fields(self.0))
        }
    }
}

/// A candidate as a client gave it, checked and tidied (`prefix` names it in errors, e.g.
/// `candidates[3]`).
pub fn candidate(
    checks: &mut Checks,
    prefix: &str,
    c: &gateway_core::CandidateInput,
) -> gateway_core::CandidateInput {
    use gateway_core::candidate::is_plausible_email;
    let field = |f: &str| format!("{prefix}.{f}");
    if !is_plausible_email(&c.email) {
        checks.fail(field("email"), "must be a valid email address");
    }
    let resume_url = checks.optional_text(&field("resume_url"), c.resume_url.as_deref(), 2048);
    if let Some(u) = &resume_url {
        if !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            checks.fail(field("resume_url"), "must be an http(s) URL");
        }
    }
    if let Some(m) = &c.metadata {
        if !m.is_object() {
            checks.fail(field("metadata"), "must be an object");
        } else if m.to_string().len() > 16 * 1024 {
            checks.fail(field("metadata"), "must be at most 16 KiB as JSON");
        }
    }
    gateway_core::CandidateInput {
        email: c.email.trim().to_string(),
        name: checks.optional_text(&field("name"), c.name.as_deref(), 200),
        first_name: checks.optional_text(&field("first_name"), c.first_name.as_deref(), 200),
        last_name: checks.optional_text(&field("last_name"), c.last_name.as_deref(), 200),
        phone: checks.optional_text(&field("phone"), c.phone.as_deref(), 50),
        external_id: checks.optional_text(&field("external_id"), c.external_id.as_deref(), 255),
        resume_url,
        metadata: c.metadata.clone(),
    }
}
