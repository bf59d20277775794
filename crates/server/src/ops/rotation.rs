//! `interview-gateway rotate-master-key`: re-seal every secret at rest.
//!
//! Zero downtime, any deployment: run every replica with the new key as
//! `security.master_key` and the old one in `security.previous_master_keys`, run
//! `rotate-master-key`, then drop the old key. Everything is re-sealed in one transaction.
//!
//! The single-node default (`security.master_key_file`): `rotate-master-key --generate` makes
//! a new key, writes it to `<file>.new`, re-seals, then moves the old key to
//! `<file>.previous` and the new one into place. Restart the gateway afterwards.

use std::path::{Path, PathBuf};

use gateway_store::{PoolSettings, SealedRef};

use crate::config::Config;
use crate::secrets::crypto::{KeyRing, MasterKey};
use crate::secrets::server_secrets;
use crate::service::connections::credentials_context;

pub struct RotationReport {
    pub resealed: usize,
    pub old_fingerprint: String,
    pub new_fingerprint: String,
    /// Where the new key was written (`--generate`).
    pub key_file: Option<PathBuf>,
}

fn context(at: &SealedRef) -> String {
    match at {
        SealedRef::ConnectionCredentials(id) => credentials_context(*id),
        SealedRef::GatewaySecret(name) => server_secrets::context(name),
        SealedRef::WebhookEndpointSecret(id) => {
            crate::workers::outbound_webhooks::secret_context(*id)
        }
    }
}

fn write_key_file(path: &Path, key: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    f.write_all(key.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    Ok(())
}

pub async fn rotate_master_key(config: &Config, generate: bool) -> anyhow::Result<RotationReport> {
    let ring = KeyRing::load(&config.security)?;
    let old_fingerprint = ring.fingerprint_hex();
    let (target, key_file) = if generate {
        let Some(path) = config
            .security
            .master_key_file
            .clone()
            .filter(|_| config.security.master_key.is_none())
        else {
            anyhow::bail!(
                "--generate replaces security.master_key_file; with security.master_key set, put the new key there \
                 and the old one in security.previous_master_keys, then run rotate-master-key without --generate"
            );
        };
        let text = MasterKey::generate_base64();
        let staged = path.with_extension("key.new");
        write_key_file(&staged, &text)?;
        (MasterKey::from_base64(&text)?, Some((path, staged)))
    } else {
        (ring.current().clone(), None)
    };
    let store =
        gateway_store::connect(config.database.url.expose(), PoolSettings::default()).await?;
    let rewrap = |at: &SealedRef, sealed: &[u8]| -> Result<Vec<u8>, String> {
        let ctx = context(at);
        let plain = ring
            .open(sealed, &ctx)
            .map_err(|e| format!("{at:?}: {e}"))?;
        Ok(target.seal(&plain, &ctx))
    };
    let resealed = store.rewrap_all_secrets(&rewrap).await?;
    let mut installed = None;
    if let Some((path, staged)) = key_file {
        let previous = path.with_extension("key.previous");
        std::fs::rename(&path, &previous).map_err(|e| {
            anyhow::anyhow!(
                "re-sealed under the key in {}; moving the old key aside failed: {e}",
                staged.display()
            )
        })?;
        std::fs::rename(&staged, &path).map_err(|e| {
            anyhow::anyhow!(
                "re-sealed under the key in {}; installing it failed: {e}",
                staged.display()
            )
        })?;
        installed = Some(path);
    }
    Ok(RotationReport {
        resealed,
        old_fingerprint,
        new_fingerprint: target.fingerprint_hex(),
        key_file: installed,
    })
}
