//! The tickets of CAS 3.0 and what validating them releases. A service ticket (`ST-`) is issued
//! at sign-in for one service URL of a CAS connector; a proxy-granting ticket (`PGT-`) lets a
//! service obtain proxy tickets (`PT-`) for another registered service. Tickets are random
//! (192 bits), single-use (removed by the first validation, successful or not) and short-lived;
//! they live in memory: a restart only makes services send people through sign-in again,
//! which the portal session answers at once. The service URLs given at sign-in of each portal
//! session are kept for single logout.

use crate::connectors::{Connector, Protocol, url_matches};
use crate::{Sso, SsoStore};
use preau_core::{Error, PersonId, Principal, Result, ServiceId, TerritoryId};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a service or proxy ticket may wait for its validation.
pub const TICKET_SECS: i64 = 30;
/// How long a proxy-granting ticket lasts (at most as long as the portal session's policy).
pub const PGT_SECS: i64 = 2 * 3600;
/// How long the services of a portal session are remembered for single logout.
const SESSION_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
struct Ticket {
    service: String,
    person: PersonId,
    connector: ServiceId,
    session: String,
    renewed: bool,
    /// Empty for a service ticket; the proxy chain (most recent first) for a proxy ticket.
    proxies: Vec<String>,
    expires: i64,
}

#[derive(Debug, Clone)]
struct Pgt {
    person: PersonId,
    session: String,
    proxies: Vec<String>,
    expires: i64,
}

#[derive(Default)]
struct Inner {
    tickets: HashMap<String, Ticket>,
    pgts: HashMap<String, Pgt>,
    /// Per portal session (digest): service URL, ticket and when, for single logout.
    sessions: HashMap<String, Vec<(String, String, i64)>>,
    issued: u64,
}

impl Inner {
    /// Drops what has expired, every 1,024 issues: memory stays bounded by the traffic of the
    /// last few minutes (tickets) and of the day (sessions' services).
    fn sweep(&mut self, now: i64) {
        self.issued += 1;
        if !self.issued.is_multiple_of(1024) {
            return;
        }
        self.tickets.retain(|_, t| t.expires > now);
        self.pgts.retain(|_, p| p.expires > now);
        self.sessions.retain(|_, v| {
            v.retain(|(_, _, at)| *at + SESSION_SECS > now);
            !v.is_empty()
        });
    }
}

#[derive(Default)]
pub struct Tickets(Mutex<Inner>);

/// A refusal of the CAS protocol: one of its error codes and a message for the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasFailure {
    pub code: &'static str,
    pub message: String,
}

fn fail(code: &'static str, message: &str) -> CasFailure {
    CasFailure { code, message: message.to_owned() }
}

/// A proxy-granting ticket waiting to be delivered to the service's callback.
#[derive(Debug, Clone)]
pub struct ProxyGranting {
    pub pgt: String,
    pub iou: String,
    pub callback: String,
}

/// A successful validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The identifier the service sees (login, pairwise or transient, per its policy).
    pub user: String,
    /// Released attributes, under their released names.
    pub attributes: Vec<(String, Vec<String>)>,
    pub from_new_login: bool,
    /// For a proxy ticket: the proxies it went through, most recent first.
    pub proxies: Vec<String>,
    pub pgt: Option<ProxyGranting>,
}

/// What validation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `/validate`, `/serviceValidate`: service tickets only.
    ServiceTickets,
    /// `/proxyValidate`: service and proxy tickets.
    AnyTicket,
}

impl<S: SsoStore> Sso<S> {
    fn new_ticket(&self, prefix: &str) -> String {
        format!("{prefix}-{}", preau_identity::secrets::token(&*self.rng))
    }

    /// Keeps a service or proxy ticket until its validation, and its service for the session's
    /// single logout.
    fn keep_ticket(&self, id: &str, t: Ticket, now: i64) {
        if let Ok(mut inner) = self.tickets.0.lock() {
            inner.sweep(now);
            inner.sessions.entry(t.session.clone()).or_default().push((t.service.clone(), id.to_owned(), now));
            inner.tickets.insert(id.to_owned(), t);
        }
    }

    /// The CAS connector of the territory that accepts `service` (the longest matching prefix).
    pub async fn cas_connector(&self, territory: TerritoryId, service: &str) -> Result<Connector> {
        let mut best: Option<(usize, Connector)> = None;
        for c in self.all_connectors(territory).await?.iter().filter(|c| c.protocol == Protocol::Cas) {
            let len = c.service_urls.iter().filter(|p| url_matches(p, service)).map(String::len).max();
            if let Some(len) = len
                && best.as_ref().is_none_or(|(l, _)| len > *l)
            {
                best = Some((len, c.clone()));
            }
        }
        best.map(|(_, c)| c).ok_or_else(|| Error::invalid("service", "cas.service_unknown"))
    }

