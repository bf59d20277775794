//! The W3C trace context (`traceparent` / `tracestate`) a piece of work runs under: parsed
//! from a client's request, started when it sent none, and handed on to every vendor call
//! as a child (same trace id, a new span id), so one trace id follows an invitation from
//! the client through the gateway to the vendor and back. Pure values, no I/O: the server
//! keeps the current one per request, the vendor client formats the header.

use std::fmt::Write as _;

/// One hop of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: [u8; 16],
    /// This hop's span: the parent of whatever it calls.
    pub span_id: [u8; 8],
    /// The span this one was made under, when it is the gateway's own child of one (what
    /// an exported span names as its parent). `None` for a trace the gateway starts and for
    /// a hop read from a client's header.
    pub parent_span_id: Option<[u8; 8]>,
    pub sampled: bool,
    /// Vendor-specific trace data, carried on unchanged (already checked to be sane).
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// Read a `traceparent` header (and its `tracestate`). `None` for anything the W3C
    /// grammar refuses (all-zero ids, version `ff`, upper-case hex, a wrong length), in
    /// which case the caller starts a new trace, as the spec says.
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let s = traceparent.trim();
        let version = s.get(0..2)?;
        if !is_lower_hex(version) || version == "ff" {
            return None;
        }
        // Version 00 is exactly 55 characters; a later version may append `-…` fields.
        if s.len() < 55 || (version == "00" && s.len() != 55) {
            return None;
        }
        if s.len() > 55 && s.as_bytes()[55] != b'-' {
            return None;
        }
        let b = s.as_bytes();
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let trace_id: [u8; 16] = decode(&s[3..35])?;
        let span_id: [u8; 8] = decode(&s[36..52])?;
        let [flags]: [u8; 1] = decode(&s[53..55])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            parent_span_id: None,
            sampled: flags & 1 == 1,
            tracestate: tracestate.and_then(sane_tracestate),
        })
    }

    /// A new trace (no caller sent one).
    pub fn start(sampled: bool) -> Self {
        TraceContext {
            trace_id: nonzero(rand::random),
            span_id: nonzero(rand::random),
            parent_span_id: None,
            sampled,
            tracestate: None,
        }
    }

    /// The next hop: same trace, a new span whose parent is this one.
    pub fn child(&self) -> Self {
        TraceContext {
            span_id: nonzero(rand::random),
            parent_span_id: Some(self.span_id),
            ..self.clone()
        }
    }

    /// The `traceparent` header value naming this hop as the parent.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id_hex(),
            hex(&self.span_id),
            if self.sampled { "01" } else { "00" }
        )
    }

    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }
}

fn nonzero<const N: usize>(mut draw: impl FnMut() -> [u8; N]) -> [u8; N] {
    loop {
        let v = draw();
        if v != [0; N] {
            return v;
        }
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

fn decode<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !is_lower_hex(s) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `tracestate` is passed on only when it is short printable ASCII (it reaches logs and
/// vendor headers); the spec's own limit is 512 characters.
fn sane_tracestate(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = !s.is_empty() && s.len() <= 512 && s.bytes().all(|b| (0x20..0x7f).contains(&b));
    ok.then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn reads_and_writes_the_spec_example() {
        let t = TraceContext::parse(EXAMPLE, Some("congo=t61rcWkgMzE")).expect("valid");
        assert_eq!(t.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.span_id_hex(), "00f067aa0ba902b7");
        assert!(t.sampled);
        assert_eq!(t.tracestate.as_deref(), Some("congo=t61rcWkgMzE"));
        assert_eq!(t.traceparent(), EXAMPLE);
        let c = t.child();
        assert_eq!(c.trace_id, t.trace_id);
        assert_ne!(c.span_id, t.span_id);
        assert_eq!(t.parent_span_id, None);
        assert_eq!(c.parent_span_id, Some(t.span_id));
    }

    #[test]
    fn refuses_what_the_grammar_refuses() {
        for bad in [
            "",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert!(TraceContext::parse(bad, None).is_none(), "{bad:?}");
        }
        // A later version may carry more fields after a dash.
        let future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more";
        assert!(
            !TraceContext::parse(future, None)
                .expect("future version")
                .sampled
        );
        // A tracestate with a control character is dropped, not passed on.
        let t = TraceContext::parse(EXAMPLE, Some("a=b\nc")).expect("valid");
        assert_eq!(t.tracestate, None);
    }

    #[test]
    fn a_started_trace_has_nonzero_ids() {
        let t = TraceContext::start(true);
        assert_ne!(t.trace_id, [0; 16]);
        assert!(TraceContext::parse(&t.traceparent(), None).is_some());
    }
}
