//! Health, metrics, the API document, and backups: requested through the API, taken by the
//! worker, downloaded, restored onto a fresh data dir, and taken under write load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

/// Metrics are for this machine, or for a scraper elsewhere holding the configured token.
#[tokio::test]
async fn metrics_from_another_machine_need_the_token() {
    let t = TestApp::spawn_with(|c| {
        // Behind a reverse proxy on this machine, the caller's own address is the forwarded one.
        c.trusted_proxy = true;
        c.metrics_token = Some("scrape-secret-1".into());
    })
    .await;
    let get = |from: &'static str, token: Option<&'static str>| {
        let mut req = t.http.get(t.url("/metrics")).header("x-forwarded-for", from);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        async move { req.send().await.expect("metrics") }
    };
    let local = get("127.0.0.1", None).await;
    assert_eq!(local.status(), StatusCode::OK);
    assert!(local.text().await.expect("text").contains("dukan_up 1"));
    let lan = get("192.168.1.20", None).await;
    let status = lan.status();
    let problem: serde_json::Value = lan.json().await.expect("problem json");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "unauthorized", "{problem}");
    assert_eq!(get("192.168.1.20", Some("wrong-token")).await.status(), StatusCode::UNAUTHORIZED);
    let scraper = get("192.168.1.20", Some("scrape-secret-1")).await;
    assert_eq!(scraper.status(), StatusCode::OK);
    assert!(scraper.text().await.expect("text").contains("dukan_storage_fsyncs"));
}

#[tokio::test]
async fn health_metrics_and_api_document() {
    let t = TestApp::spawn().await;
    let (s, h) = t.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((s, h), (StatusCode::OK, json!({"status": "ok"})));
    let metrics = t.http.get(t.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    for name in [
        "dukan_up 1",
        "dukan_http_requests_total{class=\"2xx\"}",
        "dukan_backup_last_success_timestamp_seconds",
        "dukan_outbox_pending",
        "dukan_storage_batch_commit_seconds_max",
        "dukan_storage_batch_commits_slow",
    ] {
        assert!(metrics.contains(name), "{name} missing in\n{metrics}");
    }
    // The data file's own timings: opening it ran a durable commit, so it has synced at least once.
    let value = |name: &str| metrics.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok());
    assert!(value("dukan_storage_fsyncs ").is_some_and(|n| n >= 1.0), "fsyncs counted:\n{metrics}");
    assert!(value("dukan_storage_fsync_seconds_max ").is_some_and(|s| s > 0.0), "fsync time recorded:\n{metrics}");
    assert!(value("dukan_storage_file_resizes ").is_some_and(|n| n >= 1.0), "the new file grew:\n{metrics}");
    let (s, spec) = t.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "OpenAPI 3.1: {}", spec["openapi"]);
    for path in ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/me", "/api/v1/users/{id}", "/healthz"] {
        assert!(spec["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(spec["components"]["schemas"].get("Problem").is_some());
    let docs = t.http.get(t.url("/api/docs")).send().await.expect("docs").text().await.expect("text");
    let asset = docs.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("script");
    let resp = t.http.get(t.url(asset)).send().await.expect("asset");
    assert_eq!(resp.status(), StatusCode::OK, "the docs page is served from the binary: {asset}");
    assert!(resp.headers().get("etag").is_some());
}

/// A long write (an import preview of 100,000 rows holds the single writer for a second or
/// more) does not hold `/healthz` back: a recent successful probe vouches for the writer.
#[tokio::test]
async fn healthz_answers_while_a_long_write_holds_the_writer() {
    let t = TestApp::spawn().await;
    let (s, _) = t.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (held, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (h, r) = (held.clone(), release.clone());
    let db = t.app.db.clone();
    let writer = tokio::task::spawn_blocking(move || {
        db.write_blocking(|_tx| {
            h.store(true, Ordering::SeqCst);
            while !r.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Ok::<(), dukan::error::Error>(())
        })
    });
    while !held.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Before this change the probe queued behind the writer until it was released.
    let answered = tokio::time::timeout(std::time::Duration::from_secs(3), t.call(Method::GET, "/healthz", None, None)).await;
    release.store(true, Ordering::SeqCst);
    let _ = writer.await;
    assert_eq!(answered.map(|(s, _)| s).ok(), Some(StatusCode::OK), "/healthz answered while the writer was held");
}

#[tokio::test]
async fn backup_through_the_api_restores_onto_a_fresh_machine() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "password-op").await;
    t.post(&op, "/api/v1/branches", json!({"name": "Филиал до копии"})).await;
    let (s, r) = t.post(&op, "/api/v1/backups", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let (_, list) = t.get(&op, "/api/v1/backups").await;
    assert_eq!(list[0]["state"], "pending");
    assert!(dukan::workers::backup_once(t.app.clone()).await.expect("worker step"));
    let (_, list) = t.get(&op, "/api/v1/backups").await;
    assert_eq!(list[0]["state"], "good", "{list}");
    assert!(list[0]["rows"].as_u64().is_some_and(|r| r > 10));
    let (s, metrics) = (StatusCode::OK, t.http.get(t.url("/metrics")).send().await.expect("m").text().await.expect("t"));
    assert_eq!(s, StatusCode::OK);
    assert!(!metrics.contains("dukan_backup_last_success_timestamp_seconds 0\n"), "the good backup is visible to monitoring");

    // Writes after the backup are not in it.
    t.post(&op, "/api/v1/branches", json!({"name": "Филиал после копии"})).await;
    let resp = t.http.get(t.url(&format!("/api/v1/backups/{}/download", r["id"]))).bearer_auth(&op.token).send().await.expect("download");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("bytes");
    let file = t.dir.path().join("downloaded.redb");
    std::fs::write(&file, &bytes).expect("write");

    let fresh = tempfile::tempdir().expect("dir");
    let (verified, aside) = dukan::backup::restore(fresh.path(), &file, &dukan::schema::current(), t.app.now()).expect("restore");
    assert!(aside.is_none() && verified.rows > 10);
    let restored = TestApp::spawn_in(fresh).await;
    let op2 = restored.login("op@box.kg", "password-op").await;
    let (_, branches) = restored.get(&op2, "/api/v1/branches").await;
    let names: Vec<&str> = branches.as_array().expect("list").iter().filter_map(|b| b["name"].as_str()).collect();
    assert!(names.contains(&"Филиал до копии") && !names.contains(&"Филиал после копии"), "{names:?}");
    restored.assert_consistent();

    // Only the platform operator may see or take backups (they hold every company).
    t.company("Чужая", "owner@other.kg", "password-123").await;
    let other = t.login("owner@other.kg", "password-123").await;
    assert_eq!(t.post(&other, "/api/v1/backups", json!({})).await.0, StatusCode::FORBIDDEN);
    let resp = t.http.get(t.url(&format!("/api/v1/backups/{}/download", r["id"]))).bearer_auth(&other.token).send().await.expect("dl");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn restore_refuses_a_broken_file_and_keeps_the_old_one_aside() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "password-123").await;
    let good = t.dir.path().join("good.redb");
    dukan::backup::take(&t.app.db, &t.app.schema, &good).expect("backup");
    let broken = t.dir.path().join("broken.redb");
    let mut bytes = std::fs::read(&good).expect("read");
    bytes.truncate(bytes.len() / 3);
    std::fs::write(&broken, bytes).expect("write");
    let target = tempfile::tempdir().expect("dir");
    dukan::backup::restore(target.path(), &good, &t.app.schema, t.app.now()).expect("first restore");
    let err = dukan::backup::restore(target.path(), &broken, &t.app.schema, t.app.now()).expect_err("broken file refused");
    assert!(err.to_string().contains("Backup") || err.code() == "backup_failed", "{err}");
    let (_, aside) = dukan::backup::restore(target.path(), &good, &t.app.schema, t.app.now()).expect("second restore");
    assert!(aside.is_some_and(|p| p.exists()), "the previous data file is kept aside");
}

