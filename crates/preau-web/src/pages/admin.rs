//! The admin console. Territory admins manage structures, the catalogue, API keys and the
//! charter; local admins manage people, classes, groups, roles, activation codes and the bouquet
//! of their own structures. Every check is made again by the domain operation called.

use super::CsrfForm;
use super::{fmt_time, render};
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::{AssignmentId, Error, GroupId, Permission, PersonId, Profile, Role, Scope, ServiceId, StructureId};
use preau_directory::groups::GroupInput;
use preau_directory::people::PersonInput;
use preau_directory::services::{ICONS, ServiceInput};
use preau_directory::structures::StructureInput;
use preau_directory::{DirectoryStore, Grantee, Group, GroupKind, Person, Service, Structure, StructureKind};
use preau_identity::IdentityStore;
use preau_identity::store::ApiKeyRecord;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/structures", post(create_structure))
        .route("/admin/structures/{id}", get(structure))
        .route("/admin/structures/{id}/edit", post(update_structure))
        .route("/admin/structures/{id}/people", post(create_person))
        .route("/admin/structures/{id}/groups", post(create_group))
        .route("/admin/structures/{id}/bouquet", post(set_bouquet))
        .route("/admin/structures/{id}/public-links", post(set_link_policy))
        .route("/admin/people/{id}", get(person))
        .route("/admin/people/{id}/{action}", post(person_action))
        .route("/admin/groups/{id}", get(group))
        .route("/admin/groups/{id}/members", post(add_member))
        .route("/admin/groups/{id}/members/remove", post(remove_member))
        .route("/admin/groups/{id}/letters", post(letters))
        .route("/admin/roles", post(grant_role))
        .route("/admin/roles/{id}/revoke", post(revoke_role))
        .route("/admin/services", get(services).post(create_service))
        .route("/admin/audit", get(audit))
        .route("/admin/keys", get(keys).post(issue_key))
        .route("/admin/keys/{id}/revoke", post(revoke_key))
        .route("/admin/charter", post(publish_charter))
        .route("/admin/school-year", post(close_school_year))
}

type PageResult = Result<Response, PageError>;

fn require_admin(a: &Authed) -> Result<(), PageError> {
    if a.principal.is_admin() { Ok(()) } else { Err(a.fail(Error::Forbidden)) }
}

fn user(a: &Authed) -> Option<String> {
    Some(a.principal.label())
}

/// Domain errors a form shows next to itself; anything else is an error page.
fn form_error(a: &Authed, e: Error) -> Result<String, PageError> {
    match e {
        Error::Invalid(_) | Error::Conflict(_) => Ok(message(&e, a.lang)),
        other => Err(a.fail(other)),
    }
}

/// Shows a form's error on its own page, with the error's status; an error that is not about
/// the form (forbidden, internal…) becomes an error page instead.
async fn on_form<F: std::future::Future<Output = PageResult>>(a: &Authed, e: Error, page: impl FnOnce(String) -> F) -> PageResult {
    let status = crate::error::status_of(&e);
    let msg = form_error(a, e)?;
    let mut r = page(msg).await?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    structures: Vec<Structure>,
    territory_admin: bool,
    kinds: Vec<&'static str>,
    form: StructureInput,
    charter: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn index_page(state: &AppState, a: &Authed, form: StructureInput, notice: Option<String>, error: Option<String>) -> PageResult {
    require_admin(a)?;
    let structures = state.directory.administered_structures(&a.principal).await.map_err(|e| a.fail(e))?;
    let charter = state.store.charter(a.principal.territory).await.map_err(|e| a.fail(e))?.map(|c| c.text).unwrap_or_default();
    Ok(render(&IndexPage {
        tr: Tr(a.lang),
        user: user(a),
        csrf: a.session.csrf.to_string(),
        structures,
        territory_admin: a.principal.can_territory(Permission::ManageTerritory),
        kinds: StructureKind::ALL.iter().map(|k| k.code()).collect(),
        form,
        charter,
        notice,
        error,
    }))
}

async fn index(State(state): State<AppState>, a: Authed) -> PageResult {
    index_page(&state, &a, StructureInput::default(), None, None).await
}

#[derive(Deserialize)]
struct StructureForm {
    csrf: String,
    #[serde(flatten)]
    input: StructureInput,
}

async fn create_structure(State(state): State<AppState>, a: Authed, Form(f): Form<StructureForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    match state.directory.create_structure(&a.principal, &f.input).await {
        Ok(s) => Ok(Redirect::to(&format!("/admin/structures/{}", s.id)).into_response()),
        Err(e) => on_form(&a, e, |msg| index_page(&state, &a, f.input, None, Some(msg))).await,
    }
}

#[derive(Template)]
#[template(path = "admin/structure.html")]
struct StructurePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    s: Structure,
    q: String,
    profile_filter: String,
    profiles: Vec<Profile>,
    people: Vec<(Person, Profile)>,
    groups: Vec<Group>,
    group_kinds: Vec<&'static str>,
    bouquet_profile: Profile,
    catalogue: Vec<(Service, Option<usize>)>,
    roles: Vec<(String, &'static str, AssignmentId)>,
    territory_admin: bool,
    kinds: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
    /// The structure's rule for public links: each profile and whether it is forbidden, and
    /// whether the rule is the structure's own (else the territory's).
    link_policy: (Vec<(Profile, bool)>, bool),
}

#[derive(Deserialize, Default)]
struct StructureQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    bouquet: String,
    #[serde(default)]
    error: String,
}

