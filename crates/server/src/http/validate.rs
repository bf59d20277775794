//! Field checks shared by handlers. Each collects `FieldError`s so one response names every
//! problem at once.

use gateway_core::FieldError;
use serde_json::Value;

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
        } else if let Some(problem) = text_problem(v) {
            self.fail(field, problem);
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
    let field = |f: &str| format!("{prefix}.{f}");
    if let Err(problem) = email(&c.email) {
        checks.fail(field("email"), problem);
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
        } else if let Some((path, problem)) = bad_text_in(m) {
            checks.fail(format!("{}{path}", field("metadata")), problem);
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

/// Why a string cannot be taken: a NUL (Postgres text cannot hold it, so the backends would
/// disagree) or another control character — tab, newline and carriage return are text.
pub fn text_problem(s: &str) -> Option<&'static str> {
    if s.contains('\0') {
        Some("must not contain NUL (\\u0000)")
    } else if s
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some("must not contain control characters other than tab, newline and carriage return")
    } else {
        None
    }
}

/// The first key or string in a JSON document that [`text_problem`] refuses, with its path
/// relative to `value` (`.a.b[2]`, or `.a` naming a bad key), depth-first in document order.
pub fn bad_text_in(value: &Value) -> Option<(String, &'static str)> {
    bad_text_skipping(value, None)
}

/// [`bad_text_in`], not looking inside the elements of the top-level array `per_item`: their
/// handler checks each element on its own, so one bad item fails only itself.
pub fn bad_text_skipping(value: &Value, per_item: Option<&str>) -> Option<(String, &'static str)> {
    match value {
        Value::String(s) => text_problem(s).map(|p| (String::new(), p)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_text_in(v).map(|(path, p)| (format!("[{i}]{path}"), p))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let name = k.escape_debug().to_string();
            if let Some(p) = text_problem(k) {
                return Some((format!(".{name}"), p));
            }
            if per_item == Some(k.as_str()) && v.is_array() {
                return None;
            }
            bad_text_in(v).map(|(path, p)| (format!(".{name}{path}"), p))
        }),
        _ => None,
    }
}

/// Local part and address limits of RFC 5321 (4.5.3.1).
const MAX_LOCAL: usize = 64;
const MAX_ADDRESS: usize = 254;

/// An address every vendor will take: a dot-atom local part of letters, digits and the
/// usual atext symbols (`%` left out: it is a routing relic and an encoding trap), and a DNS
/// host name with at least one dot — no IP literals, no quoted local parts, no comments.
pub fn email(raw: &str) -> Result<(), &'static str> {
    let email = raw.trim();
    if email.is_empty() {
        return Err("must not be empty");
    }
    if email.len() > MAX_ADDRESS {
        return Err("must be at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must be an email address (local@domain)");
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$&'*+-/=?^_`{|}~".contains(c);
    if local.is_empty()
        || local.len() > MAX_LOCAL
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local.chars().all(|c| c == '.' || atext(c))
    {
        return Err("must have a local part of at most 64 letters, digits and . ! # $ & ' * + - / = ? ^ _ ` { | } ~ (no leading, trailing or double dot)");
    }
    if !is_host_name(domain) {
        return Err("must have a domain that is a DNS host name with a dot (no IP addresses)");
    }
    Ok(())
}

/// A DNS host name (letters, digits, hyphens; internationalized names in their ASCII form
/// are letters too), at least two labels, a top-level label that is not all digits.
fn is_host_name(domain: &str) -> bool {
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        match url::Url::parse(&format!("http://{domain}/")) {
            Ok(u) => match u.host() {
                Some(url::Host::Domain(d)) => d.to_string(),
                _ => return false,
            },
            Err(_) => return false,
        }
    };
    let labels: Vec<&str> = ascii.split('.').collect();
    ascii.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_a_vendor_would_take() {
        for ok in [
            "alex@example.com",
            "a.b+tag@mail.example.co.uk",
            "o'neil@example.com",
            "x_y-z@sub-domain.example.io",
            "a@bücher.de",
        ] {
            assert!(email(ok).is_ok(), "{ok}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("a@{}.com", "b".repeat(64));
        for bad in [
            "<script>alert(1)</script>@example.com",
            "%00@example.com",
            "a\u{0}@example.com",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a@localhost",
            "\"quoted\"@example.com",
            "a b@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a@b@example.com",
            "a@-x.com",
            "a@x..com",
            "a@example.com.",
            "@example.com",
            "a@",
            long_local.as_str(),
            long_label.as_str(),
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_paths_name_the_bad_string() {
        let doc = json!({"a": "fine\ttab\nline", "m": {"k": ["ok", "bad\u{0}"]}});
        assert_eq!(
            bad_text_in(&doc).map(|(p, _)| p),
            Some(".m.k[1]".to_string())
        );
        let key = json!({"m": {"bad\u{1b}key": 1}});
        assert!(bad_text_in(&key).is_some_and(|(p, _)| p.starts_with(".m.bad")));
        let batch = json!({"candidates": [{"name": "x\u{0}"}], "message": "hi"});
        assert_eq!(bad_text_skipping(&batch, Some("candidates")), None);
        let batch = json!({"candidates": [], "message": "x\u{0}"});
        assert!(bad_text_skipping(&batch, Some("candidates")).is_some());
        assert_eq!(bad_text_in(&json!("tab\tis fine")), None);
        assert!(bad_text_in(&json!("del\u{7f}")).is_some());
    }
}
