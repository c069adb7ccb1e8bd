//! Logout across OpenID Connect clients. When a portal session ends, its access tokens die and
//! each client it signed in to that registered a back-channel logout URI gets a signed logout
//! token naming the person (`sub`) and the session (`sid`). RP-initiated logout names the person
//! with an ID token this server signed, and goes back only to a registered address.

use super::SessionClient;
use crate::connectors::{Connector, Protocol};
use crate::{Sso, SsoStore};
use preau_core::{Result, TerritoryId};
use serde::Deserialize;
use serde_json::json;

/// How long a logout token may take to arrive.
const LOGOUT_TOKEN_SECS: i64 = 120;

/// What an `id_token_hint` says.
#[derive(Debug, Clone, Deserialize)]
pub struct Hint {
    pub aud: String,
    pub sub: String,
    #[serde(default)]
    pub sid: String,
}

impl<S: SsoStore> Sso<S> {
    /// Ends a portal session for OpenID Connect, at once: revokes its access tokens (refresh
    /// tokens of offline grants live on, as their name says) and returns the clients it signed
    /// in to, for [`Self::oidc_logout_tokens`].
    pub fn oidc_end_session(&self, session: &str) -> Vec<SessionClient> {
        let clients = self
            .oidc
            .with(|i| {
                i.access.retain(|_, a| a.session != session);
                i.sessions.remove(session).unwrap_or_default()
            })
            .unwrap_or_default();
        self.oidc_forget_transient(session);
        clients
    }

    /// The logout token to POST to each client's back-channel URI (clients without one are left out).
    pub async fn oidc_logout_tokens(&self, territory: TerritoryId, issuer: &str, clients: Vec<SessionClient>) -> Vec<(String, String)> {
        let mut out = vec![];
        for sc in clients {
            let Ok(Some(c)) = self.cached_connector(territory, sc.connector).await else { continue };
            if c.protocol != Protocol::Oidc || c.oidc.backchannel_logout_uri.is_empty() {
                continue;
            }
            if let Ok(token) = self.oidc_logout_token(issuer, &c, &sc).await {
                out.push((c.oidc.backchannel_logout_uri.clone(), token));
            }
        }
        out
    }

    async fn oidc_logout_token(&self, issuer: &str, c: &Connector, sc: &SessionClient) -> Result<String> {
        let now = self.clock.now();
        let claims = json!({
            "iss": issuer,
            "aud": c.service.to_string(),
            "iat": now,
            "exp": now + LOGOUT_TOKEN_SECS,
            "jti": preau_identity::secrets::token(&*self.rng),
            "sub": sc.subject,
            "sid": sc.sid,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        });
        self.sign(c.oidc.signing_alg, "logout+jwt", &claims).await
    }

    /// The person and client an `id_token_hint` names, if this server signed it.
    pub async fn oidc_hint(&self, hint: &str) -> Option<Hint> {
        self.verify_own::<Hint>(hint, None).await
    }

    /// Whether `hint` was issued in `session` (its `sid` is this session's for its client).
    pub async fn oidc_hint_matches(&self, territory: TerritoryId, hint: &Hint, session: &str) -> bool {
        match self.oidc_client(territory, &hint.aud).await {
            Some(c) => !hint.sid.is_empty() && hint.sid == Self::oidc_sid(&c, session),
            None => false,
        }
    }

    /// Where RP-initiated logout may send the person back: a registered post-logout URI of the
    /// client, with `state` appended.
    pub async fn oidc_post_logout(&self, territory: TerritoryId, client_id: &str, uri: &str, state: &str) -> Option<String> {
        let c = self.oidc_client(territory, client_id).await?;
        if uri.is_empty() || !c.oidc.post_logout_uris.iter().any(|u| u == uri) {
            return None;
        }
        if state.is_empty() {
            return Some(uri.to_owned());
        }
        let sep = if uri.contains('?') { '&' } else { '?' };
        Some(format!("{uri}{sep}state={}", preau_core::text::url_escape(state)))
    }
}
