//! The user guide at `/help` (issue 18): the contents and every chapter in Russian and English,
//! linked from the shell's header, for signed-in users only.

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;

#[tokio::test]
async fn the_guide_is_served_in_both_languages() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "password-123").await;
    let p = Plain::new(&t);
    let r = p.get("/help").await;
    assert_eq!(r.status().as_u16(), 303, "signed-in users only");
    let r = p.submit("/login", &[("email", "owner@nur.kg"), ("password", "password-123"), ("next", "/help")]).await;
    assert_eq!(location(&r), "/help");
    let home = p.get("/").await.text().await.expect("home");
    assert!(home.contains("id=\"help-link\" href=\"/help\""), "every page's header links to the guide");

    let index = p.get("/help").await.text().await.expect("index");
    assert!(index.contains("id=\"help-toc\"") && index.contains("href=\"/help/backups\""), "the contents");
    for (topic, ru) in [
        ("install", "Установка"),
        ("first-run", "Первый запуск"),
        ("till", "Касса и смены"),
        ("stock", "Складские документы"),
        ("returns", "Возвраты"),
        ("debts", "Долги и рассрочки"),
        ("crm", "CRM: сделки, задачи, заявки"),
        ("devices", "Принтеры и весы"),
        ("backups", "Резервные копии"),
        ("upgrades", "Обновление"),
    ] {
        let r = p.get(&format!("/help/{topic}")).await;
        assert_eq!(r.status().as_u16(), 200, "{topic}");
        let html = r.text().await.expect("chapter");
        assert!(html.contains(&format!("<h1>{ru}")), "{topic}: Russian by default");
    }
    assert_eq!(p.get("/help/nope").await.status().as_u16(), 404);
    assert_eq!(p.get("/help/img/..%2Fru%2Ftill.md").await.status().as_u16(), 404, "only the images");

    let csrf = csrf_of(&index);
    let r = p.post("/lang", &[("_csrf", csrf.as_str()), ("lang", "en"), ("back", "/help/till")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let html = p.get("/help/till").await.text().await.expect("chapter");
    assert!(html.contains("<h1>Till and shifts</h1>") && html.contains(">Installing</a>"), "English follows the UI");
}
