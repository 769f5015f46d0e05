//! The operations page of the box (issue 18): the platform operator sees version, uptime, the
//! data file, free disk against the threshold, backups, workers with their queues, devices and
//! the recent errors with filters; the diagnostics bundle holds those facts and no secret; a
//! company owner reaches neither.

use std::io::Read as _;

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::Plain;
use crate::common::TestApp;
use crate::isolation::fixture;

async fn signed_in(t: &TestApp, email: &str, password: &str) -> Plain {
    let p = Plain::new(t);
    let r = p.submit("/login", &[("email", email), ("password", password)]).await;
    assert_eq!(r.status().as_u16(), 303, "sign in {email}");
    p
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mut text = String::new();
        f.read_to_string(&mut text).expect("utf-8 entry");
        out.push((f.name().to_string(), text));
    }
    out
}

#[tokio::test]
async fn the_operations_page_shows_the_box_and_the_bundle_carries_no_secret() {
    // A threshold no disk meets, so the warning shows.
    let t = TestApp::spawn_with(|c| {
        c.metrics_token = Some("ops-scrape-secret-77".into());
        c.disk_warn_mb = 1 << 40;
    })
    .await;
    let op = t.first_run("op@box.kg", "operator-pass-1").await;
    let f = fixture(&t, "Ала-Тоо", "owner@alatoo.kg").await;
    let (s, b) = t.post(&op, "/api/v1/backups", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert!(dukan::workers::backup_once(t.app.clone()).await.expect("backup step"));
    dukan::errlog::record(tracing::Level::ERROR, "dukan::printing", "ops-it printer 9100 refused the connection");
    dukan::errlog::record(tracing::Level::WARN, "dukan::webhooks", "ops-it webhook answered 502");

    let p = signed_in(&t, "op@box.kg", "operator-pass-1").await;
    let html = p.get("/platform/ops").await.text().await.expect("page");
    assert!(html.contains("data-page=\"ops\"") || html.contains("data-page=ops"), "the operations page");
    assert!(html.contains(&format!("{} · schema v{}", env!("CARGO_PKG_VERSION"), dukan::schema::SCHEMA_VERSION)), "version");
    for id in ["fact-uptime", "fact-data-size", "fact-growth", "fact-next-backup", "ops-workers", "ops-devices", "ops-errors"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let disk = html.split("id=\"fact-disk\"").nth(1).expect("disk fact");
    assert!(disk[..400.min(disk.len())].contains("badge-warn"), "free disk under the threshold warns: {}", &disk[..200.min(disk.len())]);
    let last = html.split("id=\"fact-last-backup\"").nth(1).expect("last backup");
    assert!(last[..300.min(last.len())].contains("badge-ok"), "a good backup");
    assert!(html.contains("Чековый") && html.contains("Ала-Тоо"), "the fixture's printer with its company");
    assert!(html.contains("ops-it printer 9100 refused") && html.contains("ops-it webhook answered 502"));
    // Filters: errors only, and text (case-insensitive, target or message).
    let only = p.get("/platform/ops?level=error&q=OPS-IT").await.text().await.expect("filtered");
    assert!(only.contains("ops-it printer 9100 refused") && !only.contains("ops-it webhook answered 502"));
    let by_target = p.get("/platform/ops?q=dukan%3A%3Awebhooks").await.text().await.expect("filtered");
    assert!(by_target.contains("ops-it webhook answered 502") && !by_target.contains("ops-it printer 9100"));
    let none = p.get("/platform/ops?q=nothing-like-this-anywhere").await.text().await.expect("filtered");
    assert!(none.contains("id=\"no-errors\""));

    // The bundle: the facts, the log, the configuration without its secrets.
    let r = p.get("/platform/ops/diagnostics").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(r.headers()["content-disposition"].to_str().expect("ascii").contains("dukan-diagnostics-"));
    let files = unzip(&r.bytes().await.expect("bytes"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["README.txt", "overview.json", "errors.log", "config.toml"]);
    let overview: serde_json::Value = serde_json::from_str(&files[1].1).expect("json");
    assert_eq!(overview["version"], env!("CARGO_PKG_VERSION"));
    assert!(overview["data_bytes"].as_u64().is_some_and(|b| b > 0));
    assert_eq!(overview["disk"]["low"], true);
    assert_eq!(overview["last_backup"]["state"]["Good"]["rows"].as_u64().map(|r| r > 0), Some(true), "{}", overview["last_backup"]);
    assert!(overview["printers"].as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "Чековый")));
    assert!(files[2].1.contains("ERROR dukan::printing ops-it printer 9100 refused the connection"));
    assert!(files[3].1.contains("metrics_token = \"<set, not shown>\""));
    let everything: String = files.iter().map(|(_, text)| text.as_str()).collect();
    let token_key = std::fs::read(t.dir.path().join(dukan::auth::KEY_FILE)).ok();
    let box_key = std::fs::read(t.dir.path().join(dukan::messaging::seal::KEY_FILE)).ok();
    for secret in ["ops-scrape-secret-77", "operator-pass-1", "password-123", "$argon2", &op.token, &f.client.token] {
        assert!(!everything.contains(secret), "the bundle leaks {secret}");
    }
    for key in [token_key, box_key].into_iter().flatten() {
        let text = String::from_utf8_lossy(&key).trim().to_string();
        assert!(text.len() < 8 || !everything.contains(&text), "the bundle leaks a key file");
    }
    // Each download is audited.
    let (_, audit) = t.get(&op, "/api/v1/audit?action=ops.diagnostics").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");

    // A company owner reaches neither the page nor the bundle, and the menu does not offer it.
    let owner = signed_in(&t, "owner@alatoo.kg", "password-123").await;
    for path in ["/platform/ops", "/platform/ops/diagnostics"] {
        let r = owner.get(path).await;
        assert!(r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND, "{path}: {}", r.status());
        let body = r.text().await.expect("body");
        assert!(!body.contains("ops-it printer") && !body.contains("fact-version"), "{path}");
    }
    let home = owner.get("/").await.text().await.expect("home");
    assert!(!home.contains("href=\"/platform/ops\""));
    let (s, _) = t.get(&f.client, "/platform/ops").await;
    assert!(s.is_client_error(), "a bearer token of a company owner: {s}");
}
