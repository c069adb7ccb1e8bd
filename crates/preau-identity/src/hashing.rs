//! Password hashing with argon2id at OWASP parameters (m = 19 MiB, t = 2, p = 1), on a bounded
//! pool: as many hashes run at once as there are cores, a bounded number wait, and anything past
//! that is refused at once with [`Error::Overloaded`] rather than queued without bound.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use preau_core::{Error, Random, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: Params,
    workers: Semaphore,
    admitted: Semaphore,
    waiting: AtomicUsize,
    rng: Arc<dyn Random>,
}

/// A hash that is never equal to any password's: verifying against it costs as much as a real
/// verification, so unknown logins take as long as known ones.
const DUMMY_SALT: &[u8] = b"preau-dummy-salt";

impl PasswordHasher {
    /// `workers` hashes at once, `queue` more waiting. `memory_kib` and `iterations` are the
    /// argon2id cost (OWASP: 19456 KiB, 2).
    pub fn new(workers: usize, queue: usize, memory_kib: u32, iterations: u32, rng: Arc<dyn Random>) -> Result<Self> {
        let params = Params::new(memory_kib, iterations, 1, None).map_err(Error::internal)?;
        Ok(Self {
            inner: Arc::new(Inner {
                params,
                workers: Semaphore::new(workers.max(1)),
                admitted: Semaphore::new(workers.max(1) + queue),
                waiting: AtomicUsize::new(0),
                rng,
            }),
        })
    }

    /// OWASP parameters on a pool sized to the machine.
    pub fn owasp(rng: Arc<dyn Random>) -> Result<Self> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self::new(cores, cores * 8, 19 * 1024, 2, rng)
    }

    /// Requests waiting for a worker (the metric `preau_hash_queue_depth`).
    pub fn queue_depth(&self) -> usize {
        self.inner.waiting.load(Ordering::Relaxed)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.inner.params.clone())
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce(Argon2<'static>) -> T + Send + 'static) -> Result<T> {
        let _admitted = self.inner.admitted.try_acquire().map_err(|_| Error::Overloaded(1))?;
        self.inner.waiting.fetch_add(1, Ordering::Relaxed);
        let worker = self.inner.workers.acquire().await;
        self.inner.waiting.fetch_sub(1, Ordering::Relaxed);
        let _worker = worker.map_err(Error::internal)?;
        let argon = self.argon();
        tokio::task::spawn_blocking(move || job(argon)).await.map_err(Error::internal)
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let mut salt = [0u8; 16];
        self.inner.rng.fill(&mut salt);
        let password = password.to_owned();
        self.run(move |argon| {
            let hash: PasswordHash = argon.hash_password_with_salt(password.as_bytes(), &salt).map_err(Error::internal)?;
            Ok(hash.to_string())
        })
        .await?
    }

    /// Checks a password against a stored PHC string; `None` (no password set, unknown login)
    /// costs a full hash all the same.
    pub async fn verify(&self, stored: Option<String>, password: &str) -> Result<bool> {
        let password = password.to_owned();
        self.run(move |argon| match stored.as_deref().and_then(|s| PasswordHash::new(s).ok()) {
            Some(h) => argon.verify_password(password.as_bytes(), &h).is_ok(),
            None => {
                let _: Result<PasswordHash, _> = argon.hash_password_with_salt(password.as_bytes(), DUMMY_SALT);
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use preau_core::OsRandom;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(1, 0, 64, 1, Arc::new(OsRandom)).unwrap()
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let h = cheap();
        let stored = h.hash("correct horse").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify(Some(stored.clone()), "correct horse").await.unwrap());
        assert!(!h.verify(Some(stored), "wrong horse").await.unwrap());
        assert!(!h.verify(None, "anything").await.unwrap());
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once() {
        let h = cheap();
        let held = h.inner.admitted.try_acquire().unwrap();
        assert!(matches!(h.hash("x").await, Err(Error::Overloaded(_))));
        drop(held);
        assert!(h.hash("x").await.is_ok());
    }
}
