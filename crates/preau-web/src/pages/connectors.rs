//! Connectors in the console: every connector of the territory with what it is offered to, what
//! it receives and under which names, which identifier, why, who approved it and its launches
//! over the last 30 days; a form to register or change one (the domain decides who may).

use super::render;
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use preau_core::{Error, Permission, Profile, ServiceId};
use preau_sso::{Attribute, Connector, ConnectorInput, SubjectKind};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/connectors", get(list))
        .route("/admin/connectors/new", get(new_form).post(create))
        .route("/admin/connectors/{id}", get(edit_form).post(update))
        .route("/admin/connectors/{id}/secret", axum::routing::post(renew_secret))
}

type PageResult = Result<Response, PageError>;

const SUBJECTS: [(&str, &str); 3] = [("login", "admin.subject_login"), ("pairwise", "admin.subject_pairwise"), ("transient", "admin.subject_transient")];

fn subject_key(s: SubjectKind) -> &'static str {
    match s {
        SubjectKind::Login => "admin.subject_login",
        SubjectKind::Pairwise => "admin.subject_pairwise",
        SubjectKind::Transient => "admin.subject_transient",
    }
}

fn attribute_label(a: Attribute, lang: Lang) -> String {
    lang.t(&format!("attr.{}", a.code()))
}

struct Row {
    c: Connector,
    profiles: String,
    schools: String,
    release: Vec<(String, String)>,
    subject_key: &'static str,
    approved_at: String,
    launches: u64,
    manageable: bool,
}

#[derive(Template)]
#[template(path = "admin/connectors.html")]
struct ListPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    rows: Vec<Row>,
}

