//! The web UI in a real browser (headless Chromium through chromedriver): first-run setup,
//! a branch, a role with two rights, employees (one with a password, one invited); then,
//! signed in as the employee, the navigation shows only what the role allows and a forbidden
//! page answers 403. Skipped with a loud message when Chromium is not installed, unless
//! `DUKAN_BROWSER_TESTS=required`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::TestApp;

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(15);

struct Browser {
    client: Client,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(bin).is_file()))
}

/// Starts chromedriver on a free port and opens a fresh headless Chromium session; `None`
/// (after saying so loudly) when the browser is not installed and not required.
async fn browser() -> Option<Browser> {
    if !Path::new(CHROMIUM).is_file() || !on_path("chromedriver") {
        if std::env::var("DUKAN_BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("DUKAN_BROWSER_TESTS=required but chromium or chromedriver is missing");
        }
        eprintln!("\n*** SKIPPED: browser test needs chromium and chromedriver (apt-get install chromium chromium-driver) ***\n");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let driver = tokio::process::Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()), "--window-size=1280,900", "--lang=ru",
            ],
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!("capabilities are an object") };
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let mut builder = ClientBuilder::rustls().expect("tls");
        match builder.capabilities(caps.clone()).connect(&url).await {
            Ok(client) => return Some(Browser { client, driver, _profile: profile }),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not accept a session on {url}");
}

async fn wait_for(c: &Client, css: &str) -> R<fantoccini::elements::Element> {
    Ok(c.wait().at_most(WAIT).for_element(Locator::Css(css)).await?)
}

async fn wait_xpath(c: &Client, xpath: &str) -> R<fantoccini::elements::Element> {
    Ok(c.wait().at_most(WAIT).for_element(Locator::XPath(xpath)).await?)
}

