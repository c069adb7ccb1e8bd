//! The second factor: TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits — what every
//! authenticator app speaks), ten single-use recovery codes, and "remember this device" for a
//! bounded time. It is required of administrators and of the profiles the territory chooses,
//! optional for everyone else.
//!
//! A password login of a person who must give a second factor opens a session marked
//! `mfa_pending`: it reaches nothing but the second-factor pages (and logout) until the code is
//! given — or, for a person who has none yet, until they enrol. A code is accepted once (the
//! last used step is kept), five wrong codes close the session.

use crate::accounts::Accounts;
use crate::sessions::Session;
use crate::{IdentityStore, secrets};
use preau_core::{Error, Permission, PersonId, Principal, Profile, Result, TerritoryId};
use preau_directory::{DirectoryStore, audit};
use std::collections::HashMap;
use std::sync::Mutex;

/// The length of a TOTP step.
pub const STEP_SECS: i64 = 30;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// How long a remembered device skips the second factor.
pub const DEVICE_SECS: i64 = 30 * 24 * 3600;
/// Wrong codes before the half-open session is closed.
const MAX_FAILURES: u32 = 5;
/// How long an enrolment may wait for its first code.
const ENROLMENT_SECS: i64 = 15 * 60;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps read secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(BASE32[((v >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = vec![];
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32.iter().position(|b| *b as char == c.to_ascii_uppercase())? as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// The 6-digit code of `secret` at a step.
pub fn totp(secret: &[u8], step: i64) -> u32 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = ring::hmac::sign(&key, &step.to_be_bytes());
    let h = tag.as_ref();
    let o = usize::from(h[h.len() - 1] & 0x0f);
    (u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]])) % 1_000_000
}

/// The step at which `code` is valid for `secret` around `now` (one step of drift either way).
fn matching_step(secret: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: u32 = code.trim().replace(' ', "").parse().ok().filter(|_| code.trim().replace(' ', "").len() == 6)?;
    let step = now.div_euclid(STEP_SECS);
    [step - 1, step, step + 1].into_iter().find(|s| totp(secret, *s) == code)
}

