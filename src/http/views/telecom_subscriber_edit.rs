//! Editing a subscriber (`/telecom/subscribers/{id}/edit`, the create form's fields through
//! the shared `telecom_subscriber_fields.html`; likely duplicates show on the card it returns
//! to, as after creating) and merging a duplicate into the card's subscriber.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::form::refused;
use super::telecom::Typed;
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::SubscriberId;
use crate::telecom::model::Subscriber;
use crate::telecom::{self, SubscriberDraft, query};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new().route("/telecom/subscribers/{id}/edit", get(edit_page).post(save)).route("/telecom/subscribers/{id}/merge", post(merge))
}

const FIELDS: &[&str] = &[
    "kind",
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "org_name",
    "org_inn",
    "doc_kind",
    "doc_series",
    "doc_number",
    "document",
    "personal_no",
    "phone",
    "email",
    "address",
];

#[derive(Template)]
#[template(path = "telecom_subscriber_edit.html")]
struct EditPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    kinds: Vec<Choice>,
    doc_kinds: Vec<Choice>,
    form: Typed,
    errs: Errors,
}

/// The stored subscriber as the form's fields.
fn fields_of(s: &Subscriber) -> Fields {
    let d = s.document.as_ref();
    let pairs = vec![
        ("kind", s.kind.code().to_string()),
        ("last_name", s.last_name.clone()),
        ("first_name", s.first_name.clone()),
        ("patronymic", s.patronymic.clone()),
        ("birth_date", s.birth_date.clone().unwrap_or_default()),
        ("org_name", s.org_name.clone()),
        ("org_inn", s.org_inn.clone().unwrap_or_default()),
        ("doc_kind", d.map(|d| d.kind.code().to_string()).unwrap_or_default()),
        ("doc_series", d.map(|d| d.series.clone()).unwrap_or_default()),
        ("doc_number", d.map(|d| d.number.clone()).unwrap_or_default()),
        ("personal_no", s.personal_no.clone().unwrap_or_default()),
        ("phone", s.phone.clone()),
        ("email", s.email.clone().unwrap_or_default()),
        ("address", s.address.clone()),
    ];
    Fields::parse(serde_urlencoded::to_string(pairs).unwrap_or_default().as_bytes())
}

fn page_for(app: &App, ui: &Ui, id: u64, form: Option<Fields>, errs: Errors) -> Result<EditPage> {
    telecom::require(ui.actor(), &[Perm::TELECOM_CUSTOMERS])?;
    let lang = ui.lang;
    let card = query::subscriber(&app.db.read()?, ui.actor(), SubscriberId(id))?;
    let form = form.unwrap_or_else(|| fields_of(&card.subscriber));
    let choices = |field: &str, codes: &[&str], prefix: &str| -> Vec<Choice> {
        let chosen = form.get(field);
        codes
            .iter()
            .map(|k| Choice { value: (*k).into(), label: lang.t(&format!("telecom.{prefix}{k}")).into(), selected: chosen == *k })
            .collect()
    };
    let kinds = choices("kind", &["individual", "organization"], "kind_");
    let doc_kinds = choices("doc_kind", &["passport", "id_card", "driver_license", "foreign_passport"], "doc_");
    Ok(EditPage { lang, shell: Shell::load(app, ui)?, id, name: card.subscriber.display_name(), kinds, doc_kinds, form: Typed(form), errs })
}

pub async fn edit_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, id, None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let old = query::subscriber(&app.db.read()?, ui.actor(), SubscriberId(id))?.subscriber;
    let d = SubscriberDraft {
        kind: f.get("kind"),
        last_name: f.get("last_name"),
        first_name: f.get("first_name"),
        patronymic: f.get("patronymic"),
        birth_date: f.get("birth_date"),
        org_name: f.get("org_name"),
        org_inn: f.get("org_inn"),
        doc_kind: f.get("doc_kind"),
        doc_series: f.get("doc_series"),
        doc_number: f.get("doc_number"),
        personal_no: f.get("personal_no"),
        phone: f.get("phone"),
        email: f.get("email"),
        address: f.get("address"),
        notes: old.notes,
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| telecom::save_subscriber(tx, &actor, now, Some(SubscriberId(id)), &d)).await {
        Ok(_) => Ok(see_other(&format!("/telecom/subscribers/{id}?ok=saved"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &page_for(&app, &ui, id, Some(f), errs)?)
        }
    }
}

/// Merges the posted `duplicate` into subscriber `id` and returns to the survivor's card.
pub async fn merge(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let duplicate = SubscriberId(f.id("duplicate").unwrap_or(0));
    app.db.write(move |tx| telecom::merge::merge_subscribers(tx, &actor, now, SubscriberId(id), duplicate)).await?;
    Ok(see_other(&format!("/telecom/subscribers/{id}?ok=merged")))
}