async fn structure_page(state: &AppState, a: &Authed, id: StructureId, q: StructureQuery, notice: Option<String>, error: Option<String>) -> PageResult {
    require_admin(a)?;
    let p = &a.principal;
    let s = state.directory.structure_in_territory(p, id).await.map_err(|e| a.fail(e))?;
    let filter = q.profile.parse::<Profile>().ok();
    let people = state.directory.people_of(p, id, filter, &q.q).await.map_err(|e| a.fail(e))?;
    let groups = state.directory.groups_of_structure(p, id).await.map_err(|e| a.fail(e))?;
    let bouquet_profile = q.bouquet.parse::<Profile>().unwrap_or(Profile::Teacher);
    let bouquet = state.directory.bouquet_for_admin(p, id, bouquet_profile).await.map_err(|e| a.fail(e))?;
    let catalogue = state
        .directory
        .catalogue(p)
        .await
        .map_err(|e| a.fail(e))?
        .into_iter()
        .map(|svc| {
            let pos = bouquet.iter().position(|b| b.id == svc.id).map(|i| i + 1);
            (svc, pos)
        })
        .collect();
    let mut roles = vec![];
    for r in state.directory.visible_assignments(p).await.map_err(|e| a.fail(e))? {
        if r.scope != Scope::Structure(id) {
            continue;
        }
        let label = match r.grantee {
            Grantee::Person(pid) => state.store.person(pid).await.map(|x| x.login).unwrap_or_default(),
            Grantee::Group(gid) => state.store.group(gid).await.map(|g| g.name).unwrap_or_default(),
        };
        roles.push((label, r.role.code(), r.id));
    }
    let error = error.or_else(|| (!q.error.is_empty()).then(|| a.lang.t(&q.error)));
    // Those who reach this page administer the structure's groups, as the rule asks.
    let (forbidden, own) = state.documents.link_policy(p, id).await.map_err(|e| a.fail(e))?;
    let link_policy = (Profile::ALL.iter().map(|pr| (*pr, forbidden.contains(pr))).collect(), own);
    Ok(render(&StructurePage {
        link_policy,
        tr: Tr(a.lang),
        user: user(a),
        csrf: a.session.csrf.to_string(),
        s,
        q: q.q,
        profile_filter: q.profile,
        profiles: Profile::ALL.to_vec(),
        people,
        groups,
        group_kinds: GroupKind::ALL.iter().map(|k| k.code()).collect(),
        bouquet_profile,
        catalogue,
        roles,
        territory_admin: p.can_territory(Permission::ManageTerritory),
        kinds: StructureKind::ALL.iter().map(|k| k.code()).collect(),
        notice,
        error,
    }))
}

/// The structure's rule for public links: `own` off goes back to the territory's; on, the
/// profiles ticked may not make them.
async fn set_link_policy(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(f): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(crate::pages::field(&f, "csrf"))?;
    let own = crate::pages::field(&f, "own") == "on";
    // Going back to the territory's rule reads no profile: a stale form cannot block it.
    let forbidden = match own.then(|| crate::pages::profiles_ticked(&f, "forbidden")).transpose() {
        Ok(list) => list,
        Err(e) => return with_form_error(&state, &a, id, e).await,
    };
    match state.documents.set_link_policy(&a.principal, id, forbidden).await {
        Ok(()) => structure_page(&state, &a, id, StructureQuery::default(), Some(a.lang.t("saved")), None).await,
        Err(e) => with_form_error(&state, &a, id, e).await,
    }
}

