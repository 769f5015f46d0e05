//! Product search: products written through the catalog's domain calls, the search worker's
//! step run by hand, then `GET /api/v1/products/search` — typos, prefixes, English names,
//! exact barcodes and PLUs, archived products, tenant isolation, and automatic rebuilds after
//! a lost index directory or a backup restored onto a fresh machine.

use dukan::catalog::ProductDraft;
use dukan::ids::{CompanyId, ProductId};
use dukan::tenancy::actor::Actor;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Client, TestApp};

/// The company owner as a domain `Actor`, built the way the auth extractor builds it.
fn owner(t: &TestApp, company: u64) -> Actor {
    let tx = t.app.db.read().expect("read");
    let users = dukan::tenancy::store::users(&tx, CompanyId(company)).expect("users");
    let u = users.first().expect("owner");
    let presented = dukan::auth::Presented {
        company: CompanyId(company),
        user: u.id,
        token_version: u.token_version,
        branch: None,
        branch_strict: false,
        company_scope: true,
        ip: "127.0.0.1".into(),
    };
    dukan::auth::resolve(&tx, &presented, t.app.now()).expect("actor")
}

async fn product(t: &TestApp, actor: &Actor, draft: ProductDraft) -> ProductId {
    let (actor, now) = (actor.clone(), t.app.now());
    t.app.db.write(move |tx| dukan::catalog::save_product(tx, &actor, now, None, &draft)).await.expect("save product")
}

fn draft(name: &str, unit: &str) -> ProductDraft {
    ProductDraft { name: name.into(), unit: unit.into(), price: "100".into(), ..ProductDraft::default() }
}

/// Runs the search worker's step until it has nothing left to do.
async fn drain(t: &TestApp) {
    for _ in 0..100 {
        if !dukan::workers::search_once(t.app.clone()).await.expect("search step") {
            return;
        }
    }
    panic!("the search worker never became idle");
}

