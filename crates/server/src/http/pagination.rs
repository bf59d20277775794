//! List parameters and opaque cursors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use gateway_store::PageRequest;
use uuid::Uuid;

use crate::http::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u32 = 50;

/// A cursor is the last id of the previous page, encoded so clients treat it as opaque.
pub fn encode_cursor(after: Uuid) -> String {
    B64.encode(after.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> ApiResult<Uuid> {
    B64.decode(cursor)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| ApiError::field("cursor", "not a cursor this API returned"))
}

/// Validate `limit` (1–200, default 50) and `cursor`.
pub fn page_request(limit: Option<u32>, cursor: Option<&str>) -> ApiResult<PageRequest> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=PageRequest::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 200"));
    }
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    Ok(PageRequest { limit, after })
}

/// A page as a JSON response, serialized into a buffer sized for its items. (axum's `Json`
/// starts at 128 bytes and writes token by token through `BytesMut`: a page of 50
/// interviews, ~60 KB, regrew it nine times; that was ~10 % of a list request's CPU.)
pub fn page_response<T: serde::Serialize>(page: &T, items: usize) -> axum::response::Response {
    use axum::response::IntoResponse;
    const PER_ITEM: usize = 1536;
    let mut buf = Vec::with_capacity(64 + items * PER_ITEM);
    match serde_json::to_writer(&mut buf, page) {
        Ok(()) => (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            buf,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be serialized");
            ApiError::internal().into_response()
        }
    }
}

/// Declare a `{data, next_cursor}` list type for a resource (concrete types keep the
/// OpenAPI schema names readable for generated clients). It is its own response.
macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl axum::response::IntoResponse for $name {
            fn into_response(self) -> axum::response::Response {
                $crate::http::pagination::page_response(&self, self.data.len())
            }
        }

        impl From<gateway_store::Page<$item>> for $name {
            fn from(page: gateway_store::Page<$item>) -> Self {
                Self {
                    data: page.items,
                    next_cursor: page.next_after.map($crate::http::pagination::encode_cursor),
                }
            }
        }
    };
}
pub(crate) use list_of;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        assert!(decode_cursor("nope").is_err());
        assert!(decode_cursor("!!!!").is_err());
        assert!(page_request(Some(0), None).is_err());
        assert!(page_request(Some(201), None).is_err());
        assert_eq!(page_request(None, None).unwrap().limit, 50);
    }
}
