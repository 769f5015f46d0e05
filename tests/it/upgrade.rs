//! Upgrade: a data file written by an older release opens, migrates and serves. The golden
//! files `tests/golden/v<N>.redb` were written by schema version N (write the current one only
//! when adding a new golden version: `DUKAN_BLESS_GOLDEN=1 cargo test --test it upgrade`).
//! Every golden file is checked by every later version: it opens through the real binary
//! (`dukan check`), an older one leaves a verified pre-upgrade copy beside it, and the
//! upgraded file serves its data.

use serde_json::json;

use crate::common::TestApp;

const GOLDEN_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v1.redb");
const GOLDEN_V8: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v8.redb");

/// Every golden data file with its schema version, in release order. Append the file of each
/// new schema version here (and its writer below).
const GOLDEN: &[(&str, u64)] = &[(GOLDEN_V1, 1), (GOLDEN_V8, 8)];

#[tokio::test]
async fn a_version_1_data_file_opens_and_serves() {
    // Only a version 1 binary may write the version 1 file.
    if std::env::var_os("DUKAN_BLESS_GOLDEN").is_some() && dukan::schema::SCHEMA_VERSION == 1 {
        let t = TestApp::spawn().await;
        t.company("Золотой файл", "golden@dukan.kg", "golden-password").await;
        let c = t.login("golden@dukan.kg", "golden-password").await;
        t.post(&c, "/api/v1/branches", json!({"name": "Склад на Ошском"})).await;
        t.post(&c, "/api/v1/roles", json!({"name": "Кассир смены", "permissions": ["sale", "shifts"]})).await;
        let dir = t.stop().await;
        std::fs::copy(dir.path().join("dukan.redb"), GOLDEN_V1).expect("write golden file");
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(GOLDEN_V1, dir.path().join("dukan.redb")).expect("golden file is committed");
    let t = TestApp::spawn_in(dir).await;
    t.assert_consistent();
    let c = t.login("golden@dukan.kg", "golden-password").await;
    let (_, branches) = t.get(&c, "/api/v1/branches").await;
    assert!(branches.as_array().expect("list").iter().any(|b| b["name"] == "Склад на Ошском"), "{branches}");
    let (_, roles) = t.get(&c, "/api/v1/roles").await;
    assert!(roles.as_array().expect("list").iter().any(|r| r["name"] == "Кассир смены" && r["permissions"] == json!(["sale", "shifts"])));
    assert_eq!(t.app.db.read().expect("read").meta("schema_version").expect("meta"), Some(dukan::schema::SCHEMA_VERSION));
}

#[tokio::test]
async fn a_file_from_a_newer_version_is_refused() {
    let t = TestApp::spawn().await;
    let now = t.app.now();
    t.app
        .db
        .write(move |tx| tx.set_meta("schema_version", dukan::schema::SCHEMA_VERSION + 1).map(|_| now))
        .await
        .map_err(|e: dukan::storage::StorageError| e)
        .expect("bump");
    let dir = t.stop().await;
    let err = dukan::schema::open(&dir.path().join("dukan.redb"), 1 << 20).err().expect("refused");
    assert!(err.to_string().contains("newer"), "{err}");
}

/// A version 1 file holding stock (built here by stripping the version 2 projections from a
/// live file) gets its stock rows, warehouse totals and journal index built on open.
#[tokio::test]
async fn a_version_1_file_with_stock_gets_its_report_projections_built() {
    use dukan::ids::{CompanyId, ProductId, WarehouseId};
    use dukan::inventory::store::{MOVES_BY_DATE, STOCK_ROWS, STOCK_TOTALS};
    let t = TestApp::spawn().await;
    let s = crate::stock::shop(&t, "upgrade@shop.kg").await;
    for body in [
        json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "10", "cost": "85"}], "post": true}),
        json!({"kind": "transfer", "warehouse": s.main, "to_warehouse": s.second, "lines": [{"product": s.milk, "qty": "4"}], "post": true}),
    ] {
        let (st, d) = t.post(&s.c, "/api/v1/documents", body).await;
        assert_eq!(st, reqwest::StatusCode::CREATED, "{d}");
    }
    let (_, before) = t.get(&s.c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    let (_, journal_before) = t.get(&s.c, "/api/v1/stock/journal").await;
    let now = t.app.now();
    t.app
        .db
        .write(move |tx| {
            for (k, _) in tx.list(
                STOCK_ROWS,
                (CompanyId::MIN, WarehouseId::MIN, ProductId::MIN),
                (CompanyId::MAX, WarehouseId::MAX, ProductId::MAX),
                usize::MAX,
            )? {
                tx.remove(STOCK_ROWS, k)?;
            }
            for (k, _) in tx.list(STOCK_TOTALS, (CompanyId::MIN, WarehouseId::MIN), (CompanyId::MAX, WarehouseId::MAX), usize::MAX)? {
                tx.remove(STOCK_TOTALS, k)?;
            }
            for (k, _) in tx.list(MOVES_BY_DATE, (CompanyId::MIN, 0, 0, 0), (CompanyId::MAX, u64::MAX, u64::MAX, u64::MAX), usize::MAX)? {
                tx.remove(MOVES_BY_DATE, k)?;
            }
            tx.set_meta("schema_version", 1).map(|_| now)
        })
        .await
        .map_err(|e: dukan::storage::StorageError| e)
        .expect("strip to version 1");
    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    t.assert_consistent();
    let c = t.login("upgrade@shop.kg", "password-123").await;
    let (_, after) = t.get(&c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    assert_eq!(after, before);
    let (_, journal_after) = t.get(&c, "/api/v1/stock/journal").await;
    assert_eq!(journal_after, journal_before);
    assert_eq!(journal_after["rows"].as_array().map(|r| r.len()), Some(3));
}

/// The schema v8 golden file: two companies written through the API — a shop with a cash
/// sale and a debt sale to a client, a credit purchase, a lot transferred to a field agent and
/// a CRM deal; a telecom desk with an active contract and a payment.
async fn write_golden_v8(t: &TestApp) {
    use reqwest::StatusCode;
    let k = crate::pos::till(t, "golden6@dukan.kg").await;
    let c = &k.s.c;
    let (st, cl) = t.post(c, "/api/v1/clients", json!({"name": "Асан Золотой", "phone": "0555 000 606"})).await;
    assert_eq!(st, StatusCode::CREATED, "{cl}");
    let client = cl["client"]["id"].as_u64().expect("id");
    for (key, body) in [
        (
            "g6-cash",
            json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "1"}], "payments": [{"method": "cash", "amount": "102"}]}),
        ),
        (
            "g6-debt",
            json!({"cash_box": k.cash_box, "client": client, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "debt", "amount": "204"}]}),
        ),
    ] {
        let mut body = body;
        body["idempotency_key"] = json!(key);
        let (st, sale) = t.post(c, "/api/v1/sales", body).await;
        assert_eq!(st, StatusCode::CREATED, "{sale}");
    }
    let supplier = crate::purchases::supplier(t, c, "ОсОО Золотой Поставщик").await;
    crate::purchases::buy_on_credit(t, &k.s, supplier, json!([{"product": k.s.milk, "qty": "6", "price": "80"}])).await;
    let (_, agent) = crate::agents::staff(t, c, "agent.golden6@dukan.kg", json!(["agent", "dashboard"])).await;
    let body = json!({"agent": agent, "warehouse": k.s.main, "items": [{"product": k.s.milk, "qty": "2", "accept": true}]});
    let (st, lots) = t.post(c, "/api/v1/agents/transfers", body).await;
    assert_eq!(st, StatusCode::CREATED, "{lots}");
    crate::crm::deal(t, c, json!({"title": "Золотая сделка", "value": "1500", "client": client})).await;
    let d = crate::telecom::desk(t, "golden6.telecom@dukan.kg").await;
    let (_, contract) = crate::telecom::active_contract(t, &d, "0606060", "+996700606060", d.sims[0]).await;
    let (st, paid) = t
        .post(&d.c, &format!("/api/v1/telecom/contracts/{contract}/payments"), json!({"amount": "500", "transaction_id": "golden-6"}))
        .await;
    assert!(st.is_success(), "{paid}");
    t.assert_consistent();
}

