//! Promo gift rules (spec A5 PromoRule): "buy at least N of these, get G free", scoped to one
//! product, one brand, one category or all goods, with a priority, active dates and an
//! optional branch. Agents' request carts ask `gift` for the free units of each line.
//!
//! The rule that picks the gift (`pick`, pure, table-tested below):
//! 1. only active rules whose dates hold today (company-local, inclusive) and that are either
//!    company-wide or for the asking branch;
//! 2. only rules whose threshold is passed (`qty >= min_qty` when inclusive, `qty > min_qty`
//!    otherwise) and whose scope matches the product;
//! 3. the most specific wins (product > brand > category > all), then the highest priority,
//!    then the highest min_qty, then the oldest rule (lowest id), so the answer never depends
//!    on storage order; gifts never stack.
//!
//! **The seed's NULL-scope bug (A15 #10), fixed here.** The seed stored a rule's scope as three
//! nullable columns and matched each by `rule.x IS NULL OR rule.x = product.x`. A product with
//! no brand (NULL) then "matched" a brand rule's NULL product column, and a rule meant for one
//! product (product set, brand and category NULL) matched every product whose brand or
//! category was NULL — rules for other products applied, and at the specificity of the level
//! they were not. Here a rule's scope is one enum value (`Scope`): a product rule matches only
//! that product id, a brand rule only a product whose brand is `Some` and equal, a category rule
//! only a product whose category is `Some` and equal; only `Scope::All` matches everything, and
//! it is the least specific level. A missing brand or category never equals anything.

use serde::{Deserialize, Serialize};

use super::store::{BRANDS, CATEGORIES, PRODUCTS, PROMO_RULES};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, BrandId, CategoryId, CompanyId, ProductId, PromoRuleId};
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;

/// What a rule applies to; exactly one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    All,
    Category(CategoryId),
    Brand(BrandId),
    Product(ProductId),
}

impl Scope {
    /// Specificity: a higher level beats a lower one whatever their priorities.
    pub fn level(self) -> u8 {
        match self {
            Scope::All => 0,
            Scope::Category(_) => 1,
            Scope::Brand(_) => 2,
            Scope::Product(_) => 3,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Category(_) => "category",
            Scope::Brand(_) => "brand",
            Scope::Product(_) => "product",
        }
    }

    /// The id of the scoped record (0 for all goods).
    pub fn target(self) -> u64 {
        match self {
            Scope::All => 0,
            Scope::Category(c) => c.0,
            Scope::Brand(b) => b.0,
            Scope::Product(p) => p.0,
        }
    }

    /// Whether the rule covers `p`. A product without a brand or category is covered only by
    /// product rules naming it and by `All` (the NULL-scope fix, see the module header).
    pub fn covers(self, p: &Facts) -> bool {
        match self {
            Scope::All => true,
            Scope::Category(c) => p.category == Some(c),
            Scope::Brand(b) => p.brand == Some(b),
            Scope::Product(id) => p.product == id,
        }
    }
}

/// What a rule needs to know about a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub product: ProductId,
    pub brand: Option<BrandId>,
    pub category: Option<CategoryId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoRule {
    pub id: PromoRuleId,
    pub name: String,
    pub scope: Scope,
    /// Whole units, ≥ 1.
    pub min_qty: u64,
    /// `qty >= min_qty` when true, `qty > min_qty` otherwise.
    pub inclusive: bool,
    /// Free units given, ≥ 1.
    pub gift_qty: u64,
    pub priority: i64,
    /// Local days `YYYYMMDD`, both inclusive; `None` = open-ended.
    pub from: Option<u64>,
    pub to: Option<u64>,
    /// `None` = every branch.
    pub branch: Option<BranchId>,
    pub active: bool,
    pub created: Ts,
    pub updated: Ts,
}

impl Record for PromoRule {
    const TYPE: &'static str = "promo_rule.v1";
}