async fn search(t: &TestApp, c: &Client, query: &str, extra: &str) -> Vec<String> {
    let qs = serde_urlencoded::to_string([("q", query)]).expect("query string");
    let (status, body) = t.get(c, &format!("/api/v1/products/search?{qs}{extra}")).await;
    assert_eq!(status, StatusCode::OK, "search {query:?}: {body}");
    body.as_array().expect("list").iter().map(|p| p["name"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn typos_prefixes_english_codes_archive_and_tenants() {
    let t = TestApp::spawn().await;
    let a = t.company("Ромашка", "a@romashka.kg", "пароль-ромашки-1").await;
    let b = t.company("Лютик", "b@lutik.kg", "пароль-лютика-1").await;
    let (owner_a, owner_b) = (owner(&t, a), owner(&t, b));

    let milk =
        ProductDraft {
            barcodes: vec!["4600682000358".into()], article: "PR-32".into(), ..draft("Молоко Простоквашино 3,2% 1 л", "l")
        };
    let milk = product(&t, &owner_a, milk).await;
    product(&t, &owner_a, draft("Молочный шоколад Alpen Gold 90 г", "pcs")).await;
    product(&t, &owner_a, draft("Chocolate milk Nesquik", "pcs")).await;
    product(&t, &owner_a, draft("Масло сливочное 82,5%", "pcs")).await;
    product(&t, &owner_a, ProductDraft { weighed: true, plu: "123".into(), ..draft("Сыр Российский", "kg") }).await;
    let kefir = product(&t, &owner_a, draft("Кефир Простоквашино 2,5%", "l")).await;
    product(&t, &owner_b, draft("Молоко Домик в деревне", "l")).await;
    {
        let (actor, now) = (owner_a.clone(), t.app.now());
        t.app.db.write(move |tx| dukan::catalog::set_archived(tx, &actor, now, kefir, true)).await.expect("archive");
    }
    drain(&t).await;

    let ca = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    let cb = t.login("b@lutik.kg", "пароль-лютика-1").await;
    let check = |got: Vec<String>, expected: &[&str], what: &str| {
        assert_eq!(got, expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{what}");
    };

    check(search(&t, &ca, "малако", "").await, &["Молоко Простоквашино 3,2% 1 л"], "typo");
    check(search(&t, &ca, "малоко простоквашено", "").await, &["Молоко Простоквашино 3,2% 1 л"], "two typos, AND between words");
    check(search(&t, &ca, "мсло", "").await, &["Масло сливочное 82,5%"], "a dropped first vowel");
    check(search(&t, &ca, "nesqiuk", "").await, &["Chocolate milk Nesquik"], "a transposition");
    let mol = search(&t, &ca, "мол", "").await;
    assert_eq!(mol.len(), 2, "prefix: {mol:?}");
    assert!(mol.contains(&"Молоко Простоквашино 3,2% 1 л".to_string()) && mol.contains(&"Молочный шоколад Alpen Gold 90 г".to_string()));
    check(search(&t, &ca, "шок", "").await, &["Молочный шоколад Alpen Gold 90 г"], "prefix of the second word");
    check(search(&t, &ca, "мол шок", "").await, &["Молочный шоколад Alpen Gold 90 г"], "prefixes of two words");
    check(search(&t, &ca, "chocolate", "").await, &["Chocolate milk Nesquik"], "English");
    check(search(&t, &ca, "chocolates", "").await, &["Chocolate milk Nesquik"], "English stem");
    check(search(&t, &ca, "молоком", "").await, &["Молоко Простоквашино 3,2% 1 л"], "Russian stem");
    check(search(&t, &ca, "4600682000358", "").await, &["Молоко Простоквашино 3,2% 1 л"], "barcode");
    check(search(&t, &ca, "123", "").await, &["Сыр Российский"], "PLU");
    check(search(&t, &ca, "pr-32", "").await, &["Молоко Простоквашино 3,2% 1 л"], "article");
    let code = t.app.db.read().expect("read").get(dukan::catalog::store::PRODUCTS, (a, milk.0)).expect("get").expect("milk").code;
    assert_eq!(search(&t, &ca, &code, "").await.first().map(String::as_str), Some("Молоко Простоквашино 3,2% 1 л"), "internal code");
    check(search(&t, &ca, "кефир", "").await, &[], "archived products are hidden");
    check(search(&t, &ca, "кефир", "&include_archived=true").await, &["Кефир Простоквашино 2,5%"], "unless asked for");
    check(search(&t, &ca, "", "").await, &[], "empty query");
    assert_eq!(search(&t, &ca, "мол", "&limit=1").await.len(), 1, "limit");

    check(search(&t, &cb, "молоко", "").await, &["Молоко Домик в деревне"], "company B sees its own milk only");
    check(search(&t, &cb, "4600682000358", "").await, &[], "company B cannot find A's barcode");
    check(search(&t, &cb, "шоколад", "").await, &[], "nor A's names");
    check(search(&t, &ca, "домик", "").await, &[], "A never sees B's products");

    // Renaming moves the product in the index; archiving and restoring follow too.
    let mut renamed = draft("Молоко козье", "l");
    renamed.barcodes = vec!["4600682000358".into()];
    let (actor, now) = (owner_a.clone(), t.app.now());
    t.app.db.write(move |tx| dukan::catalog::save_product(tx, &actor, now, Some(milk), &renamed)).await.expect("rename");
    drain(&t).await;
    check(search(&t, &ca, "козье", "").await, &["Молоко козье"], "renamed");
    check(search(&t, &ca, "простоквашино", "").await, &[], "the old name is gone (kefir is archived)");
    assert_eq!(t.app.search.docs(CompanyId(a)).expect("docs"), 6, "one document per product");
    t.assert_consistent();
}

#[tokio::test]
async fn unpermitted_users_and_bad_input_are_refused() {
    let t = TestApp::spawn().await;
    let c = t.first_run("owner@shop.kg", "пароль-владельца-1").await;
    let (status, body) = t.get(&c, "/api/v1/products/search?q=x&limit=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = t.call(reqwest::Method::GET, "/api/v1/products/search?q=x", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, branches) = t.get(&c, "/api/v1/branches").await;
    let branch = branches[0]["id"].as_u64().expect("main branch");
    let user = serde_json::json!({"email": "x@shop.kg", "name": "X", "branches": [branch], "password": "пароль-сотрудника-1"});
    let (status, body) = t.post(&c, "/api/v1/users", user).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let staff = t.login("x@shop.kg", "пароль-сотрудника-1").await;
    let (status, body) = t.get(&staff, "/api/v1/products/search?q=x").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a user without products, sale or cashier: {body}");
    assert_eq!(body["code"], Value::from("forbidden"), "{body}");
}

#[tokio::test]
async fn a_lost_index_is_rebuilt_on_start() {
    let t = TestApp::spawn().await;
    let a = t.company("Ромашка", "a@romashka.kg", "пароль-ромашки-1").await;
    let owner_a = owner(&t, a);
    for name in ["Молоко Простоквашино 3,2% 1 л", "Хлеб Бородинский", "Сметана 20%"] {
        product(&t, &owner_a, draft(name, "pcs")).await;
    }
    drain(&t).await;
    let dir = t.stop().await;
    let search_dir = dir.path().join("search");
    assert!(search_dir.join(a.to_string()).join("meta.json").exists(), "the index lives under <data>/search/<company>");
    std::fs::remove_dir_all(&search_dir).expect("delete the search dir");

    let t = TestApp::spawn_in(dir).await;
    let c = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&t, &c, "хлеб", "").await, Vec::<String>::new(), "nothing before the worker runs");
    drain(&t).await;
    assert_eq!(search(&t, &c, "хлеп", "").await, ["Хлеб Бородинский"], "rebuilt and searchable");
    assert_eq!(t.app.search.docs(CompanyId(a)).expect("docs"), 3);
    let board = t.app.workers.snapshot();
    let status = board.iter().find(|(n, _)| *n == "search").map(|(_, s)| s.clone()).expect("search worker status");
    assert_eq!(status.progress, None, "no rebuild in progress any more");

    // A backup restored onto a fresh machine gets its search back the same way.
    let backup = t.dir.path().join("copy.redb");
    dukan::backup::take(&t.app.db, &t.app.schema, &backup).expect("backup");
    let fresh = tempfile::tempdir().expect("tempdir");
    dukan::backup::restore(fresh.path(), &backup, &dukan::schema::current(), t.app.now()).expect("restore");
    let restored = TestApp::spawn_in(fresh).await;
    drain(&restored).await;
    let c = restored.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&restored, &c, "смет", "").await, ["Сметана 20%"], "search works after a restore");
}

#[tokio::test]
async fn an_outdated_or_corrupt_index_is_rebuilt() {
    let t = TestApp::spawn().await;
    let a = t.company("Ромашка", "a@romashka.kg", "пароль-ромашки-1").await;
    let owner_a = owner(&t, a);
    product(&t, &owner_a, draft("Хлеб Бородинский", "pcs")).await;
    drain(&t).await;
    // A product written while the index was not looking: its job is lost, the counts differ.
    product(&t, &owner_a, draft("Сметана 20%", "pcs")).await;
    let jobs = dukan::storage::outbox::due(&t.app.db.read().expect("read"), "search", i64::MAX, 100).expect("due");
    t.app.db.write_blocking(|tx| jobs.iter().try_for_each(|(id, _)| dukan::storage::outbox::done(tx, *id))).expect("drop jobs");
    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    drain(&t).await;
    let c = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&t, &c, "сметана", "").await, ["Сметана 20%"], "count mismatch → rebuilt");

    // A stop with jobs still queued is caught up by the jobs, without a rebuild.
    product(&t, &owner_a, draft("Творог 9%", "pcs")).await;
    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    let first = t.app.search.run_once(&t.app.db, t.app.now().0, &|_, _, _| {}).expect("step");
    assert_eq!(first, dukan::search::Step::Applied { jobs: 1 }, "pending jobs explain the difference");
    let c = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&t, &c, "творог", "").await, ["Творог 9%"]);

    // A corrupt meta.json is noticed on the next start.
    let dir = t.stop().await;
    std::fs::write(dir.path().join("search").join(a.to_string()).join("meta.json"), b"{not json").expect("corrupt");
    let t = TestApp::spawn_in(dir).await;
    drain(&t).await;
    let c = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&t, &c, "хлеб", "").await, ["Хлеб Бородинский"], "corrupt → rebuilt");
}

#[tokio::test]
async fn reindex_from_the_command_line() {
    let t = TestApp::spawn().await;
    let a = t.company("Ромашка", "a@romashka.kg", "пароль-ромашки-1").await;
    let owner_a = owner(&t, a);
    for name in ["Хлеб Бородинский", "Сметана 20%"] {
        product(&t, &owner_a, draft(name, "pcs")).await;
    }
    let dir = t.stop().await;
    let d = dir.path().to_str().expect("path").to_string();
    let out = crate::common::child::run(&["reindex", "--data", &d]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains(&format!("company {a}: 2 products indexed")), "{text}");
    let out = crate::common::child::run(&["reindex", "--data", &d, "--company", "999999"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no company 999999"), "unknown company is refused");

    // The jobs queued by the writes are still pending; the reindexed index serves at once.
    let t = TestApp::spawn_in(dir).await;
    let c = t.login("a@romashka.kg", "пароль-ромашки-1").await;
    assert_eq!(search(&t, &c, "смета", "").await, ["Сметана 20%"]);
    drain(&t).await;
    assert_eq!(t.app.search.docs(CompanyId(a)).expect("docs"), 2, "replayed jobs do not duplicate documents");
}
