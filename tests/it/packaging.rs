//! The Debian package (`packaging/build-deb.sh`) built around the test binary: its files,
//! modes and conffile, its unit (`systemd-analyze verify`), and install → first sign-in page →
//! remove (data kept) → purge (data and user gone) in a throwaway root with
//! `dpkg --root --force-script-chrootless`. Skipped loudly where dpkg is missing (`.ci/run`
//! installs what it needs on Debian).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

/// dpkg acting on the throwaway root `root`; maintainer scripts run outside it with
/// `DPKG_ROOT` set, so they must (and do) prefix every path with it.
fn dpkg(root: &Path, args: &[&str]) -> String {
    let mut c = Command::new("dpkg");
    c.arg(format!("--root={}", root.display()))
        .args(["--force-not-root", "--force-script-chrootless", "--force-depends", "--log=/dev/null"])
        .args(args);
    run(&mut c)
}

/// An empty system for dpkg: its database, and the account files the scripts edit.
fn throwaway_root(root: &Path) {
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    for (file, text) in [
        ("var/lib/dpkg/status", ""),
        ("var/lib/dpkg/available", ""),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("etc/group", "root:x:0:\nlp:x:7:\ndialout:x:20:\n"),
        ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        ("etc/gshadow", "root:*::\nlp:*::\ndialout:*::\n"),
    ] {
        std::fs::write(root.join(file), text).expect("write");
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o7777
}

#[test]
fn the_deb_installs_serves_removes_and_purges_like_a_debian_package() {
    if !have("dpkg-deb") || !have("dpkg") || !have("useradd") {
        eprintln!("SKIPPED: the packaging test needs dpkg-deb, dpkg and useradd (Debian's dpkg and passwd packages)");
        return;
    }
    let tmp = tempfile::tempdir().expect("dir");
    // The debug binary carries ~700 MB of debug info; the package gets it stripped of that.
    let bin = tmp.path().join("dukan");
    run(Command::new("objcopy").args(["--strip-debug", env!("CARGO_BIN_EXE_dukan")]).arg(&bin));
    let out = tmp.path().join("out");
    let deb = run(Command::new("bash")
        .arg(format!("{REPO}/packaging/build-deb.sh"))
        .arg(&bin)
        .args(["amd64"])
        .arg(&out)
        .env("DEB_COMPRESS", "none"));
    let deb = deb.trim().lines().last().expect("path").to_string();

    let info = run(Command::new("dpkg-deb").args(["--info", &deb]));
    for line in ["Package: dukan", "Architecture: amd64", "Depends: libc6", "postinst", "prerm", "postrm"] {
        assert!(info.contains(line), "{line} missing from the control data: {info}");
    }
    let conffiles = run(Command::new("dpkg-deb").args(["--info", &deb, "conffiles"]));
    assert_eq!(conffiles.trim(), "/etc/dukan/dukan.toml");
    let contents = run(Command::new("dpkg-deb").args(["--contents", &deb]));
    for (modes, path) in [
        ("-rwxr-xr-x root/root", "./usr/bin/dukan"),
        ("-rw-r--r-- root/root", "./lib/systemd/system/dukan.service"),
        ("-rw-r--r-- root/root", "./lib/udev/rules.d/60-dukan.rules"),
        ("-rw-r--r-- root/root", "./etc/dukan/dukan.toml"),
        ("-rw-r--r-- root/root", "./usr/share/doc/dukan/README"),
    ] {
        assert!(contents.lines().any(|l| l.starts_with(modes) && l.ends_with(path)), "{modes} {path} missing: {contents}");
    }

    if have("systemd-analyze") {
        // `verify` wants ExecStart's program to exist: point it at the binary under test.
        let unit = std::fs::read_to_string(format!("{REPO}/packaging/dukan.service")).expect("unit");
        let unit_file = tmp.path().join("dukan.service");
        std::fs::write(&unit_file, unit.replace("/usr/bin/dukan", &bin.display().to_string())).expect("write");
        let out = Command::new("systemd-analyze").arg("verify").arg(&unit_file).output().expect("systemd-analyze");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !said.contains("dukan.service:"), "systemd-analyze verify: {said}");
        // The relay's unit (issue 16, relay).
        let unit = std::fs::read_to_string(format!("{REPO}/packaging/dukan-relay.service")).expect("relay unit");
        let unit_file = tmp.path().join("dukan-relay.service");
        std::fs::write(&unit_file, unit.replace("/usr/bin/dukan", &bin.display().to_string())).expect("write");
        let out = Command::new("systemd-analyze").arg("verify").arg(&unit_file).output().expect("systemd-analyze");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !said.contains("dukan-relay.service:"), "systemd-analyze verify: {said}");
    } else {
        eprintln!("SKIPPED: systemd-analyze verify (install the systemd package to run it)");
    }

    let root = tmp.path().join("root");
    throwaway_root(&root);
    let started = Instant::now();
    let said = dpkg(&root, &["-i", &deb]);
    assert!(said.contains("http://127.0.0.1:8080/"), "postinst prints the address: {said}");
    assert!(root.join("usr/bin/dukan").exists());
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).expect("passwd");
    let user = passwd.lines().find(|l| l.starts_with("dukan:")).unwrap_or_else(|| panic!("no dukan user: {passwd}"));
    assert!(user.ends_with(":/var/lib/dukan:/usr/sbin/nologin"), "{user}");
    let uid: u32 = user.split(':').nth(2).and_then(|u| u.parse().ok()).expect("uid");
    assert_eq!(mode(&root.join("var/lib/dukan")), 0o700);
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(root.join("var/lib/dukan")).expect("meta")), uid);
    assert_eq!(mode(&root.join("etc/dukan/dukan.toml")), 0o640);

    // No systemd in a throwaway root: start the installed binary the way the unit does and time
    // install → first sign-in page.
    let data = root.join("var/lib/dukan");
    let mut server = Command::new(root.join("usr/bin/dukan"))
        .arg("serve")
        .arg("--config")
        .arg(root.join("etc/dukan/dukan.toml"))
        .arg("--data")
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .env("DUKAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the installed binary");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let base = loop {
        let line = lines.next().expect("the server printed its address").expect("line");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    let host = base.trim_start_matches("http://").to_string();
    // A new box sends /login on to the first-run page, /setup: that is the first page served.
    let mut status = String::new();
    for _ in 0..100 {
        status = http_status(&host, "/login");
        if status == "200" || status == "303" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, "303", "/login on a new box goes to the first-run page");
    assert_eq!(http_status(&host, "/setup"), "200", "the first-run page");
    let took = started.elapsed();
    eprintln!("package install → first sign-in page (debug build, dpkg --root): {:.2} s", took.as_secs_f64());
    let _ = server.kill();
    let _ = server.wait();
    assert!(data.join("dukan.redb").exists());

    let said = dpkg(&root, &["-r", "dukan"]);
    assert!(said.contains("data in /var/lib/dukan is kept"), "{said}");
    assert!(!root.join("usr/bin/dukan").exists(), "remove deletes the binary");
    assert!(data.join("dukan.redb").exists(), "remove keeps the data");
    assert!(std::fs::read_to_string(root.join("etc/passwd")).expect("passwd").contains("dukan:"), "remove keeps the user");
    assert!(root.join("etc/dukan/dukan.toml").exists(), "remove keeps the conffile");

    dpkg(&root, &["-P", "dukan"]);
    assert!(!data.exists(), "purge deletes the data");
    assert!(!root.join("etc/dukan").exists(), "purge deletes the configuration");
    assert!(!std::fs::read_to_string(root.join("etc/passwd")).expect("passwd").contains("dukan:"), "purge deletes the user");
    assert!(!std::fs::read_to_string(root.join("etc/group")).expect("group").contains("dukan:"), "purge deletes the group");
}