async fn structure(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Query(q): Query<StructureQuery>) -> PageResult {
    structure_page(&state, &a, id, q, None, None).await
}

async fn with_form_error(state: &AppState, a: &Authed, id: StructureId, e: Error) -> PageResult {
    on_form(a, e, |msg| structure_page(state, a, id, StructureQuery::default(), None, Some(msg))).await
}

async fn update_structure(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(f): Form<StructureForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    match state.directory.update_structure(&a.principal, id, &f.input).await {
        Ok(_) => structure_page(&state, &a, id, StructureQuery::default(), Some(a.lang.t("saved")), None).await,
        Err(e) => with_form_error(&state, &a, id, e).await,
    }
}

#[derive(Deserialize)]
struct PersonForm {
    csrf: String,
    given_name: String,
    family_name: String,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    email: Option<String>,
    profile: String,
}

async fn create_person(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(f): Form<PersonForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let input = PersonInput {
        given_name: f.given_name,
        family_name: f.family_name,
        birth_date: f.birth_date,
        email: f.email,
        structure: id.to_string(),
        profile: f.profile,
    };
    match state.directory.create_person(&a.principal, &input).await {
        Ok(p) => {
            let code = state.accounts.issue_code(&a.principal, p.id).await.map_err(|e| a.fail(e))?;
            person_page(&state, &a, p.id, Some(code), None, None).await
        }
        Err(e) => with_form_error(&state, &a, id, e).await,
    }
}

#[derive(Deserialize)]
struct GroupForm {
    csrf: String,
    code: String,
    #[serde(default)]
    name: String,
    kind: String,
}

async fn create_group(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(f): Form<GroupForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let input = GroupInput { structure: id.to_string(), kind: f.kind, code: f.code, name: f.name, also_in: vec![] };
    match state.directory.create_group(&a.principal, &input).await {
        Ok(g) => Ok(Redirect::to(&format!("/admin/groups/{}", g.id)).into_response()),
        Err(e) => with_form_error(&state, &a, id, e).await,
    }
}

