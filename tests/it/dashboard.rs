//! The owner's dashboard (`/`): today's figures are the analytics report's for today; each
//! card shows only to those allowed to see its data; another company's sales, shifts, stock
//! and debts never count.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::pos::{Till, till};

/// The dashboard's HTML as `c` sees it.
async fn dashboard(t: &TestApp, c: &Client) -> String {
    let (st, page) = t.call(Method::GET, "/", Some(&c.token), None).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    page.as_str().map(String::from).unwrap_or_else(|| page.to_string())
}

/// The text of the first element after `id="<id>"` with class `tile-value`.
fn tile(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("class=\"tile-value\">")? + "class=\"tile-value\">".len();
    let end = rest[start..].find('<')?;
    Some(rest[start..start + end].to_string())
}

/// The HTML of the card `id` (up to its closing `</section>`).
fn card<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let end = html[at..].find("</section>")?;
    Some(&html[at..at + end])
}

/// Only the digits: "1 362,00 сом" and "1362.00" compare equal.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

async fn sell(t: &TestApp, k: &Till, key: &str, qty: &str, cash: &str) {
    let body = json!({"idempotency_key": key, "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": qty}],
        "payments": [{"method": "cash", "amount": cash}]});
    let (st, s) = t.post(&k.s.c, "/api/v1/sales", body).await;
    assert_eq!(st, StatusCode::CREATED, "{s}");
}

async fn client(t: &TestApp, c: &Client, name: &str) -> u64 {
    let (st, x) = t.post(c, "/api/v1/clients", json!({"name": name})).await;
    assert_eq!(st, StatusCode::CREATED, "{x}");
    x["client"]["id"].as_u64().expect("client id")
}

