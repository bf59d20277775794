//! HTTP plumbing every route shares: the error table, extractors, paging, field checks,
//! idempotency, the per-request context and the OpenAPI assembly.

pub mod error;
pub mod extract;
pub mod idempotency;
pub mod interview_refs;
pub mod openapi;
pub mod pagination;
pub mod request_context;
pub mod validate;
