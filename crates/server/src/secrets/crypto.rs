//! Secrets at rest: AES-256-GCM under the master key.
//!
//! Sealed format: `0x01 ‖ key fingerprint (4 bytes) ‖ nonce (12) ‖ ciphertext+tag`. The
//! fingerprint tells which master key sealed a value (so rotation and a wrong key give a
//! clear error instead of a bare authentication failure), and every value is bound to its
//! place by associated data (`connection:<id>:credentials`…), so a ciphertext copied into
//! another row does not decrypt.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::SecurityConfig;

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes encoded as base64")]
    BadMasterKey,
    #[error("cannot read the master key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("no master key: set security.master_key or security.master_key_file")]
    Missing,
    #[error("value was sealed with another master key")]
    WrongKey,
    #[error("sealed value is corrupt or was moved from its place")]
    Corrupt,
}

#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
    fingerprint: [u8; 4],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint_hex())
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)),
            fingerprint: [digest[0], digest[1], digest[2], digest[3]],
        }
    }

    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| CryptoError::BadMasterKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadMasterKey)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// A fresh random key, base64-encoded.
    pub fn generate_base64() -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        B64.encode(bytes)
    }

    /// The key the configuration names. With `generate_master_key` (the zero-setup default
    /// only), a missing key file is created with a new key, and a warning says so.
    pub fn load(cfg: &SecurityConfig) -> Result<Self, CryptoError> {
        if let Some(key) = &cfg.master_key {
            return Self::from_base64(key.expose());
        }
        let path = cfg.master_key_file.as_deref().ok_or(CryptoError::Missing)?;
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && cfg.generate_master_key => {
                let key = Self::generate_base64();
                write_private(path, &key).map_err(|source| CryptoError::KeyFile {
                    path: path.display().to_string(),
                    source,
                })?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a new master key for secrets at rest; back this file up — \
                     without it stored vendor credentials cannot be decrypted. Production \
                     deployments should supply their own key (security.master_key)"
                );
                Self::from_base64(&key)
            }
            Err(source) => Err(CryptoError::KeyFile {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(HEADER + plaintext.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&self.fingerprint);
        out.extend_from_slice(&nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < HEADER + 16 || sealed[0] != VERSION {
            return Err(CryptoError::Corrupt);
        }
        if sealed[1..5] != self.fingerprint {
            return Err(CryptoError::WrongKey);
        }
        self.cipher
            .decrypt(
                Nonce::from_slice(&sealed[5..HEADER]),
                Payload {
                    msg: &sealed[HEADER..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Corrupt)
    }
}

/// The master key, plus earlier ones that may still open values (during a rotation).
/// Sealing always uses the current key; opening picks the key by the fingerprint the value
/// carries. This is what makes rotation possible without downtime: run every replica with
/// the new key current and the old one previous, re-seal (`rotate-master-key`), then drop
/// the old key.
#[derive(Clone, Debug)]
pub struct KeyRing {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl KeyRing {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        Self { current, previous }
    }

    pub fn load(cfg: &SecurityConfig) -> Result<Self, CryptoError> {
        let current = MasterKey::load(cfg)?;
        let previous = cfg
            .previous_master_keys
            .iter()
            .map(|k| MasterKey::from_base64(k.expose()))
            .collect::<Result<_, _>>()?;
        Ok(Self { current, previous })
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        self.current.seal(plaintext, context)
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        let fingerprint = sealed.get(1..5).ok_or(CryptoError::Corrupt)?;
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.fingerprint == fingerprint)
            .ok_or(CryptoError::WrongKey)?
            .open(sealed, context)
    }

    pub fn fingerprint_hex(&self) -> String {
        self.current.fingerprint_hex()
    }
}

/// Write a secret file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_in_place_only() {
        let key = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        let sealed = key.seal(b"fl_live_abc.secret", "connection:1:credentials");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            key.open(&sealed, "connection:1:credentials").unwrap(),
            b"fl_live_abc.secret"
        );
        assert!(matches!(
            key.open(&sealed, "connection:2:credentials"),
            Err(CryptoError::Corrupt)
        ));
        let other = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        assert!(matches!(
            other.open(&sealed, "connection:1:credentials"),
            Err(CryptoError::WrongKey)
        ));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(matches!(
            key.open(&tampered, "connection:1:credentials"),
            Err(CryptoError::Corrupt)
        ));
        // Two seals of one value differ (fresh nonce).
        assert_ne!(
            sealed,
            key.seal(b"fl_live_abc.secret", "connection:1:credentials")
        );
    }

    #[test]
    fn rejects_short_keys() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn generates_a_missing_key_file_only_when_allowed() {
        let dir = std::env::temp_dir().join(format!("ig-key-{}", uuid::Uuid::now_v7()));
        let path = dir.join("master.key");
        let cfg = SecurityConfig {
            master_key: None,
            master_key_file: Some(path.clone()),
            generate_master_key: false,
            allow_private_base_urls: false,
            previous_master_keys: Vec::new(),
        };
        assert!(matches!(
            MasterKey::load(&cfg),
            Err(CryptoError::KeyFile { .. })
        ));
        let cfg = SecurityConfig {
            generate_master_key: true,
            ..cfg
        };
        let first = MasterKey::load(&cfg).unwrap();
        let again = MasterKey::load(&cfg).unwrap();
        assert_eq!(
            first.fingerprint_hex(),
            again.fingerprint_hex(),
            "the file is reused"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

#[cfg(test)]
mod ring_tests {
    use super::*;

    #[test]
    fn a_ring_opens_what_any_of_its_keys_sealed() {
        let old = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        let new = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        let sealed_old = old.seal(b"secret", "ctx");
        let ring = KeyRing::new(new.clone(), vec![old]);
        assert_eq!(ring.open(&sealed_old, "ctx").unwrap(), b"secret");
        let sealed_new = ring.seal(b"secret", "ctx");
        assert_eq!(
            new.open(&sealed_new, "ctx").unwrap(),
            b"secret",
            "the ring seals with the current key"
        );
        let alone = KeyRing::new(new, vec![]);
        assert!(matches!(
            alone.open(&sealed_old, "ctx"),
            Err(CryptoError::WrongKey)
        ));
    }
}
