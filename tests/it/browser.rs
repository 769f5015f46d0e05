//! The web UI in a real browser (headless Chromium through chromedriver): first-run setup,
//! a branch, a role with two rights, employees (one with a password, one invited); then,
//! signed in as the employee, the navigation shows only what the role allows and a forbidden
//! page answers 403. Skipped with a loud message when Chromium is not installed, unless
//! `DUKAN_BROWSER_TESTS=required`. The pages' contract without JavaScript (form posts with
//! `_csrf`, 303 on success, 422 with field messages, cookie flags, htmx flash fragments) is
//! checked over plain HTTP at the end, with or without a browser.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::TestApp;

pub(crate) type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

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
                format!("--user-data-dir={}", profile.path().display()), "--window-size=1280,900",
            ],
            // A Russian-speaking user: headless Chromium ignores --lang for Accept-Language.
            "prefs": { "intl.accept_languages": "ru-RU,ru" },
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

pub(crate) async fn wait_for(c: &Client, css: &str) -> R<fantoccini::elements::Element> {
    Ok(c.wait().at_most(WAIT).for_element(Locator::Css(css)).await?)
}

pub(crate) async fn wait_xpath(c: &Client, xpath: &str) -> R<fantoccini::elements::Element> {
    Ok(c.wait().at_most(WAIT).for_element(Locator::XPath(xpath)).await?)
}

/// Marks the page now shown (its `main` element: a boosted link or form swaps the body's
/// content and keeps the window), so that [`wait_new_page`] can tell it from the page an
/// action leads to. A live region may update the old page in place (the CRM board re-reads
/// itself when a deal changes) so that it shows what the new page will while the request is
/// still in flight: waiting for an element is then not enough.
pub(crate) async fn mark_page(c: &Client) -> R {
    c.execute("document.querySelector('main').dataset.oldPage = '1';", vec![]).await?;
    Ok(())
}

