//! The navigation model of the page shell: every page a person can open from the sidebar,
//! grouped by module, each with the rule that decides whether this actor sees it.
//!
//! The rule of an item is written once, beside it, and never offers a page its handler would
//! refuse (plan feature, any of the permissions, then owner or platform operator). Several
//! are stricter than their handler, as the menu always was: the sales and shift lists admit
//! every user of the till's plan and show them their own rows; products, categories, stock
//! and documents can be read by more roles than the menu offers them to (a cashier looks a
//! product up from the till, not from the catalog).
//! A new module adds its group and items to [`GROUPS`]; nothing else changes.

use crate::i18n::Lang;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Who may see an item, beyond features and permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anyone,
    /// Owners and administrators (`Actor::owner_like`).
    OwnerLike,
    /// The box's platform operator.
    PlatformAdmin,
}

/// The check of one page: any of `features` (none listed: no feature needed), any of `perms`
/// (none listed: no permission needed) and `who`.
#[derive(Debug, Clone, Copy)]
struct Rule {
    features: &'static [&'static str],
    perms: &'static [Perm],
    who: Who,
}

impl Rule {
    fn allows(&self, actor: &Actor) -> bool {
        let feature = self.features.is_empty() || self.features.iter().any(|f| actor.has_feature(f));
        let perm = self.perms.is_empty() || self.perms.iter().any(|p| actor.can(*p));
        let who = match self.who {
            Who::Anyone => true,
            Who::OwnerLike => actor.owner_like(),
            Who::PlatformAdmin => actor.platform_admin,
        };
        feature && perm && who
    }
}

struct ItemDef {
    href: &'static str,
    /// Key in the string tables.
    label: &'static str,
    rule: Rule,
}

struct GroupDef {
    /// Stable id: the `<details>` id (`nav-<id>`) and the group's string key `nav.group_<id>`.
    id: &'static str,
    label: &'static str,
    items: &'static [ItemDef],
}

const fn item(href: &'static str, label: &'static str, features: &'static [&'static str], perms: &'static [Perm], who: Who) -> ItemDef {
    ItemDef { href, label, rule: Rule { features, perms, who } }
}

const POS: &[&str] = &["pos"];
const CATALOG: &[&str] = &["catalog"];
const NONE: &[&str] = &[];
const AGENTS: &[&str] = &["agents"];
const MESSAGING: &[&str] = &["messaging"];
const STOCK: &[Perm] = &[Perm::DOCUMENT];
const CLIENTS: &[Perm] = &[Perm::CLIENTS, Perm::DEBTS];
const TELECOM: &[&str] = &["telecom"];
const CRM_DEALS: &[Perm] = &[Perm::CRM_DEALS, Perm::CRM_ALL_DEALS];

/// The dashboard, outside the groups: every signed-in user has it.
const HOME: ItemDef = item("/", "nav.home", NONE, &[], Who::Anyone);

