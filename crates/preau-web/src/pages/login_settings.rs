//! How people log in, in the console (territory admins): the profiles that must use a second
//! factor (administrators always must), and the outside identity providers people may log in
//! with. The same operations as `/api/v1/mfa-policy` and `/api/v1/identity-providers`.

use super::render;
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::Response;
use axum::routing::{get, post};
use preau_core::{Error, Profile};
use preau_identity::federation::{Upstream, UpstreamInput};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/login", get(page)).route("/admin/login/mfa", post(set_policy)).route("/admin/login/providers", post(add_provider))
}

#[derive(Template)]
#[template(path = "admin/login_settings.html")]
struct LoginSettings {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    /// (code, label, required)
    profiles: Vec<(&'static str, String, bool)>,
    providers: Vec<Upstream>,
    callback_base: String,
    notice: Option<String>,
    error: Option<String>,
    f: UpstreamInput,
}

async fn render_page(state: &AppState, a: &Authed, notice: Option<String>, error: Option<String>, f: UpstreamInput) -> Result<Response, PageError> {
    let required = state.accounts.mfa_policy(&a.principal).await.map_err(|e| a.fail(e))?;
    let profiles = Profile::ALL.iter().map(|p| (p.code(), a.lang.t(&format!("profile.{}", p.code())), required.contains(p))).collect();
    let providers = state.accounts.managed_upstreams(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&LoginSettings {
        tr: Tr(a.lang),
        user: Some(a.principal.label()),
        csrf: a.session.csrf.to_string(),
        profiles,
        providers,
        callback_base: format!("{}/federation/", crate::oidc::issuer(state)),
        notice,
        error,
        f,
    }))
}

async fn page(State(state): State<AppState>, a: Authed) -> Result<Response, PageError> {
    render_page(&state, &a, None, None, UpstreamInput::default()).await
}

async fn set_policy(State(state): State<AppState>, a: Authed, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    a.check_csrf(csrf)?;
    let profiles = crate::pages::profiles_ticked(&pairs, "profile").map_err(|e| a.fail(e))?;
    state.accounts.set_mfa_policy(&a.principal, &profiles).await.map_err(|e| a.fail(e))?;
    render_page(&state, &a, Some(a.lang.t("saved")), None, UpstreamInput::default()).await
}

#[derive(serde::Deserialize)]
struct ProviderForm {
    csrf: String,
    #[serde(flatten)]
    input: UpstreamInput,
}

async fn add_provider(State(state): State<AppState>, a: Authed, Form(f): Form<ProviderForm>) -> Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    match state.accounts.add_upstream(&a.principal, &f.input).await {
        Ok(_) => {
            state.refresh_providers().await.map_err(|e| a.fail(e))?;
            render_page(&state, &a, Some(a.lang.t("saved")), None, UpstreamInput::default()).await
        }
        Err(e @ Error::Invalid(_)) => {
            let mut r = render_page(&state, &a, None, Some(message(&e, a.lang)), f.input).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(a.fail(e)),
    }
}
