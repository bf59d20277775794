//! Secrets the gateway makes for itself on first start, kept in the database sealed under
//! the master key, so an operator manages exactly one secret (the master key).

use gateway_store::Store;
use rand::RngCore;

use crate::secrets::crypto::{CryptoError, KeyRing};

pub const API_KEY_HASH_KEY: &str = "api_key_hash_key";
pub const INBOUND_TOKEN_KEY: &str = "inbound_token_key";

pub fn context(name: &str) -> String {
    format!("gateway_secret:{name}")
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Store(#[from] gateway_store::StoreError),
    #[error(
        "the database's secrets were sealed with a different master key than the one \
         configured (fingerprint {0}); configure the original key, or rotate with \
         `interview-gateway rotate-master-key`"
    )]
    WrongMasterKey(String),
    #[error("stored secret `{0}` is corrupt")]
    Corrupt(String),
}

/// The 32-byte secret `name`, created at random the first time any replica asks.
pub async fn load_or_create(
    store: &dyn Store,
    key: &KeyRing,
    name: &str,
) -> Result<[u8; 32], SecretsError> {
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let sealed = key.seal(&fresh, &context(name));
    let stored = store.get_or_insert_gateway_secret(name, &sealed).await?;
    let plain = key.open(&stored, &context(name)).map_err(|e| match e {
        CryptoError::WrongKey => SecretsError::WrongMasterKey(key.fingerprint_hex()),
        _ => SecretsError::Corrupt(name.to_string()),
    })?;
    plain
        .try_into()
        .map_err(|_| SecretsError::Corrupt(name.to_string()))
}
