//! The analytics tabs beside sales (stock, cash boxes, shifts, products, users) over the
//! scripted period of `analytics::scripted`, every number worked out by hand; the named
//! periods, filters, the XLSX export opened back, refusals and rights, and the pages.

use std::io::Cursor;

use calamine::{DataType, Reader};
use reqwest::StatusCode;
use serde_json::{Value, json};

use dukan::finance::MoneyDocDraft;
use dukan::finance::model::{AccountRef, MoneyDocKind};
use dukan::i18n::Lang;
use dukan::ids::{CashBoxId, CompanyId, UserId};
use dukan::tenancy::actor::{Actor, BranchScope};
use dukan::tenancy::model::{Access, SystemRole, all_features};
use dukan::tenancy::perms::PermSet;

use crate::analytics::{row, scripted, texts};
use crate::common::{Client, TestApp};
use crate::reports::download;

async fn tab(t: &TestApp, c: &Client, tab: &str, query: &str) -> Value {
    let (st, r) = t.get(c, &format!("/api/v1/analytics/{tab}?{query}")).await;
    assert_eq!(st, StatusCode::OK, "{tab}?{query}: {r}");
    r
}

fn figures(r: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| r["figures"][*k].as_str().map(String::from).unwrap_or_else(|| r["figures"][*k].to_string())).collect()
}

fn strs(cells: &[&str]) -> Vec<String> {
    row(cells)
}

const PERIOD: &str = "from=2026-03-01&to=2026-03-02";
/// The box as a money account after the scripted shift: cash taken 306 + 102 + 50 (the
/// change never entered it), 102 refunded, 10 short at the close; the opening cash and the
/// new shift's 500 are the drawer's, not movements.
const BOX_BALANCE: &str = "346.00";

/// The shop's owner as the domain sees them, to write money documents (money has no HTTP
/// route of its own on this branch).
fn owner(company: u64, user: u64) -> Actor {
    Actor {
        company: CompanyId(company),
        user: UserId(user),
        user_name: "Владелец".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: String::new(),
        lang: Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    }
}

fn money_doc(t: &TestApp, a: &Actor, kind: MoneyDocKind, cash_box: u64, category: &str, amount: &str) {
    let d = MoneyDocDraft {
        kind,
        account: AccountRef::CashBox(CashBoxId(cash_box)),
        to_account: None,
        amount: amount.parse().expect("amount"),
        category: category.into(),
        counterparty: None,
        reference: String::new(),
        memo: String::new(),
        date: None,
    };
    let now = t.app.now();
    let doc = t.app.db.write_blocking(|tx| dukan::finance::create_money_doc(tx, a, now, &d)).expect("money document");
    assert_eq!(doc.status.code(), "approved");
}