/// A staff member of `owner`'s company holding `perms`.
async fn staff(t: &TestApp, owner: &Client, email: &str, perms: Value) -> Client {
    let (st, role) = t.post(owner, "/api/v1/roles", json!({"name": email, "permissions": perms})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let user = json!({"email": email, "name": "Сотрудник", "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "password-456"});
    let (st, u) = t.post(owner, "/api/v1/users", user).await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    t.login(email, "password-456").await
}

#[tokio::test]
async fn the_dashboard_shows_each_card_to_those_allowed_and_counts_only_its_company() {
    let t = TestApp::spawn().await;
    let k = till(&t, "owner@dash.kg").await;
    let owner = &k.s.c;
    // Another company sells more, keeps its shift open and owes its own debts: none of it
    // may show on the first company's dashboard.
    let other = till(&t, "owner@other.kg").await;
    sell(&t, &other, "o1", "4", "500").await;
    sell(&t, &other, "o2", "4", "500").await;
    let stranger = client(&t, &other.s.c, "Чужой должник").await;
    let (st, d) = t.post(&other.s.c, &format!("/api/v1/clients/{stranger}/debts"), json!({"amount": "70", "due": "2026-03-02"})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");

    // Two sales of milk leave 2 of 10, under the reorder level of 5.
    sell(&t, &k, "a", "3", "400").await;
    sell(&t, &k, "b", "5", "600").await;
    // Debts: an installment due in four days, a hand-written debt due tomorrow, and one due
    // in three weeks that is not this week's business.
    let soon = client(&t, owner, "Асанов Бакыт").await;
    let (st, deal) = t
        .post(
            owner,
            &format!("/api/v1/clients/{soon}/deals"),
            json!({"kind": "debt", "amount": "300", "months": 3, "first_due": "2026-03-05"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{deal}");
    let tomorrow = client(&t, owner, "Бекова Айгуль").await;
    let (st, d) = t.post(owner, &format!("/api/v1/clients/{tomorrow}/debts"), json!({"amount": "50", "due": "2026-03-02"})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let later = client(&t, owner, "Поздний Клиент").await;
    let (st, d) = t.post(owner, &format!("/api/v1/clients/{later}/debts"), json!({"amount": "80", "due": "2026-03-22"})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");

    let html = dashboard(&t, owner).await;
    let (st, report) = t.get(owner, "/api/v1/analytics/sales?from=2026-03-01&to=2026-03-01").await;
    assert_eq!(st, StatusCode::OK, "{report}");
    let revenue = tile(&html, "today-revenue").expect("revenue tile");
    assert_eq!(digits(&revenue), digits(report["summary"]["revenue"].as_str().expect("revenue")), "{revenue} vs {report}");
    assert!(revenue.ends_with("сом"), "money in the company's currency, Russian style: {revenue}");
    assert_eq!(tile(&html, "today-sales").as_deref(), Some("2"), "{}", report["summary"]);
    assert_eq!(report["summary"]["sales"], 2);

    let shifts = card(&html, "open-shifts").expect("open shifts card");
    assert_eq!(shifts.matches("href=\"/shifts/").count(), 1, "only this company's open shift: {shifts}");
    assert!(shifts.contains("Касса 1"), "{shifts}");
    let low = card(&html, "low-stock").expect("low stock card");
    assert!(low.contains("Молоко") && low.contains(">2<"), "milk at 2 is under its minimum: {low}");
    let debts = card(&html, "debts-due").expect("debts card");
    assert!(debts.contains("Асанов Бакыт") && debts.contains("Бекова Айгуль"), "{debts}");
    assert!(debts.find("Бекова Айгуль") < debts.find("Асанов Бакыт"), "soonest first: {debts}");
    assert!(!debts.contains("Поздний Клиент") && !debts.contains("Чужой должник"), "{debts}");
    assert!(html.contains("id=\"backup-health\""), "the owner sees whether backups run");
    assert!(!html.contains("href=\"/backups\""), "only the platform operator opens the backups page");
    assert!(!html.contains("id=\"printer-trouble\""), "no printers, no trouble");

    // The other owner sees their own figures, not the first company's.
    let theirs = dashboard(&t, &other.s.c).await;
    assert_eq!(tile(&theirs, "today-sales").as_deref(), Some("2"));
    let their_debts = card(&theirs, "debts-due").expect("their debts");
    assert!(their_debts.contains("Чужой должник") && !their_debts.contains("Бекова Айгуль"), "{their_debts}");

    // A cashier: no takings, no shifts, no stock; the debts card as on the debtors page.
    let cashier = staff(&t, owner, "cashier@dash.kg", json!(["dashboard", "cashier"])).await;
    let html = dashboard(&t, &cashier).await;
    for hidden in ["today-revenue", "today-sales", "open-shifts", "low-stock", "backup-health", "printer-trouble"] {
        assert!(!html.contains(&format!("id=\"{hidden}\"")), "a cashier does not see {hidden}");
    }
    assert!(html.contains("id=\"debts-due\""), "the debtors page is open to cashiers");
    assert!(!html.contains("id=\"nav-settings\"") && !html.contains("id=\"nav-platform\""), "no settings or platform group");
    assert!(html.contains("id=\"nav-sales\""), "the till's group");

    // A storekeeper sees stock and nothing about money.
    let keeper = staff(&t, owner, "keeper@dash.kg", json!(["dashboard", "document"])).await;
    let html = dashboard(&t, &keeper).await;
    assert!(html.contains("id=\"low-stock\""));
    for hidden in ["today-revenue", "open-shifts", "debts-due"] {
        assert!(!html.contains(&format!("id=\"{hidden}\"")), "a storekeeper does not see {hidden}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn a_stuck_printer_shows_on_the_dashboard() {
    let t = TestApp::spawn().await;
    let k = till(&t, "owner@print.kg").await;
    let owner = &k.s.c;
    // A network printer nobody answers at: the test page waits in its queue until it counts
    // as stuck.
    let body = json!({"name": "Чековый", "transport": "tcp", "address": "127.0.0.1:9", "model": "epson",
        "code_page": "pc866", "width": "80", "cash_boxes": [k.cash_box], "active": true});
    let (st, p) = t.post(owner, "/api/v1/printers", body).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let (st, job) = t.post(owner, &format!("/api/v1/printers/{}/test", p["id"]), json!({})).await;
    assert!(st.is_success(), "{st} {job}");
    t.clock.advance_ms(10 * 60_000);
    let owner = t.login("owner@print.kg", "password-123").await;
    let html = dashboard(&t, &owner).await;
    let trouble = card(&html, "printer-trouble").expect("printer trouble card");
    assert!(trouble.contains("Чековый"), "{trouble}");
    t.assert_consistent();
}
