//! Promo gift rules (`/promo-rules`): the list with a form for a new rule, and a rule's own
//! page to change or delete it. A product is named by its barcode or its number.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::catalog::category_choices;
use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::catalog::promo::{self, PromoDraft, PromoRule, Scope, day_text};
use crate::catalog::query;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BranchId, CategoryId, CompanyId, ProductId, PromoRuleId};
use crate::storage::Read;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/promo-rules", get(list_page).post(create))
        .route("/promo-rules/{id}", get(edit_page).post(save))
        .route("/promo-rules/{id}/delete", post(delete))
}

const FLASHES: &[&str] = &["promo_saved", "promo_deleted"];

/// The form's fields as typed, so a refused form comes back as it was.
#[derive(Default, Clone)]
struct Form {
    name: String,
    scope: String,
    category: Option<u64>,
    brand: Option<u64>,
    /// A barcode or a product number.
    product: String,
    min_qty: String,
    inclusive: bool,
    gift_qty: String,
    priority: String,
    from: String,
    to: String,
    branch: Option<u64>,
    active: bool,
}

impl Form {
    fn new_rule() -> Form {
        Form {
            scope: "all".into(),
            min_qty: "1".into(),
            gift_qty: "1".into(),
            priority: "0".into(),
            inclusive: true,
            active: true,
            ..Form::default()
        }
    }

    fn parse(f: &Fields) -> Form {
        Form {
            name: f.get("name"),
            scope: f.get("scope"),
            category: f.id("category"),
            brand: f.id("brand"),
            product: f.get("product").trim().to_string(),
            min_qty: f.get("min_qty"),
            inclusive: f.has("inclusive"),
            gift_qty: f.get("gift_qty"),
            priority: f.get("priority"),
            from: f.get("from"),
            to: f.get("to"),
            branch: f.id("branch"),
            active: f.has("active"),
        }
    }

    fn of(tx: &impl Read, company: CompanyId, r: &PromoRule) -> Result<Form> {
        let d = PromoDraft::from_rule(r);
        let mut form = Form {
            name: d.name,
            scope: d.scope,
            min_qty: d.min_qty,
            inclusive: d.inclusive,
            gift_qty: d.gift_qty,
            priority: d.priority,
            from: d.from,
            to: d.to,
            branch: d.branch.map(|b| b.0),
            active: d.active,
            ..Form::default()
        };
        match r.scope {
            Scope::All => {}
            Scope::Category(c) => form.category = Some(c.0),
            Scope::Brand(b) => form.brand = Some(b.0),
            Scope::Product(p) => {
                form.product = match query::product(tx, company, p) {
                    Ok(prod) => prod.barcodes.first().cloned().unwrap_or_else(|| p.0.to_string()),
                    Err(_) => p.0.to_string(),
                }
            }
        }
        Ok(form)
    }

    /// The domain draft; a product that names nothing is refused here, as the domain would.
    fn draft(&self, tx: &impl Read, company: CompanyId) -> Result<PromoDraft> {
        let target = match self.scope.as_str() {
            "category" => self.category,
            "brand" => self.brand,
            "product" if self.product.is_empty() => None,
            "product" => match query::barcode_lookup(tx, company, &self.product)?.0 {
                Some(p) => Some(p.id.0),
                None => match self
                    .product
                    .trim_start_matches('#')
                    .parse::<u64>()
                    .ok()
                    .filter(|id| query::product(tx, company, ProductId(*id)).is_ok())
                {
                    Some(id) => Some(id),
                    None => {
                        return Err(Error::Validation(vec![FieldError::new(
                            "product",
                            "unknown",
                            "Нет товара с таким штрихкодом или номером",
                            "No product with this barcode or number",
                        )]));
                    }
                },
            },
            _ => None,
        };
        Ok(PromoDraft {
            name: self.name.clone(),
            scope: self.scope.clone(),
            target,
            min_qty: self.min_qty.clone(),
            inclusive: self.inclusive,
            gift_qty: self.gift_qty.clone(),
            priority: self.priority.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            branch: self.branch.map(BranchId),
            active: self.active,
        })
    }
}

pub struct Row {
    pub id: u64,
    pub name: String,
    pub scope: String,
    pub threshold: String,
    pub gift: u64,
    pub priority: i64,
    pub dates: String,
    pub branch: String,
    pub active: bool,
}

/// The choices of the form's selects.
struct Choices {
    scopes: Vec<Choice>,
    categories: Vec<Choice>,
    brands: Vec<Choice>,
    branches: Vec<Choice>,
}

fn choices(tx: &impl Read, lang: Lang, company: CompanyId, form: &Form) -> Result<Choices> {
    let scopes = ["all", "category", "brand", "product"]
        .iter()
        .map(|s| Choice { value: s.to_string(), label: lang.t(&format!("promo.scope_{s}")).to_string(), selected: form.scope == *s })
        .collect();
    let categories = category_choices(tx, company, lang.t("promo.choose"), form.category.map(CategoryId))?;
    let mut brands = vec![Choice { value: String::new(), label: lang.t("promo.choose").into(), selected: form.brand.is_none() }];
    brands.extend(query::brands_by_name(tx, company)?.into_iter().map(|b| Choice {
        value: b.id.0.to_string(),
        label: b.name,
        selected: form.brand == Some(b.id.0),
    }));
    let mut branches = vec![Choice { value: String::new(), label: lang.t("promo.every_branch").into(), selected: form.branch.is_none() }];
    branches.extend(crate::tenancy::query::branches(tx, company)?.into_iter().map(|b| Choice {
        value: b.id.0.to_string(),
        label: b.name,
        selected: form.branch == Some(b.id.0),
    }));
    Ok(Choices { scopes, categories, brands, branches })
}

