//! Resources under hostile load (run with `cargo bench --bench hostile`; numbers go to
//! BENCHMARKS.md). The real release server runs on a demo shop; beside it this process:
//! - uploads, 4 users at once, the largest allowed product import (a CSV at the row and byte
//!   limits) and a large product photo; then, 4 at once, the hostile files of the hardening
//!   issue (an XLSX holding only `A1` and `XFD1048576`, a CSV of 1,000,000 columns, a
//!   12,000 × 12,000 PNG);
//! - holds 1,000 slow clients: half send half a request header and then a byte now and then,
//!   half send the headers of a 25 MiB multipart `POST /login` and trickle its body;
//! - samples `/healthz` every 50 ms on a fresh connection throughout, and the server's peak RSS
//!   per phase (the kernel's high-water mark, reset through `/proc/PID/clear_refs` between
//!   phases).
//!
//! Knobs: `DUKAN_BENCH_IMPORT_ROWS` (default 100000), `DUKAN_BENCH_IMAGE_W`/`_H` (default
//! 6000 × 4000), `DUKAN_BENCH_SLOW` (default 1000 clients), `DUKAN_BENCH_SLOW_SECS` (default 30).

mod common;

use common::measure::env;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Lets this process hold a thousand sockets (the soft limit is often 1,024).
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain libc calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    lim.rlim_cur
}

fn rss_mb(pid: u32) -> f64 {
    common::status_mb(pid, "VmRSS:").unwrap_or(0.0)
}

/// The peak RSS since the last `reset_peak` (VmHWM).
fn peak_mb(pid: u32) -> f64 {
    common::status_mb(pid, "VmHWM:").unwrap_or(0.0)
}

fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

struct Row {
    phase: String,
    peak: f64,
    after: f64,
    health: common::Health,
    outcome: String,
}

fn print_rows(rows: &[Row]) {
    println!("| phase | server peak RSS | RSS after | /healthz samples | p99 | max | failed | outcome |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.0} MB | {:.0} MB | {} | {:.1} ms | {:.1} ms | {} | {} |",
            r.phase, r.peak, r.after, r.health.samples, r.health.p99_ms, r.health.max_ms, r.health.failed, r.outcome
        );
    }
}

/// Runs `work` as one phase: resets the peak, samples health, reports.
async fn phase<F: std::future::Future<Output = String>>(name: &str, pid: u32, port: u16, work: F) -> Row {
    reset_peak(pid);
    let sampler = common::Sampler::start(port);
    let outcome = work.await;
    // Let the server settle and the sampler see the aftermath.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let health = sampler.finish();
    let row = Row { phase: name.into(), peak: peak_mb(pid), after: rss_mb(pid), health, outcome };
    eprintln!("{}: peak {:.0} MB, after {:.0} MB, {}", row.phase, row.peak, row.after, row.outcome);
    row
}

fn import_csv(rows: usize, max_bytes: usize) -> Vec<u8> {
    let mut text = String::from("Название;Штрихкод;Ед.;Цена закупки;Наценка;Категория;Бренд;Артикул\n");
    for i in 0..rows {
        let line = format!(
            "Товар номер {i} из большого файла;;шт;{}.{:02};{};Отдел {} / Группа {};Бренд {};HB-{i}\n",
            10 + i % 500,
            i % 100,
            10 + i % 30,
            i % 40,
            i % 5,
            i % 40
        );
        // Cyrillic is two bytes in UTF-8; stay under the byte limit.
        if text.len() + line.len() > max_bytes {
            break;
        }
        text.push_str(&line);
    }
    text.into_bytes()
}

fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 23;
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 200) as u8 + n as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    img.write_with_encoder(encoder).unwrap_or_else(|e| panic!("jpeg: {e}"));
    out.into_inner()
}

fn huge_png() -> Vec<u8> {
    let img = image::GrayImage::new(12_000, 12_000);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap_or_else(|e| panic!("png: {e}"));
    out.into_inner()
}

fn sparse_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Название").unwrap_or_else(|e| panic!("xlsx: {e}"));
    sheet.write_string(1_048_575, 16_383, "x").unwrap_or_else(|e| panic!("xlsx: {e}"));
    book.save_to_buffer().unwrap_or_else(|e| panic!("xlsx: {e}"))
}

fn wide_csv() -> Vec<u8> {
    let mut s = String::with_capacity(2_000_010);
    for _ in 0..1_000_000 {
        s.push_str("a;");
    }
    s.push('\n');
    s.into_bytes()
}

