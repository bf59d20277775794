//! HeyMilo's part of a template's `provider_ref`: besides the posting's id, ingestion needs
//! its `url_key` (`POST /api/ingest/x/{url_key}`). The gateway stores this part without
//! reading it; only this adapter gives it a type.

use gateway_core::{FieldError, ProviderError, ProviderRef};
use serde::Deserialize;

/// The posting's address, as clients write it: `{kind: "posting", id, url_key}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingRef {
    #[serde(default)]
    pub url_key: Option<String>,
}

/// The template kind a HeyMilo posting is linked as.
pub const POSTING: &str = "posting";
const URL_KEY: &str = "url_key";
const MAX_URL_KEY: usize = 500;

/// The reference of posting `id`, ingested at `url_key` when it is known.
pub fn template_ref(id: String, url_key: Option<String>) -> ProviderRef {
    let mut r = ProviderRef::new(POSTING, id);
    if let Some(key) = url_key {
        r.vendor.insert(URL_KEY.into(), key.into());
    }
    r
}

/// HeyMilo's part of `r`, checked: only `url_key`, a string of at most 500 characters
/// (surrounding space trimmed; empty means absent).
pub fn read(r: &ProviderRef) -> Result<PostingRef, Vec<FieldError>> {
    let mut part: PostingRef = r.vendor_part()?;
    part.url_key = part
        .url_key
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    if part
        .url_key
        .as_ref()
        .is_some_and(|k| k.chars().count() > MAX_URL_KEY)
    {
        return Err(vec![FieldError::new(
            "provider_ref.url_key",
            format!("must be at most {MAX_URL_KEY} characters"),
        )]);
    }
    Ok(part)
}

/// `found` (the vendor's answer) with the `url_key` the client gave when the vendor's
/// answer leaves it out.
pub fn keep_given_url_key(mut found: ProviderRef, given: &ProviderRef) -> ProviderRef {
    if !found.vendor.contains_key(URL_KEY) {
        if let Some(key) = read(given).ok().and_then(|p| p.url_key) {
            found.vendor.insert(URL_KEY.into(), key.into());
        }
    }
    found
}

/// The posting's `url_key`, which ingestion needs.
pub fn url_key(template: &ProviderRef) -> Result<String, ProviderError> {
    let part = read(template).map_err(|errors| {
        ProviderError::InvalidInput(
            errors
                .into_iter()
                .map(|e| FieldError::new(format!("template.{}", e.field), e.message))
                .collect(),
        )
    })?;
    part.url_key.ok_or_else(|| {
        ProviderError::invalid(
            "template.provider_ref.url_key",
            "HeyMilo ingests candidates into a posting's url_key; import the posting or link it with its url_key",
        )
    })
}
