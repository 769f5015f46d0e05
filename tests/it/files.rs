//! Files and keys are private, a full disk does not leave a zombie server, and backups leave
//! nothing behind: file modes after start, backups, restore and exports; the token key outside
//! the data file and its backups; `/healthz` 503 and a non-zero exit once the data file needs
//! reopening; leftovers of killed backups; the CLI's error messages; the delayed first
//! scheduled backup.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::common::child::{Server, run};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

fn check_modes(expected: &[(&Path, u32)]) {
    let wrong: Vec<String> =
        expected.iter().filter(|(p, m)| mode(p) != *m).map(|(p, m)| format!("{} is {:o}, expected {m:o}", p.display(), mode(p))).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

fn create_company(data: &Path) {
    let out = run(&[
        "company",
        "create",
        "--data",
        data.to_str().expect("path"),
        "--name",
        "Файлы",
        "--country",
        "KG",
        "--owner-email",
        "files@box.kg",
        "--owner-password",
        "password-files",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Directories 0700, files 0600 — new ones, and loose ones found at start, through the real
/// binary (CLI, server, backup through the server, backup and restore without it).
#[tokio::test]
async fn data_backups_and_key_are_private() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    create_company(&data);
    check_modes(&[(&data, 0o700), (&data.join("dukan.redb"), 0o600)]);

    // Someone loosened them: the server tightens them on start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(data.join("dukan.redb"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let server = Server::start(&data);
    let through_server = tmp.path().join("through-server.redb");
    let out = run(&["backup", "--data", data.to_str().expect("path"), "--out", through_server.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    check_modes(&[
        (&data, 0o700),
        (&data.join("dukan.redb"), 0o600),
        (&data.join("jwt.key"), 0o600),
        (&data.join("search"), 0o700),
        (&through_server, 0o600),
    ]);
    server.kill();

    let offline = tmp.path().join("offline.redb");
    let out = run(&["backup", "--data", data.to_str().expect("path"), "--out", offline.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = tmp.path().join("restored");
    let out = run(&["restore", "--data", restored.to_str().expect("path"), offline.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    check_modes(&[(&offline, 0o600), (&restored, 0o700), (&restored.join("dukan.redb"), 0o600)]);
}

/// Backups made by the server worker land 0600 in a 0700 folder (in-process, no umask).
#[tokio::test]
async fn worker_backups_are_private() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@files.kg", "password-op").await;
    let (s, r) = t.post(&op, "/api/v1/backups", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    assert!(dukan::workers::backup_once(t.app.clone()).await.expect("worker step"));
    let dir = t.app.config.backup_dir();
    let files: Vec<_> = std::fs::read_dir(&dir).expect("backups").flatten().map(|e| e.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    check_modes(&[(t.dir.path(), 0o700), (&t.app.config.db_path(), 0o600), (&dir, 0o700), (&files[0], 0o600)]);
}

/// Re-signs the claims of `token` with `key`.
fn resign(token: &str, key: &[u8]) -> String {
    let payload = token.split('.').nth(1).expect("payload");
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("claims");
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(key))
        .expect("sign")
}

fn key_file(dir: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(dir.join("jwt.key")).expect("key file");
    base64::engine::general_purpose::STANDARD.decode(text.trim()).expect("base64 key")
}

/// The key lives in `jwt.key`, not in the data file or its backups; tokens survive a restart;
/// an old data file's in-file key is retired, so a token forged with it (from an old backup)
/// is refused.
#[tokio::test]
async fn the_signing_key_is_a_file_and_no_backup_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old_key = [7u8; 32];
    {
        // A data file as versions before the key file left it.
        let db = dukan::schema::open(&dir.path().join("dukan.redb"), 1 << 20).expect("open");
        dukan::auth::store_key_in_data_file(&db, &old_key).expect("old key");
    }
    let t = TestApp::spawn_in(dir).await;
    let op = t.first_run("op@keys.kg", "password-op").await;
    let key = key_file(t.dir.path());
    assert!(key.len() >= 32 && key != old_key, "a new key, not the retired one");
    assert!(t.app.db.read().expect("read").get(dukan::auth::store::SECRETS, "jwt").expect("get").is_none(), "the row is gone");

    let (s, _) = t.call(Method::GET, "/api/v1/me", Some(&resign(&op.token, &key)), None).await;
    assert_eq!(s, StatusCode::OK, "claims re-signed with the current key verify (the forging is sound)");
    let (s, _) = t.call(Method::GET, "/api/v1/me", Some(&resign(&op.token, &old_key)), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a token forged with the old in-file key is refused");

    let backup = t.dir.path().join("scan.redb");
    dukan::backup::take(&t.app.db, &t.app.schema, &backup).expect("backup");
    let bytes = std::fs::read(&backup).expect("read backup");
    let data = std::fs::read(t.app.config.db_path()).expect("read data");
    for (name, file) in [("backup", &bytes), ("data file", &data)] {
        assert!(!file.windows(key.len()).any(|w| w == key.as_slice()), "the {name} holds the signing key");
        assert!(!file.windows(old_key.len()).any(|w| w == old_key.as_slice()), "the {name} still holds the old key");
    }

    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    let (s, body) = t.call(Method::GET, "/api/v1/me", Some(&op.token), None).await;
    assert_eq!(s, StatusCode::OK, "a token still verifies after a restart: {body}");
    assert_eq!(key_file(t.dir.path()), key, "the key file is kept");
}

/// After a failed write redb takes no more writes until reopened: `/healthz` says 503 (with
/// its code), even once the disk has room again.
#[tokio::test]
async fn a_full_disk_turns_healthz_to_503() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@full.kg", "password-op").await;
    let health = || async { t.http.get(t.url("/healthz")).send().await.expect("healthz") };
    assert_eq!(health().await.status(), StatusCode::OK);

    t.app.db.inject_disk_full(true);
    let (s, _) = t.post(&op, "/api/v1/branches", json!({"name": "Не поместится"})).await;
    assert!(s.is_server_error(), "the write fails: {s}");
    t.app.db.inject_disk_full(false);
    let resp = health().await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = resp.json().await.expect("problem");
    assert_eq!(body["code"], "storage_unavailable", "{body}");
    assert!(t.app.db.broken().is_some(), "the data file is marked for reopening");
    let (s, _) = t.post(&op, "/api/v1/branches", json!({"name": "Всё ещё нет"})).await;
    assert!(s.is_server_error(), "still no writes without a reopen: {s}");
}

/// The real server exits non-zero once the data file needs reopening (its supervisor restarts
/// it), and a restart with room on the disk serves again with every acknowledged write.
#[tokio::test]
async fn a_full_disk_makes_the_server_exit_for_a_restart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    create_company(&data);
    let trigger = tmp.path().join("disk-full");
    let trigger_env = trigger.to_str().expect("path").to_string();
    let mut server = Server::start_with_env(&data, &[("DUKAN_TEST_DISK_FULL_WHEN", &trigger_env)]);
    let http = reqwest::Client::new();
    let health = format!("{}/healthz", server.base);
    assert_eq!(http.get(&health).send().await.expect("healthz").status(), StatusCode::OK);

    std::fs::write(&trigger, b"").expect("fill the disk");
    let login = json!({"email": "files@box.kg", "password": "password-files"});
    let resp = http.post(format!("{}/api/v1/auth/login", server.base)).json(&login).send().await.expect("login");
    assert!(resp.status().is_server_error(), "signing in writes, and the write fails: {}", resp.status());
    let resp = http.get(&health).send().await.expect("healthz");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server should exit once the data file needs reopening");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success(), "a non-zero exit code, so systemd restarts it: {status}");

    std::fs::remove_file(&trigger).expect("free the disk");
    let server = Server::start(&data);
    let resp = http.get(format!("{}/healthz", server.base)).send().await.expect("healthz");
    assert_eq!(resp.status(), StatusCode::OK);
    server.kill();
    let out = run(&["check", "--data", data.to_str().expect("path")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A backup killed midway leaves `.partial`/`.verify` files; the next backup (and the server's
/// start) removes them, and nothing that is not a backup's.
#[tokio::test]
async fn leftovers_of_killed_backups_are_removed() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@left.kg", "password-op").await;
    let dir = t.app.config.backup_dir();
    std::fs::create_dir_all(&dir).expect("dir");
    let leftovers = [dir.join("dukan-20260301-030000-9.partial"), dir.join("dukan-20260301-030000-9.verify")];
    let foreign = dir.join("notes.partial");
    for f in leftovers.iter().chain([&foreign]) {
        std::fs::write(f, b"half a backup").expect("write");
    }
    let (s, r) = t.post(&op, "/api/v1/backups", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    assert!(dukan::workers::backup_once(t.app.clone()).await.expect("worker step"));
    for f in &leftovers {
        assert!(!f.exists(), "{} is removed", f.display());
    }
    assert!(foreign.exists(), "a file that is not a backup's stays");

    // The server removes them on start too.
    let dir = t.stop().await;
    let data = dir.path();
    std::fs::write(&leftovers[0], b"half a backup").expect("write");
    let server = Server::start(data);
    let deadline = Instant::now() + Duration::from_secs(10);
    while leftovers[0].exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!leftovers[0].exists(), "removed on start");
    server.kill();
}

/// A failing command names what failed and why, and exits non-zero.
#[test]
fn cli_errors_say_what_failed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    create_company(&data);
    let out = run(&["backup", "--data", data.to_str().expect("path"), "--out", "/nonexistent-dir/x.redb"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("/nonexistent-dir/") && stderr.contains("No such file"), "{stderr}");
}

/// The first scheduled backup waits until the server has been up a while; asked-for ones do
/// not wait.
#[tokio::test]
async fn the_scheduled_backup_waits_after_start() {
    let t = TestApp::spawn_with(|c| c.backup.daily_at = "03:00".into()).await;
    t.first_run("op@later.kg", "password-op").await;
    assert!(!dukan::workers::backup_once(t.app.clone()).await.expect("worker step"), "no backup right after start");
    t.clock.advance_ms(10 * 60_000);
    assert!(dukan::workers::backup_once(t.app.clone()).await.expect("worker step"), "the due backup runs after ten minutes");
}