/// The URI an authenticator app reads (from the QR code or typed).
pub fn otpauth_uri(issuer: &str, login: &str, secret_b32: &str) -> String {
    let esc = |s: &str| -> String {
        s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    format!("otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period=30", esc(issuer), esc(login), esc(issuer))
}

/// A person's second factor as stored.
#[derive(Debug, Clone)]
pub struct MfaRecord {
    /// Base32.
    pub secret: String,
    pub enabled_at: i64,
    /// The last step whose code was accepted: an older or equal one is a replay.
    pub last_step: i64,
}

/// What the account page shows.
#[derive(Debug, Clone, Copy)]
pub struct MfaStatus {
    pub enrolled: bool,
    pub required: bool,
    pub recovery_left: i64,
}

/// A secret shown to the person, waiting for its first code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

#[derive(Default)]
struct Inner {
    /// Per session digest: the secret being enrolled and until when.
    enrolments: HashMap<String, (String, i64)>,
    /// Per session digest: wrong codes so far.
    failures: HashMap<String, u32>,
}

/// Second-factor state that lives minutes, in memory.
#[derive(Default)]
pub struct MfaState(Mutex<Inner>);

/// The outcome of a second-factor check.
#[derive(Debug, Clone)]
pub struct Passed {
    /// A token to keep in the "remember this device" cookie, when asked for.
    pub device: Option<String>,
}

/// The person of a session as the author of their own audit entries (no grants needed).
fn own(session: &Session) -> Principal {
    Principal {
        caller: preau_core::principal::Caller::Person(session.person),
        territory: session.territory,
        grants: vec![],
        memberships: vec![],
        structure_parents: vec![],
    }
}

impl<S: DirectoryStore + IdentityStore> Accounts<S> {
    /// Whether `person` must give a second factor: an administrator, or a profile the
    /// territory requires it of.
    pub async fn mfa_required(&self, person: PersonId, territory: TerritoryId) -> Result<bool> {
        if self.store.assignments_of(person).await?.iter().any(|a| a.role.is_admin()) {
            return Ok(true);
        }
        let required = self.store.mfa_profiles(territory).await?;
        Ok(!required.is_empty() && self.store.memberships(person).await?.iter().any(|m| required.contains(&m.profile)))
    }

    /// Whether a new session of `person` must wait for a second factor (`device`: the
    /// remember-this-device cookie, if any).
    pub(crate) async fn second_factor_due(&self, person: PersonId, territory: TerritoryId, device: Option<&str>) -> Result<bool> {
        let enrolled = self.store.mfa(person).await?.is_some();
        if !enrolled {
            return self.mfa_required(person, territory).await;
        }
        let now = self.clock.now();
        Ok(match device {
            Some(token) if !token.is_empty() => !self.store.device_trusted(&secrets::digest(token), person, now).await?,
            _ => true,
        })
    }

    pub async fn mfa_status(&self, session: &Session) -> Result<MfaStatus> {
        let enrolled = self.store.mfa(session.person).await?.is_some();
        let required = self.mfa_required(session.person, session.territory).await?;
        let recovery_left = if enrolled { self.store.recovery_codes_left(session.person).await? } else { 0 };
        Ok(MfaStatus { enrolled, required, recovery_left })
    }

    /// A new secret for the session's person to add to their app; kept until confirmed.
    pub async fn start_enrolment(&self, session: &Session, issuer: &str) -> Result<Enrolment> {
        let person = self.store.person(session.person).await?;
        let mut raw = [0u8; 20];
        self.rng.fill(&mut raw);
        let secret = base32(&raw);
        let until = self.clock.now() + ENROLMENT_SECS;
        if let Ok(mut i) = self.mfa.0.lock() {
            i.enrolments.insert(session.digest.to_string(), (secret.clone(), until));
        }
        Ok(Enrolment { uri: otpauth_uri(issuer, &person.login, &secret), secret })
    }

    /// The secret being enrolled in this session, if any.
    pub fn pending_enrolment(&self, session: &Session, issuer: &str, login: &str) -> Option<Enrolment> {
        let now = self.clock.now();
        let secret = self.mfa.0.lock().ok()?.enrolments.get(&session.digest.to_string()).filter(|(_, until)| *until > now).map(|(s, _)| s.clone())?;
        Some(Enrolment { uri: otpauth_uri(issuer, login, &secret), secret })
    }

    /// Confirms the enrolment with a first code; returns the recovery codes, shown once. A
    /// session waiting for its second factor is then complete.
    pub async fn confirm_enrolment(&self, session: &Session, code: &str) -> Result<Vec<String>> {
        let now = self.clock.now();
        let key = session.digest.to_string();
        let secret = self.mfa.0.lock().ok().and_then(|i| i.enrolments.get(&key).filter(|(_, until)| *until > now).map(|(s, _)| s.clone()));
        let secret = secret.ok_or_else(|| Error::invalid("code", "mfa.enrolment_expired"))?;
        let raw = base32_decode(&secret).ok_or_else(|| Error::internal("bad secret"))?;
        let Some(step) = matching_step(&raw, code, now) else {
            return Err(Error::invalid("code", "mfa.wrong_code"));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| secrets::activation_code(&*self.rng)[..9].to_owned()).collect();
        let digests: Vec<String> = codes.iter().map(|c| secrets::digest(&secrets::normalise_code(c))).collect();
        let principal = own(session);
        let audit = audit::entry::<(), ()>(now, &principal, "mfa.enable", format!("person:{}", session.person), None, None, None);
        self.store.enable_mfa(session.person, &MfaRecord { secret, enabled_at: now, last_step: step }, &digests, &audit).await?;
        if let Ok(mut i) = self.mfa.0.lock() {
            i.enrolments.remove(&key);
        }
        self.complete_second_factor(session).await?;
        Ok(codes)
    }

    async fn complete_second_factor(&self, session: &Session) -> Result<()> {
        if session.mfa_pending {
            self.store.clear_session_mfa(&session.digest).await?;
            self.sessions.update(&session.digest, |s| s.mfa_pending = false);
        }
        if let Ok(mut i) = self.mfa.0.lock() {
            i.failures.remove(&session.digest.to_string());
        }
        Ok(())
    }

    /// Checks a code (from the app, or a recovery code) for a session waiting for it. Five wrong
    /// codes close the session. `remember`: trust this device for [`DEVICE_SECS`].
    pub async fn verify_second_factor(&self, session: &Session, code: &str, remember: bool, label: &str) -> Result<Passed> {
        let now = self.clock.now();
        let Some(record) = self.store.mfa(session.person).await? else {
            return Err(Error::invalid("code", "mfa.not_enrolled"));
        };
        let raw = base32_decode(&record.secret).ok_or_else(|| Error::internal("bad secret"))?;
        let accepted = match matching_step(&raw, code, now) {
            Some(step) => step > record.last_step && self.store.use_totp_step(session.person, step).await?,
            None => {
                let digest = secrets::digest(&secrets::normalise_code(code));
                code.trim().len() >= 8 && self.store.use_recovery_code(session.person, &digest, now).await?
            }
        };
        if !accepted {
            let failures = self.mfa.0.lock().map(|mut i| {
                let n = i.failures.entry(session.digest.to_string()).or_default();
                *n += 1;
                *n
            });
            if failures.unwrap_or(MAX_FAILURES) >= MAX_FAILURES {
                self.sessions.close(&*self.store, &session.digest).await?;
                return Err(Error::Unauthenticated("mfa.too_many"));
            }
            return Err(Error::invalid("code", "mfa.wrong_code"));
        }
        self.complete_second_factor(session).await?;
        let device = if remember {
            let token = secrets::token(&*self.rng);
            self.store.trust_device(&secrets::digest(&token), session.person, now, now + DEVICE_SECS, label).await?;
            Some(token)
        } else {
            None
        };
        Ok(Passed { device })
    }

    /// Turns the second factor off (only for a person not required to have one), with a code.
    pub async fn disable_mfa(&self, session: &Session, code: &str) -> Result<()> {
        if self.mfa_required(session.person, session.territory).await? {
            return Err(Error::invalid("code", "mfa.required"));
        }
        self.verify_second_factor(session, code, false, "").await?;
        let principal = own(session);
        let audit = audit::entry::<(), ()>(self.clock.now(), &principal, "mfa.disable", format!("person:{}", session.person), None, None, None);
        self.store.disable_mfa(session.person, &audit).await
    }

    /// New recovery codes (the old ones stop working), with a code.
    pub async fn renew_recovery_codes(&self, session: &Session, code: &str) -> Result<Vec<String>> {
        self.verify_second_factor(session, code, false, "").await?;
        let Some(record) = self.store.mfa(session.person).await? else {
            return Err(Error::invalid("code", "mfa.not_enrolled"));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| secrets::activation_code(&*self.rng)[..9].to_owned()).collect();
        let digests: Vec<String> = codes.iter().map(|c| secrets::digest(&secrets::normalise_code(c))).collect();
        let principal = own(session);
        let audit = audit::entry::<(), ()>(self.clock.now(), &principal, "mfa.recovery_renew", format!("person:{}", session.person), None, None, None);
        self.store.enable_mfa(session.person, &record, &digests, &audit).await?;
        Ok(codes)
    }

    /// Removes a person's second factor (a lost phone): an administrator who manages them. The
    /// person enrols again at their next login if it is required of them; their sessions close.
    pub async fn reset_mfa(&self, caller: &Principal, person: PersonId) -> Result<()> {
        let (p, memberships) = self.directory.managed_person(caller, person).await?;
        if caller.person_id() == Some(person) {
            return Err(Error::invalid("person", "mfa.reset_self"));
        }
        let audit =
            audit::entry::<(), ()>(self.clock.now(), caller, "mfa.reset", format!("person:{}", p.id), memberships.first().map(|m| m.structure), None, None);
        self.store.disable_mfa(person, &audit).await?;
        self.sessions.close_all_of(&*self.store, person, None).await?;
        Ok(())
    }

    /// The profiles the territory requires a second factor of (administrators always).
    pub async fn mfa_policy(&self, caller: &Principal) -> Result<Vec<Profile>> {
        caller.require_territory(Permission::ManageTerritory)?;
        self.store.mfa_profiles(caller.territory).await
    }

    pub async fn set_mfa_policy(&self, caller: &Principal, profiles: &[Profile]) -> Result<()> {
        caller.require_territory(Permission::ManageTerritory)?;
        let before = self.store.mfa_profiles(caller.territory).await?;
        let codes = |p: &[Profile]| p.iter().map(|x| x.code()).collect::<Vec<_>>();
        let audit = audit::entry(self.clock.now(), caller, "mfa.policy", "territory".into(), None, Some(&codes(&before)), Some(&codes(profiles)));
        self.store.set_mfa_profiles(caller.territory, profiles, &audit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1 seed, the last 6 of the 8 digits given there.
        let seed = b"12345678901234567890";
        assert_eq!(totp(seed, 59 / 30), 287_082);
        assert_eq!(totp(seed, 1_111_111_109 / 30), 81_804);
        assert_eq!(totp(seed, 2_000_000_000 / 30), 279_037);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
        let raw: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32(&raw)), Some(raw));
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_only() {
        let seed = b"12345678901234567890";
        let now = 1_800_000_000;
        let code = format!("{:06}", totp(seed, now / 30 - 1));
        assert_eq!(matching_step(seed, &code, now), Some(now / 30 - 1));
        let old = format!("{:06}", totp(seed, now / 30 - 2));
        assert_eq!(matching_step(seed, &old, now), None);
        assert_eq!(matching_step(seed, "12345", now), None);
    }
}
