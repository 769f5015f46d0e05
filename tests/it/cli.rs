//! The command line: scriptable company creation, check, backup and restore, with and without
//! a running server; and the crash test: SIGKILL under write load, twenty times.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::child::{Server, run};

fn text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn help_company_create_check_backup_restore() {
    let help = run(&["--help"]);
    for cmd in ["serve", "backup", "restore", "check", "company"] {
        assert!(text(&help).contains(cmd), "--help lists {cmd}");
    }
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("path");
    let out = run(&[
        "company",
        "create",
        "--data",
        d,
        "--name",
        "Скрипт",
        "--country",
        "RU",
        "--owner-email",
        "s@shop.ru",
        "--owner-password",
        "password-1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).trim().parse::<u64>().is_ok(), "prints the company id: {}", text(&out));
    let bad = run(&["company", "create", "--data", d, "--name", "", "--country", "US", "--owner-email", "nope", "--owner-password", "1"]);
    assert!(!bad.status.success());
    for field in ["name", "country", "owner_email", "owner_password"] {
        assert!(text(&bad).contains(field), "every bad field is named ({field}): {}", text(&bad));
    }
    let check = run(&["check", "--data", d]);
    assert!(check.status.success() && text(&check).contains("no problems"), "{}", text(&check));

    let file = dir.path().join("copy.redb");
    let backup = run(&["backup", "--data", d, "--out", file.to_str().expect("path")]);
    assert!(backup.status.success() && file.exists(), "{}", text(&backup));
    let other = dir.path().join("other");
    let restore = run(&["restore", "--data", other.to_str().expect("path"), file.to_str().expect("path")]);
    assert!(restore.status.success(), "{}", text(&restore));
    assert!(run(&["check", "--data", other.to_str().expect("path")]).status.success());

    // With a server running, backup and check go through it; restore refuses.
    let server = Server::start(&data);
    let live = dir.path().join("live.redb");
    let backup = run(&["backup", "--data", d, "--out", live.to_str().expect("path")]);
    assert!(backup.status.success() && live.exists(), "{}", text(&backup));
    assert!(text(&backup).contains("running server"));
    let check = run(&["check", "--data", d]);
    assert!(check.status.success(), "{}", text(&check));
    let restore = run(&["restore", "--data", d, file.to_str().expect("path")]);
    assert!(!restore.status.success() && text(&restore).contains("stop the server"), "{}", text(&restore));
    server.kill();
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    for _ in 0..50 {
        if let Ok(r) =
            http.post(format!("{base}/api/v1/auth/login")).json(&json!({"email": "crash@shop.kg", "password": "password-1"})).send().await
            && r.status() == StatusCode::OK
        {
            let v: Value = r.json().await.expect("json");
            return v["access_token"].as_str().expect("token").to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("cannot sign in at {base}");
}

/// Twenty times: a server under a write load is killed with SIGKILL at a varying point. After
/// every restart each acknowledged write is present, and at the end `dukan check` passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_write_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_path_buf();
    let d = data.to_str().expect("path").to_string();
    let out = run(&[
        "company",
        "create",
        "--data",
        &d,
        "--name",
        "Краш",
        "--country",
        "KG",
        "--owner-email",
        "crash@shop.kg",
        "--owner-password",
        "password-1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let http = reqwest::Client::new();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20 {
        let server = Server::start(&data);
        let token = login(&http, &server.base).await;
        let me: Value =
            http.get(format!("{}/api/v1/me", server.base)).bearer_auth(&token).send().await.expect("me").json().await.expect("json");
        let branch = me["branches"][0]["id"].clone();
        // Everything acknowledged before this restart is still there.
        let users: Value =
            http.get(format!("{}/api/v1/users", server.base)).bearer_auth(&token).send().await.expect("users").json().await.expect("json");
        let emails: Vec<String> = users.as_array().expect("list").iter().filter_map(|u| u["email"].as_str().map(String::from)).collect();
        for e in acked.lock().expect("lock").iter() {
            assert!(emails.contains(e), "round {round}: acknowledged {e} is missing after SIGKILL");
        }
        let mut writers = Vec::new();
        for w in 0..2 {
            let (http, base, token, acked, branch) = (http.clone(), server.base.clone(), token.clone(), acked.clone(), branch.clone());
            writers.push(tokio::spawn(async move {
                for n in 0.. {
                    let email = format!("r{round}w{w}n{n}@shop.kg");
                    let body = json!({"email": email, "name": "Кассир", "branches": [branch]});
                    match http.post(format!("{base}/api/v1/users")).bearer_auth(&token).json(&body).send().await {
                        Ok(r) if r.status() == StatusCode::CREATED => acked.lock().expect("lock").push(email),
                        _ => break,
                    }
                }
            }));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(std::time::Duration::from_millis(20 + seed % 250)).await;
        server.kill();
        for w in writers {
            let _ = w.await;
        }
    }
    let server = Server::start(&data);
    let token = login(&http, &server.base).await;
    let users: Value =
        http.get(format!("{}/api/v1/users", server.base)).bearer_auth(&token).send().await.expect("users").json().await.expect("json");
    let emails: Vec<&str> = users.as_array().expect("list").iter().filter_map(|u| u["email"].as_str()).collect();
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 20, "the load wrote something: {}", acked.len());
    for e in &acked {
        assert!(emails.contains(&e.as_str()), "acknowledged {e} is missing");
    }
    server.kill();
    let check = run(&["check", "--data", &d]);
    assert!(check.status.success(), "check after 20 crashes: {}", text(&check));
}

/// `dukan demo` prints a working login as two lines, and the shop has stock.
#[tokio::test]
async fn demo_prints_a_login_to_a_live_shop() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path().to_str().expect("path").to_string();
    let out = run(&["demo", "--data", &d]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let email = stdout.lines().find_map(|l| l.strip_prefix("email: ")).expect("email line").trim().to_string();
    let password = stdout.lines().find_map(|l| l.strip_prefix("password: ")).expect("password line").trim().to_string();
    assert!(run(&["check", "--data", &d]).status.success());
    let server = Server::start(dir.path());
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("signed in with the printed login").to_string();
    let warehouses: Value =
        http.get(format!("{}/api/v1/warehouses", server.base)).bearer_auth(&token).send().await.expect("wh").json().await.expect("json");
    let main = warehouses[0]["id"].as_u64().expect("warehouse");
    let stock: Value = http
        .get(format!("{}/api/v1/stock?warehouse={main}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stock")
        .json()
        .await
        .expect("json");
    assert!(stock["rows"].as_array().is_some_and(|r| r.len() > 50), "the demo shop has stock: {stock}");
    let goods: Value = http
        .get(format!("{}/api/v1/agents/goods", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("goods")
        .json()
        .await
        .expect("json");
    let agents: std::collections::BTreeSet<u64> =
        goods.as_array().map(|g| g.iter().filter_map(|r| r["agent"].as_u64()).collect()).unwrap_or_default();
    assert_eq!(agents.len(), 2, "two demo agents hold goods: {goods}");
    let sales: Value = http
        .get(format!("{}/api/v1/agents/sales", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sales")
        .json()
        .await
        .expect("json");
    assert!(sales.as_array().is_some_and(|s| s.len() >= 2), "the demo agents sold: {sales}");
    let products: Value = http
        .get(format!("{}/api/v1/products?limit=1000", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("p")
        .json()
        .await
        .expect("json");
    let items = products["items"].as_array().expect("items");
    assert!(items.iter().any(|p| p["weighed"] == true && p["plu"].as_u64().is_some()), "weighed goods carry a PLU");
    assert!(items.iter().any(|p| p["name"].as_str().is_some_and(|n| n.contains("Молоко"))));
    // Purchases: on credit and in cash, one waiting for approval, a draft, a return, a payment.
    let get = |path: &'static str| {
        let req = http.get(format!("{}{path}", server.base)).bearer_auth(&token);
        async move { req.send().await.expect(path).json::<Value>().await.expect("json") }
    };
    let purchases = get("/api/v1/purchases").await;
    let list = purchases.as_array().cloned().or_else(|| purchases["items"].as_array().cloned()).expect("purchases");
    let states: std::collections::BTreeSet<(String, String)> =
        list.iter().map(|p| (p["terms"].as_str().unwrap_or("").to_string(), p["status"].as_str().unwrap_or("").to_string())).collect();
    for want in [("credit", "posted"), ("cash", "posted"), ("cash", "cash_pending"), ("credit", "draft")] {
        assert!(states.contains(&(want.0.to_string(), want.1.to_string())), "a demo purchase {want:?}: {states:?}");
    }
    assert!(list.iter().any(|p| p["returns"].as_array().is_some_and(|r| !r.is_empty())), "a demo purchase return: {purchases}");
    let suppliers = get("/api/v1/suppliers").await;
    assert!(suppliers.as_array().is_some_and(|s| s.len() >= 3), "demo suppliers: {suppliers}");
    let due = get("/api/v1/purchases/due").await;
    assert!(due.as_array().is_some_and(|d| !d.is_empty()), "something to pay this week: {due}");
    server.kill();
}

#[test]
fn import_from_the_command_line_with_and_without_a_server() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let d = data.to_str().expect("path");
    let out = run(&[
        "company",
        "create",
        "--data",
        d,
        "--name",
        "Импорт",
        "--country",
        "KG",
        "--owner-email",
        "cli@import.kg",
        "--owner-password",
        "password-1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let company = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Название;Штрихкод;Цена\nХлеб;4600000000015;35\nБатон;4600000000016;40\n").expect("write");
    let good = dir.path().join("good.csv");
    let mut rows = String::from("Название;Цена;Артикул\n");
    for i in 0..1200 {
        rows.push_str(&format!("Товар {i};{};A-{i}\n", 10 + i));
    }
    std::fs::write(&good, rows).expect("write");

    // No server: the data file is opened directly.
    let out = run(&["import", "--data", d, "--company", &company, bad.to_str().expect("path")]);
    assert!(!out.status.success(), "a file with problems is refused: {}", text(&out));
    assert!(text(&out).contains("row 3, Штрихкод") && text(&out).contains("--skip-invalid"), "{}", text(&out));
    let out = run(&["import", "--data", d, "--company", &company, "--skip-invalid", bad.to_str().expect("path")]);
    assert!(out.status.success() && text(&out).contains("1 created, 0 updated, 1 skipped"), "{}", text(&out));
    let out = run(&["import", "--data", d, "--company", "nobody@nowhere.kg", good.to_str().expect("path")]);
    assert!(!out.status.success(), "{}", text(&out));

    // With a server: through its socket, by a user's e-mail, with the worker applying it.
    let server = Server::start(&data);
    let out = run(&["import", "--data", d, "--company", "cli@import.kg", good.to_str().expect("path")]);
    assert!(out.status.success() && text(&out).contains("1200 created"), "{}", text(&out));
    let out = run(&["import", "--data", d, "--company", "cli@import.kg", "--dry-run", good.to_str().expect("path")]);
    assert!(out.status.success() && text(&out).contains("0 new, 1200 updates, 0 with problems"), "{}", text(&out));
    drop(server);
    let check = run(&["check", "--data", d]);
    assert!(check.status.success(), "{}", text(&check));
}
