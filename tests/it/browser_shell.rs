//! The page shell in a real browser: the navigation grouped by module as a sidebar at
//! 1366 px and as a drawer at 390 px (a folded group opened, a link followed, no sideways
//! scrolling), a cashier without the Settings and Platform groups, and the dashboard's
//! figures for today equal to the analytics page's after a few sales.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for};
use crate::common::TestApp;
use crate::pos::till;

async fn sign_in(c: &Client, t: &TestApp, email: &str, password: &str) -> R {
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", email).await?;
    fill(c, "#f-password", password).await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    Ok(())
}

/// The ids of the navigation's groups, in order.
async fn groups(c: &Client) -> R<Vec<String>> {
    let mut out = Vec::new();
    for g in c.find_all(Locator::Css("#nav details.nav-group")).await? {
        out.push(g.attr("id").await?.unwrap_or_default());
    }
    Ok(out)
}

async fn is_open(c: &Client, css: &str) -> R<bool> {
    Ok(c.find(Locator::Css(css)).await?.prop("open").await?.as_deref() == Some("true"))
}

/// Fails when the page scrolls sideways.
async fn fits(c: &Client, what: &str) -> R {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
    let (scroll, inner) = (v[0].as_i64().unwrap_or(i64::MAX), v[1].as_i64().unwrap_or(0));
    if scroll > inner {
        return Err(format!("{what}: the page scrolls sideways ({scroll} > {inner})").into());
    }
    Ok(())
}

async fn current_link(c: &Client) -> R<String> {
    Ok(c.find(Locator::Css("#nav a[aria-current=page]")).await?.attr("href").await?.unwrap_or_default())
}

#[tokio::test]
async fn the_navigation_is_grouped_as_a_sidebar_and_a_drawer_in_a_real_browser() {
    run("shell-nav", nav_flow).await;
}

async fn nav_flow(c: &Client, t: &TestApp) -> R {
    t.first_run("operator@shell.kg", "password-123").await;
    c.set_window_size(1366, 900).await?;
    sign_in(c, t, "operator@shell.kg", "password-123").await?;
    let all = groups(c).await?;
    assert_eq!(
        all,
        [
            "nav-sales",
            "nav-agents",
            "nav-stock",
            "nav-clients",
            "nav-money",
            "nav-purchases",
            "nav-telecom",
            "nav-crm",
            "nav-reports",
            "nav-settings",
            "nav-messaging",
            "nav-platform"
        ]
        .map(String::from)
    );
    // The sidebar: every group open, the dashboard marked.
    for id in &all {
        assert!(is_open(c, &format!("#{id}")).await?, "{id} open in the sidebar");
    }
    assert!(c.find(Locator::Css("#nav")).await?.is_displayed().await?);
    assert_eq!(current_link(c).await?, "/");
    fits(c, "dashboard at 1366").await?;
    screenshot(c, "shell-sidebar").await?;

    // A boosted page change swaps in a navigation that marks the new page and its group.
    click(c, "#nav a[href='/stock/journal']").await?;
    wait_for(c, "main[data-page=stock-journal]").await?;
    assert_eq!(current_link(c).await?, "/stock/journal");
    assert!(c.find(Locator::Css("#nav-reports[data-current]")).await.is_ok(), "the journal's group is the current one");
    assert!(is_open(c, "#nav-settings").await?, "other groups stay open in the sidebar");

    // A phone: the navigation hides behind the menu button and opens as a drawer in which
    // only the current page's group is unfolded.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{}/stock/journal", t.base)).await?;
    wait_for(c, "main[data-page=stock-journal]").await?;
    fits(c, "journal at 390").await?;
    assert!(!c.find(Locator::Css("#nav")).await?.is_displayed().await?, "the drawer starts closed");
    click(c, ".menu-btn").await?;
    assert!(c.find(Locator::Css("#nav")).await?.is_displayed().await?, "the menu opens the drawer");
    assert!(is_open(c, "#nav-reports").await?, "the current group is unfolded");
    assert!(!is_open(c, "#nav-settings").await?, "other groups are folded");
    let branches = c.find(Locator::Css("#nav a[href='/branches']")).await?;
    assert!(!branches.is_displayed().await?, "a folded group hides its links");
    fits(c, "drawer at 390").await?;
    screenshot(c, "shell-drawer").await?;
    click(c, "#nav-settings > summary").await?;
    assert!(branches.is_displayed().await?, "the group unfolds");
    branches.click().await?;
    wait_for(c, "main[data-page=branches]").await?;
    assert_eq!(current_link(c).await?, "/branches");
    assert!(!c.find(Locator::Css("#nav")).await?.is_displayed().await?, "the new page starts with the drawer closed");
    assert!(is_open(c, "#nav-settings").await? && !is_open(c, "#nav-reports").await?, "now the settings group is the unfolded one");
    fits(c, "branches at 390").await?;
    c.goto(&format!("{}/", t.base)).await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    fits(c, "dashboard at 390").await?;
    screenshot(c, "shell-dashboard-phone").await?;
    c.set_window_size(1366, 900).await?;
    Ok(())
}