#[tokio::test]
async fn backup_under_write_load_is_consistent() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "password-123").await;
    let c = t.login("owner@nur.kg", "password-123").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (http, url, token, stop) = (t.http.clone(), t.url("/api/v1/branches"), c.token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let r = http.post(&url).bearer_auth(&token).json(&json!({"name": format!("Точка {n}")})).send().await.expect("send");
                assert_eq!(r.status(), StatusCode::CREATED);
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let (db, tables, out) = (t.app.db.clone(), t.app.schema.clone(), t.dir.path().join("live.redb"));
    let verified =
        tokio::task::spawn_blocking(move || dukan::backup::take(&db, &tables, &out)).await.expect("join").expect("backup under load");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert!(written > 5, "writes kept flowing: {written}");
    let branches = verified.tables.iter().find(|(n, _)| *n == "company_branchid_branch").expect("branches").1;
    assert!(branches >= 1 && branches <= 1 + written as u64, "a snapshot between the writes: {branches} of {written}");
    t.assert_consistent();
}

#[tokio::test]
async fn scheduled_backups_run_daily_and_keep_the_newest() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "password-123").await;
    let dir = tempfile::tempdir().expect("dir");
    let tables = dukan::schema::current();
    for day in 0..4 {
        let now = t.app.now();
        let due = dukan::backup::scheduled_due(&t.app.db.read().expect("read"), "03:00", "Asia/Bishkek", now).expect("due");
        assert!(due, "day {day}: the daily backup is due after 03:00 local");
        let id = t
            .app
            .db
            .write(move |tx| dukan::backup::request(tx, "schedule", dukan::backup::Trigger::Scheduled, now))
            .await
            .expect("request");
        let state = dukan::backup::run(&t.app.db, &tables, dir.path(), id, || t.app.now(), 2).expect("run");
        assert!(matches!(state, dukan::backup::State::Good { .. }), "{state:?}");
        assert!(
            !dukan::backup::scheduled_due(&t.app.db.read().expect("read"), "03:00", "Asia/Bishkek", t.app.now()).expect("due"),
            "once a day"
        );
        t.clock.advance_ms(86_400_000);
    }
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "redb"))
        .collect();
    assert_eq!(files.len(), 2, "retention keeps the newest two");
}

#[tokio::test]
async fn a_failing_backup_is_recorded_not_silent() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "password-123").await;
    let blocker = t.dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"a file where the backup folder should be").expect("write");
    let now = t.app.now();
    let id = t.app.db.write(move |tx| dukan::backup::request(tx, "test", dukan::backup::Trigger::Manual, now)).await.expect("request");
    let state = dukan::backup::run(&t.app.db, &t.app.schema, &blocker.join("sub"), id, || now, 7).expect("outcome recorded");
    assert!(matches!(state, dukan::backup::State::Failed { .. }), "{state:?}");
    let read = t.app.db.read().expect("read");
    let b = dukan::backup::get(&read, id).expect("backup row");
    assert!(matches!(b.state, dukan::backup::State::Failed { ref error, .. } if error.contains("cannot create")), "{b:?}");
    let (good, failed) = dukan::backup::latest(&read).expect("latest");
    assert!(good.is_none() && failed.is_some(), "the dashboard and metrics see the failure");
}