#[derive(Template)]
#[template(path = "promo_rules.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<Row>,
    form: Form,
    c: Choices,
    errs: Errors,
}

fn describe(tx: &impl Read, lang: Lang, company: CompanyId, r: &PromoRule) -> Result<Row> {
    let scope = match r.scope {
        Scope::All => lang.t("promo.scope_all").to_string(),
        Scope::Category(c) => {
            format!("{}: {}", lang.t("promo.scope_category"), query::category(tx, company, c).map(|c| c.name).unwrap_or_default())
        }
        Scope::Brand(b) => format!("{}: {}", lang.t("promo.scope_brand"), query::brand(tx, company, b).map(|b| b.name).unwrap_or_default()),
        Scope::Product(p) => {
            format!("{}: {}", lang.t("promo.scope_product"), query::product(tx, company, p).map(|p| p.name).unwrap_or_default())
        }
    };
    let branch = match r.branch {
        None => lang.t("promo.every_branch").to_string(),
        Some(b) => crate::tenancy::query::branch(tx, company, b).map(|b| b.name).unwrap_or_default(),
    };
    let dates = match (r.from, r.to) {
        (None, None) => "—".to_string(),
        (f, t) => format!("{} – {}", f.map(day_text).unwrap_or_default(), t.map(day_text).unwrap_or_default()),
    };
    Ok(Row {
        id: r.id.0,
        name: r.name.clone(),
        scope,
        threshold: format!("{} {}", if r.inclusive { "≥" } else { ">" }, r.min_qty),
        gift: r.gift_qty,
        priority: r.priority,
        dates,
        branch,
        active: r.active,
    })
}

fn list_for(app: &App, ui: &Ui, uri: &Uri, form: Form, errs: Errors) -> Result<ListPage> {
    let actor = ui.actor();
    promo::require_access(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "");
    let tx = app.db.read()?;
    let rows = promo::list(&tx, actor)?.iter().map(|r| describe(&tx, ui.lang, actor.company, r)).collect::<Result<Vec<_>>>()?;
    let c = choices(&tx, ui.lang, actor.company, &form)?;
    Ok(ListPage { lang: ui.lang, shell, rows, form, c, errs })
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &list_for(&app, &ui, &uri, Form::new_rule(), Errors::default())?)
}

const SHOWN: &[&str] = &["name", "scope", "category", "brand", "product", "min_qty", "gift_qty", "priority", "from", "to", "branch"];

/// The domain names the scoped record `target`; the form shows it under the select in use.
fn shown_errors(e: Error, lang: Lang, scope: &str) -> Result<(StatusCode, Errors)> {
    let e = match e {
        Error::Validation(list) => Error::Validation(
            list.into_iter()
                .map(|mut f| {
                    if f.field == "target" {
                        f.field = if matches!(scope, "category" | "brand" | "product") { scope.to_string() } else { "scope".into() };
                    }
                    f
                })
                .collect(),
        ),
        other => other,
    };
    refused(e, lang, SHOWN)
}

async fn write(app: &App, ui: &Ui, id: Option<PromoRuleId>, form: &Form) -> Result<PromoRule> {
    promo::require_access(ui.actor())?;
    let draft = form.draft(&app.db.read()?, ui.actor().company)?;
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| promo::save_rule(tx, &actor, now, id, &draft)).await
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let form = Form::parse(&f);
    match write(&app, &ui, None, &form).await {
        Ok(r) => Ok(see_other(&format!("/promo-rules?ok=promo_saved#promo-{}", r.id))),
        Err(e) => {
            let (status, errs) = shown_errors(e, ui.lang, &form.scope)?;
            render(status, &list_for(&app, &ui, &uri, form, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "promo_rule_edit.html")]
struct EditPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    form: Form,
    c: Choices,
    errs: Errors,
}

fn edit_for(app: &App, ui: &Ui, id: u64, form: Option<Form>, errs: Errors) -> Result<EditPage> {
    let actor = ui.actor();
    let tx = app.db.read()?;
    let rule = promo::rule(&tx, actor, PromoRuleId(id))?;
    let form = match form {
        Some(f) => f,
        None => Form::of(&tx, actor.company, &rule)?,
    };
    let c = choices(&tx, ui.lang, actor.company, &form)?;
    Ok(EditPage { lang: ui.lang, shell: Shell::load(app, ui)?, id, form, c, errs })
}

pub async fn edit_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &edit_for(&app, &ui, id, None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let form = Form::parse(&f);
    match write(&app, &ui, Some(PromoRuleId(id)), &form).await {
        Ok(_) => Ok(see_other(&format!("/promo-rules?ok=promo_saved#promo-{id}"))),
        Err(e) => {
            let (status, errs) = shown_errors(e, ui.lang, &form.scope)?;
            render(status, &edit_for(&app, &ui, id, Some(form), errs)?)
        }
    }
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| promo::delete_rule(tx, &actor, now, PromoRuleId(id))).await?;
    Ok(see_other("/promo-rules?ok=promo_deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkbox_left_out_is_false() {
        let f = Fields::parse(b"name=x&scope=brand&brand=7&min_qty=3&gift_qty=1");
        let form = Form::parse(&f);
        assert_eq!((form.inclusive, form.active, form.brand), (false, false, Some(7)));
    }
}
