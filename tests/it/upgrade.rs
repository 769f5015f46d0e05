//! Upgrade: a data file written by an older release opens, migrates and serves. The golden
//! file `tests/golden/v1.redb` was written by schema version 1 (regenerate only when adding a
//! new golden version: `DUKAN_BLESS_GOLDEN=1 cargo test --test it upgrade`).

use serde_json::json;

use crate::common::TestApp;

const GOLDEN_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/v1.redb");

#[tokio::test]
async fn a_version_1_data_file_opens_and_serves() {
    if std::env::var_os("DUKAN_BLESS_GOLDEN").is_some() {
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