    /// Signs the caller in to the service: the service must belong to a CAS connector offered
    /// to them. Counts the launch and returns the service ticket. `renewed`: the person has
    /// just typed their password (for `renew=true`).
    pub async fn cas_login(&self, caller: &Principal, session: &str, service: &str, renewed: bool) -> Result<String> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let c = self.cas_connector(caller.territory, service).await?;
        let reach = self.reach(&c, me).await?;
        let Some((structure, profile)) = reach.first() else {
            return Err(Error::Forbidden);
        };
        self.count_launch(c.service, structure.id, *profile);
        let now = self.clock.now();
        let id = self.new_ticket("ST");
        let t = Ticket {
            service: service.to_owned(),
            person: me,
            connector: c.service,
            session: session.to_owned(),
            renewed,
            proxies: vec![],
            expires: now + TICKET_SECS,
        };
        self.keep_ticket(&id, t, now);
        Ok(id)
    }

    /// Validates a ticket for `service`. The ticket is consumed whatever the outcome.
    pub async fn cas_validate(
        &self,
        territory: TerritoryId,
        ticket: &str,
        service: &str,
        renew: bool,
        accept: Accept,
        pgt_url: Option<&str>,
    ) -> Result<Validated, CasFailure> {
        if ticket.is_empty() || service.is_empty() {
            return Err(fail("INVALID_REQUEST", "ticket and service are required"));
        }
        let now = self.clock.now();
        let taken = self.tickets.0.lock().ok().and_then(|mut i| i.tickets.remove(ticket));
        let Some(t) = taken.filter(|t| t.expires > now) else {
            return Err(fail("INVALID_TICKET", &format!("Ticket {ticket} not recognized")));
        };
        if !t.proxies.is_empty() && accept == Accept::ServiceTickets {
            return Err(fail("INVALID_TICKET_SPEC", "proxy tickets are validated at proxyValidate"));
        }
        if t.service != service {
            return Err(fail("INVALID_SERVICE", "the ticket was issued for another service"));
        }
        if renew && !t.renewed {
            return Err(fail("INVALID_TICKET", "the ticket did not come from a new sign-in"));
        }
        let internal = |_| fail("INTERNAL_ERROR", "the directory could not be read");
        let Some(c) = self.cached_connector(territory, t.connector).await.map_err(internal)? else {
            return Err(fail("INVALID_TICKET", "the service is no longer registered"));
        };
        if c.protocol != Protocol::Cas {
            return Err(fail("INVALID_TICKET", "the service is no longer registered"));
        }
        let subject = self.subject(&c, t.person).await.map_err(internal)?;
        if subject.through.is_empty() {
            return Err(fail("INVALID_TICKET", "the service is no longer offered to this person"));
        }
        let pgt = match pgt_url {
            Some(url) if !url.is_empty() => Some(self.grant_pgt(&c, &t, url, now)?),
            _ => None,
        };
        Ok(Validated { user: self.subject_id(&c, &subject), attributes: Self::released(&c, &subject), from_new_login: t.renewed, proxies: t.proxies, pgt })
    }

    fn grant_pgt(&self, c: &Connector, t: &Ticket, url: &str, now: i64) -> Result<ProxyGranting, CasFailure> {
        // The callback must be one of the connector's own registered addresses, and HTTPS
        // unless the admin registered a plain-HTTP address for it.
        let registered = c.service_urls.iter().any(|p| url_matches(p, url) && (url.starts_with("https://") || p.starts_with("http://")));
        if !registered {
            return Err(fail("INVALID_PROXY_CALLBACK", "the proxy callback is not a registered address of this service"));
        }
        let g = ProxyGranting { pgt: self.new_ticket("PGT"), iou: self.new_ticket("PGTIOU"), callback: url.to_owned() };
        let mut proxies = vec![url.to_owned()];
        proxies.extend(t.proxies.iter().cloned());
        if let Ok(mut inner) = self.tickets.0.lock() {
            inner.pgts.insert(g.pgt.clone(), Pgt { person: t.person, session: t.session.clone(), proxies, expires: now + PGT_SECS });
        }
        Ok(g)
    }

    /// Forgets a proxy-granting ticket its callback did not accept.
    pub fn cas_drop_pgt(&self, pgt: &str) {
        if let Ok(mut inner) = self.tickets.0.lock() {
            inner.pgts.remove(pgt);
        }
    }

    /// Issues a proxy ticket for `target`, which must be a CAS connector offered to the person.
    pub async fn cas_proxy(&self, territory: TerritoryId, pgt: &str, target: &str) -> Result<String, CasFailure> {
        if pgt.is_empty() || target.is_empty() {
            return Err(fail("INVALID_REQUEST", "pgt and targetService are required"));
        }
        let now = self.clock.now();
        let Some(p) = self.tickets.0.lock().ok().and_then(|i| i.pgts.get(pgt).cloned()).filter(|p| p.expires > now) else {
            return Err(fail("INVALID_TICKET", &format!("Ticket {pgt} not recognized")));
        };
        let c = self.cas_connector(territory, target).await.map_err(|_| fail("UNAUTHORIZED_SERVICE", "the target service is not registered"))?;
        let reach = self.reach(&c, p.person).await.map_err(|_| fail("INTERNAL_ERROR", "the directory could not be read"))?;
        let Some((structure, profile)) = reach.first() else {
            return Err(fail("UNAUTHORIZED_SERVICE", "the target service is not offered to this person"));
        };
        self.count_launch(c.service, structure.id, *profile);
        let id = self.new_ticket("PT");
        let t = Ticket {
            service: target.to_owned(),
            person: p.person,
            connector: c.service,
            session: p.session,
            renewed: false,
            proxies: p.proxies,
            expires: now + TICKET_SECS,
        };
        self.keep_ticket(&id, t, now);
        Ok(id)
    }

    /// Ends a portal session's single sign-on: forgets its proxy-granting tickets and returns
    /// the (service URL, ticket) pairs to send a logout request to.
    pub fn cas_end_session(&self, session: &str) -> Vec<(String, String)> {
        let Ok(mut inner) = self.tickets.0.lock() else { return vec![] };
        inner.pgts.retain(|_, p| p.session != session);
        inner.sessions.remove(session).unwrap_or_default().into_iter().map(|(s, t, _)| (s, t)).collect()
    }
}
