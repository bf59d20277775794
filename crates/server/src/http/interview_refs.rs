//! The caller's references on an interview: `external_id` and `metadata`, checked before
//! anything is written (README "Interviews: your references").

use serde_json::{Map, Value};

use crate::http::error::{ApiError, ApiResult};
use crate::http::validate::Checks;

pub const MAX_EXTERNAL_ID: usize = 255;
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_KEY: usize = 40;
pub const MAX_METADATA_VALUE: usize = 500;

/// An optional `external_id`: 1–255 characters, no control characters (NUL included).
pub fn external_id(checks: &mut Checks, field: &str, value: Option<&str>) -> Option<String> {
    let v = value?;
    Some(checks.text(field, v, MAX_EXTERNAL_ID))
}

/// A key may name a metadata entry in a query (`metadata=key:value`): letters, digits,
/// `_`, `-` and `.`, so it never holds the `:` that ends it.
fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars().count() <= MAX_METADATA_KEY
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn valid_text(v: &str) -> Option<&'static str> {
    if v.chars().count() > MAX_METADATA_VALUE {
        Some("must be at most 500 characters")
    } else if v.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else {
        None
    }
}

/// `metadata`: a flat object of at most 50 entries; keys 1–40 characters of `[A-Za-z0-9_.-]`;
/// values strings (≤ 500 characters, no control characters), numbers, booleans or null.
/// Absent is `{}`.
pub fn metadata(checks: &mut Checks, field: &str, value: Option<&Value>) -> Value {
    let Some(value) = value else {
        return Value::Object(Map::new());
    };
    let Some(obj) = value.as_object() else {
        checks.fail(field, "must be an object");
        return Value::Object(Map::new());
    };
    if obj.len() > MAX_METADATA_KEYS {
        checks.fail(field, format!("must have at most {MAX_METADATA_KEYS} keys"));
    }
    for (k, v) in obj {
        if !valid_key(k) {
            checks.fail(
                field,
                format!(
                    "keys must be 1–{MAX_METADATA_KEY} characters of letters, digits, `_`, `-` and `.`"
                ),
            );
            continue;
        }
        let at = format!("{field}.{k}");
        match v {
            Value::String(s) => {
                if let Some(why) = valid_text(s) {
                    checks.fail(at, why);
                }
            }
            Value::Number(_) | Value::Bool(_) | Value::Null => {}
            Value::Array(_) | Value::Object(_) => checks.fail(
                at,
                "must be a string, number, boolean or null (metadata is flat)",
            ),
        }
    }
    value.clone()
}

/// The list filter `metadata=key:value`.
pub fn metadata_filter(raw: &str) -> ApiResult<(String, String)> {
    let bad = || {
        ApiError::field(
            "metadata",
            "give `key:value` (a metadata key, a colon, the value to match)",
        )
    };
    let (k, v) = raw.split_once(':').ok_or_else(bad)?;
    if !valid_key(k) || valid_text(v).is_some() {
        return Err(bad());
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> bool {
        let mut c = Checks::new();
        metadata(&mut c, "metadata", Some(&v));
        c.finish().is_ok()
    }

    #[test]
    fn metadata_is_flat_and_bounded() {
        assert!(check(
            json!({"job": "be-2", "round": 2, "remote": true, "note": null})
        ));
        assert!(!check(json!(["a"])));
        assert!(!check(json!({"nested": {"a": 1}})));
        assert!(!check(json!({"list": [1]})));
        assert!(!check(json!({"with space": "x"})));
        assert!(!check(json!({"a:b": "x"})));
        assert!(!check(json!({"k": "x".repeat(501)})));
        assert!(check(json!({"k": "x".repeat(500)})));
        assert!(!check(json!({"k": "nul\u{0}byte"})));
        assert!(!check(json!({ "k".repeat(41): 1 })));
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(!check(Value::Object(many)));
    }

    #[test]
    fn filters_split_at_the_first_colon() {
        assert_eq!(
            metadata_filter("stage:on:site").unwrap(),
            ("stage".into(), "on:site".into())
        );
        assert!(metadata_filter("nocolon").is_err());
        assert!(metadata_filter(":x").is_err());
    }
}