/// Sends each upload at once, each with its own user's token; answers each status and code.
async fn four_at_once(http: &reqwest::Client, base: &str, tokens: &[String], uploads: Vec<(String, Vec<u8>)>) -> String {
    let mut tasks = Vec::new();
    for (i, (path, body)) in uploads.into_iter().enumerate() {
        let (http, url, token) = (http.clone(), format!("{base}{path}"), tokens[i % tokens.len()].clone());
        tasks.push(tokio::spawn(async move {
            match http.post(url).bearer_auth(token).body(body).timeout(Duration::from_secs(300)).send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    let code = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["code"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    format!("{status}{}", if code.is_empty() { String::new() } else { format!(" {code}") })
                }
                Err(e) => format!("error: {e}"),
            }
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap_or_else(|e| format!("join: {e}")));
    }
    answers.join(", ")
}

/// Opens `n` slow clients and keeps them trickling for `secs`; answers how many the server
/// dropped along the way.
fn slow_clients(port: u16, n: usize, secs: u64) -> String {
    let mut socks = Vec::new();
    let mut refused = 0usize;
    for i in 0..n {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut s) => {
                let _ = s.set_nonblocking(true);
                let head: &[u8] = if i % 2 == 0 {
                    b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: "
                } else {
                    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 26214400\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n"
                };
                let _ = s.write_all(head);
                socks.push(Some(s));
            }
            Err(_) => refused += 1,
        }
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let chunk = vec![b'a'; 1024];
    while Instant::now() < deadline {
        for (i, slot) in socks.iter_mut().enumerate() {
            let Some(s) = slot else { continue };
            let mut buf = [0u8; 512];
            let closed = match s.read(&mut buf) {
                Ok(0) => true,
                Ok(_) => true, // the server answered (a refusal) and will close
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(_) => true,
            };
            let wrote = match i % 2 {
                0 => s.write(b"a"),
                _ => s.write(&chunk),
            };
            if closed || matches!(wrote, Err(ref e) if e.kind() != std::io::ErrorKind::WouldBlock) {
                *slot = None;
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let open = socks.iter().filter(|s| s.is_some()).count();
    format!(
        "{n} slow clients: {refused} refused at connect, {} dropped by the server, {open} still open after {secs} s",
        n - refused - open
    )
}

#[tokio::main]
async fn main() {
    let fds = raise_fd_limit();
    let import_rows = env("DUKAN_BENCH_IMPORT_ROWS", 100_000);
    let (img_w, img_h) = (env("DUKAN_BENCH_IMAGE_W", 6000) as u32, env("DUKAN_BENCH_IMAGE_H", 4000) as u32);
    let slow = env("DUKAN_BENCH_SLOW", 1000);
    let slow_secs = env("DUKAN_BENCH_SLOW_SECS", 30) as u64;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = dir.path().join("data");
    let demo =
        common::dukan().args(["demo", "--data", data.to_str().unwrap_or(".")]).output().unwrap_or_else(|e| panic!("dukan demo: {e}"));
    let out = String::from_utf8_lossy(&demo.stdout);
    let field = |name: &str| out.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string()).unwrap_or_default();
    let (email, password) = (field("email:"), field("password:"));
    assert!(!email.is_empty(), "demo printed no login: {out}");

    let port = common::free_port();
    let mut child: Child = common::dukan()
        .args(["serve", "--data", data.to_str().unwrap_or("."), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn dukan: {e}"));
    let pid = child.id();
    let t0 = Instant::now();
    while common::healthz(port).is_none() {
        assert!(t0.elapsed() < Duration::from_secs(60), "server did not become healthy");
        std::thread::sleep(Duration::from_millis(20));
    }
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().build().unwrap_or_default();
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let login: serde_json::Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("login: {e}"))
            .json()
            .await
            .unwrap_or_default();
        tokens.push(login["access_token"].as_str().unwrap_or_default().to_string());
    }
    let products: serde_json::Value = http
        .get(format!("{base}/api/v1/products?limit=4"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("products: {e}"))
        .json()
        .await
        .unwrap_or_default();
    let ids: Vec<u64> = products["items"].as_array().map(|a| a.iter().filter_map(|p| p["id"].as_u64()).collect()).unwrap_or_default();
    assert!(ids.len() == 4, "the demo shop has products");

    let csv = import_csv(import_rows, 20 * 1024 * 1024 - 1024);
    let photo = photo_jpeg(img_w, img_h);
    let (xlsx, wide, png) = (sparse_xlsx(), wide_csv(), huge_png());
    eprintln!(
        "files: import CSV {:.1} MB, photo {img_w}×{img_h} JPEG {:.1} MB, sparse XLSX {} B, wide CSV {:.1} MB, 12000² PNG {:.0} KB",
        csv.len() as f64 / 1e6,
        photo.len() as f64 / 1e6,
        xlsx.len(),
        wide.len() as f64 / 1e6,
        png.len() as f64 / 1e3
    );

    let mut rows = Vec::new();
    let idle = rss_mb(pid);
    rows.push(
        phase("idle (demo shop)", pid, port, async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            String::new()
        })
        .await,
    );

    let imports = (0..4).map(|_| ("/api/v1/imports?file_name=big.csv".to_string(), csv.clone())).collect();
    rows.push(phase("4 users upload the largest import at once", pid, port, four_at_once(&http, &base, &tokens, imports)).await);

    let photos = ids.iter().map(|id| (format!("/api/v1/products/{id}/images"), photo.clone())).collect();
    rows.push(phase("4 users upload a large photo at once", pid, port, four_at_once(&http, &base, &tokens, photos)).await);

    let hostile = vec![
        ("/api/v1/imports?file_name=sparse.xlsx".to_string(), xlsx),
        ("/api/v1/imports?file_name=wide.csv".to_string(), wide),
        (format!("/api/v1/products/{}/images", ids[0]), png.clone()),
        (format!("/api/v1/products/{}/images", ids[1]), png),
    ];
    let name = "4 hostile files at once (sparse XLSX, 1M-column CSV, 2 × 12000² PNG)";
    rows.push(phase(name, pid, port, four_at_once(&http, &base, &tokens, hostile)).await);

    let slowly = async move { tokio::task::spawn_blocking(move || slow_clients(port, slow, slow_secs)).await.unwrap_or_default() };
    rows.push(phase(&format!("{slow} slow clients for {slow_secs} s"), pid, port, slowly).await);
    rows.push(
        phase("idle after", pid, port, async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            String::new()
        })
        .await,
    );

    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let _ = child.wait();
    println!("\nhostile bench: fd limit {fds}, idle RSS at start {idle:.0} MB\n");
    print_rows(&rows);
}