/// The scripted shop after the period: milk 4 on hand (3 at 90 and the returned one at 85 =
/// 355, reorder level 5 → low), cheese 4 kg at 600 = 2400; a second shift opened with 500.
#[tokio::test]
async fn each_tab_adds_up_to_the_hand_computed_scenario() {
    let t = TestApp::spawn().await;
    let k = scripted(&t, "tabs@shop.kg").await;
    let c = &k.s.c;
    let (st, sh) = t.post(c, "/api/v1/shifts", json!({"cash_box": k.cash_box, "opening_cash": "500"})).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    let milk = "Молоко Простоквашино 3,2% 1 л";
    let cheese = "Сыр Гауда весовой";

    // Stock: COGS 1120 over 2 days = 560 a day; 2755 ÷ 560 = 4.9 days; 7 units in 2 days.
    let s = tab(&t, c, "stock", PERIOD).await;
    assert_eq!(
        figures(&s, &["stock_value", "items", "low_stock", "critical_stock", "cogs", "daily_cogs", "turnover_days", "units_per_day"]),
        strs(&["2755.00", "2", "1", "0", "1120.00", "560.00", "4.9", "3.5"]),
        "{s}"
    );
    assert_eq!(
        texts(&s["tables"]["low_stock"], &["name", "warehouse", "qty", "reorder_level", "level"]),
        vec![strs(&[milk, "Основной склад", "4", "5", "low"])]
    );
    assert_eq!(
        texts(&s["tables"]["by_value"], &["name", "qty", "value", "share", "units_per_day", "cover_days"]),
        vec![strs(&[cheese, "4", "2400.00", "87.1", "0.5", "8.0"]), strs(&[milk, "4", "355.00", "12.9", "3", "1.3"])]
    );
    assert_eq!(
        texts(&s["tables"]["categories"], &["category", "name", "items", "value", "share"]),
        vec![strs(&["null", "Без категории", "2", "2755.00", "100.0"])]
    );

    // Cash boxes: cash 458 paid − 102 refunded; card 802 + MBank 204; the new shift's 500.
    let b = tab(&t, c, "cash_boxes", PERIOD).await;
    assert_eq!(
        figures(&b, &["balance", "in_shifts", "revenue", "sales", "cash_in", "cash_out", "open_shifts"]),
        strs(&[BOX_BALANCE, "500.00", "1362.00", "5", "0.00", "0.00", "1"]),
        "{b}"
    );
    assert_eq!(
        texts(&b["tables"]["boxes"], &["cash_box", "sales", "revenue", "cash", "non_cash", "open_shifts", "in_shifts", "balance"]),
        vec![strs(&[&k.cash_box.to_string(), "5", "1362.00", "356.00", "1006.00", "1", "500.00", BOX_BALANCE])]
    );

    // Shifts: the closed one took 1464 − 102 and closed 10 short; the new one is live.
    let sh = tab(&t, c, "shifts", PERIOD).await;
    assert_eq!(
        figures(&sh, &["open_shifts", "live_sales", "live_revenue", "closed_shifts", "per_shift", "shortage", "surplus"]),
        strs(&["1", "0", "0.00", "1", "1362.00", "10.00", "0.00"]),
        "{sh}"
    );
    assert_eq!(texts(&sh["tables"]["open_shifts"], &["sales", "revenue", "expected"]), vec![strs(&["0", "0.00", "500.00"])]);
    assert_eq!(
        texts(&sh["tables"]["best_cashiers"], &["name", "shifts", "sales", "revenue", "per_shift"]),
        vec![strs(&["Владелец Магазин", "1", "5", "1362.00", "1362.00"])]
    );
    assert_eq!(
        texts(&sh["tables"]["discrepancies"], &["number", "expected", "counted", "difference"]),
        vec![strs(&["С-000001", "1356.00", "1346.00", "-10.00"])]
    );

    // Products: net of the returned milk, at the FIFO snapshots.
    let p = tab(&t, c, "products", PERIOD).await;
    assert_eq!(figures(&p, &["products_sold", "qty", "revenue", "cogs", "profit"]), strs(&["2", "7", "1362.00", "1120.00", "242.00"]));
    let fields = ["name", "qty", "revenue", "cogs", "profit"];
    let (ch, mk) = (strs(&[cheese, "1", "750.00", "600.00", "150.00"]), strs(&[milk, "6", "612.00", "520.00", "92.00"]));
    assert_eq!(texts(&p["tables"]["top_revenue"], &fields), vec![ch.clone(), mk.clone()]);
    assert_eq!(texts(&p["tables"]["top_qty"], &fields), vec![mk.clone(), ch.clone()]);
    assert_eq!(texts(&p["tables"]["top_profit"], &fields), vec![ch, mk]);
    let group = ["name", "products", "qty", "revenue", "cogs", "profit", "share"];
    assert_eq!(
        texts(&p["tables"]["categories"], &group),
        vec![strs(&["Без категории", "2", "7", "1362.00", "1120.00", "242.00", "100.0"])]
    );
    assert_eq!(texts(&p["tables"]["brands"], &group), vec![strs(&["Без бренда", "2", "7", "1362.00", "1120.00", "242.00", "100.0"])]);

    // Users: 1464 ÷ 5 = 292.80 a check.
    let u = tab(&t, c, "users", PERIOD).await;
    assert_eq!(figures(&u, &["cashiers", "revenue", "sales", "average_check"]), strs(&["1", "1362.00", "5", "292.80"]));
    assert_eq!(
        texts(
            &u["tables"]["cashiers"],
            &["name", "sales", "returns", "revenue", "average_check", "profit", "share", "discrepancies", "difference"]
        ),
        vec![strs(&["Владелец Магазин", "5", "1", "1362.00", "292.80", "242.00", "100.0", "1", "-10.00"])]
    );

    // Named periods end on `to`: the second day alone sold one milk and took one back.
    let day = tab(&t, c, "stock", "period=day&to=2026-03-02").await;
    assert_eq!((day["from"].as_str(), day["to"].as_str()), (Some("2026-03-02"), Some("2026-03-02")));
    assert_eq!(figures(&day, &["cogs", "turnover_days", "units_per_day"]), strs(&["5.00", "551.0", "0"]));
    let week = tab(&t, c, "users", "period=week&to=2026-03-02").await;
    assert_eq!((week["from"].as_str(), week["figures"]["sales"].as_u64()), (Some("2026-02-24"), Some(5)));
    let month = tab(&t, c, "products", "period=month&to=2026-03-02").await;
    assert_eq!(month["from"].as_str(), Some("2026-03-01"));
    // Before anything: no basis for turnover.
    let empty = tab(&t, c, "stock", "from=2026-02-01&to=2026-02-02").await;
    assert_eq!((empty["figures"]["turnover_days"].is_null(), empty["figures"]["stock_value"].as_str()), (true, Some("2755.00")));

    // Filters: this box is everything; another cashier is nothing; the other warehouse is empty.
    let boxed = tab(&t, c, "users", &format!("{PERIOD}&cash_box={}", k.cash_box)).await;
    assert_eq!(boxed["tables"], u["tables"]);
    let owner = u["tables"]["cashiers"][0]["user"].as_u64().expect("the owner sold");
    let mine = tab(&t, c, "products", &format!("{PERIOD}&cashier={owner}")).await;
    assert_eq!(mine["figures"], p["figures"]);
    let second = tab(&t, c, "stock", &format!("{PERIOD}&warehouse={}", k.s.second)).await;
    assert_eq!(figures(&second, &["stock_value", "items", "low_stock"]), strs(&["0.00", "0", "0"]));

    // The XLSX export: a sheet of figures, then one per table, in the reader's language.
    let (st, ct, bytes) = download(&t, c, &format!("/api/v1/analytics/stock/export.xlsx?{PERIOD}")).await;
    assert_eq!((st, ct.as_str()), (StatusCode::OK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    let names = book.sheet_names();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[1..], ["Категории", "Остатки на исходе", "Крупнейшие запасы"].map(String::from));
    let figs = book.worksheet_range(&names[0]).expect("figures");
    assert_eq!(figs.get_value((1, 0)).map(|v| v.to_string()), Some("Запасы по себестоимости".into()));
    assert_eq!(figs.get_value((1, 1)).and_then(|v| v.as_f64()), Some(2755.0));
    let low = book.worksheet_range(&names[2]).expect("low");
    assert_eq!(low.get_value((1, 0)).map(|v| v.to_string()), Some(milk.into()), "the id column is left out");
    for t2 in ["cash_boxes", "shifts", "products", "users"] {
        let (st, _, bytes) = download(&t, c, &format!("/api/v1/analytics/{t2}/export.xlsx?{PERIOD}")).await;
        assert_eq!(st, StatusCode::OK, "{t2}");
        assert!(calamine::Xlsx::new(Cursor::new(bytes)).is_ok(), "{t2} opens");
    }

    // The pages: every tab renders its tables, and the tab bar links them with the filters.
    for (t2, table) in
        [("stock", "low_stock"), ("cash_boxes", "boxes"), ("shifts", "discrepancies"), ("products", "top_revenue"), ("users", "cashiers")]
    {
        let (st, page) = t.call(reqwest::Method::GET, &format!("/analytics/{t2}?{PERIOD}"), Some(&c.token), None).await;
        let html = page.as_str().unwrap_or_default();
        assert_eq!(st, StatusCode::OK, "{t2}");
        assert!(html.contains(&format!("id=\"{table}\"")), "{t2}: {html}");
        let period = PERIOD.replace('&', "&#38;");
        assert!(
            html.contains(&format!("/analytics/users?{period}")),
            "{t2}: the tab bar keeps the period: {}",
            html.get(html.find("analytics-tabs").unwrap_or(0)..).unwrap_or("").get(..600).unwrap_or("")
        );
        assert!(html.contains(&format!("/api/v1/analytics/{t2}/export.xlsx?{period}")), "{t2}: export link");
    }
    let (_, page) = t.call(reqwest::Method::GET, &format!("/analytics/stock?{PERIOD}"), Some(&c.token), None).await;
    assert!(page.as_str().unwrap_or_default().contains("2\u{a0}755,00"), "Russian number format");
    t.assert_consistent();
}

#[tokio::test]
async fn bad_input_rights_and_unknown_tabs_are_refused() {
    let t = TestApp::spawn().await;
    let k = scripted(&t, "owner@tabs.kg").await;
    let c = &k.s.c;
    for tab in ["stock", "cash_boxes", "shifts", "products", "users"] {
        for (query, field, code) in [
            ("from=2026-03-05&to=2026-03-01", "to", "period_order"),
            ("from=2025-01-01&to=2026-03-01", "from", "period_too_long"),
            ("from=1%20March", "from", "date"),
            ("period=year", "period", "period"),
        ] {
            let (st, e) = t.get(c, &format!("/api/v1/analytics/{tab}?{query}")).await;
            assert_eq!(
                (st, e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field), Some(code)),
                "{tab}?{query}: {e}"
            );
        }
        let (st, _) = t.get(c, &format!("/api/v1/analytics/{tab}?cash_box=x")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{tab}: a malformed id");
        let (st, _) = t.get(c, &format!("/api/v1/analytics/{tab}?colour=red")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{tab}: an unknown filter");
        let (st, page) = t.call(reqwest::Method::GET, &format!("/analytics/{tab}?period=year"), Some(&c.token), None).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{tab}: {page}");
    }
    let (st, e) = t.get(c, "/api/v1/analytics/weather").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (st, _) = t.call(reqwest::Method::GET, "/analytics/weather", Some(&c.token), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A cashier without the analytics right sees no tab; with it, no finance tab in the bar.
    let (st, role) = t.post(c, "/api/v1/roles", json!({"name": "Кассир без аналитики", "permissions": ["sale", "dashboard"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(c, "/api/v1/branches").await;
    let (st, u) = t
        .post(
            c,
            "/api/v1/users",
            json!({"email": "cashier@tabs.kg", "name": "Айгуль", "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@tabs.kg", "password-456").await;
    for tab in ["stock", "cash_boxes", "shifts", "products", "users"] {
        let (st, e) = t.get(&cashier, &format!("/api/v1/analytics/{tab}")).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{tab}: {e}");
        let (st, _, _) = download(&t, &cashier, &format!("/api/v1/analytics/{tab}/export.xlsx")).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{tab} export");
        let (st, _) = t.call(reqwest::Method::GET, &format!("/analytics/{tab}"), Some(&cashier.token), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{tab} page");
    }
    let (st, _) = t
        .put(
            c,
            &format!("/api/v1/roles/{}", role["id"]),
            json!({"name": "Кассир без аналитики", "permissions": ["sale", "dashboard", "analytics"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, page) = t.call(reqwest::Method::GET, "/analytics/stock", Some(&cashier.token), None).await;
    let html = page.as_str().unwrap_or_default();
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("href=\"/analytics/users\"") && !html.contains("href=\"/analytics/finance\""), "{html}");
    let (_, page) = t.call(reqwest::Method::GET, "/analytics/stock", Some(&c.token), None).await;
    assert!(page.as_str().unwrap_or_default().contains("href=\"/analytics/finance\""), "the owner has the finance right");
    t.assert_consistent();
}

/// Finance over the scripted period: gross profit 1362 − 1120 = 242; rent 300 and salary 150
/// are operating expenses, the supplier payment 200 is not (stock, through COGS) → net −208.
#[tokio::test]
async fn the_finance_tab_subtracts_operating_expenses_from_gross_profit() {
    let t = TestApp::spawn().await;
    let k = scripted(&t, "finance@tabs.kg").await;
    let c = &k.s.c;
    let u = tab(&t, c, "users", PERIOD).await;
    let a = owner(c.company_id(), u["tables"]["cashiers"][0]["user"].as_u64().expect("owner"));
    money_doc(&t, &a, MoneyDocKind::Expense, k.cash_box, "rent", "300");
    money_doc(&t, &a, MoneyDocKind::Expense, k.cash_box, "salary", "150");
    money_doc(&t, &a, MoneyDocKind::Expense, k.cash_box, "supplier", "200");
    money_doc(&t, &a, MoneyDocKind::Income, k.cash_box, "other", "40");
    let f = tab(&t, c, "finance", PERIOD).await;
    assert_eq!(
        figures(&f, &["revenue", "cogs", "gross_profit", "operating_expense", "net_profit", "supplier_payments"]),
        strs(&["1362.00", "1120.00", "242.00", "450.00", "-208.00", "200.00"]),
        "{f}"
    );
    assert_eq!(
        texts(&f["tables"]["months"], &["month", "revenue", "cogs", "gross_profit", "operating_expense", "net_profit"]),
        vec![strs(&["2026-03", "1362.00", "1120.00", "242.00", "450.00", "-208.00"])]
    );
    assert_eq!(
        texts(&f["tables"]["expenses"], &["code", "name", "amount", "share"]),
        vec![strs(&["rent", "Аренда", "300.00", "66.7"]), strs(&["salary", "Зарплата", "150.00", "33.3"])]
    );
    let other = texts(&f["tables"]["other_expenses"], &["code", "amount"]);
    assert!(other.contains(&strs(&["supplier", "200.00"])), "{other:?}");
    let income = texts(&f["tables"]["income"], &["code", "amount"]);
    assert!(income.contains(&strs(&["other", "40.00"])), "{income:?}");
    // A month before: nothing, and the months table still has its row.
    let feb = tab(&t, c, "finance", "from=2026-02-01&to=2026-02-28").await;
    assert_eq!(figures(&feb, &["net_profit", "operating_expense"]), strs(&["0.00", "0.00"]));
    assert_eq!(texts(&feb["tables"]["months"], &["month"]), vec![strs(&["2026-02"])]);
    // Two months: February and March each have a row.
    let two = tab(&t, c, "finance", "from=2026-02-15&to=2026-03-02").await;
    assert_eq!(texts(&two["tables"]["months"], &["month", "net_profit"]), vec![strs(&["2026-02", "0.00"]), strs(&["2026-03", "-208.00"])]);
    // Another cash box's money is not this one's.
    let (_, other_box) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Касса 2"})).await;
    let boxed = tab(&t, c, "finance", &format!("{PERIOD}&cash_box={}", other_box["id"])).await;
    assert_eq!(figures(&boxed, &["revenue", "operating_expense"]), strs(&["0.00", "0.00"]));
    let (st, _, bytes) = download(&t, c, &format!("/api/v1/analytics/finance/export.xlsx?{PERIOD}")).await;
    assert_eq!(st, StatusCode::OK);
    let book = calamine::Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    assert_eq!(book.sheet_names().len(), 5);
    let (st, page) = t.call(reqwest::Method::GET, &format!("/analytics/finance?{PERIOD}"), Some(&c.token), None).await;
    let html = page.as_str().unwrap_or_default();
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"chart-months\"") && html.contains("-208,00"), "{html}");

    // The finance tab needs the finance right as well as analytics.
    let (_, branches) = t.get(c, "/api/v1/branches").await;
    let (_, role) = t.post(c, "/api/v1/roles", json!({"name": "Аналитик", "permissions": ["analytics"]})).await;
    let (st, e) = t
        .post(
            c,
            "/api/v1/users",
            json!({"email": "analyst@tabs.kg", "name": "Бакыт", "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    let analyst = t.login("analyst@tabs.kg", "password-456").await;
    let (st, e) = t.get(&analyst, "/api/v1/analytics/finance").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (st, _) = t.call(reqwest::Method::GET, "/analytics/finance", Some(&analyst.token), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t.get(&analyst, "/api/v1/analytics/stock").await;
    assert_eq!(st, StatusCode::OK, "the other tabs stay open");
    let (st, _) =
        t.put(c, &format!("/api/v1/roles/{}", role["id"]), json!({"name": "Аналитик", "permissions": ["analytics", "finance"]})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, f2) = t.get(&analyst, &format!("/api/v1/analytics/finance?{PERIOD}")).await;
    assert_eq!((st, f2["figures"]["net_profit"].as_str()), (StatusCode::OK, Some("-208.00")));
    t.assert_consistent();
}