static GROUPS: &[GroupDef] = &[
    GroupDef {
        id: "sales",
        label: "nav.group_sales",
        items: &[
            item("/pos", "nav.pos", POS, &[Perm::CASHIER], Who::Anyone),
            item("/sales", "nav.sales", POS, &[Perm::SALES, Perm::CASHIER], Who::Anyone),
            item("/shifts", "nav.shifts", POS, &[Perm::SHIFTS, Perm::CASHBOX, Perm::CASHIER], Who::Anyone),
            item("/cash-boxes", "nav.cash_boxes", POS, &[Perm::CASHBOX], Who::Anyone),
        ],
    },
    GroupDef {
        id: "agents",
        label: "nav.group_agents",
        items: &[
            item("/agents/goods", "nav.agents_on_hand", AGENTS, &[Perm::AGENT], Who::Anyone),
            item("/agents/sell", "nav.agents_sell", AGENTS, &[Perm::AGENT], Who::Anyone),
            item("/agents/transfer", "nav.agents_transfer", AGENTS, STOCK, Who::Anyone),
            item("/agents/returns", "nav.agents_returns", AGENTS, &[Perm::AGENT], Who::Anyone),
            item("/agents/requests", "nav.agents_requests", AGENTS, &[Perm::AGENT, Perm::REQUEST], Who::Anyone),
            item("/agents/analytics", "nav.agents_analytics", AGENTS, &[Perm::AGENT, Perm::ANALYTICS], Who::Anyone),
        ],
    },
    GroupDef {
        id: "stock",
        label: "nav.group_stock",
        items: &[
            item("/products", "nav.products", CATALOG, &[Perm::PRODUCTS], Who::Anyone),
            item("/documents", "nav.documents", CATALOG, STOCK, Who::Anyone),
            item("/stock", "nav.stock", CATALOG, STOCK, Who::Anyone),
            item("/warehouses", "nav.warehouses", CATALOG, STOCK, Who::Anyone),
            item("/categories", "nav.categories", CATALOG, &[Perm::BRAND_CATEGORY], Who::Anyone),
            item("/brands", "nav.brands", CATALOG, &[Perm::BRAND_CATEGORY], Who::Anyone),
            item("/promo-rules", "nav.promo_rules", &["agents"], &[Perm::BRAND_CATEGORY], Who::Anyone),
            item("/products/import", "nav.import", CATALOG, &[Perm::PRODUCTS], Who::Anyone),
        ],
    },
    GroupDef {
        id: "clients",
        label: "nav.group_clients",
        items: &[
            item("/clients", "nav.clients", &["clients"], CLIENTS, Who::Anyone),
            item("/debtors", "nav.debtors", &["clients"], CLIENTS, Who::Anyone),
        ],
    },
    // Money is read with the finance right; the menu offers it where the till's plan is on,
    // since every cash box is an account (the pages themselves need no plan feature).
    GroupDef {
        id: "money",
        label: "nav.group_money",
        items: &[
            item("/money", "nav.money_accounts", POS, &[Perm::FINANCE], Who::Anyone),
            item("/money/docs", "nav.money_docs", POS, &[Perm::FINANCE], Who::Anyone),
            item("/money/journal", "nav.money_journal", POS, &[Perm::FINANCE], Who::Anyone),
            item("/money/categories", "nav.money_categories", POS, &[Perm::FINANCE], Who::Anyone),
        ],
    },
    GroupDef {
        id: "purchases",
        label: "nav.group_purchases",
        items: &[
            item("/purchases", "nav.purchases", CATALOG, &[Perm::PURCHASES], Who::Anyone),
            item("/suppliers", "nav.suppliers", CATALOG, &[Perm::PURCHASES], Who::Anyone),
            item("/purchases/due", "nav.to_pay", CATALOG, &[Perm::PURCHASES], Who::Anyone),
        ],
    },
    GroupDef {
        id: "telecom",
        label: "telecom.nav_group",
        items: &[
            item("/telecom/subscribers", "telecom.subscribers", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/contracts", "telecom.contracts", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/sims", "telecom.sims", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/tariffs", "telecom.tariffs", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/billing", "telecom.billing", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/tickets", "telecom.tickets", TELECOM, &[Perm::TELECOM_VIEW], Who::Anyone),
            item("/telecom/gateway", "telecom.gateway", TELECOM, &[Perm::TELECOM_SIMS_BULK], Who::Anyone),
            // Slice B: the dashboard and report.
            item("/telecom/reports", "telecom_reports.nav", TELECOM, &[Perm::TELECOM_PAYMENTS], Who::Anyone),
        ],
    },
    GroupDef {
        id: "crm",
        label: "nav.group_crm",
        items: &[
            item("/crm", "nav.crm_board", &["crm"], CRM_DEALS, Who::Anyone),
            item("/crm/deals", "nav.crm_deals", &["crm"], CRM_DEALS, Who::Anyone),
            item("/crm/tasks", "nav.crm_tasks", &["crm"], &[Perm::CRM_TASKS], Who::Anyone),
            // The calendar and its resources (issue 17, calendar).
            item("/crm/calendar", "nav.crm_calendar", &["crm"], &[Perm::CRM_TASKS], Who::Anyone),
            item("/crm/calendar/resources", "nav.crm_resources", &["crm"], &[Perm::CRM_SETTINGS], Who::Anyone),
            item("/crm/orders", "nav.crm_orders", &["crm"], &[Perm::CRM_ORDERS], Who::Anyone),
            // Duplicate clients (issue 17, crm3).
            item("/crm/duplicates", "nav.crm_duplicates", &["crm"], &[Perm::CRM_SETTINGS], Who::Anyone),
            // The public request form (issue 17, crm4).
            item("/crm/request-form", "nav.crm_request_form", &["crm"], &[Perm::CRM_SETTINGS], Who::Anyone),
            // Documents from templates (issue 17, tmpl).
            item("/crm/templates", "nav.crm_templates", &["crm"], &[Perm::CRM_SETTINGS], Who::Anyone),
        ],
    },
    GroupDef {
        id: "reports",
        label: "nav.group_reports",
        items: &[
            item("/analytics", "nav.analytics", &["analytics"], &[Perm::ANALYTICS], Who::Anyone),
            item("/stock/journal", "nav.journal", CATALOG, STOCK, Who::Anyone),
            item("/stock/turnover", "nav.turnover", CATALOG, STOCK, Who::Anyone),
        ],
    },
    GroupDef {
        id: "settings",
        label: "nav.group_settings",
        items: &[
            item("/settings", "nav.settings", NONE, &[Perm::SETTINGS], Who::Anyone),
            item("/branches", "nav.branches", NONE, &[Perm::BRANCH], Who::Anyone),
            item("/users", "nav.users", NONE, &[Perm::EMPLOYEES], Who::Anyone),
            item("/roles", "nav.roles", NONE, &[Perm::EMPLOYEES], Who::Anyone),
            item("/printers", "nav.printers", POS, &[Perm::CASHBOX], Who::Anyone),
            item("/scales", "nav.scales", &["scales"], &[Perm::MARKET_SCALES], Who::Anyone),
            item("/labels", "labels.nav", &["scales"], &[Perm::MARKET_LABEL], Who::Anyone),
            // Label scales (issue 15).
            item("/label-scales", "label_scales.nav", &["scales"], &[Perm::MARKET_SCALES], Who::Anyone),
            item("/stock/settings", "nav.stock_settings", CATALOG, &[], Who::OwnerLike),
            item("/audit", "nav.audit", NONE, &[], Who::OwnerLike),
            item("/backups", "nav.backups", NONE, &[], Who::PlatformAdmin),
            item("/webhooks", "webhooks.nav", NONE, &[], Who::OwnerLike),
        ],
    },
    GroupDef {
        id: "messaging",
        label: "messaging.nav_group",
        items: &[
            item("/inbox", "messaging.inbox", MESSAGING, &[Perm::INBOX], Who::Anyone),
            item("/notifications", "messaging.notifications", MESSAGING, &[], Who::Anyone),
            item("/messaging/settings", "messaging.settings", MESSAGING, &[Perm::INBOX_ADMIN], Who::Anyone),
            // E-mail and notification rules (issue 16, msg3).
            item("/mail", "mail.nav", MESSAGING, &[Perm::MAIL_SETTINGS], Who::Anyone),
            item("/notify/rules", "notify.nav_rules", MESSAGING, &[Perm::NOTIFY_RULES], Who::Anyone),
            item("/notify/preferences", "notify.nav_prefs", MESSAGING, &[], Who::Anyone),
        ],
    },
    GroupDef {
        id: "platform",
        label: "nav.group_platform",
        items: &[
            item("/platform", "nav.platform", NONE, &[], Who::PlatformAdmin),
            item("/platform/ops", "nav.ops", NONE, &[], Who::PlatformAdmin),
        ],
    },
];

pub struct Item {
    pub href: &'static str,
    pub label: &'static str,
    /// The page being shown (or one under it): `aria-current="page"`.
    pub current: bool,
}

pub struct Group {
    pub id: &'static str,
    pub label: &'static str,
    pub items: Vec<Item>,
    /// Holds the current page: rendered open (the others fold on narrow screens).
    pub current: bool,
}

/// What the sidebar shows to one actor on one page: the dashboard link, then the groups
/// that keep at least one item.
pub struct Nav {
    pub home: Item,
    pub groups: Vec<Group>,
}

/// The item whose page `path` is: the longest href equal to it or a parent of it, so
/// `/stock/journal` marks the journal, not the balances at `/stock`.
fn current_href(path: &str) -> Option<&'static str> {
    GROUPS
        .iter()
        .flat_map(|g| g.items.iter())
        .chain(std::iter::once(&HOME))
        .map(|i| i.href)
        .filter(|href| path == *href || (*href != "/" && path.starts_with(href) && path[href.len()..].starts_with('/')))
        .max_by_key(|href| href.len())
}