impl PromoRule {
    /// Steps 1 and 2 of the rule: active on `day` at `branch`, threshold passed, scope covers.
    pub fn applies(&self, p: &Facts, qty: u64, day: u64, branch: Option<BranchId>) -> bool {
        let dated = self.from.is_none_or(|f| f <= day) && self.to.is_none_or(|t| day <= t);
        let here = self.branch.is_none() || self.branch == branch;
        let passed = if self.inclusive { qty >= self.min_qty } else { qty > self.min_qty };
        self.active && dated && here && passed && self.scope.covers(p)
    }
}

/// The winning rule for `qty` units of `p` (module header, step 3).
pub fn pick<'a>(rules: &'a [PromoRule], p: &Facts, qty: u64, day: u64, branch: Option<BranchId>) -> Option<&'a PromoRule> {
    rules.iter().filter(|r| r.applies(p, qty, day, branch)).max_by(|a, b| {
        (a.scope.level(), a.priority, a.min_qty, std::cmp::Reverse(a.id.0)).cmp(&(
            b.scope.level(),
            b.priority,
            b.min_qty,
            std::cmp::Reverse(b.id.0),
        ))
    })
}

/// Gift units for a line, from already loaded rules (a cart loads them once).
pub fn gift_of(rules: &[PromoRule], p: &Facts, qty: u64, day: u64, branch: Option<BranchId>) -> u64 {
    pick(rules, p, qty, day, branch).map_or(0, |r| r.gift_qty)
}

/// The company's rules in id order.
pub fn rules(tx: &impl Read, company: CompanyId) -> Result<Vec<PromoRule>> {
    let c = company.0;
    Ok(tx.list(PROMO_RULES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, r)| r).collect())
}

/// What a product is, for the rules; `NotFound` when the company has no such product.
pub fn facts(tx: &impl Read, company: CompanyId, product: ProductId) -> Result<Facts> {
    let p = tx.get(PRODUCTS, (company.0, product.0))?.ok_or(Error::NotFound)?;
    Ok(Facts { product, brand: p.brand, category: p.category })
}

/// The local day `YYYYMMDD` of `at` in the company's zone, as the rules' dates are written.
pub fn today(tx: &impl Read, company: CompanyId, at: Ts) -> Result<u64> {
    let tz = crate::tenancy::timezone(tx, company)?;
    Ok(day_number(&at.date_local(&tz)).unwrap_or(0))
}

/// "YYYY-MM-DD" → `YYYYMMDD`, checked as a real date.
pub fn day_number(raw: &str) -> Option<u64> {
    let d: jiff::civil::Date = raw.trim().parse().ok()?;
    Some(d.year() as u64 * 10_000 + d.month() as u64 * 100 + d.day() as u64)
}

/// `YYYYMMDD` → "YYYY-MM-DD".
pub fn day_text(day: u64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10_000, day / 100 % 100, day % 100)
}

/// A rule as typed into the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct PromoDraft {
    pub name: String,
    /// "all" | "category" | "brand" | "product".
    pub scope: String,
    /// The scoped record's id; ignored for "all".
    pub target: Option<u64>,
    pub min_qty: String,
    pub inclusive: bool,
    pub gift_qty: String,
    pub priority: String,
    /// "YYYY-MM-DD" or empty.
    pub from: String,
    pub to: String,
    pub branch: Option<BranchId>,
    pub active: bool,
}

impl PromoDraft {
    pub fn from_rule(r: &PromoRule) -> PromoDraft {
        PromoDraft {
            name: r.name.clone(),
            scope: r.scope.kind().to_string(),
            target: (r.scope != Scope::All).then(|| r.scope.target()),
            min_qty: r.min_qty.to_string(),
            inclusive: r.inclusive,
            gift_qty: r.gift_qty.to_string(),
            priority: r.priority.to_string(),
            from: r.from.map(day_text).unwrap_or_default(),
            to: r.to.map(day_text).unwrap_or_default(),
            branch: r.branch,
            active: r.active,
        }
    }
}