/// Waits until the page marked by [`mark_page`] has been replaced.
pub(crate) async fn wait_new_page(c: &Client) -> R {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let fresh = c
            .execute(
                "const m = document.querySelector('main'); return document.readyState !== 'loading' && !!m && !m.dataset.oldPage;",
                vec![],
            )
            .await
            .unwrap_or(json!(false));
        if fresh == json!(true) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("no new page after {WAIT:?} (still at {})", c.current_url().await?).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn fill(c: &Client, css: &str, value: &str) -> R {
    let field = c.find(Locator::Css(css)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// Types `text` into the search-as-you-type field `css` (an input with its own htmx `hx-get`
/// fired on a short delay) and waits until the field's request for exactly that text has been
/// answered and its results swapped in. A pause between keystrokes longer than the field's
/// delay (a loaded machine) sends a request for part of the text first: its results are in
/// the page for a moment, then replaced, so an element found among them may be the wrong hit
/// or go stale before it is used.
pub(crate) async fn type_ahead(c: &Client, css: &str, text: &str) -> R {
    // htmx fires `htmx:afterRequest` on the field after swapping the response in (or with
    // status 0 for a request aborted by a newer one, `hx-sync="this:replace"`).
    c.execute(
        r#"const field = document.querySelector(arguments[0]);
        delete field.dataset.answered;
        field.addEventListener("htmx:afterRequest", function (e) {
            const xhr = e.detail.xhr;
            if (e.target === field && xhr && xhr.status === 200 && xhr.responseURL) {
                field.dataset.answered = new URL(xhr.responseURL).searchParams.get(field.name) ?? "";
            }
        });"#,
        vec![json!(css)],
    )
    .await?;
    fill(c, css, text).await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let answered = c
            .execute("const f = document.querySelector(arguments[0]); return f ? (f.dataset.answered ?? null) : null;", vec![json!(css)])
            .await?;
        if answered.as_str() == Some(text) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("{css}: no answer for {text:?} (last answered: {answered})").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn click(c: &Client, css: &str) -> R {
    c.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

pub(crate) async fn screenshot(c: &Client, name: &str) -> R {
    std::fs::write(format!("/tmp/dukan-{name}.png"), c.screenshot().await?)?;
    Ok(())
}

pub(crate) async fn nav_labels(c: &Client) -> R<Vec<String>> {
    let mut labels = Vec::new();
    for a in c.find_all(Locator::Css("#nav li a")).await? {
        labels.push(a.text().await?);
    }
    Ok(labels)
}

/// Runs `flow` in a fresh browser against a fresh server; on failure keeps a screenshot and
/// the page source in /tmp for the developer.
pub(crate) async fn run<F>(name: &str, flow: F)
where
    F: for<'a> AsyncFnOnce(&'a Client, &'a TestApp) -> R,
{
    run_with(name, |_| {}, flow).await
}

/// `run` against a server whose configuration `tweak` changes (a fake service's address).
pub(crate) async fn run_with<F>(name: &str, tweak: impl FnOnce(&mut dukan::config::Config), flow: F)
where
    F: for<'a> AsyncFnOnce(&'a Client, &'a TestApp) -> R,
{
    let Some(b) = browser().await else { return };
    let t = TestApp::spawn_with(tweak).await;
    let outcome = flow(&b.client, &t).await;
    if let Err(e) = &outcome {
        let _ = screenshot(&b.client, &format!("{name}-failure")).await;
        if let Ok(source) = b.client.source().await {
            let _ = std::fs::write(format!("/tmp/dukan-{name}-failure.html"), source);
        }
        eprintln!("browser flow {name} failed at {:?}: {e}", b.client.current_url().await.map(|u| u.to_string()));
    }
    let _ = b.client.clone().close().await;
    drop(b.driver);
    outcome.unwrap_or_else(|e| panic!("browser flow {name}: {e} (see /tmp/dukan-{name}-failure.png and .html)"));
    t.assert_consistent();
}

#[tokio::test]
async fn setup_roles_and_a_restricted_employee_in_a_real_browser() {
    run("restricted", flow).await;
}

#[tokio::test]
async fn owner_pages_in_a_real_browser() {
    run("owner", owner_pages).await;
}

/// First-run setup through the page, checking a rejected field on the way; ends on the
/// owner's dashboard.
async fn setup(c: &Client, t: &TestApp) -> R {
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
    Ok(())
}

async fn flow(c: &Client, t: &TestApp) -> R {
    setup(c, t).await?;
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
    wait_for(c, "#new-role").await?.click().await?;
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

    // A page asked for while signed out comes back after signing in (`?next=`); a wrong
    // password is a form error on the way.
    c.goto(&format!("{}/branches", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    assert_eq!(c.current_url().await?.query(), Some("next=/branches"));
    fill(c, "#f-email", "stock@test.kg").await?;
    fill(c, "#f-password", "wrong-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=login] .form-error").await?;
    screenshot(c, "login").await?;
    fill(c, "#f-password", "stock-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=branches]").await?;

    // The employee sees only what the role allows.
    click(c, "#nav a[href='/']").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    let nav = nav_labels(c).await?;
    assert!(nav.iter().any(|l| l == "Главная") && nav.iter().any(|l| l == "Филиалы"), "{nav:?}");
    for hidden in ["Сотрудники", "Роли", "Журнал", "Настройки компании", "Резервные копии", "Платформа"]
    {
        assert!(!nav.iter().any(|l| l == hidden), "{hidden} must be hidden: {nav:?}");
    }
    screenshot(c, "restricted").await?;

    // Two branches: the switcher moves the session to the other one.
    c.find(Locator::Css("#branch-select")).await?.select_by_label("Ош").await?;
    wait_xpath(c, "//main[@data-page='dashboard']//strong[text()='Ош']").await?;

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

/// Clicks a button whose form asks for confirmation (hx-confirm) and accepts the dialog.
pub(crate) async fn click_confirmed(c: &Client, css: &str) -> R {
    click(c, css).await?;
    for _ in 0..50 {
        if c.accept_alert().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("no confirmation dialog".into())
}

async fn owner_pages(c: &Client, t: &TestApp) -> R {
    setup(c, t).await?;

    // Settings: a bad taxpayer number is reported beside its field; phones are normalised.
    click(c, "#nav a[href='/settings']").await?;
    wait_for(c, "main[data-page=settings]").await?;
    fill(c, "#f-inn", "123").await?;
    fill(c, "#f-phones", "0555 123 456\n+996 700 000 001").await?;
    click(c, "main form[action='/settings'] button[type=submit]").await?;
    wait_for(c, "#e-inn").await?;
    fill(c, "#f-inn", "01234567891234").await?;
    click(c, "main form[action='/settings'] button[type=submit]").await?;
    wait_for(c, "#flash .flash-ok").await?;
    let phones = c.find(Locator::Css("#f-phones")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(phones, "+996555123456\n+996700000001");

    // Logo upload (multipart through htmx), then the image is served to the page.
    // It is decoded and stored re-encoded as PNG, so the file must be a real image.
    let logo = std::env::temp_dir().join(format!("dukan-logo-{}.png", std::process::id()));
    std::fs::write(&logo, crate::images::png(40, 20))?;
    c.find(Locator::Css("#f-logo")).await?.send_keys(&logo.display().to_string()).await?;
    click(c, "#logo-form button[type=submit]").await?;
    wait_for(c, "img.logo-preview").await?;
    let mut width = serde_json::Value::Null;
    for _ in 0..50 {
        width = c.execute("return document.querySelector('img.logo-preview').naturalWidth", vec![]).await?;
        if width.as_u64().is_some_and(|w| w > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(width.as_u64(), Some(40), "the uploaded logo is served back");
    let _ = std::fs::remove_file(&logo);
    screenshot(c, "settings").await?;

    // A role in use cannot be deleted: the refusal arrives as a flash message.
    click(c, "#nav a[href='/users']").await?;
    wait_for(c, "#user-form").await?;
    fill(c, "#user-form #f-name", "Асель Кассир").await?;
    fill(c, "#user-form #f-email", "asel@test.kg").await?;
    c.find(Locator::Css("#user-form #f-custom_role")).await?.select_by_label("Кассир").await?;
    click(c, "#user-form input[name=access][value=password]").await?;
    fill(c, "#user-form #f-password", "asel-pass-1").await?;
    click(c, "#user-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='user-list']//td[text()='asel@test.kg']").await?;
    screenshot(c, "users").await?;
    click(c, "#nav a[href='/roles']").await?;
    wait_xpath(c, "//table[@id='role-list']//td[text()='Кассир']/..//a").await?.click().await?;
    wait_for(c, "main[data-page=role] .danger-zone").await?;
    assert_eq!(c.find(Locator::Css("main #f-name")).await?.prop("value").await?.as_deref(), Some("Кассир"));
    screenshot(c, "role-editor").await?;
    click_confirmed(c, ".danger-zone button[type=submit]").await?;
    let refusal = wait_for(c, "#flash .flash-error").await?.text().await?;
    assert!(refusal.contains("Кассир"), "role in use: {refusal}");
    assert!(c.current_url().await?.path().starts_with("/roles/"), "the page stays");

    // Editing and deactivating the employee.
    click(c, "#nav a[href='/users']").await?;
    wait_xpath(c, "//table[@id='user-list']//td[text()='asel@test.kg']/..//a").await?.click().await?;
    wait_for(c, "main[data-page=user]").await?;
    fill(c, "main #f-name", "Асель Старший кассир").await?;
    click(c, "main form[action^='/users/'] fieldset button[type=submit]").await?;
    wait_for(c, "#flash .flash-ok").await?;
    assert!(c.find(Locator::Css("main h1")).await?.text().await?.contains("Старший"));
    click_confirmed(c, "form[action$='/deactivate'] button").await?;
    wait_for(c, "form[action$='/activate']").await?;
    assert!(c.find(Locator::Css("main h1 .badge")).await.is_ok(), "marked deactivated");

    // The audit log shows those actions, and filters by action prefix.
    click(c, "#nav a[href='/audit']").await?;
    wait_for(c, "#audit-list").await?;
    fill(c, "main #f-action", "user.").await?;
    // The unfiltered page has the same rows: wait for the new page, not just a row.
    c.execute("document.getElementById('main').dataset.stale = '1'", vec![]).await?;
    click(c, "main form.filters button[type=submit]").await?;
    wait_for(c, "main:not([data-stale]) #audit-list").await?;
    wait_xpath(c, "//table[@id='audit-list']//code[text()='user.deactivate']").await?;
    for code in c.find_all(Locator::Css("#audit-list code")).await? {
        assert!(code.text().await?.starts_with("user."));
    }
    assert!(c.current_url().await?.query().unwrap_or("").contains("action=user."));
    screenshot(c, "audit").await?;

    // Backups: a manual request is queued and listed.
    click(c, "#nav a[href='/backups']").await?;
    wait_for(c, "#backup-now").await?.click().await?;
    wait_for(c, "#flash .flash-ok").await?;
    wait_for(c, "#backup-list .badge-pending").await?;
    // The worker takes it; the list, refreshing itself while a backup runs, shows the result.
    assert!(dukan::workers::backup_once(t.app.clone()).await?, "a backup was taken");
    wait_for(c, "#backup-list .badge-good").await?;
    let link = wait_for(c, "#backup-list a[download]").await?;
    screenshot(c, "backups").await?;
    let href = link.attr("href").await?.unwrap_or_default();
    let session = c.get_named_cookie("dukan_session").await?;
    let file = reqwest::Client::new()
        .get(format!("{}{href}", t.base))
        .header("cookie", format!("dukan_session={}", session.value()))
        .send()
        .await?;
    assert_eq!(file.status(), 200, "{href}");
    assert!(file.bytes().await?.len() > 1024, "the backup file downloads");

    // Platform: a second company, its subscription ended long ago (read-only), a new plan.
    click(c, "#nav a[href='/platform']").await?;
    wait_for(c, "main[data-page=platform]").await?;
    fill(c, "main #f-name", "Вторая компания").await?;
    fill(c, "main #f-owner_name", "Второй Владелец").await?;
    fill(c, "main #f-owner_email", "second@test.kg").await?;
    fill(c, "main #f-owner_password", "second-pass-1").await?;
    click(c, "main form[action='/platform/companies'] button[type=submit]").await?;
    wait_xpath(c, "//table[@id='company-list']//td[contains(., 'Вторая компания')]/..//a").await?.click().await?;
    wait_for(c, "main[data-page=company]").await?;
    fill(c, "main #f-grace_days", "x").await?;
    click(c, "main form button[type=submit]").await?;
    wait_for(c, "#e-grace_days").await?;
    fill(c, "main #f-grace_days", "3").await?;
    c.execute("document.getElementById('f-end').value = '2026-01-31'", vec![]).await?;
    click(c, "main form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='company-list']//td[contains(., 'Вторая компания')]/..//span[contains(@class, 'badge-read_only')]").await?;
    wait_for(c, "a[href='/platform/plans/new']").await?.click().await?;
    wait_for(c, "main[data-page=plan]").await?;
    fill(c, "main #f-name", "Кафе").await?;
    fill(c, "main #f-monthly_price", "990,50").await?;
    click(c, "main input[value=cafe]").await?;
    click(c, "main form button[type=submit]").await?;
    wait_xpath(c, "//ul[@class='plan-list']//strong[text()='Кафе']").await?;
    screenshot(c, "platform").await?;

    // Changing the password ends the session; the new password signs in.
    c.goto(&format!("{}/account", t.base)).await?;
    fill(c, "#f-current_password", "wrong-pass-1").await?;
    fill(c, "#f-new_password", "owner-pass-2").await?;
    fill(c, "#f-new_password2", "owner-pass-2").await?;
    click(c, "main form[action='/account'] button[type=submit]").await?;
    wait_for(c, "#e-current_password").await?;
    fill(c, "#f-current_password", "owner-pass-1").await?;
    fill(c, "#f-new_password", "owner-pass-2").await?;
    fill(c, "#f-new_password2", "owner-pass-2").await?;
    click(c, "main form[action='/account'] button[type=submit]").await?;
    wait_for(c, "main[data-page=login] .flash-ok").await?;
    fill(c, "#f-email", "owner@test.kg").await?;
    fill(c, "#f-password", "owner-pass-2").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // The new session's CSRF token is the one htmx sends.
    click(c, "#nav a[href='/branches']").await?;
    wait_for(c, "#branch-form").await?;
    fill(c, "#branch-form #f-name", "Нарын").await?;
    click(c, "#branch-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='branch-list']//td[text()='Нарын']").await?;
    Ok(())
}

// ---- the same pages over plain HTTP: what a browser without JavaScript gets ----

pub(crate) struct Plain {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

impl Plain {
    pub(crate) fn new(t: &TestApp) -> Plain {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().expect("client");
        Plain { http, base: t.base.clone() }
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header("accept", "text/html").send().await.expect("get")
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).header("accept", "text/html").form(form).send().await.expect("post")
    }

    /// Posts a form shown before sign-in (setup, sign-in, invite) with the `_csrf` token its
    /// page carries, as a browser does.
    pub(crate) async fn submit(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let csrf = csrf_of(&self.get(path).await.text().await.expect("form page"));
        let mut form = form.to_vec();
        form.push(("_csrf", &csrf));
        self.post(path, &form).await
    }
}

pub(crate) fn location(r: &reqwest::Response) -> &str {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub(crate) fn csrf_of(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a _csrf field").to_string()
}

#[tokio::test]
async fn pages_work_without_javascript() {
    let t = TestApp::spawn().await;
    let p = Plain::new(&t);

    let r = p.get("/").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/setup"));
    let r = p.get("/setup").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("Начальная настройка"), "Russian by default");

    let mut setup =
        vec![("name", "Нур"), ("country", "KG"), ("owner_name", "Айбек"), ("owner_email", "owner@nur.kg"), ("owner_password", "123")];
    let r = p.submit("/setup", &setup).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("body");
    assert!(body.contains("id=\"e-owner_password\"") && body.contains("value=\"owner@nur.kg\""), "message beside the field, values kept");
    assert!(!body.contains("value=\"123\""), "a password is never echoed");
    setup[4] = ("owner_password", "owner-pass-1");
    let r = p.submit("/setup", &setup).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"));
    let cookies: Vec<&str> = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    let session = cookies.iter().find(|c| c.starts_with("dukan_session=")).expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session} has {flag}");
    }
    assert!(cookies.iter().any(|c| c.starts_with("dukan_lang=ru")), "{cookies:?}");
    assert_eq!(location(&p.get("/setup").await), "/login", "setup runs once");

    let home = p.get("/").await.text().await.expect("body");
    let csrf = csrf_of(&home);
    assert!(home.contains(&format!("hx-headers='{{\"X-CSRF-Token\":\"{csrf}\"}}'")), "the token is on <body> for htmx");

    // State changes need the token; the form field is enough.
    let r = p.post("/branches", &[("name", "Ош")]).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.expect("body").contains("data-page=\"error\""), "a page, not JSON");
    let r = p.post("/branches", &[("_csrf", &csrf), ("name", "Ош")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/branches?ok=branch_saved"));
    assert!(p.get("/branches?ok=branch_saved").await.text().await.expect("body").contains("Филиал сохранён"));
    let r = p.post("/branches", &[("_csrf", &csrf), ("name", "ош")]).await;
    assert_eq!(r.status(), 422, "names are unique");

    // htmx requests get errors as a flash fragment aimed at #flash.
    let r = p.http.get(format!("{}/no-such-page", t.base)).header("hx-request", "true").send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers().get("hx-retarget").and_then(|v| v.to_str().ok()), Some("#flash"));
    assert_eq!(r.headers().get("hx-reswap").and_then(|v| v.to_str().ok()), Some("innerHTML"));
    assert!(r.text().await.expect("body").contains("flash-error"));

    // Owners may work company-wide; a branch the switcher does not offer is refused.
    let r = p.post("/branch", &[("_csrf", &csrf), ("branch", "company"), ("back", "/")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"));
    assert!(p.get("/").await.text().await.expect("body").contains("<option value=\"company\" selected>"));
    assert_eq!(p.post("/branch", &[("_csrf", &csrf), ("branch", "999999")]).await.status(), 403);

    // An ended subscription: a banner on every page, and writes are refused.
    let platform = p.get("/platform").await.text().await.expect("body");
    let company = platform.split("href=\"/platform/companies/").nth(1).and_then(|r| r.split('"').next()).expect("company link").to_string();
    let terms = |end: &'static str| {
        [("_csrf", csrf.clone()), ("plan", String::new()), ("end", end.into()), ("grace_days", "7".into()), ("active", "1".into())]
    };
    let plan = platform
        .split("href=\"/platform/plans/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find(|id| id.parse::<u64>().is_ok())
        .expect("plan link")
        .to_string();
    let mut form = terms("2026-02-27");
    form[1].1 = plan.clone();
    let r = p.http.post(format!("{}/platform/companies/{company}", t.base)).form(&form).send().await.expect("post");
    let (status, to) = (r.status(), location(&r).to_string());
    assert_eq!(to, "/platform?ok=subscription_saved", "{status} {}", r.text().await.unwrap_or_default());
    assert!(p.get("/").await.text().await.expect("body").contains("class=\"banner banner-warn\""), "grace period banner");
    let mut form = terms("2026-01-01");
    form[1].1 = plan;
    p.http.post(format!("{}/platform/companies/{company}", t.base)).form(&form).send().await.expect("post");
    assert!(p.get("/branches").await.text().await.expect("body").contains("class=\"banner banner-error\""), "read-only banner");
    let r = p.post("/branches", &[("_csrf", &csrf), ("name", "Нарын")]).await;
    assert_eq!(r.status(), 403, "read-only");

    // Only local paths are followed after switching.
    let r = p.post("/lang", &[("_csrf", &csrf), ("lang", "en"), ("back", "//evil.example/")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"));
    assert!(p.get("/").await.text().await.expect("body").contains(">Dashboard<"), "English remembered");
    let r = p.post("/lang", &[("_csrf", &csrf), ("lang", "ru"), ("back", "/branches")]).await;
    assert_eq!(location(&r), "/branches");

    let r = p.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login?ok=signed_out"));
    let r = p.get("/settings/logo").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login?next=/settings/logo"));

    // Sign-in: wrong passwords are a form error, then the account is rate limited (429).
    let mut last = 0;
    for _ in 0..6 {
        let r = p.submit("/login", &[("email", "owner@nur.kg"), ("password", "wrong-pass-1"), ("next", "/branches")]).await;
        last = r.status().as_u16();
        let body = r.text().await.expect("body");
        assert!(body.contains("class=\"form-error\"") && body.contains("value=\"/branches\""), "{body}");
    }
    assert_eq!(last, 429);
    t.assert_consistent();
}