impl Nav {
    pub fn build(actor: &Actor, lang: Lang, path: &str) -> Nav {
        let current = current_href(path);
        let make = |d: &ItemDef| Item { href: d.href, label: lang.t(d.label), current: current == Some(d.href) };
        let groups = GROUPS
            .iter()
            .filter_map(|g| {
                let items: Vec<Item> = g.items.iter().filter(|d| d.rule.allows(actor)).map(make).collect();
                let current = items.iter().any(|i| i.current);
                (!items.is_empty()).then(|| Group { id: g.id, label: lang.t(g.label), items, current })
            })
            .collect();
        Nav { home: make(&HOME), groups }
    }

    /// Whether the actor's menu offers `href` (a page links to another only when it does).
    pub fn has(&self, href: &str) -> bool {
        self.groups.iter().flat_map(|g| g.items.iter()).any(|i| i.href == href)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CompanyId, UserId};
    use crate::tenancy::actor::BranchScope;
    use crate::tenancy::model::{Access, SystemRole};
    use crate::tenancy::perms::PermSet;

    fn actor(role: SystemRole, perms: &[Perm], features: &[&str], platform_admin: bool) -> Actor {
        Actor {
            company: CompanyId(1),
            user: UserId(1),
            user_name: String::new(),
            role,
            perms: PermSet::of(perms),
            branch: BranchScope::Company,
            ip: String::new(),
            lang: Lang::En,
            platform_admin,
            access: Access::Full,
            features: features.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// (group id, item hrefs) as the actor sees them.
    fn seen(a: &Actor, path: &str) -> Vec<(&'static str, Vec<&'static str>)> {
        Nav::build(a, Lang::En, path).groups.iter().map(|g| (g.id, g.items.iter().map(|i| i.href).collect())).collect()
    }

    #[test]
    fn every_label_has_a_string_in_both_languages() {
        for key in GROUPS.iter().flat_map(|g| std::iter::once(g.label).chain(g.items.iter().map(|i| i.label))) {
            for lang in [Lang::Ru, Lang::En] {
                assert_ne!(lang.t(key), key, "missing {key}");
            }
        }
    }

    #[test]
    fn a_cashier_sees_the_till_but_no_settings_or_platform() {
        let cashier = actor(SystemRole::Staff, &[Perm::CASHIER, Perm::DASHBOARD], &["pos", "catalog", "clients", "analytics"], false);
        let groups = seen(&cashier, "/pos");
        assert_eq!(groups, vec![("sales", vec!["/pos", "/sales", "/shifts"])]);
    }

    #[test]
    fn plan_features_hide_whole_modules() {
        let owner = actor(SystemRole::Owner, &[], &[], false);
        let groups = seen(&owner, "/");
        assert_eq!(groups, vec![("settings", vec!["/settings", "/branches", "/users", "/roles", "/audit", "/webhooks"])]);
        let operator = actor(SystemRole::Staff, &[], &["catalog"], true);
        let ids: Vec<_> = seen(&operator, "/").into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, vec!["settings", "platform"]);
    }

    #[test]
    fn the_longest_matching_href_is_the_current_page() {
        let check = |path: &str, expected: Option<&str>| assert_eq!(current_href(path), expected, "{path}");
        check("/", Some("/"));
        check("/stock", Some("/stock"));
        check("/stock/journal", Some("/stock/journal"));
        check("/stock/settings", Some("/stock/settings"));
        check("/products/import/5", Some("/products/import"));
        check("/products/12/edit", Some("/products"));
        check("/platform/plans/new", Some("/platform"));
        check("/stocks", None);
        check("/account", None);
    }
}
