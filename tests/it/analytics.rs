//! Sales analytics over a scripted day of sales and a return: exact revenue, COGS, margin,
//! average check, payment split, top products, cashiers, per-day series and the short shift;
//! day boundaries in the company's time zone (and after it changes), refusals, and the page in
//! a real browser, at a phone's width.

use fantoccini::{Client as Browser, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{R, click, fill, run, screenshot, wait_for};
use crate::common::{Client, TestApp};
use crate::pos::{Till, till};

const HOUR: i64 = 3_600_000;

/// From the shift `till` opens at 2026-03-01 09:00 UTC (15:00 in Bishkek, UTC+6), with milk
/// 5 at 85 then 5 at 90 (price 102) and 5 kg of cheese at 600 (price 800):
/// - 15:00 local: 3 milk, cash 400 (306, change 94, cost 255);
///   1 kg cheese with 50 off, card (750, cost 600); 2 milk, MBank (204, cost 170);
/// - 23:30 local: 1 milk, cash (102, cost 90);
/// - 00:30 local on 2 March (still 1 March in UTC): 1 milk, 50 cash + 52 card (cost 90), and
///   one milk of the first sale comes back in cash (102, cost 85);
/// - 09:00 local on 2 March the shift closes 10 short of the expected 1356.
pub(crate) async fn scripted(t: &TestApp, email: &str) -> Till {
    let mut k = till(t, email).await;
    let (cash_box, milk_id, cheese) = (k.cash_box, k.s.milk, k.cheese);
    let sell = async |c: &Client, key: &str, lines: Value, extra: Value| {
        let mut body = json!({"idempotency_key": key, "cash_box": cash_box, "lines": lines});
        for (f, v) in extra.as_object().expect("object") {
            body[f] = v.clone();
        }
        let (st, s) = t.post(c, "/api/v1/sales", body).await;
        assert_eq!(st, StatusCode::CREATED, "{s}");
        s
    };
    let milk = |q: &str| json!([{"product": milk_id, "qty": q}]);
    let first = sell(&k.s.c, "a", milk("3"), json!({"payments": [{"method": "cash", "amount": "400"}]})).await;
    assert_eq!((first["total"].as_str(), first["change"].as_str()), (Some("306.00"), Some("94.00")), "{first}");
    let card = json!({"discount_amount": "50", "payments": [{"method": "card", "amount": "750"}]});
    sell(&k.s.c, "b", json!([{"product": cheese, "qty": "1"}]), card).await;
    sell(&k.s.c, "c", milk("2"), json!({"payments": [{"method": "wallet:MBank", "amount": "204"}]})).await;
    // Access tokens live 15 minutes: sign in again after each jump of the clock.
    t.clock.advance_ms(8 * HOUR + HOUR / 2);
    k.s.c = t.login(email, "password-123").await;
    sell(&k.s.c, "d", milk("1"), json!({"payments": [{"method": "cash", "amount": "102"}]})).await;
    t.clock.advance_ms(HOUR);
    k.s.c = t.login(email, "password-123").await;
    sell(&k.s.c, "e", milk("1"), json!({"payments": [{"method": "cash", "amount": "50"}, {"method": "card", "amount": "52"}]})).await;
    let (st, r) = t
        .post(
            &k.s.c,
            &format!("/api/v1/sales/{}/returns", first["id"]),
            json!({"idempotency_key": "ra", "lines": [{"line": 0, "qty": "1"}], "method": "cash"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    t.clock.advance_ms(8 * HOUR + HOUR / 2);
    k.s.c = t.login(email, "password-123").await;
    let (st, shift) = t.post(&k.s.c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": "1346"})).await;
    assert_eq!((st, shift["difference"].as_str()), (StatusCode::OK, Some("-10.00")), "{shift}");
    k
}

async fn report(t: &TestApp, c: &Client, query: &str) -> Value {
    let (st, r) = t.get(c, &format!("/api/v1/analytics/sales?{query}")).await;
    assert_eq!(st, StatusCode::OK, "{query}: {r}");
    r
}

pub(crate) fn texts(rows: &Value, fields: &[&str]) -> Vec<Vec<String>> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| fields.iter().map(|f| r[*f].as_str().map(String::from).unwrap_or_else(|| r[*f].to_string())).collect())
        .collect()
}

pub(crate) fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn a_scripted_period_adds_up_exactly() {
    let t = TestApp::spawn().await;
    let k = scripted(&t, "analytics@shop.kg").await;
    let c = &k.s.c;

    let r = report(&t, c, "from=2026-03-01&to=2026-03-02").await;
    let s = &r["summary"];
    assert_eq!(
        texts(
            &json!([s]),
            &["sales", "returns", "gross", "returned", "revenue", "discounts", "cogs", "margin", "margin_percent", "average_check"]
        ),
        vec![row(&["5", "1", "1464.00", "102.00", "1362.00", "50.00", "1120.00", "242.00", "17.8", "292.80"])],
        "{r}"
    );
    assert_eq!(
        texts(&r["methods"], &["method", "paid", "refunded", "net"]),
        vec![
            row(&["card", "802.00", "0.00", "802.00"]),
            row(&["cash", "458.00", "102.00", "356.00"]),
            row(&["wallet:MBank", "204.00", "0.00", "204.00"])
        ]
    );
    let cheese = ["Сыр Гауда весовой", "1", "750.00", "600.00", "150.00"];
    let milk = ["Молоко Простоквашино 3,2% 1 л", "6", "612.00", "520.00", "92.00"];
    let fields = ["name", "qty", "revenue", "cogs", "margin"];
    assert_eq!(texts(&r["top_by_revenue"], &fields), vec![row(&cheese), row(&milk)]);
    assert_eq!(texts(&r["top_by_margin"], &fields), vec![row(&cheese), row(&milk)]);
    assert_eq!(
        texts(&r["cashiers"], &["name", "sales", "revenue", "average_check", "margin"]),
        vec![row(&["Владелец Магазин", "5", "1362.00", "292.80", "242.00"])]
    );
    // Days are Bishkek days: the sale at 00:30 local counts on 2 March though it is 1 March in UTC.
    assert_eq!(
        texts(&r["days"], &["day", "sales", "revenue", "margin"]),
        vec![row(&["2026-03-01", "4", "1362.00", "247.00"]), row(&["2026-03-02", "1", "0.00", "-5.00"])]
    );
    assert_eq!(
        texts(&r["discrepancies"], &["number", "expected", "counted", "difference"]),
        vec![row(&["С-000001", "1356.00", "1346.00", "-10.00"])]
    );

    // Period boundaries: the first day alone, the second alone, a day before anything.
    let first = report(&t, c, "from=2026-03-01&to=2026-03-01").await;
    assert_eq!(texts(&json!([first["summary"]]), &["sales", "revenue", "returns"]), vec![row(&["4", "1362.00", "0"])]);
    assert_eq!(first["discrepancies"], json!([]), "the shift closed on 2 March");
    let second = report(&t, c, "from=2026-03-02&to=2026-03-02").await;
    assert_eq!(texts(&json!([second["summary"]]), &["sales", "revenue", "returns", "cogs"]), vec![row(&["1", "0.00", "1", "5.00"])]);
    let before = report(&t, c, "from=2026-02-28&to=2026-02-28").await;
    assert_eq!((before["summary"]["sales"].as_u64(), before["summary"]["margin_percent"].is_null()), (Some(0), true));
    // Filters: this cash box and this cashier are everything; the default period ends today.
    let by_box =
        report(&t, c, &format!("from=2026-03-01&to=2026-03-02&cash_box={}&cashier={}", k.cash_box, r["cashiers"][0]["user"])).await;
    assert_eq!(by_box["summary"], r["summary"]);
    let default = report(&t, c, "").await;
    assert_eq!((default["to"].as_str(), default["days"].as_array().map(Vec::len)), (Some("2026-03-02"), Some(30)));

    // The sales list page filters by every field of spec A6: method, cashier, box, shift,
    // status, period.
    let owner = r["cashiers"][0]["user"].clone();
    for (query, shown) in [
        ("method=wallet%3AMBank".to_string(), vec!["П-000003"]),
        ("method=card&to=2026-03-01".to_string(), vec!["П-000002"]),
        ("from=2026-03-02".to_string(), vec!["П-000005"]),
        (format!("cashier={owner}&cash_box={}&shift={}&method=cash", k.cash_box, k.shift), vec!["П-000005", "П-000004", "П-000001"]),
        ("status=paid&method=debt".to_string(), vec![]),
    ] {
        let (st, page) = t.call(reqwest::Method::GET, &format!("/sales?{query}"), Some(&c.token), None).await;
        let html = page.as_str().unwrap_or_default();
        assert_eq!(st, StatusCode::OK, "{query}");
        let numbers: Vec<&str> = html.match_indices("П-0000").map(|(i, _)| &html[i..i + "П-000001".len()]).collect();
        assert_eq!(numbers, shown, "/sales?{query}");
    }

    // Another time zone moves the 00:30 sale back to 1 March: the projection is rebuilt.
    let (st, co) = t.put(c, "/api/v1/company", json!({"name": "Магазин", "timezone": "Europe/Moscow"})).await;
    assert_eq!(st, StatusCode::OK, "{co}");
    let moscow = report(&t, c, "from=2026-03-01&to=2026-03-01").await;
    assert_eq!(texts(&json!([moscow["summary"]]), &["sales", "revenue", "returns"]), vec![row(&["5", "1362.00", "1"])]);
    t.assert_consistent();
}

#[tokio::test]
async fn refusals_bad_periods_and_foreign_filters() {
    let t = TestApp::spawn().await;
    let k = scripted(&t, "owner@refuse.kg").await;
    let c = &k.s.c;
    for (query, field, code) in [
        ("from=2026-03-05&to=2026-03-01", "to", "period_order"),
        ("from=2025-01-01&to=2026-03-01", "from", "period_too_long"),
        ("from=1%20March", "from", "date"),
    ] {
        let (st, e) = t.get(c, &format!("/api/v1/analytics/sales?{query}")).await;
        assert_eq!(
            (st, e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field), Some(code)),
            "{e}"
        );
    }
    let (st, e) = t.get(c, "/api/v1/analytics/sales?cash_box=999999999").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));

    // A cashier of another branch without the analytics right is refused; with it, a branch
    // they do not work in is "not found".
    let (_, b) = t.post(c, "/api/v1/branches", json!({"name": "Филиал на Ошском"})).await;
    let (st, role) = t.post(c, "/api/v1/roles", json!({"name": "Кассир зала", "permissions": ["sale", "dashboard"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (st, u) = t
        .post(
            c,
            "/api/v1/users",
            json!({"email": "cashier@refuse.kg", "name": "Айгуль", "role": "staff", "custom_role": role["id"], "branches": [b["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@refuse.kg", "password-456").await;
    let (st, e) = t.get(&cashier, "/api/v1/analytics/sales").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (st, page) = t.call(reqwest::Method::GET, "/analytics", Some(&cashier.token), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{page}");
    let (st, _) = t
        .put(c, &format!("/api/v1/roles/{}", role["id"]), json!({"name": "Кассир зала", "permissions": ["sale", "dashboard", "analytics"]}))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, mine) = t.get(&cashier, "/api/v1/analytics/sales?from=2026-03-01&to=2026-03-02").await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    // The till's box is company-wide, so its sales show in every branch (as in the sales list).
    assert_eq!(mine["summary"]["sales"], 5);
    let (_, branches) = t.get(c, "/api/v1/branches").await;
    let other = branches.as_array().expect("branches").iter().find(|x| x["id"] != b["id"]).map(|x| x["id"].clone()).expect("main branch");
    let (st, e) = t.get(&cashier, &format!("/api/v1/analytics/sales?branch={other}")).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn the_analytics_page_shows_the_numbers_and_charts_in_a_real_browser() {
    run("analytics", analytics_flow).await;
}

async fn analytics_flow(b: &Browser, t: &TestApp) -> R {
    scripted(t, "owner@charts.kg").await;
    b.goto(&format!("{}/login", t.base)).await?;
    wait_for(b, "main[data-page=login]").await?;
    fill(b, "#f-email", "owner@charts.kg").await?;
    fill(b, "#f-password", "password-123").await?;
    click(b, "main button[type=submit]").await?;
    wait_for(b, "main[data-page=dashboard]").await?;
    click(b, "#nav a[href='/analytics']").await?;
    wait_for(b, "main[data-page=analytics] #figures").await?;
    b.goto(&format!("{}/analytics?from=2026-03-01&to=2026-03-02", t.base)).await?;
    let revenue = wait_for(b, "#fig-revenue .tile-value").await?.text().await?;
    assert_eq!(revenue.replace('\u{a0}', " "), "1 362,00");
    assert_eq!(b.find(Locator::Css("#fig-average .tile-value")).await?.text().await?, "292,80");
    assert_eq!(b.find(Locator::Css("#fig-margin-percent .tile-value")).await?.text().await?, "17.8 %");
    let bars = b.find_all(Locator::Css("#chart-days rect.chart-bar")).await?;
    assert_eq!(bars.len(), 2, "a bar per day");
    let line = b.find(Locator::Css("#chart-days polyline.chart-line")).await?.attr("points").await?.unwrap_or_default();
    assert_eq!(line.split(' ').count(), 2, "a profit point per day: {line}");
    assert_eq!(b.find_all(Locator::Css("#chart-methods rect")).await?.len(), 3);
    let top = b.find(Locator::Css("#top-revenue tbody tr:first-child")).await?.text().await?;
    assert!(top.contains("Сыр Гауда весовой") && top.contains("750,00"), "{top}");
    let gap = b.find(Locator::Css("#discrepancies tbody tr:first-child")).await?.text().await?;
    assert!(gap.contains("-10,00"), "{gap}");
    // On a phone the charts fit the screen: nothing scrolls sideways.
    b.set_window_size(390, 844).await?;
    b.refresh().await?;
    wait_for(b, "#chart-days").await?;
    let fits = b
        .execute(
            "const r = document.getElementById('chart-days').getBoundingClientRect(); \
             return r.width > 200 && r.right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await?;
    assert_eq!(fits, json!(true), "the day chart fits a 390px screen");
    screenshot(b, "analytics-phone").await?;
    b.execute("document.getElementById('chart-days').scrollIntoView(); window.scrollBy(0, -140);", vec![]).await?;
    screenshot(b, "analytics-phone-chart").await?;
    Ok(())
}
