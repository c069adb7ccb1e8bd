//! The account operations: log in, activate with a code, accept the charter, forgotten
//! password, change password, block and unblock, print activation codes.

use crate::mail::{Mail, Mailer};
use crate::sessions::{Session, SessionManager};
use crate::throttle::Throttle;
use crate::{IdentityStore, PasswordHasher, secrets};
use preau_core::{Clock, Error, GroupId, Permission, PersonId, Principal, Random, Result, TerritoryId};
use preau_directory::{Directory, DirectoryStore, Person, audit};
use std::net::IpAddr;
use std::sync::Arc;

/// How long an activation code and a reset link stay valid.
pub const ACTIVATION_CODE_SECS: i64 = 90 * 24 * 3600;
pub const RESET_LINK_SECS: i64 = 3600;

pub struct Accounts<S> {
    pub store: Arc<S>,
    pub directory: Directory<S>,
    pub hasher: PasswordHasher,
    pub sessions: Arc<SessionManager>,
    pub throttle: Arc<Throttle>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Random>,
    pub mailer: Arc<dyn Mailer>,
    /// The public address of the instance, for links in e-mails.
    pub base_url: String,
    /// Second-factor enrolments and wrong-code counts in progress.
    pub mfa: Arc<crate::mfa::MfaState>,
}

impl<S> Clone for Accounts<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            directory: self.directory.clone(),
            hasher: self.hasher.clone(),
            sessions: self.sessions.clone(),
            throttle: self.throttle.clone(),
            clock: self.clock.clone(),
            rng: self.rng.clone(),
            mailer: self.mailer.clone(),
            base_url: self.base_url.clone(),
            mfa: self.mfa.clone(),
        }
    }
}

/// Where a login or activation attempt comes from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub address: IpAddr,
    pub user_agent: String,
    /// The remember-this-device cookie, if the browser has one.
    pub device: Option<String>,
}

/// What a person types on the activation page.
#[derive(Debug, Clone, Copy)]
pub struct Activation<'a> {
    pub login: &'a str,
    pub code: &'a str,
    pub password: &'a str,
    pub confirm: &'a str,
    pub accept_charter: bool,
}

/// A new session: the cookie token and the session.
pub struct Opened {
    pub token: String,
    pub session: Session,
}

pub fn check_password_strength(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < 8 {
        return Err(Error::invalid("password", "password.too_short"));
    }
    if n > 128 {
        return Err(Error::invalid("password", "password.too_long"));
    }
    Ok(())
}

impl<S: DirectoryStore + IdentityStore> Accounts<S> {
    async fn current_charter_version(&self, territory: TerritoryId) -> Result<i64> {
        Ok(self.store.charter(territory).await?.map(|c| c.version).unwrap_or(0))
    }

    pub(crate) async fn open_session(&self, person: &Person, origin: &Origin) -> Result<Opened> {
        let charter = self.current_charter_version(person.territory).await?;
        let accepted = self.store.credential(person.id).await?.charter_version;
        let mfa = self.second_factor_due(person.id, person.territory, origin.device.as_deref()).await?;
        let pending = crate::sessions::Pending { charter: accepted < charter, mfa };
        let (token, session) = self
            .sessions
            .open(&*self.store, &*self.rng, person.id, person.territory, self.clock.now(), &origin.user_agent, &origin.address.to_string(), pending)
            .await?;
        Ok(Opened { token, session })
    }

    /// Logs in with a login (or alias) and a password.
    pub async fn login(&self, territory: TerritoryId, login: &str, password: &str, origin: &Origin) -> Result<Opened> {
        let login = login.trim().to_lowercase();
        let now = self.clock.now();
        if login.is_empty() || password.is_empty() {
            return Err(Error::Unauthenticated("login.missing"));
        }
        if let Some(wait) = self.throttle.check(&login, origin.address, now) {
            return Err(Error::TooManyAttempts(wait));
        }
        let person = self.store.person_by_login(territory, &login).await.ok();
        let credential = match &person {
            Some(p) => self.store.credential(p.id).await?,
            None => Default::default(),
        };
        let ok = self.hasher.verify(credential.password_hash.clone(), password).await?;
        let Some(person) = person.filter(|_| ok) else {
            self.throttle.failure(&login, origin.address, now);
            return Err(Error::Unauthenticated("login.failed"));
        };
        if credential.blocked {
            return Err(Error::Unauthenticated("login.blocked"));
        }
        self.throttle.success(&login, origin.address);
        self.open_session(&person, origin).await
    }

