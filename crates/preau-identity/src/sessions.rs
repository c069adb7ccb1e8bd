//! Server-side sessions, held in memory for speed and written through to the database so they
//! survive a restart. Idle and absolute timeouts; revocation is immediate. The last-seen time is
//! written back at most once a minute per session, so reading a page costs no database write.

use crate::IdentityStore;
use crate::secrets;
use preau_core::{PersonId, Profile, Random, Result, StructureId, TerritoryId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
}

/// A session as the request handlers see it.
#[derive(Debug, Clone)]
pub struct Session {
    pub digest: String,
    pub person: PersonId,
    pub territory: TerritoryId,
    pub created_at: i64,
    pub last_seen: i64,
    pub persisted_seen: i64,
    pub csrf: String,
    pub user_agent: Box<str>,
    pub address: Box<str>,
    pub acting: Option<(StructureId, Profile)>,
    pub charter_pending: bool,
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

pub struct SessionManager {
    map: RwLock<HashMap<String, Session>>,
    pub policy: SessionPolicy,
}

impl SessionManager {
    pub fn new(policy: SessionPolicy) -> Self {
        Self { map: RwLock::new(HashMap::new()), policy }
    }

    /// Loads the sessions still alive from the store, at start.
    pub async fn restore<S: IdentityStore>(&self, store: &S, now: i64) -> Result<usize> {
        let records = store.live_sessions(now - self.policy.idle_secs, now - self.policy.absolute_secs).await?;
        let n = records.len();
        if let Ok(mut m) = self.map.write() {
            for r in records {
                m.insert(r.digest.clone(), Session::from_record(r));
            }
        }
        Ok(n)
    }

    /// Opens a session; returns the token for the cookie (only its digest is kept).
    pub async fn open<S: IdentityStore>(
        &self,
        store: &S,
        rng: &dyn Random,
        person: PersonId,
        territory: TerritoryId,
        now: i64,
        user_agent: &str,
        address: &str,
        charter_pending: bool,
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
            charter_pending,
        };
        store.insert_session(&record).await?;
        let s = Session::from_record(record);
        if let Ok(mut m) = self.map.write() {
            m.insert(s.digest.clone(), s.clone());
        }
        Ok((token, s))
    }

    fn alive(&self, s: &Session, now: i64) -> bool {
        now - s.last_seen <= self.policy.idle_secs && now - s.created_at <= self.policy.absolute_secs
    }

    /// The live session of a cookie token, marked as seen now. Expired sessions are dropped.
    pub async fn resolve<S: IdentityStore>(&self, store: &S, token: &str, now: i64) -> Option<Session> {
        let digest = secrets::digest(token);
        let found = self.touch(&digest, now);
        match found {
            Touched::Missing => None,
            Touched::Expired => {
                let _ = store.delete_session(&digest).await;
                None
            }
            Touched::Live(session, persist) => {
                if persist {
                    let _ = store.touch_session(&digest, now).await;
                }
                Some(session)
            }
        }
    }

    fn touch(&self, digest: &str, now: i64) -> Touched {
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

    pub fn update(&self, digest: &str, f: impl FnOnce(&mut Session)) {
        if let Ok(mut m) = self.map.write()
            && let Some(s) = m.get_mut(digest)
        {
            f(s);
        }
    }

    pub async fn close<S: IdentityStore>(&self, store: &S, digest: &str) -> Result<()> {
        if let Ok(mut m) = self.map.write() {
            m.remove(digest);
        }
        store.delete_session(digest).await
    }

    /// The live sessions of a person, newest first.
    pub fn of_person(&self, person: PersonId, now: i64) -> Vec<Session> {
        let mut v: Vec<Session> = match self.map.read() {
            Ok(m) => m.values().filter(|s| s.person == person && self.alive(s, now)).cloned().collect(),
            Err(_) => vec![],
        };
        v.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        v
    }

    /// Closes every session of a person but `keep` ("log out elsewhere", blocking, password change).
    pub async fn close_all_of<S: IdentityStore>(&self, store: &S, person: PersonId, keep: Option<&str>) -> Result<usize> {
        let digests: Vec<String> = match self.map.read() {
            Ok(m) => m.values().filter(|s| s.person == person && Some(s.digest.as_str()) != keep).map(|s| s.digest.clone()).collect(),
            Err(_) => vec![],
        };
        for d in &digests {
            self.close(store, d).await?;
        }
        Ok(digests.len())
    }

    /// A session by digest without marking it seen.
    pub fn by_digest(&self, digest: &str) -> Option<Session> {
        self.map.read().ok()?.get(digest).cloned()
    }

    pub fn count(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Inserts a session directly in memory (used by the memory benchmark).
    pub fn insert_for_bench(&self, record: SessionRecord) {
        if let Ok(mut m) = self.map.write() {
            m.insert(record.digest.clone(), Session::from_record(record));
        }
    }
}

impl Session {
    fn from_record(r: SessionRecord) -> Session {
        Session {
            digest: r.digest,
            person: r.person,
            territory: r.territory,
            created_at: r.created_at,
            last_seen: r.last_seen,
            persisted_seen: r.last_seen,
            csrf: r.csrf,
            user_agent: r.user_agent.into_boxed_str(),
            address: r.address.into_boxed_str(),
            acting: None,
            charter_pending: r.charter_pending,
        }
    }
}

enum Touched {
    Missing,
    Expired,
    Live(Session, bool),
}

pub type SharedSessions = Arc<SessionManager>;
