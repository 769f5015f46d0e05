//! The box key: channel secrets (access tokens, app secrets, verify tokens) are sealed with
//! AES-256-GCM under a key kept in `DIR/box.key` (0600), never in the data file, so the data
//! file and its backups hold only ciphertext. Each sealed value is bound to its company and
//! field (the AEAD's associated data): a blob copied into another company or field does not
//! open. A backup restored on another box opens without the key file: its channels then
//! need their secrets entered again (they show "secrets missing"), nothing else is lost.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use rand::RngCore;

use crate::error::{Error, Result};
use crate::ids::CompanyId;

/// Name of the key file in the data directory.
pub const KEY_FILE: &str = "box.key";

pub struct BoxKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for BoxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxKey(..)")
    }
}

impl BoxKey {
    /// Reads `path`, or creates it with 32 random bytes on first start.
    pub fn load_or_create(path: &Path) -> Result<BoxKey> {
        let fail = |e: std::io::Error| Error::Internal(format!("{}: {e}", path.display()));
        let bytes = if path.exists() {
            use std::io::Read;
            let mut text = String::new();
            crate::storage::private::open_file(path).and_then(|mut f| f.read_to_string(&mut text)).map_err(fail)?;
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
                .filter(|k| k.len() == 32)
                .ok_or_else(|| Error::Internal(format!("{} must be base64 of 32 bytes", path.display())))?
        } else {
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            write_key_file(path, &bytes).map_err(fail)?;
            bytes
        };
        BoxKey::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<BoxKey> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| Error::Internal("box key: wrong length".into()))?;
        Ok(BoxKey { key: LessSafeKey::new(unbound) })
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plain`, bound to `company` and `field`.
    pub fn seal(&self, company: CompanyId, field: &str, plain: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad(company, field)), &mut data)
            .map_err(|_| Error::Internal("seal failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// The plain text of a sealed value, or `None` when it was sealed under another key,
    /// company or field (or is damaged).
    pub fn open(&self, company: CompanyId, field: &str, sealed: &[u8]) -> Option<String> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(aad(company, field)), &mut data).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn aad(company: CompanyId, field: &str) -> Vec<u8> {
    format!("dukan/{}/{field}", company.0).into_bytes()
}

/// Writes the key file `0600` whole or not at all (a temporary file, fsynced, renamed).
fn write_key_file(path: &Path, key: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("key.tmp");
    let mut f = crate::storage::private::create_file(&tmp)?;
    writeln!(f, "{}", base64::engine::general_purpose::STANDARD.encode(key))?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_company_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let key = BoxKey::load_or_create(&path).unwrap();
        let sealed = key.seal(CompanyId(7), "token", "EAAG-secret").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"EAAG-secret"), "never in clear");
        assert_eq!(key.open(CompanyId(7), "token", &sealed).as_deref(), Some("EAAG-secret"));
        assert_eq!(key.open(CompanyId(8), "token", &sealed), None);
        assert_eq!(key.open(CompanyId(7), "app_secret", &sealed), None);
        let again = BoxKey::load_or_create(&path).unwrap();
        assert_eq!(again.open(CompanyId(7), "token", &sealed).as_deref(), Some("EAAG-secret"), "the key file is reused");
        let other = BoxKey::from_bytes(&[9u8; 32]).unwrap();
        assert_eq!(other.open(CompanyId(7), "token", &sealed), None);
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(key.open(CompanyId(7), "token", &flipped), None);
    }
}