#[tokio::test]
async fn a_cashier_sees_no_settings_and_the_dashboard_agrees_with_analytics_in_a_real_browser() {
    run("shell-cashier", cashier_flow).await;
}

async fn cashier_flow(c: &Client, t: &TestApp) -> R {
    let k = till(t, "owner@today.kg").await;
    let owner = &k.s.c;
    for (key, qty, cash) in [("a", "3", "400"), ("b", "1", "200"), ("c", "2", "300")] {
        let body = json!({"idempotency_key": key, "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": qty}],
            "payments": [{"method": "cash", "amount": cash}]});
        let (st, s) = t.post(owner, "/api/v1/sales", body).await;
        assert_eq!(st, StatusCode::CREATED, "{s}");
    }
    let (st, role) = t.post(owner, "/api/v1/roles", json!({"name": "Кассир на день", "permissions": ["dashboard", "cashier"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let user = json!({"email": "cashier@today.kg", "name": "Кассир", "role": "staff", "custom_role": role["id"],
        "branches": [branches[0]["id"]], "password": "password-456"});
    let (st, u) = t.post(owner, "/api/v1/users", user).await;
    assert_eq!(st, StatusCode::CREATED, "{u}");

    c.set_window_size(1366, 900).await?;
    sign_in(c, t, "cashier@today.kg", "password-456").await?;
    let seen = groups(c).await?;
    assert!(seen.contains(&"nav-sales".to_string()), "{seen:?}");
    assert!(!seen.contains(&"nav-settings".to_string()) && !seen.contains(&"nav-platform".to_string()), "{seen:?}");
    assert!(c.find(Locator::Css("#today-revenue")).await.is_err(), "a cashier does not see the takings");
    click(c, ".user-menu summary").await?;
    click(c, "#logout").await?;
    wait_for(c, "main[data-page=login]").await?;

    // The owner's figures for today, then the analytics page for the same day.
    sign_in(c, t, "owner@today.kg", "password-123").await?;
    let revenue = wait_for(c, "#today-revenue .tile-value").await?.text().await?;
    let sales = c.find(Locator::Css("#today-sales .tile-value")).await?.text().await?;
    assert_eq!(sales, "3");
    screenshot(c, "shell-dashboard").await?;
    click(c, "#today-revenue").await?;
    let analytics = wait_for(c, "main[data-page=analytics] #fig-revenue .tile-value").await?.text().await?;
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    assert_eq!(digits(&revenue), digits(&analytics), "dashboard {revenue} vs analytics {analytics}");
    assert_eq!(c.find(Locator::Css("#fig-sales .tile-value")).await?.text().await?, sales);
    assert_eq!(digits(&revenue), "61200", "6 × 102.00");
    Ok(())
}