/// What a golden file must still serve after the upgrade: (owner e-mail, password, API path,
/// text the answer contains).
fn served(version: u64) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    match version {
        1 => vec![("golden@dukan.kg", "golden-password", "/api/v1/branches", "Склад на Ошском")],
        _ => vec![
            ("golden6@dukan.kg", "password-123", "/api/v1/sales", "debt"),
            ("golden6@dukan.kg", "password-123", "/api/v1/clients", "Асан Золотой"),
            ("golden6@dukan.kg", "password-123", "/api/v1/suppliers", "ОсОО Золотой Поставщик"),
            ("golden6@dukan.kg", "password-123", "/api/v1/agents", "agent.golden6@dukan.kg"),
            ("golden6@dukan.kg", "password-123", "/api/v1/crm/deals", "Золотая сделка"),
            ("golden6.telecom@dukan.kg", "password-123", "/api/v1/telecom/contracts", "active"),
        ],
    }
}

#[tokio::test]
async fn every_golden_file_opens_migrates_passes_check_and_serves() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var_os("DUKAN_BLESS_GOLDEN").is_some() && dukan::schema::SCHEMA_VERSION == 8 {
        let t = TestApp::spawn().await;
        write_golden_v8(&t).await;
        let dir = t.stop().await;
        // Compacted, so the committed file holds only live pages.
        let path = dir.path().join("dukan.redb");
        dukan::storage::Db::compact_file(&path).expect("compact");
        std::fs::copy(&path, GOLDEN_V8).expect("write golden file");
    }
    let newest = GOLDEN.last().map(|g| g.1).unwrap_or(0);
    assert_eq!(newest, dukan::schema::SCHEMA_VERSION, "add the golden file of the current schema version (see the module notes)");
    for &(file, version) in GOLDEN {
        let size = std::fs::metadata(file).expect("golden file is committed").len();
        assert!(size < 2 << 20, "{file}: keep golden files under 2 MB ({size} bytes)");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::copy(file, dir.path().join("dukan.redb")).expect("copy golden file");
        // The real binary: `dukan check` opens (and so upgrades) the file, then checks it.
        let out = crate::common::child::run(&["check", "--data", dir.path().to_str().expect("path")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "v{version}: dukan check failed: {}{stderr}", String::from_utf8_lossy(&out.stdout));
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("dukan.redb.before-upgrade-v{version}-")))
            .map(|e| e.path())
            .collect();
        if version < dukan::schema::SCHEMA_VERSION {
            assert_eq!(backups.len(), 1, "v{version}: one pre-upgrade backup: {backups:?}");
            let backup = &backups[0];
            assert!(stderr.contains(&backup.display().to_string()), "v{version}: stderr names the backup: {stderr}");
            assert!(stderr.contains(&format!("upgraded from schema v{version} to v{}", dukan::schema::SCHEMA_VERSION)), "{stderr}");
            assert_eq!(std::fs::metadata(backup).expect("meta").permissions().mode() & 0o777, 0o600);
            // The backup is the old version and upgrades again (a roll-forward after a roll-back).
            let again = dir.path().join("again.redb");
            std::fs::copy(backup, &again).expect("copy");
            let db = dukan::storage::Db::open_copy(&again, 1 << 20, dukan::schema::MIGRATIONS, dukan::wiring::hooks()).expect("open");
            assert_eq!(db.upgraded().map(|u| (u.from, u.to, u.backup.is_none())), Some((version, dukan::schema::SCHEMA_VERSION, true)));
        } else {
            assert!(backups.is_empty(), "the current version is not backed up: {backups:?}");
            assert!(!stderr.contains("upgrad"), "{stderr}");
        }
        let t = TestApp::spawn_in(dir).await;
        t.assert_consistent();
        assert_eq!(t.app.db.read().expect("read").meta("schema_version").expect("meta"), Some(dukan::schema::SCHEMA_VERSION));
        for (email, password, path, text) in served(version) {
            let c = t.login(email, password).await;
            let (st, v) = t.get(&c, path).await;
            assert_eq!(st, reqwest::StatusCode::OK, "v{version} {path}: {v}");
            assert!(v.to_string().contains(text), "v{version} {path} lacks {text}: {v}");
        }
    }
}
