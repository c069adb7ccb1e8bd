//! Server-side sessions, held in memory for speed and written through to the database so they
//! survive a restart. Idle and absolute timeouts; revocation is immediate. The last-seen time is
//! written back at most once a minute per session, so reading a page costs no database write.

use crate::IdentityStore;
use crate::secrets;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use preau_core::{PersonId, Profile, Random, Result, StructureId, TerritoryId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

/// The SHA-256 digest of a session token: the key of a session in memory (32 bytes) and, in
/// base64, in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn of_token(token: &str) -> SessionKey {
        SessionKey(Sha256::digest(token.as_bytes()).into())
    }

    pub fn from_b64(s: &str) -> Option<SessionKey> {
        let v = URL_SAFE_NO_PAD.decode(s).ok()?;
        Some(SessionKey(v.try_into().ok()?))
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

/// The CSRF token of a session: 32 random bytes, sent to the browser in base64.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Csrf([u8; 32]);

impl Csrf {
    pub fn from_b64(s: &str) -> Option<Csrf> {
        let v = URL_SAFE_NO_PAD.decode(s).ok()?;
        Some(Csrf(v.try_into().ok()?))
    }

    /// Compares a submitted token in constant time.
    pub fn matches(&self, submitted: &str) -> bool {
        match Csrf::from_b64(submitted.trim()) {
            Some(other) => self.0.iter().zip(other.0.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0,
            None => false,
        }
    }
}

impl fmt::Display for Csrf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for Csrf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Csrf(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub digest: String,
    pub person: PersonId,
    pub territory: TerritoryId,
    pub created_at: i64,
    pub last_seen: i64,
    pub csrf: String,
    pub user_agent: String,
    pub address: String,
    pub charter_pending: bool,
    pub mfa_pending: bool,
}

/// What a new session must go through before it reaches anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pending {
    /// A new version of the charter to accept.
    pub charter: bool,
    /// A second factor to give (or to enrol).
    pub mfa: bool,
}

/// A session as the request handlers see it. Only what every request needs is held in memory
/// (about 140 bytes); the device and address shown on "my sessions" stay in the database.
#[derive(Debug, Clone)]
pub struct Session {
    pub digest: SessionKey,
    pub person: PersonId,
    pub territory: TerritoryId,
    pub created_at: i64,
    pub last_seen: i64,
    pub persisted_seen: i64,
    pub csrf: Csrf,
    pub acting: Option<(StructureId, Profile)>,
    pub charter_pending: bool,
    /// The password was right but the second factor is still to come: the session reaches
    /// nothing but the second-factor pages.
    pub mfa_pending: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_secs: i64,
    pub absolute_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle_secs: 2 * 3600, absolute_secs: 12 * 3600 }
    }
}

/// Told of every session that ends — logout, blocking, password change, second factor reset,
/// or found expired: the single logout to the services it signed in to hangs on it.
pub type OnEnd = std::sync::Arc<dyn Fn(SessionKey) + Send + Sync>;

pub struct SessionManager {
    map: RwLock<HashMap<SessionKey, Session>>,
    pub policy: SessionPolicy,
    on_end: RwLock<Option<OnEnd>>,
}

impl SessionManager {
    pub fn new(policy: SessionPolicy) -> Self {
        Self { map: RwLock::new(HashMap::new()), policy, on_end: RwLock::new(None) }
    }

    /// Sets what is told of every session that ends.
    pub fn on_end(&self, f: OnEnd) {
        if let Ok(mut slot) = self.on_end.write() {
            *slot = Some(f);
        }
    }

    fn ended(&self, key: SessionKey) {
        let f = self.on_end.read().ok().and_then(|slot| slot.clone());
        if let Some(f) = f {
            f(key);
        }
    }

    /// Loads the sessions still alive from the store, at start, page by page so that memory
    /// holds only the compact sessions, never all the rows at once.
    pub async fn restore<S: IdentityStore>(&self, store: &S, now: i64) -> Result<usize> {
        store.delete_expired_sessions(now - self.policy.idle_secs, now - self.policy.absolute_secs).await?;
        let mut after = String::new();
        let mut n = 0;
        loop {
            let page = store.sessions_page(&after, 2000).await?;
            let Some(last) = page.last() else { break };
            after = last.digest.clone();
            if let Ok(mut m) = self.map.write() {
                for r in page {
                    if let Some(s) = Session::from_record(&r) {
                        m.insert(s.digest, s);
                        n += 1;
                    }
                }
            }
        }
        if let Ok(mut m) = self.map.write() {
            m.shrink_to_fit();
        }
        Ok(n)
    }

