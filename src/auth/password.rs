//! Argon2id password hashing on the blocking pool, behind a semaphore so a burst of sign-ins
//! cannot take every core.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
}

/// A well-formed hash of a password nobody has, verified when the e-mail is unknown so that
/// a wrong e-mail and a wrong password take the same time.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J4moa2MM0/6uf3HbY2Tf5Fux8JIBTwIhmhxGRbsY14w";

impl Hasher {
    pub fn new(m_kib: u32, t: u32) -> Result<Hasher> {
        let params = Params::new(m_kib, t, 1, None).map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Ok(Hasher { params, permits: Arc::new(Semaphore::new(cores)) })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(|_| Error::Internal("hasher closed".into()))?;
        let argon = self.argon();
        tokio::task::spawn_blocking(move || argon.hash_password(password.as_bytes()).map(|h| h.to_string()))
            .await
            .map_err(|e| Error::Internal(format!("hash task: {e}")))?
            .map_err(|e| Error::Internal(format!("hash: {e}")))
    }

    /// Blocking form for the CLI.
    pub fn hash_blocking(&self, password: &str) -> Result<String> {
        self.argon().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| Error::Internal(format!("hash: {e}")))
    }

    /// Whether `password` matches `phc`; `None` verifies against a dummy hash and fails.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(|_| Error::Internal("hasher closed".into()))?;
        let argon = self.argon();
        tokio::task::spawn_blocking(move || {
            let known = phc.is_some();
            let phc = phc.unwrap_or_else(|| DUMMY.to_string());
            let ok = match PasswordHash::new(&phc) {
                Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            };
            ok && known
        })
        .await
        .map_err(|e| Error::Internal(format!("verify task: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_the_dummy_never_matches() {
        let h = Hasher::new(1024, 1).expect("params");
        let phc = h.hash("correct horse".into()).await.expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("correct horse".into(), Some(phc.clone())).await.expect("verify"));
        assert!(!h.verify("wrong".into(), Some(phc)).await.expect("verify"));
        assert!(!h.verify("anything".into(), None).await.expect("verify"));
        assert!(PasswordHash::new(DUMMY).is_ok());
    }
}