    /// First login: the login, the code from the letter, a new password, and the charter.
    pub async fn activate(&self, territory: TerritoryId, form: &Activation<'_>, origin: &Origin) -> Result<Opened> {
        let Activation { login, code, password, confirm, accept_charter } = *form;
        let login = login.trim().to_lowercase();
        let now = self.clock.now();
        if let Some(wait) = self.throttle.check(&login, origin.address, now) {
            return Err(Error::TooManyAttempts(wait));
        }
        let mut v = preau_core::error::Validator::new();
        v.check(!login.is_empty(), "login", "field.required");
        v.check(!code.trim().is_empty(), "code", "field.required");
        if let Err(Error::Invalid(f)) = check_password_strength(password) {
            f.into_iter().for_each(|e| v.push(e));
        }
        v.check(password == confirm, "confirm", "password.mismatch");
        v.check(accept_charter, "charter", "charter.required");
        v.finish()?;
        let failed = || {
            self.throttle.failure(&login, origin.address, now);
            Error::invalid("code", "activation.invalid")
        };
        let person = self.store.person_by_login(territory, &login).await.map_err(|_| failed())?;
        if self.store.credential(person.id).await?.blocked {
            return Err(Error::Unauthenticated("login.blocked"));
        }
        let hash = self.hasher.hash(password).await?;
        let digest = secrets::digest(&secrets::normalise_code(code));
        let charter = self.current_charter_version(territory).await?;
        if !self.store.activate(person.id, &digest, now, &hash, charter).await? {
            return Err(failed());
        }
        self.throttle.success(&login, origin.address);
        self.open_session(&person, origin).await
    }

    /// Records that the person of `session` accepted the current charter.
    pub async fn accept_charter(&self, session: &Session) -> Result<()> {
        let version = self.current_charter_version(session.territory).await?;
        self.store.accept_charter(session.person, version).await?;
        self.sessions.update(&session.digest, |s| s.charter_pending = false);
        Ok(())
    }