async fn list(State(state): State<AppState>, a: Authed) -> PageResult {
    let connectors = state.sso.connectors(&a.principal).await.map_err(|e| a.fail(e))?;
    let now = state.clock.now();
    state.sso.flush_launches().await.map_err(|e| a.fail(e))?;
    let counts = state
        .sso
        .launch_report(&a.principal, &preau_sso::launches::day_of(now - 29 * 86_400), &preau_sso::launches::day_of(now))
        .await
        .map_err(|e| a.fail(e))?;
    let structures = preau_directory::DirectoryStore::structures(&*state.store, a.principal.territory).await.map_err(|e| a.fail(e))?;
    let rows = connectors
        .into_iter()
        .map(|c| {
            let schools = if c.structures.is_empty() {
                a.lang.t("admin.connector_all_schools")
            } else {
                c.structures
                    .iter()
                    .filter_map(|id| structures.iter().find(|s| s.id == *id))
                    .map(|s| format!("{} ({})", s.name, s.uai))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let manageable = match c.owner {
                None => a.principal.can_territory(Permission::ManageConnectors),
                Some(s) => a.principal.can_in(Permission::ManageConnectors, s),
            };
            Row {
                profiles: c.profiles.iter().map(|p| a.lang.t(&format!("profile.{}", p.code()))).collect::<Vec<_>>().join(", "),
                schools,
                release: c.release.iter().map(|r| (attribute_label(r.attribute, a.lang), r.name.clone())).collect(),
                subject_key: subject_key(c.subject),
                approved_at: super::fmt_time(c.approved_at),
                launches: counts.iter().filter(|((_, s, _, _), _)| *s == c.service).map(|(_, n)| n).sum(),
                manageable,
                c,
            }
        })
        .collect();
    Ok(render(&ListPage { tr: Tr(a.lang), user: Some(a.principal.label()), csrf: a.session.csrf.to_string(), rows }))
}

/// The form's fields as typed (kept on an error so nothing is lost).
#[derive(Default)]
struct Fields {
    name: String,
    code: String,
    url: String,
    icon: String,
    protocol: String,
    service_urls: String,
    structures: String,
    owner: String,
    subject: String,
    purpose: String,
    legal_basis: String,
    profiles: Vec<String>,
    /// (attribute code, released name) of the ticked attributes; names typed for others too.
    release: Vec<(String, bool, String)>,
    client_type: String,
    signing_alg: String,
    post_logout_uris: String,
    backchannel_logout_uri: String,
    preapproved: bool,
    entity_id: String,
    ent_id: String,
    slo_url: String,
    sp_certificate: String,
}

#[derive(Template)]
#[template(path = "admin/connector_form.html")]
struct FormPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    title: String,
    f: Fields,
    error: Option<String>,
    icons: &'static [&'static str],
    profiles: Vec<(&'static str, String, bool)>,
    /// (code, label, ticked, typed name, default names for CAS · OIDC).
    release: Vec<(&'static str, String, bool, String, String)>,
    subjects: [(&'static str, &'static str); 3],
}

fn form_page(state_csrf: String, a: &Authed, title: String, f: Fields, error: Option<String>) -> Response {
    let profiles = Profile::ALL.iter().map(|p| (p.code(), a.lang.t(&format!("profile.{}", p.code())), f.profiles.iter().any(|x| x == p.code()))).collect();
    let release = Attribute::ALL
        .iter()
        .map(|at| {
            let typed = f.release.iter().find(|(c, _, _)| c == at.code());
            let on = typed.is_some_and(|(_, on, _)| *on);
            let name = typed.map(|(_, _, n)| n.clone()).unwrap_or_default();
            (at.code(), attribute_label(*at, a.lang), on, name, format!("{} · {}", at.default_name(), at.claim_name()))
        })
        .collect();
    render(&FormPage {
        tr: Tr(a.lang),
        user: Some(a.principal.label()),
        csrf: state_csrf,
        title,
        f,
        error,
        icons: preau_directory::services::ICONS,
        profiles,
        release,
        subjects: SUBJECTS,
    })
}

fn fields_of(c: &Connector, uai_of: impl Fn(preau_core::StructureId) -> String) -> Fields {
    Fields {
        name: c.name.clone(),
        code: c.code.clone(),
        url: c.url.clone(),
        icon: c.icon.clone(),
        protocol: c.protocol.code().to_owned(),
        service_urls: c.service_urls.join("\n"),
        structures: if c.owner.is_some() { String::new() } else { c.structures.iter().map(|s| uai_of(*s)).collect::<Vec<_>>().join(", ") },
        owner: c.owner.map(&uai_of).unwrap_or_default(),
        subject: c.subject.code().to_owned(),
        purpose: c.purpose.clone(),
        legal_basis: c.legal_basis.clone(),
        profiles: c.profiles.iter().map(|p| p.code().to_owned()).collect(),
        release: c.release.iter().map(|r| (r.attribute.code().to_owned(), true, r.name.clone())).collect(),
        client_type: if c.oidc.public_client { "public" } else { "confidential" }.to_owned(),
        signing_alg: c.oidc.signing_alg.code().to_owned(),
        post_logout_uris: c.oidc.post_logout_uris.join("\n"),
        backchannel_logout_uri: c.oidc.backchannel_logout_uri.clone(),
        preapproved: c.oidc.preapproved,
        entity_id: c.saml.entity_id.clone(),
        ent_id: c.saml.ent_id.clone(),
        slo_url: c.saml.slo_url.clone(),
        sp_certificate: c.saml.sp_certificate.clone(),
    }
}

/// Reads the posted pairs (checkboxes and per-attribute names are dynamic fields).
fn read_form(pairs: &[(String, String)]) -> (String, Fields) {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let release = Attribute::ALL
        .iter()
        .map(|at| (at.code().to_owned(), pairs.iter().any(|(n, _)| *n == format!("rel_{}", at.code())), get(&format!("name_{}", at.code())).trim().to_owned()))
        .collect();
    let f = Fields {
        name: get("name"),
        code: get("code"),
        url: get("url"),
        icon: get("icon"),
        protocol: get("protocol"),
        service_urls: get("service_urls"),
        structures: get("structures"),
        owner: get("owner"),
        subject: get("subject"),
        purpose: get("purpose"),
        legal_basis: get("legal_basis"),
        profiles: pairs.iter().filter(|(n, _)| n == "profile").map(|(_, v)| v.clone()).collect(),
        release,
        client_type: get("client_type"),
        signing_alg: get("signing_alg"),
        post_logout_uris: get("post_logout_uris"),
        backchannel_logout_uri: get("backchannel_logout_uri"),
        preapproved: pairs.iter().any(|(n, _)| n == "preapproved"),
        entity_id: get("entity_id"),
        ent_id: get("ent_id"),
        slo_url: get("slo_url"),
        sp_certificate: get("sp_certificate"),
    };
    (get("csrf"), f)
}

fn input_of(f: &Fields) -> ConnectorInput {
    let split = |s: &str| s.split([',', ';', ' ', '\n', '\r']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    ConnectorInput {
        code: f.code.clone(),
        name: f.name.clone(),
        icon: f.icon.clone(),
        url: f.url.clone(),
        protocol: f.protocol.clone(),
        service_urls: split(&f.service_urls),
        structures: split(&f.structures),
        profiles: f.profiles.clone(),
        release: f.release.iter().filter(|(_, on, _)| *on).map(|(c, _, n)| if n.is_empty() { c.clone() } else { format!("{c}={n}") }).collect(),
        subject: f.subject.clone(),
        purpose: f.purpose.clone(),
        legal_basis: f.legal_basis.clone(),
        owner: f.owner.trim().to_owned(),
        client_type: f.client_type.clone(),
        post_logout_uris: split(&f.post_logout_uris),
        backchannel_logout_uri: f.backchannel_logout_uri.clone(),
        signing_alg: f.signing_alg.clone(),
        preapproved: f.preapproved,
        entity_id: f.entity_id.clone(),
        ent_id: f.ent_id.clone(),
        slo_url: f.slo_url.clone(),
        sp_certificate: f.sp_certificate.clone(),
    }
}

async fn new_form(a: Authed) -> PageResult {
    if !a.principal.is_admin() {
        return Err(a.fail(Error::Forbidden));
    }
    let f = Fields {
        protocol: "cas".into(),
        subject: "login".into(),
        icon: "link".into(),
        client_type: "confidential".into(),
        signing_alg: "RS256".into(),
        ..Fields::default()
    };
    Ok(form_page(a.session.csrf.to_string(), &a, a.lang.t("admin.connector_new"), f, None))
}

async fn uai_lookup(state: &AppState, a: &Authed) -> Result<impl Fn(preau_core::StructureId) -> String + use<>, PageError> {
    let structures = preau_directory::DirectoryStore::structures(&*state.store, a.principal.territory).await.map_err(|e| a.fail(e))?;
    Ok(move |id| structures.iter().find(|s| s.id == id).map(|s| s.uai.to_string()).unwrap_or_default())
}

async fn edit_form(State(state): State<AppState>, a: Authed, Path(id): Path<ServiceId>) -> PageResult {
    let c = state.sso.connector(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let f = fields_of(&c, uai_lookup(&state, &a).await?);
    Ok(form_page(a.session.csrf.to_string(), &a, c.name.clone(), f, None))
}

async fn save(state: &AppState, a: &Authed, id: Option<ServiceId>, pairs: Vec<(String, String)>) -> PageResult {
    let (csrf, f) = read_form(&pairs);
    a.check_csrf(&csrf)?;
    let input = input_of(&f);
    let result = match id {
        None => state.sso.create_connector(&a.principal, &input).await,
        Some(id) => state.sso.update_connector(&a.principal, id, &input).await,
    };
    match result {
        Ok(c) if c.client_secret.is_some() => Ok(secret_page(state, a, &c)),
        Ok(_) => Ok(Redirect::to("/admin/connectors").into_response()),
        Err(e @ Error::Invalid(_)) => {
            let title = if id.is_some() { f.name.clone() } else { a.lang.t("admin.connector_new") };
            let mut r = form_page(a.session.csrf.to_string(), a, title, f, Some(crate::error::message(&e, a.lang)));
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(a.fail(e)),
    }
}

async fn create(State(state): State<AppState>, a: Authed, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    save(&state, &a, None, pairs).await
}

async fn update(State(state): State<AppState>, a: Authed, Path(id): Path<ServiceId>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    save(&state, &a, Some(id), pairs).await
}

#[derive(Template)]
#[template(path = "admin/connector_secret.html")]
struct SecretPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    name: String,
    client_id: String,
    secret: String,
    issuer: String,
}

/// The client id and a new secret, shown this once.
fn secret_page(state: &AppState, a: &Authed, c: &Connector) -> Response {
    render(&SecretPage {
        tr: Tr(a.lang),
        user: Some(a.principal.label()),
        csrf: a.session.csrf.to_string(),
        name: c.name.clone(),
        client_id: c.service.to_string(),
        secret: c.client_secret.clone().unwrap_or_default(),
        issuer: crate::oidc::issuer(state),
    })
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn renew_secret(State(state): State<AppState>, a: Authed, Path(id): Path<ServiceId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let c = state.sso.renew_client_secret(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(secret_page(&state, &a, &c))
}