/// The status code of `GET path` from `host` (HTTP/1.0 over a plain socket: no client crate
/// and no runtime in a sync test).
fn http_status(host: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return "connect".into();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes()).is_err() {
        return "write".into();
    }
    let mut head = [0u8; 12];
    if s.read_exact(&mut head).is_err() {
        return "read".into();
    }
    String::from_utf8_lossy(&head[9..12]).into_owned()
}

/// The tarball for other distributions holds the binary, the sample configuration, the unit,
/// the udev rules and the README.
#[test]
fn the_tarball_holds_what_its_readme_installs() {
    let tmp = tempfile::tempdir().expect("dir");
    let bin = tmp.path().join("dukan");
    std::fs::write(&bin, b"#!/bin/sh\n").expect("stand-in binary");
    let tarball = run(Command::new("bash").arg(format!("{REPO}/packaging/build-tarball.sh")).arg(&bin).arg("arm64").arg(tmp.path()));
    let tarball = tarball.trim().lines().last().expect("path").to_string();
    assert!(tarball.ends_with("-linux-arm64.tar.gz"), "{tarball}");
    let list = run(Command::new("tar").args(["-tvzf", &tarball]));
    for (modes, name) in [
        ("-rwxr-xr-x", "/dukan"),
        ("-rw-r--r--", "/dukan.toml"),
        ("-rw-r--r--", "/dukan.service"),
        ("-rw-r--r--", "/60-dukan.rules"),
        ("-rw-r--r--", "/README"),
    ] {
        assert!(list.lines().any(|l| l.starts_with(modes) && l.ends_with(name)), "{modes} {name} missing: {list}");
    }
}
