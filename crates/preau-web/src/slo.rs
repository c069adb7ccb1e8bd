//! Single logout. The portal session is the single sign-on session: however it ends — logout
//! from the portal, CAS or OpenID Connect, the account blocked, a password changed, a second
//! factor reset, or found expired — every service it signed in to is told, in the background
//! (a service that does not answer does not hold anything up): CAS services get a SAML
//! `LogoutRequest` naming the ticket they validated, OpenID Connect clients with a back-channel
//! URI a signed logout token, SAML service providers with a single logout service a signed
//! `LogoutRequest` (SOAP binding). The session manager calls [`Fanout::session_ended`].

use crate::cas::xml;
use preau_core::{Clock, Random, TerritoryId};
use preau_identity::sessions::SessionKey;
use preau_store::Store;
use std::sync::Arc;

/// What telling the services needs, apart from the rest of the application state.
#[derive(Clone)]
pub struct Fanout {
    pub sso: preau_sso::Sso<Store>,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Random>,
    pub territory: TerritoryId,
    pub issuer: String,
}

impl Fanout {
    /// Ends the session's single sign-on at once (its tickets and tokens stop working), then
    /// tells every service in a background task.
    pub fn session_ended(&self, key: SessionKey) {
        let cas = self.sso.cas_end_session(&key.to_string());
        let oidc = self.sso.oidc_end_session(&key.to_string());
        let this = self.clone();
        tokio::spawn(async move {
            this.cas(cas).await;
            this.oidc(oidc).await;
            this.saml(&key).await;
        });
    }

    /// SAML service providers with a single logout service get a signed `LogoutRequest` over
    /// the SOAP binding.
    async fn saml(&self, key: &SessionKey) {
        let idp = format!("{}/saml/metadata", self.issuer);
        for (url, request) in self.sso.saml_end_session(self.territory, &idp, &key.to_string()).await {
            let envelope =
                format!("<soap11:Envelope xmlns:soap11=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap11:Body>{request}</soap11:Body></soap11:Envelope>");
            let sent = self
                .http
                .post(&url)
                .header("content-type", "text/xml; charset=utf-8")
                .header("soapaction", "http://www.oasis-open.org/committees/security")
                .body(envelope)
                .send()
                .await;
            if let Err(e) = sent {
                tracing::info!(url = %url, error = %e, "SAML single logout not delivered");
            }
        }
    }

    async fn cas(&self, targets: Vec<(String, String)>) {
        let now = chrono::DateTime::from_timestamp(self.clock.now(), 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default();
        let id = preau_identity::secrets::token(&*self.rng);
        for (n, (service, ticket)) in targets.into_iter().enumerate() {
            let body = format!(
                "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"LR-{id}-{n}\" Version=\"2.0\" IssueInstant=\"{now}\"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>{}</samlp:SessionIndex></samlp:LogoutRequest>",
                xml(&ticket)
            );
            if let Err(e) = self.http.post(&service).form(&[("logoutRequest", body)]).send().await {
                tracing::info!(service = %service, error = %e, "CAS single logout not delivered");
            }
        }
    }

    async fn oidc(&self, clients: Vec<preau_sso::oidc::SessionClient>) {
        for (uri, token) in self.sso.oidc_logout_tokens(self.territory, &self.issuer, clients).await {
            if let Err(e) = self.http.post(&uri).form(&[("logout_token", token)]).send().await {
                tracing::info!(uri = %uri, error = %e, "OIDC back-channel logout not delivered");
            }
        }
    }
}
