//! Field checks shared by handlers. Each collects `FieldError`s so one response names every
//! problem at once.

use gateway_core::FieldError;

use crate::error::{ApiError, ApiResult};

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