async fn fill(c: &Client, css: &str, value: &str) -> R {
    let field = c.find(Locator::Css(css)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

async fn click(c: &Client, css: &str) -> R {
    c.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

async fn screenshot(c: &Client, name: &str) -> R {
    std::fs::write(format!("/tmp/dukan-{name}.png"), c.screenshot().await?)?;
    Ok(())
}

async fn nav_labels(c: &Client) -> R<Vec<String>> {
    let mut labels = Vec::new();
    for a in c.find_all(Locator::Css("#nav li a")).await? {
        labels.push(a.text().await?);
    }
    Ok(labels)
}

#[tokio::test]
async fn setup_roles_and_a_restricted_employee_in_a_real_browser() {
    let Some(b) = browser().await else { return };
    let t = TestApp::spawn().await;
    let outcome = flow(&b.client, &t).await;
    if let Err(e) = &outcome {
        let _ = screenshot(&b.client, "failure").await;
        if let Ok(source) = b.client.source().await {
            let _ = std::fs::write("/tmp/dukan-failure.html", source);
        }
        eprintln!("browser flow failed at {:?}: {e}", b.client.current_url().await.map(|u| u.to_string()));
    }
    let _ = b.client.clone().close().await;
    drop(b.driver);
    outcome.expect("browser flow (see /tmp/dukan-failure.png and .html)");
    t.assert_consistent();
}

async fn flow(c: &Client, t: &TestApp) -> R {
    // An empty box sends every page to first-run setup.
    c.goto(&t.base).await?;
    wait_for(c, "main[data-page=setup]").await?;
    assert_eq!(c.current_url().await?.path(), "/setup");

    // A plain (not boosted) form: a short password comes back with the message beside it.
    fill(c, "#f-name", "Дукан Тест").await?;
    fill(c, "#f-owner_name", "Айбек Владелец").await?;
    fill(c, "#f-owner_email", "owner@test.kg").await?;
    fill(c, "#f-owner_password", "short").await?;
    click(c, "main form button[type=submit]").await?;
    let message = wait_for(c, "#e-owner_password").await?.text().await?;
    assert!(message.contains("8"), "password rule shown beside the field: {message}");
    fill(c, "#f-owner_password", "owner-pass-1").await?;
    click(c, "main form button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    assert!(c.find(Locator::Css(".brand")).await?.text().await?.contains("Дукан Тест"));
    let owner_nav = nav_labels(c).await?;
    for label in ["Главная", "Настройки компании", "Филиалы", "Сотрудники", "Роли", "Журнал", "Резервные копии", "Платформа"]
    {
        assert!(owner_nav.iter().any(|l| l == label), "owner sees {label}: {owner_nav:?}");
    }
    screenshot(c, "dashboard").await?;

    // Branches through htmx: a rejected form swaps in with its message (422), then a good one.
    click(c, "#nav a[href='/branches']").await?;
    wait_for(c, "#branch-form").await?;
    fill(c, "#branch-form #f-phone", "12").await?;
    click(c, "#branch-form button[type=submit]").await?;
    wait_for(c, "#branch-form #e-name").await?;
    assert!(c.find(Locator::Css("#branch-form #e-phone")).await.is_ok(), "every bad field is reported");
    fill(c, "#branch-form #f-name", "Ош").await?;
    fill(c, "#branch-form #f-phone", "0555 123 456").await?;
    fill(c, "#branch-form #f-address", "ул. Ленина, 1").await?;
    click(c, "#branch-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='branch-list']//td[text()='Ош']").await?;
    assert!(c.find(Locator::Css("#flash .flash-ok")).await?.text().await?.contains("Филиал сохранён"));
    assert_eq!(c.current_url().await?.path(), "/branches");

    // A role with only the dashboard and branch rights.
    click(c, "#nav a[href='/roles']").await?;
    click(c, "#new-role").await?;
    wait_for(c, "#role-form").await?;
    fill(c, "#role-form #f-name", "Кладовщик").await?;
    let dashboard = c.find(Locator::Css("#role-form input[value=dashboard]")).await?;
    assert!(dashboard.is_selected().await?, "a new role starts with the dashboard");
    click(c, "#role-form input[value=branch]").await?;
    click(c, "#role-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='role-list']//td[text()='Кладовщик']").await?;

    // An employee with that role and a password set by the owner, in both branches.
    click(c, "#nav a[href='/users']").await?;
    wait_for(c, "#user-form").await?;
    fill(c, "#user-form #f-name", "Бакыт Кладовщик").await?;
    fill(c, "#user-form #f-email", "stock@test.kg").await?;
    c.find(Locator::Css("#user-form #f-custom_role")).await?.select_by_label("Кладовщик").await?;
    wait_xpath(c, "//form[@id='user-form']//label[contains(., 'Ош')]/input").await?.click().await?;
    click(c, "#user-form input[name=access][value=password]").await?;
    fill(c, "#user-form #f-password", "stock-pass-1").await?;
    click(c, "#user-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='user-list']//td[text()='stock@test.kg']").await?;

    // An invited employee: the link is shown once, to the admin, and never a password.
    fill(c, "#user-form #f-name", "Нурия Кассир").await?;
    fill(c, "#user-form #f-email", "cash@test.kg").await?;
    click(c, "#user-form button[type=submit]").await?;
    let invite = wait_for(c, "#invite-url").await?.prop("value").await?.unwrap_or_default();
    assert!(invite.starts_with(&format!("{}/invite/", t.base)), "full invite URL: {invite}");
    screenshot(c, "invite").await?;

    // Sign out from the user menu.
    click(c, ".user-menu summary").await?;
    click(c, "#logout").await?;
    wait_for(c, "main[data-page=login]").await?;

    // The invited employee sets a password through the link, which then stops working.
    c.goto(&invite).await?;
    wait_for(c, "main[data-page=invite] #f-password").await?;
    fill(c, "#f-password", "cash-pass-1").await?;
    fill(c, "#f-password2", "cash-pass-2").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "#e-password2").await?;
    fill(c, "#f-password", "cash-pass-1").await?;
    fill(c, "#f-password2", "cash-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=login] .flash-ok").await?;
    c.goto(&invite).await?;
    wait_for(c, "main[data-page=invite] .form-error").await?;

    // Wrong password: a form error on the sign-in page, no session.
    c.goto(&format!("{}/login", t.base)).await?;
    fill(c, "#f-email", "stock@test.kg").await?;
    fill(c, "#f-password", "wrong-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=login] .form-error").await?;

    // The employee sees only what the role allows.
    fill(c, "#f-password", "stock-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    let nav = nav_labels(c).await?;
    assert!(nav.iter().any(|l| l == "Главная") && nav.iter().any(|l| l == "Филиалы"), "{nav:?}");
    for hidden in ["Сотрудники", "Роли", "Журнал", "Настройки компании", "Резервные копии", "Платформа"]
    {
        assert!(!nav.iter().any(|l| l == hidden), "{hidden} must be hidden: {nav:?}");
    }
    assert!(c.find(Locator::Css("#branch-select")).await.is_ok(), "two branches: the switcher is shown");
    screenshot(c, "restricted").await?;

    // Pages the role does not cover are refused by the server, not only hidden.
    for path in ["/users", "/roles", "/settings", "/audit", "/platform"] {
        c.goto(&format!("{}{path}", t.base)).await?;
        let main = wait_for(c, "main[data-page=error]").await?;
        assert_eq!(main.attr("data-status").await?.as_deref(), Some("403"), "{path}");
    }
    assert!(c.find(Locator::Css("main h1")).await?.text().await?.contains("Доступ запрещён"));
    screenshot(c, "forbidden").await?;

    // On a 7" tablet the navigation folds behind the menu button.
    c.set_window_size(600, 960).await?;
    c.goto(&format!("{}/branches", t.base)).await?;
    wait_for(c, "main[data-page=branches]").await?;
    assert!(!c.find(Locator::Css("#nav")).await?.is_displayed().await?, "navigation folded");
    click(c, ".menu-btn").await?;
    assert!(c.find(Locator::Css("#nav")).await?.is_displayed().await?, "menu opens the navigation");
    screenshot(c, "tablet").await?;

    // Switching to English is remembered for the user.
    click(c, ".lang-switch button[value=en]").await?;
    wait_xpath(c, "//nav[@id='nav']//a[text()='Branches']").await?;
    c.goto(&format!("{}/", t.base)).await?;
    wait_xpath(c, "//nav[@id='nav']//a[text()='Dashboard']").await?;
    Ok(())
}