/// The bouquet form: `profile`, and for each service `on_<id>=on` and `pos_<id>=<n>`.
async fn set_bouquet(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(f): Form<HashMap<String, String>>) -> PageResult {
    a.check_csrf(f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let profile = f.get("profile").and_then(|p| p.parse::<Profile>().ok()).ok_or_else(|| a.fail(Error::invalid("profile", "profile.unknown")))?;
    let mut chosen: Vec<(i64, ServiceId)> = f
        .iter()
        .filter(|(k, v)| k.starts_with("on_") && v.as_str() == "on")
        .filter_map(|(k, _)| {
            let sid = k.trim_start_matches("on_");
            let pos = f.get(&format!("pos_{sid}")).and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(i64::MAX);
            Some((pos, sid.parse::<ServiceId>().ok()?))
        })
        .collect();
    chosen.sort();
    let ids: Vec<ServiceId> = chosen.into_iter().map(|(_, s)| s).collect();
    match state.sso.set_bouquet(&a.principal, id, profile, &ids).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/structures/{id}?bouquet={}", profile.code())).into_response()),
        Err(e) => with_form_error(&state, &a, id, e).await,
    }
}

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    p: Person,
    aliases: Vec<String>,
    memberships: Vec<(String, Profile)>,
    /// (person, legal guardian) links up (guardians and contacts) and down (children)
    relatives: Vec<(Person, bool)>,
    children: Vec<(Person, bool)>,
    blocked: bool,
    activated: bool,
    code: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn person_page(state: &AppState, a: &Authed, id: PersonId, code: Option<String>, notice: Option<String>, error: Option<String>) -> PageResult {
    require_admin(a)?;
    let (p, ms) = state.directory.managed_person(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let mut memberships = vec![];
    for m in ms {
        memberships.push((state.store.structure(m.structure).await.map(|s| s.name).unwrap_or_default(), m.profile));
    }
    let (relatives, children) = state.directory.relatives_of(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let cred = state.store.credential(id).await.map_err(|e| a.fail(e))?;
    let aliases = state.store.aliases(id).await.map_err(|e| a.fail(e))?;
    Ok(render(&PersonPage {
        tr: Tr(a.lang),
        user: user(a),
        csrf: a.session.csrf.to_string(),
        p,
        aliases,
        memberships,
        relatives,
        children,
        blocked: cred.blocked,
        activated: cred.password_hash.is_some(),
        code,
        notice,
        error,
    }))
}

async fn person(State(state): State<AppState>, a: Authed, Path(id): Path<PersonId>) -> PageResult {
    person_page(&state, &a, id, None, None, None).await
}

#[derive(Deserialize)]
struct PersonActionForm {
    csrf: String,
    #[serde(default)]
    alias: String,
    #[serde(default)]
    parent_login: String,
    #[serde(default)]
    legal: Option<String>,
}

async fn person_action(State(state): State<AppState>, a: Authed, Path((id, action)): Path<(PersonId, String)>, Form(f): Form<PersonActionForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let p = &a.principal;
    let outcome: Result<Option<String>, Error> = match action.as_str() {
        "block" => state.accounts.set_blocked(p, id, true).await.map(|_| None),
        "unblock" => state.accounts.set_blocked(p, id, false).await.map(|_| None),
        "mfa-reset" => state.accounts.reset_mfa(p, id).await.map(|_| None),
        "code" => state.accounts.issue_code(p, id).await.map(Some),
        "alias" => state.directory.add_alias(p, id, &f.alias).await.map(|_| None),
        "parent" => match state.store.person_by_login(p.territory, &f.parent_login).await {
            Ok(parent) => state.directory.link_parent(p, parent.id, id, f.legal.as_deref() == Some("on")).await.map(|_| None),
            Err(_) => Err(Error::invalid("parent_login", "activation.invalid")),
        },
        _ => Err(Error::NotFound),
    };
    match outcome {
        Ok(code) => person_page(&state, &a, id, code, Some(a.lang.t("saved")), None).await,
        Err(e) => on_form(&a, e, |msg| person_page(&state, &a, id, None, None, Some(msg))).await,
    }
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct GroupPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    g: Group,
    members: Vec<Person>,
    error: Option<String>,
}

async fn group_page(state: &AppState, a: &Authed, id: GroupId, error: Option<String>) -> PageResult {
    require_admin(a)?;
    let g = state.directory.managed_group(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let members = state.store.group_members(id).await.map_err(|e| a.fail(e))?;
    Ok(render(&GroupPage { tr: Tr(a.lang), user: user(a), csrf: a.session.csrf.to_string(), g, members, error }))
}

async fn group(State(state): State<AppState>, a: Authed, Path(id): Path<GroupId>) -> PageResult {
    group_page(&state, &a, id, None).await
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    person: String,
}

async fn add_member(State(state): State<AppState>, a: Authed, Path(id): Path<GroupId>, Form(f): Form<MemberForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let result = match state.store.person_by_login(a.principal.territory, &f.login).await {
        Ok(person) => state.directory.add_group_member(&a.principal, id, person.id).await,
        Err(_) => Err(Error::invalid("login", "group.member_outside")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/groups/{id}")).into_response()),
        Err(e) => on_form(&a, e, |msg| group_page(&state, &a, id, Some(msg))).await,
    }
}

async fn remove_member(State(state): State<AppState>, a: Authed, Path(id): Path<GroupId>, Form(f): Form<MemberForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let person = f.person.parse::<PersonId>().map_err(|e| a.fail(e))?;
    state.directory.remove_group_member(&a.principal, id, person).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/groups/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "admin/letters.html")]
struct LettersPage {
    tr: Tr,
    territory: String,
    group: String,
    base_url: String,
    letters: Vec<(String, String, String)>,
}

async fn letters(State(state): State<AppState>, a: Authed, Path(id): Path<GroupId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let (g, letters) = state.accounts.class_letters(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(render(&LettersPage {
        tr: Tr(a.lang),
        territory: state.config.territory_name.clone(),
        group: g.name,
        base_url: state.accounts.base_url.clone(),
        letters: letters.into_iter().map(|(p, c)| (p.display_name(), p.login, c)).collect(),
    }))
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    structure: StructureId,
    login: String,
    role: String,
}

async fn grant_role(State(state): State<AppState>, a: Authed, Form(f): Form<RoleForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let result = async {
        let role = f.role.parse::<Role>()?;
        let person = state.store.person_by_login(a.principal.territory, &f.login).await.map_err(|_| Error::invalid("login", "group.member_outside"))?;
        state.directory.grant_role(&a.principal, role, Grantee::Person(person.id), Scope::Structure(f.structure)).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/structures/{}", f.structure)).into_response()),
        Err(e) => with_form_error(&state, &a, f.structure, e).await,
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    back: StructureId,
}

async fn revoke_role(State(state): State<AppState>, a: Authed, Path(id): Path<AssignmentId>, Form(f): Form<RevokeForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.directory.revoke_role(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/admin/structures/{}", f.back)).into_response())
}

#[derive(Template)]
#[template(path = "admin/services.html")]
struct ServicesPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    services: Vec<Service>,
    icons: &'static [&'static str],
    error: Option<String>,
}

async fn services_page(state: &AppState, a: &Authed, error: Option<String>) -> PageResult {
    if !a.principal.can_territory(Permission::ManageCatalogue) {
        return Err(a.fail(Error::Forbidden));
    }
    let services = state.directory.catalogue(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&ServicesPage { tr: Tr(a.lang), user: user(a), csrf: a.session.csrf.to_string(), services, icons: ICONS, error }))
}

async fn services(State(state): State<AppState>, a: Authed) -> PageResult {
    services_page(&state, &a, None).await
}

#[derive(Deserialize)]
struct ServiceForm {
    csrf: String,
    #[serde(flatten)]
    input: ServiceInput,
}

async fn create_service(State(state): State<AppState>, a: Authed, Form(f): Form<ServiceForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    match state.directory.create_service(&a.principal, &f.input).await {
        Ok(_) => Ok(Redirect::to("/admin/services").into_response()),
        Err(e) => on_form(&a, e, |msg| services_page(&state, &a, Some(msg))).await,
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    entries: Vec<(String, String, String, String, String, String)>,
}

async fn audit(State(state): State<AppState>, a: Authed) -> PageResult {
    require_admin(&a)?;
    let entries = state.directory.audit_log(&a.principal, 200).await.map_err(|e| a.fail(e))?;
    let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let entries = entries.iter().map(|e| (fmt_time(e.at), e.actor.clone(), e.action.clone(), e.target.clone(), show(&e.before), show(&e.after))).collect();
    Ok(render(&AuditPage { tr: Tr(a.lang), user: user(&a), csrf: a.session.csrf.to_string(), entries }))
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    keys: Vec<ApiKeyRecord>,
    new_key: Option<String>,
}

async fn keys_page(state: &AppState, a: &Authed, new_key: Option<String>) -> PageResult {
    let keys = state.accounts.api_keys(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&KeysPage { tr: Tr(a.lang), user: user(a), csrf: a.session.csrf.to_string(), keys, new_key }))
}

async fn keys(State(state): State<AppState>, a: Authed) -> PageResult {
    keys_page(&state, &a, None).await
}

#[derive(Deserialize)]
struct KeyForm {
    csrf: String,
    name: String,
}

async fn issue_key(State(state): State<AppState>, a: Authed, Form(f): Form<KeyForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let (_, token) = state.accounts.issue_api_key(&a.principal, &f.name).await.map_err(|e| a.fail(e))?;
    keys_page(&state, &a, Some(token)).await
}

async fn revoke_key(State(state): State<AppState>, a: Authed, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.accounts.revoke_api_key(&a.principal, &id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/keys").into_response())
}

#[derive(Deserialize)]
struct CharterForm {
    csrf: String,
    text: String,
}

async fn publish_charter(State(state): State<AppState>, a: Authed, Form(f): Form<CharterForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let v = state.accounts.publish_charter(&a.principal, &f.text).await.map_err(|e| a.fail(e))?;
    index_page(&state, &a, StructureInput::default(), Some(format!("{} (v{v})", a.lang.t("saved"))), None).await
}

#[derive(Deserialize)]
struct YearForm {
    csrf: String,
    year: String,
}

async fn close_school_year(State(state): State<AppState>, a: Authed, Form(f): Form<YearForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    match state.directory.close_school_year(&a.principal, &f.year).await {
        Ok(n) => index_page(&state, &a, StructureInput::default(), Some(format!("{} : {n} classes et groupes archivés.", f.year.trim())), None).await,
        Err(e) => on_form(&a, e, |msg| index_page(&state, &a, StructureInput::default(), None, Some(msg))).await,
    }
}
