//! Extractors whose rejections speak the error table: malformed JSON is a 400, a body of
//! the wrong shape a 422 naming the field, a malformed path id a 404, a bad query a 400.
//!
//! Text is checked here, once for every route: a NUL or a control character (other than
//! tab, newline, carriage return) anywhere in a JSON body — keys and nested values included —
//! is a 422 naming the field, and in a query parameter a 400 naming it, before any handler,
//! vendor call or write. (Postgres cannot store NUL in text; SQLite can: without this the
//! backends would disagree.)

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::validate::text_problem;

/// A JSON body. Requires `Content-Type: application/json`.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_body(req, state, None).await.map(ApiJson)
    }
}

/// A batch's JSON body: like [`ApiJson`], except that the elements of the top-level
/// `candidates` array are left to the handler's per-item checks, so one bad candidate fails
/// only its own item, not the batch.
pub struct ApiBatchJson<T>(pub T);

/// The array whose elements a batch checks one by one.
const BATCH_ITEMS: &str = "candidates";

impl<T, S> FromRequest<S> for ApiBatchJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_body(req, state, Some(BATCH_ITEMS))
            .await
            .map(ApiBatchJson)
    }
}

async fn json_body<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    per_item: Option<&str>,
) -> Result<T, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the request body exceeds the configured limit",
            )
        } else {
            ApiError::malformed(rejection.body_text())
        }
    })?;
    // serde would build a struct from a JSON array; every body here is an object.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => {}
        Some(_) => return Err(ApiError::field("body", "must be a JSON object")),
    }
    let parsed = parse_json(&bytes)?;
    check_text(&bytes, per_item)?;
    Ok(parsed)
}

/// Refuse a body with a NUL or control character in any key or string. (Shape errors come
/// first, so their messages are unchanged; the body is known to be valid JSON here.)
fn check_text(bytes: &[u8], per_item: Option<&str>) -> Result<(), ApiError> {
    // JSON strings cannot hold raw C0 controls, so a control character arrives escaped
    // (a backslash), as a raw DEL (0x7f) or as a C1 control (UTF-8 0xc2 0x80..0x9f): a body
    // with none of these bytes needs no walk.
    let suspicious = bytes.iter().any(|&b| b == b'\\' || b == 0x7f || b == 0xc2);
    if !suspicious {
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed(format!("malformed JSON: {e}")))?;
    match crate::http::validate::bad_text_skipping(&value, per_item) {
        Some((path, problem)) => Err(ApiError::field(path.trim_start_matches('.'), problem)),
        None => Ok(()),
    }
}

/// Deserialize, reporting where in the document a problem is.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end()
        .map_err(|e| ApiError::malformed(format!("malformed JSON: {e}")))?;
    Ok(value)
}

fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            let detail = if inner.is_eof() && inner.line() == 1 && inner.column() == 0 {
                "the request body is empty; expected a JSON document".to_string()
            } else {
                format!("malformed JSON: {inner}")
            };
            ApiError::malformed(detail)
        }
        Category::Data => {
            let message = strip_position(&inner.to_string());
            // serde reports a missing field at its parent; name the field itself. (An
            // unknown field's path already ends with it.)
            let named = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string);
            let field = match (named, path.as_str()) {
                (Some(name), ".") => name,
                (Some(name), parent) => format!("{parent}.{name}"),
                (None, ".") => "body".to_string(),
                (None, p) => p.to_string(),
            };
            ApiError::field(field, message)
        }
    }
}

/// serde_json appends " at line 1 column 42"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Path parameters. A malformed or wrong-prefix id is indistinguishable from an unknown
/// one: 404.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(ApiError::not_found(format!("`{}`", parts.uri.path()))),
        }
    }
}

/// Query parameters; a malformed one is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if let Some(problem) = text_problem(&k).or_else(|| text_problem(&v)) {
                return Err(ApiError::field(k.escape_debug().to_string(), problem)
                    .with_code(ErrorCode::MalformedRequest));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.inner().to_string();
                let field = if path == "." {
                    ["missing field `", "unknown field `"]
                        .iter()
                        .find_map(|p| message.strip_prefix(p))
                        .and_then(|rest| rest.split('`').next())
                        .unwrap_or("query")
                        .to_string()
                } else {
                    path
                };
                ApiError::field(field, message).with_code(ErrorCode::MalformedRequest)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        candidates: Vec<Inner>,
    }

    fn field_of(body: &str) -> (u16, String) {
        let e = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        (
            e.status.as_u16(),
            e.errors
                .first()
                .map(|f| f.field.clone())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn names_the_offending_field() {
        assert_eq!(field_of(r#"{"candidates":[]}"#), (422, "name".into()));
        assert_eq!(
            field_of(r#"{"name":"x","candidates":[{"email":"a"},{}]}"#),
            (422, "candidates[1].email".into())
        );
        assert_eq!(
            field_of(r#"{"name":1,"candidates":[]}"#),
            (422, "name".into())
        );
        assert_eq!(
            field_of(r#"{"name":"x","candidates":[],"extra":1}"#),
            (422, "extra".into())
        );
        assert_eq!(
            field_of(r#"{"name":"x","candidates":[{"email":"a","x":1}]}"#),
            (422, "candidates[0].x".into())
        );
    }

    #[test]
    fn malformed_json_is_a_400() {
        assert_eq!(field_of(r#"{"name": "#).0, 400);
        assert_eq!(field_of("").0, 400);
        assert_eq!(field_of(r#"{"name":"x","candidates":[]} trailing"#).0, 400);
    }
}
