//! Building vendor URLs without letting ids or user paths escape the base URL.

use url::Url;

/// `base` + path segments, each percent-encoded, so an id like `../../x` or `a/b` stays one
/// segment under the base, never a different path.
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

/// A caller-supplied relative path (passthrough) resolved under `base`, refused when it
/// would leave it: absolute URLs, scheme-relative `//host`, `..` segments, backslashes,
/// control characters.
pub fn confined(base: &Url, relative: &str) -> Result<Url, String> {
    let relative = relative.strip_prefix('/').unwrap_or(relative);
    if relative.contains("://") || relative.starts_with('/') || relative.contains('\\') {
        return Err("must be a path relative to the connection's base URL".into());
    }
    if relative
        .chars()
        .any(|c| c.is_control() || c == '?' || c == '#')
    {
        return Err("must be a plain path (put the query in `query`)".into());
    }
    let segments: Vec<String> = relative
        .split('/')
        .map(percent_decode)
        .collect::<Result<_, _>>()?;
    if segments
        .iter()
        .any(|s| s == ".." || s == "." || s.contains('/') || s.contains('\\'))
    {
        return Err("must not contain `.` or `..` segments".into());
    }
    let refs: Vec<&str> = segments
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let url = endpoint(base, &refs);
    // Belt and braces: whatever was built must still sit under the base.
    let base_path = base.path().trim_end_matches('/');
    if url.origin() != base.origin() || !url.path().starts_with(base_path) {
        return Err("resolves outside the connection's base URL".into());
    }
    Ok(url)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("malformed percent-encoding")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "malformed percent-encoding")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "path is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_under_the_base() {
        let base = Url::parse("https://partner-api.taptalent.io/v1/partner").unwrap();
        assert_eq!(
            endpoint(&base, &["assessment-flows", "42", "candidates"]).as_str(),
            "https://partner-api.taptalent.io/v1/partner/assessment-flows/42/candidates"
        );
        let slash = Url::parse("https://api.heymilo.network/").unwrap();
        assert_eq!(
            endpoint(&slash, &["api", "interview", "../../admin"]).as_str(),
            "https://api.heymilo.network/api/interview/..%2F..%2Fadmin"
        );
        assert_eq!(
            endpoint(&slash, &["api", "ingest", "x", "a b"]).path(),
            "/api/ingest/x/a%20b"
        );
    }

    #[test]
    fn passthrough_paths_cannot_leave_the_base() {
        let base = Url::parse("http://127.0.0.1:9000/taptalent/v1/partner").unwrap();
        assert_eq!(
            confined(&base, "/assessment-flows/7").unwrap().as_str(),
            "http://127.0.0.1:9000/taptalent/v1/partner/assessment-flows/7"
        );
        for bad in [
            "../admin",
            "a/../../b",
            "%2e%2e/admin",
            "a/%2E%2E/..",
            "https://evil.example/x",
            "//evil.example/x",
            "a\\..\\b",
            "a%2fb/../..",
            "x?y=1",
            "a\nb",
        ] {
            assert!(confined(&base, bad).is_err(), "{bad} was accepted");
        }
    }
}