    /// Opens a session; returns the token for the cookie (only its digest is kept).
    #[expect(clippy::too_many_arguments, reason = "each argument is a distinct fact of the new session")]
    pub async fn open<S: IdentityStore>(
        &self,
        store: &S,
        rng: &dyn Random,
        person: PersonId,
        territory: TerritoryId,
        now: i64,
        user_agent: &str,
        address: &str,
        pending: Pending,
    ) -> Result<(String, Session)> {
        let token = secrets::token(rng);
        let record = SessionRecord {
            digest: secrets::digest(&token),
            person,
            territory,
            created_at: now,
            last_seen: now,
            csrf: secrets::token(rng),
            user_agent: user_agent.chars().take(120).collect(),
            address: address.chars().take(45).collect(),
            charter_pending: pending.charter,
            mfa_pending: pending.mfa,
        };
        store.insert_session(&record).await?;
        let s = Session::from_record(&record).ok_or_else(|| preau_core::Error::internal("malformed session"))?;
        if let Ok(mut m) = self.map.write() {
            m.insert(s.digest, s.clone());
        }
        Ok((token, s))
    }

    fn alive(&self, s: &Session, now: i64) -> bool {
        now - s.last_seen <= self.policy.idle_secs && now - s.created_at <= self.policy.absolute_secs
    }

    /// The live session of a cookie token, marked as seen now. Expired sessions are dropped.
    pub async fn resolve<S: IdentityStore>(&self, store: &S, token: &str, now: i64) -> Option<Session> {
        let key = SessionKey::of_token(token);
        match self.touch(&key, now) {
            Touched::Missing => None,
            Touched::Expired => {
                let _ = store.delete_session(&key.to_string()).await;
                self.ended(key);
                None
            }
            Touched::Live(session, persist) => {
                if persist {
                    let _ = store.touch_session(&key.to_string(), now).await;
                }
                Some(session)
            }
        }
    }

    fn touch(&self, digest: &SessionKey, now: i64) -> Touched {
        let Ok(mut m) = self.map.write() else { return Touched::Missing };
        let Some(s) = m.get_mut(digest) else { return Touched::Missing };
        if !self.alive(s, now) {
            m.remove(digest);
            return Touched::Expired;
        }
        s.last_seen = now;
        let persist = now - s.persisted_seen >= 60;
        if persist {
            s.persisted_seen = now;
        }
        Touched::Live(s.clone(), persist)
    }

    /// Drops the sessions that expired without being touched again, so that their end is
    /// reported (single logout) and memory does not keep them. Returns how many ended.
    pub async fn sweep<S: IdentityStore>(&self, store: &S, now: i64) -> Result<usize> {
        let expired: Vec<SessionKey> = match self.map.write() {
            Ok(mut m) => {
                let keys: Vec<SessionKey> = m.values().filter(|s| !self.alive(s, now)).map(|s| s.digest).collect();
                keys.iter().for_each(|k| {
                    m.remove(k);
                });
                keys
            }
            Err(_) => vec![],
        };
        for k in &expired {
            store.delete_session(&k.to_string()).await?;
            self.ended(*k);
        }
        Ok(expired.len())
    }

    pub fn update(&self, digest: &SessionKey, f: impl FnOnce(&mut Session)) {
        if let Ok(mut m) = self.map.write()
            && let Some(s) = m.get_mut(digest)
        {
            f(s);
        }
    }

    pub async fn close<S: IdentityStore>(&self, store: &S, digest: &SessionKey) -> Result<()> {
        let was_open = self.map.write().ok().and_then(|mut m| m.remove(digest)).is_some();
        store.delete_session(&digest.to_string()).await?;
        if was_open {
            self.ended(*digest);
        }
        Ok(())
    }

    /// Closes every session of a person but `keep` ("log out elsewhere", blocking, password change).
    pub async fn close_all_of<S: IdentityStore>(&self, store: &S, person: PersonId, keep: Option<&SessionKey>) -> Result<usize> {
        let digests: Vec<SessionKey> = match self.map.read() {
            Ok(m) => m.values().filter(|s| s.person == person && Some(&s.digest) != keep).map(|s| s.digest).collect(),
            Err(_) => vec![],
        };
        for d in &digests {
            self.close(store, d).await?;
        }
        Ok(digests.len())
    }

    /// The session of a token without marking it seen.
    pub fn by_token(&self, token: &str) -> Option<Session> {
        self.map.read().ok()?.get(&SessionKey::of_token(token)).cloned()
    }

    /// Whether a session is open (for the list of my sessions).
    pub fn is_open(&self, digest: &SessionKey, now: i64) -> bool {
        self.map.read().ok().and_then(|m| m.get(digest).map(|s| self.alive(s, now))).unwrap_or(false)
    }

    pub fn count(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }
}

impl Session {
    fn from_record(r: &SessionRecord) -> Option<Session> {
        Some(Session {
            digest: SessionKey::from_b64(&r.digest)?,
            person: r.person,
            territory: r.territory,
            created_at: r.created_at,
            last_seen: r.last_seen,
            persisted_seen: r.last_seen,
            csrf: Csrf::from_b64(&r.csrf)?,
            acting: None,
            charter_pending: r.charter_pending,
            mfa_pending: r.mfa_pending,
        })
    }
}

enum Touched {
    Missing,
    Expired,
    Live(Session, bool),
}

pub type SharedSessions = Arc<SessionManager>;
