//! Prefixed, typed identifiers over UUIDv7.
//!
//! On the wire an id is `<prefix>_<26 chars of Crockford base32>` (e.g. `intv_01jd8x…`). The
//! base32 body sorts like the UUID it encodes, so ids sort by creation time, and a value
//! minted for one resource can never be mistaken for another: `tmpl_…` does not parse as an
//! [`InterviewId`]. In the database an id is the plain UUID.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Crockford's alphabet: no I, L, O, U, so ids survive being read aloud or retyped.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const BODY_LEN: usize = 26;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdParseError {
    #[error("expected an id starting with `{expected}_`")]
    WrongPrefix { expected: &'static str },
    #[error("malformed id: expected `{expected}_` followed by 26 base32 characters")]
    Malformed { expected: &'static str },
}

/// Room for the longest prefix (checked where each id type is declared), `_` and the body.
const MAX_PREFIX_LEN: usize = 8;

fn encode(value: u128, out: &mut [u8]) {
    // 26 × 5 = 130 bits: the first character carries only the top 3 bits.
    for (i, slot) in out.iter_mut().take(BODY_LEN).enumerate() {
        let shift = 5 * (BODY_LEN - 1 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
}

/// An id's text, built on the stack: responses format hundreds of ids per page, and this
/// spares each one the heap.
pub struct Formatted {
    buf: [u8; MAX_PREFIX_LEN + 1 + BODY_LEN],
    len: usize,
}

impl Formatted {
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

pub fn format_into(prefix: &str, uuid: Uuid) -> Formatted {
    let mut buf = [0u8; MAX_PREFIX_LEN + 1 + BODY_LEN];
    let p = prefix.len().min(MAX_PREFIX_LEN);
    buf[..p].copy_from_slice(&prefix.as_bytes()[..p]);
    buf[p] = b'_';
    encode(uuid.as_u128(), &mut buf[p + 1..]);
    Formatted {
        buf,
        len: p + 1 + BODY_LEN,
    }
}

fn decode_char(c: u8) -> Option<u128> {
    let c = c.to_ascii_lowercase();
    // Crockford decoding is forgiving about the look-alike letters.
    let c = match c {
        b'o' => b'0',
        b'i' | b'l' => b'1',
        other => other,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u128)
}

fn decode(body: &str) -> Option<u128> {
    let bytes = body.as_bytes();
    if bytes.len() != BODY_LEN || decode_char(bytes[0])? > 7 {
        return None;
    }
    bytes
        .iter()
        .try_fold(0u128, |acc, &c| Some((acc << 5) | decode_char(c)?))
}

/// Parse `<prefix>_<body>` into the UUID it carries.
pub fn parse_prefixed(expected: &'static str, s: &str) -> Result<Uuid, IdParseError> {
    let Some((prefix, body)) = s.split_once('_') else {
        return Err(IdParseError::Malformed { expected });
    };
    if prefix != expected {
        return Err(IdParseError::WrongPrefix { expected });
    }
    decode(body)
        .map(Uuid::from_u128)
        .ok_or(IdParseError::Malformed { expected })
}

pub fn format_prefixed(prefix: &str, uuid: Uuid) -> String {
    format_into(prefix, uuid).as_str().to_string()
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        const _: () = assert!($prefix.len() <= MAX_PREFIX_LEN, "id prefix too long");

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh time-ordered id.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(format_into($prefix, self.0).as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_prefixed($prefix, s).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(format_into($prefix, self.0).as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-7][0-9a-hjkmnp-tv-zA-HJKMNP-TV-Z]{25}$")))
                    .examples([serde_json::Value::String(concat!($prefix, "_01jd8x3k5m7q9s1v3x5z7b9d1f").to_string())])
                    .description(Some(concat!("Opaque id with the `", $prefix, "_` prefix.")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// A tenant: every resource belongs to one.
    WorkspaceId, "ws");
typed_id!(ApiKeyId, "key");
typed_id!(ConnectionId, "conn");
typed_id!(TemplateId, "tmpl");
typed_id!(CandidateId, "cand");
typed_id!(InterviewId, "intv");
typed_id!(EventId, "evt");
typed_id!(
    /// A subscriber's webhook endpoint.
    WebhookEndpointId, "whep");
typed_id!(
    /// One outbound webhook message (stable across delivery retries).
    MessageId, "msg");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_display_and_parse() {
        for _ in 0..1000 {
            let id = InterviewId::new();
            let s = id.to_string();
            assert!(s.starts_with("intv_"));
            assert_eq!(s.len(), 5 + BODY_LEN);
            assert_eq!(s.parse::<InterviewId>(), Ok(id));
        }
    }

    #[test]
    fn the_wire_text_is_stable_and_serializes_as_displayed() {
        // Stored and handed-out ids must keep their text: computed independently of `encode`.
        let id = WebhookEndpointId::from_uuid(Uuid::from_u128(
            0x0193_1f2e_3d4c_5b6a_7988_a7b6_c5d4_e3f2,
        ));
        assert_eq!(id.to_string(), "whep_01jcfjwfacbdn7k257pv2x9rzj");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"whep_01jcfjwfacbdn7k257pv2x9rzj\"")
        );
        assert_eq!(
            format_prefixed("aud", id.as_uuid()),
            "aud_01jcfjwfacbdn7k257pv2x9rzj"
        );
    }

    #[test]
    fn extreme_values_round_trip() {
        for v in [0u128, 1, u128::MAX, u128::MAX >> 1, 1 << 127] {
            let id = TemplateId::from_uuid(Uuid::from_u128(v));
            assert_eq!(id.to_string().parse::<TemplateId>(), Ok(id));
        }
    }

    #[test]
    fn text_order_follows_creation_order() {
        let ids: Vec<_> = (0..200).map(|_| CandidateId::new()).collect();
        let mut texts: Vec<_> = ids.iter().map(|i| i.to_string()).collect();
        let before = texts.clone();
        texts.sort();
        assert_eq!(texts, before);
    }

    #[test]
    fn wrong_prefix_is_rejected() {
        let t = TemplateId::new().to_string();
        assert_eq!(
            t.parse::<InterviewId>(),
            Err(IdParseError::WrongPrefix { expected: "intv" })
        );
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "",
            "intv",
            "intv_",
            "intv_short",
            "intv_01jd8x3k5m7q9s1v3x5z7b9d1",   // 25 chars
            "intv_01jd8x3k5m7q9s1v3x5z7b9d1ff", // 27 chars
            "intv_01jd8x3k5m7q9s1v3x5z7b9d1u",  // u is not in the alphabet
            "intv_81jd8x3k5m7q9s1v3x5z7b9d1f",  // overflows 128 bits
            "intv_01jd8x3k5m7q9s1v3x5z7b9d1!",
            "intv_01jd8x3k5m7q9s1v3x5z7b9d1é",
        ] {
            assert!(bad.parse::<InterviewId>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn parsing_is_case_insensitive() {
        let id = EventId::new();
        let upper = id.to_string().to_uppercase().replacen("EVT", "evt", 1);
        assert_eq!(upper.parse::<EventId>(), Ok(id));
    }

    #[test]
    fn serde_uses_the_prefixed_string() {
        let id = WorkspaceId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<WorkspaceId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<WorkspaceId>("\"key_01jd8x3k5m7q9s1v3x5z7b9d1f\"").is_err());
        assert!(serde_json::from_str::<WorkspaceId>("42").is_err());
    }
}