/// Who may read and change the rules: catalog editors (brands and categories) of a plan with
/// field agents.
pub fn require_access(actor: &Actor) -> Result<()> {
    actor.require(Perm::BRAND_CATEGORY)?;
    actor.require_feature("agents")
}

fn whole(field: &str, raw: &str) -> std::result::Result<u64, FieldError> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(FieldError::new(field, "whole", "Целое число от 1 до 1 000 000", "A whole number from 1 to 1,000,000")),
    }
}

fn date(field: &str, raw: &str) -> std::result::Result<Option<u64>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    day_number(raw).map(Some).ok_or_else(|| FieldError::new(field, "date", "Дата в виде ГГГГ-ММ-ДД", "A date as YYYY-MM-DD"))
}

fn parse_scope(tx: &impl Read, company: CompanyId, d: &PromoDraft, p: &mut Problems) -> Result<Option<Scope>> {
    let c = company.0;
    let unknown = || FieldError::new("target", "unknown", "Нет такой записи", "No such record");
    let need = |p: &mut Problems| {
        p.push(FieldError::required("target"));
        Ok(None)
    };
    match (d.scope.trim(), d.target) {
        ("all" | "", _) => Ok(Some(Scope::All)),
        ("product" | "brand" | "category", None) => need(p),
        ("product", Some(id)) if tx.get(PRODUCTS, (c, id))?.is_some() => Ok(Some(Scope::Product(ProductId(id)))),
        ("brand", Some(id)) if tx.get(BRANDS, (c, id))?.is_some() => Ok(Some(Scope::Brand(BrandId(id)))),
        ("category", Some(id)) if tx.get(CATEGORIES, (c, id))?.is_some() => Ok(Some(Scope::Category(CategoryId(id)))),
        ("product" | "brand" | "category", Some(_)) => {
            p.push(unknown());
            Ok(None)
        }
        _ => {
            p.push(FieldError::new("scope", "unknown", "Охват: все, категория, бренд или товар", "Scope: all, category, brand or product"));
            Ok(None)
        }
    }
}

