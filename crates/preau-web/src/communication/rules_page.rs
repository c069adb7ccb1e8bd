//! The console page of a structure's communication rules: a table with one row per audience
//! that writes and one column per audience written to, a box in each cell; the functional and
//! manual groups whose members may write to each other; and going back to the defaults.

use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use preau_communication::rules::{Audience, CLASS_PROFILES, PROFILES, Rule};
use preau_core::StructureId;
use preau_directory::GroupKind;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/structures/{id}/communication", get(page).post(save))
}

/// One cell: the rule's code, whether it is on, and what a screen reader says of it.
struct Cell {
    code: String,
    on: bool,
    label: String,
}

#[derive(Template)]
#[template(path = "admin/communication.html")]
struct RulesPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    structure_id: String,
    structure_name: String,
    defaults: bool,
    /// Column headings.
    columns: Vec<String>,
    /// (row heading, cells)
    rows: Vec<(String, Vec<Cell>)>,
    /// (rule code, group name, on)
    groups: Vec<(String, String, bool)>,
    notice: Option<String>,
    error: Option<String>,
}

fn audiences() -> Vec<Audience> {
    PROFILES.iter().map(|p| Audience::Profile(*p)).chain(CLASS_PROFILES.iter().map(|p| Audience::Class(*p))).collect()
}

fn name(tr: &Tr, a: Audience) -> String {
    match a {
        Audience::Profile(p) => format!("{} {}", tr.t(&format!("audience.{}", p.code())), tr.t("rules.of_school")),
        Audience::Class(p) => format!("{} {}", tr.t(&format!("audience.{}", p.code())), tr.t("rules.of_class")),
        Audience::Group(_) => String::new(),
    }
}

fn code(r: &Rule) -> String {
    format!("{}>{}", r.from.code(), r.to.code())
}

async fn render_page(state: &AppState, a: &Authed, id: StructureId, notice: Option<String>, error: Option<String>) -> Result<Response, PageError> {
    let set = state.communication.rule_set(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let structure = preau_directory::DirectoryStore::structure(&*state.store, id).await.map_err(|e| a.fail(e))?;
    let tr = Tr(a.lang);
    let all = audiences();
    let rows = all
        .iter()
        .map(|from| {
            let cells = all
                .iter()
                .map(|to| {
                    let r = Rule { from: *from, to: *to };
                    Cell { code: code(&r), on: set.rules.contains(&r), label: format!("{} → {}", name(&tr, *from), name(&tr, *to)) }
                })
                .collect();
            (name(&tr, *from), cells)
        })
        .collect();
    let groups = preau_directory::DirectoryStore::groups_in(&*state.store, id)
        .await
        .map_err(|e| a.fail(e))?
        .into_iter()
        .filter(|g| matches!(g.kind, GroupKind::Functional | GroupKind::Manual) && g.archived_year.is_none())
        .map(|g| {
            let r = Rule { from: Audience::Group(g.id), to: Audience::Group(g.id) };
            (code(&r), g.name, set.rules.contains(&r))
        })
        .collect();
    Ok(render(&RulesPage {
        user: Some(super::user_name(state, a).await?),
        csrf: a.session.csrf.to_string(),
        structure_id: id.to_string(),
        structure_name: structure.name,
        defaults: set.defaults,
        columns: all.iter().map(|x| name(&tr, *x)).collect(),
        rows,
        groups,
        notice,
        error,
        tr,
    }))
}

async fn page(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>) -> Result<Response, PageError> {
    render_page(&state, &a, id, None, None).await
}

/// The rules ticked (`rule` repeated, `from>to`). One the page cannot read (a stale or altered
/// form) is refused: dropped, it would be deleted, since the rules shown are replaced by those
/// ticked.
fn ticked_rules(pairs: &[(String, String)]) -> preau_core::Result<Vec<Rule>> {
    let read = |v: &str| {
        let (from, to) = v.split_once('>')?;
        Some(Rule { from: Audience::parse(from)?, to: Audience::parse(to)? })
    };
    pairs.iter().filter(|(k, _)| k == "rule").map(|(_, v)| read(v).ok_or_else(|| preau_core::Error::invalid("rule", "form.invalid"))).collect()
}

async fn save(State(state): State<AppState>, a: Authed, Path(id): Path<StructureId>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, PageError> {
    a.check_csrf(pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or(""))?;
    let result = if pairs.iter().any(|(k, v)| k == "action" && v == "reset") {
        state.communication.reset_rules(&a.principal, id).await
    } else {
        async {
            let ticked = ticked_rules(&pairs)?;
            // Rules the page does not show (group to profile links made through the API) are kept.
            let shown: Vec<Audience> = audiences();
            let mut rules: Vec<Rule> = state.communication.rule_set(&a.principal, id).await?.rules;
            rules.retain(|r| !(shown.contains(&r.from) && shown.contains(&r.to)) && r.from != r.to);
            rules.extend(ticked);
            state.communication.set_rules(&a.principal, id, &rules).await
        }
        .await
    };
    match result {
        Ok(_) => render_page(&state, &a, id, Some(a.lang.t("rules.saved")), None).await,
        Err(e @ preau_core::Error::Invalid(_)) => render_page(&state, &a, id, None, Some(message(&e, a.lang))).await,
        Err(e) => Err(a.fail(e)),
    }
}
