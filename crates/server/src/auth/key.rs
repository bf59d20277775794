//! Key material: generation, parsing, keyed hashing.

use hmac::{Hmac, Mac};
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const TAG: &str = "igk_";
const LOOKUP_LEN: usize = 16;
const SECRET_LEN: usize = 40;

/// A freshly minted key. `full` is shown to the caller once and never stored.
pub struct GeneratedKey {
    pub full: gateway_core::Secret<String>,
    pub lookup: String,
    /// `igk_<lookup>`: the public part, listed with the key.
    pub prefix: String,
}

fn random_alnum(n: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

impl GeneratedKey {
    pub fn generate() -> Self {
        let lookup = random_alnum(LOOKUP_LEN);
        let secret = random_alnum(SECRET_LEN);
        Self {
            full: gateway_core::Secret::new(format!("{TAG}{lookup}_{secret}")),
            prefix: format!("{TAG}{lookup}"),
            lookup,
        }
    }
}

impl GeneratedKey {
    /// A key minted elsewhere (`keys generate`, a deployment's secret store), if well formed.
    pub fn from_full(full: &str) -> Option<Self> {
        let lookup = parse_lookup(full)?.to_string();
        Some(Self {
            full: gateway_core::Secret::new(full.to_string()),
            prefix: format!("{TAG}{lookup}"),
            lookup,
        })
    }
}

/// The lookup part of a presented key, if it has the shape of one.
pub fn parse_lookup(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(TAG)?;
    let (lookup, secret) = rest.split_once('_')?;
    let shaped = lookup.len() == LOOKUP_LEN
        && secret.len() == SECRET_LEN
        && lookup
            .bytes()
            .chain(secret.bytes())
            .all(|b| b.is_ascii_alphanumeric());
    shaped.then_some(lookup)
}

/// Keyed hashing of whole keys. A leaked table of hashes is useless without the server's
/// hashing key, which lives encrypted under the master key.
#[derive(Clone)]
pub struct KeyHasher {
    key: [u8; 32],
}

impl KeyHasher {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    pub fn hash(&self, full_key: &str) -> Vec<u8> {
        // HMAC accepts keys of any length; new_from_slice cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(full_key.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    pub fn verify(&self, full_key: &str, stored: &[u8]) -> bool {
        let computed = self.hash(full_key);
        !stored.is_empty() && computed.ct_eq(stored).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_verify() {
        let k = GeneratedKey::generate();
        let full = k.full.expose();
        assert!(full.starts_with(&k.prefix));
        assert_eq!(parse_lookup(full), Some(k.lookup.as_str()));
        let h = KeyHasher::new([7; 32]);
        let stored = h.hash(full);
        assert!(h.verify(full, &stored));
        assert!(!h.verify(&format!("{full}x"), &stored));
        assert!(
            !KeyHasher::new([8; 32]).verify(full, &stored),
            "another server secret"
        );
        assert_ne!(GeneratedKey::generate().lookup, k.lookup);
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        for bad in [
            "",
            "igk_",
            "igk_abc_def",
            "sk_live_x",
            "igk_aaaaaaaaaaaaaaaa_short",
            "igk_aaaaaaaaaaaaaaa!_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert_eq!(parse_lookup(bad), None, "{bad}");
        }
    }
}