/// Creates (`id` = None) or replaces a rule; every problem of the draft is reported at once.
pub fn save_rule(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<PromoRuleId>, d: &PromoDraft) -> Result<PromoRule> {
    require_access(actor)?;
    actor.require_writable()?;
    let company = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(PROMO_RULES, (company.0, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let scope = parse_scope(tx, company, d, &mut p)?;
    let min_qty = p.take(whole("min_qty", &d.min_qty));
    let gift_qty = p.take(whole("gift_qty", &d.gift_qty));
    let priority = match d.priority.trim() {
        "" => Some(0),
        raw => p.take(raw.parse::<i64>().ok().filter(|n| n.abs() <= 1_000_000).ok_or_else(|| {
            FieldError::new("priority", "whole", "Целое число от −1 000 000 до 1 000 000", "A whole number from −1,000,000 to 1,000,000")
        })),
    };
    let from = p.take(date("from", &d.from));
    let to = p.take(date("to", &d.to));
    if let (Some(Some(f)), Some(Some(t))) = (from, to)
        && t < f
    {
        p.push(FieldError::new("to", "before_from", "Окончание раньше начала", "The end is before the start"));
    }
    if let Some(b) = d.branch
        && crate::tenancy::query::branch(tx, company, b).is_err()
    {
        p.push(FieldError::new("branch", "unknown", "Нет такого филиала", "No such branch"));
    }
    p.finish()?;
    let (Some(name), Some(scope), Some(min_qty), Some(gift_qty), Some(priority), Some(from), Some(to)) =
        (name, scope, min_qty, gift_qty, priority, from, to)
    else {
        return Err(Error::Internal("promo draft passed its checks without values".into()));
    };
    let rid = match id {
        Some(id) => id,
        None => PromoRuleId(tx.next_id()?),
    };
    let rule = PromoRule {
        id: rid,
        name,
        scope,
        min_qty,
        inclusive: d.inclusive,
        gift_qty,
        priority,
        from,
        to,
        branch: d.branch,
        active: d.active,
        created: old.as_ref().map_or(now, |o| o.created),
        updated: now,
    };
    tx.insert(PROMO_RULES, (company.0, rid.0), &rule)?;
    let detail = format!("{} {}:{} ≥{} +{}", rule.name, scope.kind(), scope.target(), min_qty, gift_qty);
    audit::record(tx, company, actor, now, "promo_rule.save", format!("promo_rule:{rid}"), detail)?;
    Ok(rule)
}

/// Removes a rule. Carts keep the gifts they were given; nothing else refers to a rule.
pub fn delete_rule(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PromoRuleId) -> Result<()> {
    require_access(actor)?;
    actor.require_writable()?;
    let rule = tx.get(PROMO_RULES, (actor.company.0, id.0))?.ok_or(Error::NotFound)?;
    tx.remove(PROMO_RULES, (actor.company.0, id.0))?;
    audit::record(tx, actor.company, actor, now, "promo_rule.delete", format!("promo_rule:{id}"), rule.name)?;
    Ok(())
}

/// One rule, for the actor's company.
pub fn rule(tx: &impl Read, actor: &Actor, id: PromoRuleId) -> Result<PromoRule> {
    require_access(actor)?;
    tx.get(PROMO_RULES, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

/// Every rule of the actor's company, most specific and highest priority first.
pub fn list(tx: &impl Read, actor: &Actor) -> Result<Vec<PromoRule>> {
    require_access(actor)?;
    let mut all = rules(tx, actor.company)?;
    all.sort_by_key(|r| (std::cmp::Reverse(r.scope.level()), std::cmp::Reverse(r.priority), r.id.0));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: ProductId = ProductId(1);
    const P2: ProductId = ProductId(2);
    const BR: BrandId = BrandId(10);
    const CAT: CategoryId = CategoryId(20);
    const DAY: u64 = 20_261_207;

    fn rule(id: u64, scope: Scope, min_qty: u64, gift_qty: u64) -> PromoRule {
        PromoRule {
            id: PromoRuleId(id),
            name: format!("rule {id}"),
            scope,
            min_qty,
            inclusive: true,
            gift_qty,
            priority: 0,
            from: None,
            to: None,
            branch: None,
            active: true,
            created: Ts(0),
            updated: Ts(0),
        }
    }

    fn with(mut r: PromoRule, f: impl FnOnce(&mut PromoRule)) -> PromoRule {
        f(&mut r);
        r
    }

    const BARE: Facts = Facts { product: P2, brand: None, category: None };
    const FULL: Facts = Facts { product: P1, brand: Some(BR), category: Some(CAT) };

    /// One row: the rules, the product, the quantity, the branch, and the expected gift.
    fn check(rules: &[PromoRule], p: Facts, qty: u64, branch: Option<BranchId>, gift: u64, why: &str) {
        assert_eq!(gift_of(rules, &p, qty, DAY, branch), gift, "{why}");
    }

    #[test]
    fn the_gift_table() {
        let product = rule(1, Scope::Product(P1), 10, 1);
        let brand = rule(2, Scope::Brand(BR), 10, 2);
        let category = rule(3, Scope::Category(CAT), 10, 3);
        let all = rule(4, Scope::All, 10, 4);
        let every = [product.clone(), brand.clone(), category.clone(), all.clone()];
        check(&every, FULL, 10, None, 1, "product beats brand, category and all");
        check(&[brand.clone(), category.clone(), all.clone()], FULL, 10, None, 2, "brand beats category");
        check(&[category.clone(), all.clone()], FULL, 10, None, 3, "category beats all");
        check(std::slice::from_ref(&all), FULL, 10, None, 4, "all goods");
        check(&every, FULL, 9, None, 0, "below the threshold");
        let strict = with(product.clone(), |r| r.inclusive = false);
        check(std::slice::from_ref(&strict), FULL, 10, None, 0, "not inclusive: 10 is not > 10");
        check(std::slice::from_ref(&strict), FULL, 11, None, 1, "not inclusive: 11 > 10");
        let high = with(rule(5, Scope::All, 10, 7), |r| r.priority = 100);
        check(&[product.clone(), high.clone()], FULL, 10, None, 1, "specificity before priority");
        check(&[all.clone(), high.clone()], FULL, 10, None, 7, "priority within a level");
        let bigger = rule(6, Scope::All, 20, 9);
        check(&[all.clone(), bigger.clone()], FULL, 25, None, 9, "same priority: the higher min_qty");
        check(&[all.clone(), bigger.clone()], FULL, 15, None, 4, "the higher min_qty not reached");
        let twin = rule(7, Scope::All, 10, 8);
        check(&[twin.clone(), all.clone()], FULL, 10, None, 4, "full tie: the older rule, whatever the order");
        check(&[all.clone(), twin], FULL, 10, None, 4, "full tie: the older rule, whatever the order");
    }

    #[test]
    fn the_null_scope_bug_is_fixed() {
        // The seed: a product with no brand and no category matched every rule whose brand or
        // category column was NULL — the product rule for P1 among them.
        let for_p1 = rule(1, Scope::Product(P1), 1, 5);
        check(std::slice::from_ref(&for_p1), BARE, 10, None, 0, "another product's rule never applies");
        let brand = rule(2, Scope::Brand(BR), 1, 5);
        let category = rule(3, Scope::Category(CAT), 1, 5);
        check(&[brand.clone(), category.clone()], BARE, 10, None, 0, "no brand, no category: brand and category rules do not apply");
        let no_brand_but_category = Facts { product: P2, brand: None, category: Some(CAT) };
        check(&[for_p1.clone(), brand.clone(), category.clone()], no_brand_but_category, 10, None, 5, "only the category rule");
        assert_eq!(
            pick(&[for_p1.clone(), brand.clone(), category.clone()], &no_brand_but_category, 10, DAY, None).map(|r| r.id),
            Some(PromoRuleId(3))
        );
        let all = rule(4, Scope::All, 1, 1);
        check(&[for_p1, brand, category, all.clone()], BARE, 10, None, 1, "a bare product gets only the all-goods rule, at its own level");
        check(&[all], BARE, 10, None, 1, "all goods covers a bare product");
    }

    #[test]
    fn dates_branches_and_switching_off() {
        let base = rule(1, Scope::All, 1, 2);
        let b1 = Some(BranchId(100));
        check(&[with(base.clone(), |r| r.from = Some(DAY))], FULL, 5, None, 2, "starts today (inclusive)");
        check(&[with(base.clone(), |r| r.to = Some(DAY))], FULL, 5, None, 2, "ends today (inclusive)");
        check(&[with(base.clone(), |r| r.from = Some(DAY + 1))], FULL, 5, None, 0, "starts tomorrow");
        check(&[with(base.clone(), |r| r.to = Some(DAY - 1))], FULL, 5, None, 0, "ended yesterday");
        check(&[with(base.clone(), |r| r.active = false)], FULL, 5, None, 0, "switched off");
        let branch_rule = with(base.clone(), |r| r.branch = b1);
        check(std::slice::from_ref(&branch_rule), FULL, 5, b1, 2, "the branch's own rule");
        check(std::slice::from_ref(&branch_rule), FULL, 5, Some(BranchId(101)), 0, "another branch's rule");
        check(std::slice::from_ref(&branch_rule), FULL, 5, None, 0, "a branch rule for a company-wide cart");
        check(&[base], FULL, 5, b1, 2, "a company-wide rule applies in every branch");
    }

    #[test]
    fn days_parse_and_print() {
        assert_eq!(day_number("2026-12-07"), Some(DAY));
        assert_eq!(day_number("2026-02-30"), None);
        assert_eq!(day_number("07.12.2026"), None);
        assert_eq!(day_text(DAY), "2026-12-07");
    }
}