    /// Publishes a new version of the charter: everyone must accept it at their next login.
    pub async fn publish_charter(&self, caller: &Principal, text: &str) -> Result<i64> {
        caller.require_territory(Permission::ManageTerritory)?;
        let text = text.trim();
        if text.is_empty() || text.len() > 100_000 {
            return Err(Error::invalid("text", "field.required"));
        }
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "charter.publish", "charter".into(), None, None, Some(&text));
        self.store.publish_charter(caller.territory, text, self.clock.now(), &audit).await
    }

    /// Sends a reset link to the person's e-mail if there is one. Always answers the same so
    /// nobody can learn which logins exist.
    pub async fn request_reset(&self, territory: TerritoryId, login: &str) -> Result<()> {
        let Ok(person) = self.store.person_by_login(territory, login.trim()).await else { return Ok(()) };
        let Some(email) = person.email.clone() else { return Ok(()) };
        let token = secrets::token(&*self.rng);
        self.store.put_reset_token(person.id, &secrets::digest(&token), self.clock.now() + RESET_LINK_SECS).await?;
        let link = format!("{}/password/reset?token={token}", self.base_url.trim_end_matches('/'));
        let body = format!(
            "Bonjour {},\n\nPour choisir un nouveau mot de passe pour votre compte Préau ({}), ouvrez ce lien dans l'heure :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce message.\n\n--\nTo choose a new password for your Préau account, open the link above within one hour.\n",
            person.given_name, person.login
        );
        self.mailer.send(Mail { to: email, subject: "Préau : nouveau mot de passe".into(), body }).await
    }

    /// Sets a new password from a reset link; the link works once, for one hour, and every
    /// session of the person is closed.
    pub async fn reset_password(&self, token: &str, password: &str, confirm: &str) -> Result<()> {
        check_password_strength(password)?;
        if password != confirm {
            return Err(Error::invalid("confirm", "password.mismatch"));
        }
        let hash = self.hasher.hash(password).await?;
        let person = self.store.consume_reset_token(&secrets::digest(token), self.clock.now(), &hash).await?.ok_or(Error::invalid("token", "reset.invalid"))?;
        self.sessions.close_all_of(&*self.store, person, None).await?;
        Ok(())
    }

    pub async fn change_password(&self, session: &Session, current: &str, password: &str, confirm: &str) -> Result<()> {
        let cred = self.store.credential(session.person).await?;
        if !self.hasher.verify(cred.password_hash, current).await? {
            return Err(Error::invalid("current", "password.wrong"));
        }
        check_password_strength(password)?;
        if password != confirm {
            return Err(Error::invalid("confirm", "password.mismatch"));
        }
        let hash = self.hasher.hash(password).await?;
        self.store.set_password(session.person, &hash).await?;
        self.sessions.close_all_of(&*self.store, session.person, Some(&session.digest)).await?;
        Ok(())
    }

    /// Blocks or unblocks an account; blocking closes its sessions at once.
    pub async fn set_blocked(&self, caller: &Principal, person: PersonId, blocked: bool) -> Result<()> {
        let (p, memberships) = self.directory.managed_person(caller, person).await?;
        if caller.person_id() == Some(person) {
            return Err(Error::invalid("person", "block.self"));
        }
        let action = if blocked { "account.block" } else { "account.unblock" };
        let audit = audit::entry(
            self.clock.now(),
            caller,
            action,
            format!("person:{}", p.id),
            memberships.first().map(|m| m.structure),
            Some(&!blocked),
            Some(&blocked),
        );
        self.store.set_blocked(person, blocked, &audit).await?;
        if blocked {
            self.sessions.close_all_of(&*self.store, person, None).await?;
        }
        Ok(())
    }

    /// Issues a fresh activation code for one person (replacing any earlier one).
    pub async fn issue_code(&self, caller: &Principal, person: PersonId) -> Result<String> {
        self.directory.managed_person(caller, person).await?;
        let code = secrets::activation_code(&*self.rng);
        self.store.put_activation_code(person, &secrets::digest(&secrets::normalise_code(&code)), self.clock.now() + ACTIVATION_CODE_SECS).await?;
        Ok(code)
    }

    /// The activation letters of a class: a fresh code for each member who has not activated
    /// their account yet. Printing again replaces the codes printed before.
    pub async fn class_letters(&self, caller: &Principal, group: GroupId) -> Result<(preau_directory::Group, Vec<(Person, String)>)> {
        let g = self.directory.store.group(group).await?;
        caller.require_in(Permission::ManagePeople, g.structure)?;
        self.directory.structure_in_territory(caller, g.structure).await?;
        let mut out = vec![];
        for p in self.directory.store.group_members(group).await? {
            if self.store.credential(p.id).await?.password_hash.is_none() {
                let code = secrets::activation_code(&*self.rng);
                self.store.put_activation_code(p.id, &secrets::digest(&secrets::normalise_code(&code)), self.clock.now() + ACTIVATION_CODE_SECS).await?;
                out.push((p, code));
            }
        }
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "activation.letters", format!("group:{group}"), Some(g.structure), None, Some(&out.len()));
        self.directory.store.append_audit(&audit).await?;
        Ok((g, out))
    }

    /// Sets a password directly (the operator's `preau admin reset-password`).
    pub async fn set_password_as_operator(&self, caller: &Principal, person: PersonId, password: &str) -> Result<()> {
        caller.require_territory(Permission::ManageTerritory)?;
        check_password_strength(password)?;
        let hash = self.hasher.hash(password).await?;
        self.store.set_password(person, &hash).await?;
        let audit = audit::entry::<(), ()>(self.clock.now(), caller, "account.password.reset", format!("person:{person}"), None, None, None);
        self.directory.store.append_audit(&audit).await?;
        self.sessions.close_all_of(&*self.store, person, None).await?;
        Ok(())
    }
}
