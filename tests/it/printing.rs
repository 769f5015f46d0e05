//! Receipt printing end to end: fake printers (a TCP listener and a pty standing in for a
//! serial port) receive the jobs the real server sends, and decode them back into text and
//! commands; paper out, an unreachable printer across a server restart, re-print, Z report,
//! test page and setup validation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dukan::printing::codepage::CodePage;
use dukan::printing::escpos::{self, Model, Op, STATUS_QUERY};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::common::TestApp;
use crate::isolation::{Fixture, fixture};

/// A network printer on 127.0.0.1: answers `DLE EOT` with ready or paper-out and hands every
/// job (the bytes after the status query) to the test.
pub struct FakeTcp {
    pub port: u16,
    pub jobs: mpsc::UnboundedReceiver<Vec<u8>>,
    pub paper_out: Arc<AtomicBool>,
}

pub async fn fake_tcp_on(listener: tokio::net::TcpListener) -> FakeTcp {
    let port = listener.local_addr().expect("addr").port();
    let (tx, jobs) = mpsc::unbounded_channel();
    let paper_out = Arc::new(AtomicBool::new(false));
    let paper = paper_out.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (tx, paper) = (tx.clone(), paper.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut answered = false;
                let mut chunk = [0u8; 4096];
                loop {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    if !answered && buf.len() >= STATUS_QUERY.len() && buf.starts_with(&STATUS_QUERY) {
                        answered = true;
                        let answer = if paper.load(Ordering::SeqCst) { [0x12, 0x32, 0x72] } else { [0x12, 0x12, 0x12] };
                        let _ = sock.write_all(&answer).await;
                    }
                }
                let job = if buf.starts_with(&STATUS_QUERY) { buf[STATUS_QUERY.len()..].to_vec() } else { buf };
                if !job.is_empty() {
                    let _ = tx.send(job);
                }
            });
        }
    });
    FakeTcp { port, jobs, paper_out }
}

pub async fn fake_tcp() -> FakeTcp {
    fake_tcp_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind")).await
}

impl FakeTcp {
    /// The next job, decoded as an Epson would.
    pub async fn next(&mut self) -> Vec<Op> {
        let bytes = tokio::time::timeout(Duration::from_secs(10), self.jobs.recv()).await.expect("a job within 10 s").expect("job");
        decode(&bytes)
    }

    pub fn nothing_received(&mut self) -> bool {
        self.jobs.try_recv().is_err()
    }
}

pub fn decode(bytes: &[u8]) -> Vec<Op> {
    escpos::decode(bytes, &|n| CodePage::ALL.into_iter().find(|p| Model::Epson.table(*p) == Some(n)))
}

pub async fn add_printer(t: &TestApp, f: &Fixture, body: Value) -> Value {
    let mut b =
        json!({"name": "Чековый", "transport": "tcp", "model": "epson", "code_page": "kz1048", "width": "80", "cash_boxes": [f.cash_box]});
    for (k, v) in body.as_object().expect("object") {
        b[k] = v.clone();
    }
    let (s, p) = t.post(&f.client, "/api/v1/printers", b).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p
}

async fn sell(t: &TestApp, f: &Fixture, key: &str, paid: &str) -> Value {
    let (s, sale) = t
        .post(
            &f.client,
            "/api/v1/sales",
            json!({"idempotency_key": key, "cash_box": f.cash_box, "lines": [{"product": f.product}], "payments": [{"method": "cash", "amount": paid}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sale}");
    sale
}

async fn print(t: &TestApp) -> bool {
    dukan::workers::print_once(t.app.clone()).await.expect("print step")
}

#[tokio::test]
async fn a_sale_prints_its_receipt_on_the_cash_boxs_tcp_printer() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let mut fake = fake_tcp().await;
    let printer = add_printer(&t, &f, json!({"address": format!("127.0.0.1:{}", fake.port)})).await;
    let sale = sell(&t, &f, "print-1", "100").await;
    assert!(print(&t).await);
    let ops = fake.next().await;
    let text = escpos::text_of(&ops);
    let number = sale["number"].as_str().expect("number");
    for expected in ["Ош Базар", number, "Кефир", "ИТОГО", "Сдача", "40.00", "Владелец Ош Базар"] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    assert_eq!(&ops[..2], &[Op::Init, Op::Table(53)]);
    assert!(ops.contains(&Op::Qr(format!("DUKAN:{number}:{}", sale["id"]))), "{ops:?}");
    assert!(ops.contains(&Op::Drawer), "cash sale kicks the drawer");
    assert!(ops.contains(&Op::Cut));
    assert!(!print(&t).await, "the queue is empty");

    // Re-print: a copy, no drawer kick.
    let (s, r) = t.post(&f.client, &format!("/api/v1/sales/{}/reprint", sale["id"]), json!(null)).await;
    assert_eq!((s, r["jobs"].as_u64()), (StatusCode::ACCEPTED, Some(1)), "{r}");
    assert!(print(&t).await);
    let copy = fake.next().await;
    assert!(escpos::text_of(&copy).contains("КОПИЯ"));
    assert!(!copy.contains(&Op::Drawer));

    // The preview has the same lines.
    let (s, preview) = t.get(&f.client, &format!("/api/v1/sales/{}/receipt", sale["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let preview_text: Vec<&str> = preview.as_array().expect("lines").iter().filter_map(|l| l["text"].as_str()).collect();
    assert!(preview_text.iter().any(|l| l.contains("Кефир")), "{preview}");
    let png =
        t.http.get(t.url(&format!("/api/v1/sales/{}/receipt.png", sale["id"]))).bearer_auth(&f.client.token).send().await.expect("png");
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.expect("bytes");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 1000, "{} bytes", png.len());

    // Closing the shift prints the Z report.
    let (s, _) = t.post(&f.client, &format!("/api/v1/shifts/{}/close", f.shift), json!({"closing_cash": "170"})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(print(&t).await);
    let z = escpos::text_of(&fake.next().await);
    assert!(z.contains("Z-ОТЧЁТ") && z.contains("Пересчитано"), "{z}");
    let (_, p) = t.get(&f.client, &format!("/api/v1/printers/{}", printer["id"])).await;
    assert_eq!((p["status"].as_str(), p["printed"].as_u64()), (Some("ready"), Some(3)), "{p}");
    t.assert_consistent();
}

/// A receipt is laid out and encoded when the worker sends it, not in the checkout
/// transaction: the sale's job is stored without bytes, and a shop that fixes a wrong code page
/// while receipts wait gets them printed in the right one.
#[tokio::test]
async fn a_queued_receipt_prints_with_the_printers_profile_when_it_is_sent() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let mut fake = fake_tcp().await;
    let address = format!("127.0.0.1:{}", fake.port);
    let printer = add_printer(&t, &f, json!({"address": address, "code_page": "pc866"})).await;
    let sale = sell(&t, &f, "late-1", "100").await;
    // The print worker's first half: the checkout's receipt row becomes a job per printer.
    t.app.db.write(dukan::printing::fan_out).await.expect("fan out");
    {
        let tx = t.app.db.read().expect("read");
        let all = (0, 0, 0)..=(u64::MAX, u64::MAX, u64::MAX);
        let jobs = tx.list(dukan::printing::store::PRINT_JOBS, *all.start(), *all.end(), 10).expect("jobs");
        assert_eq!(jobs.len(), 1, "one receipt queued");
        assert!(jobs[0].1.bytes.is_empty(), "the checkout encoded nothing");
        let receipts = tx.list(dukan::printing::store::SALE_RECEIPTS, *all.start(), *all.end(), 10).expect("receipts");
        assert_eq!(receipts.len(), 1);
        assert_eq!((receipts[0].0, receipts[0].1.sale), (jobs[0].0, sale["id"].as_u64().expect("id")));
    }
    let fixed = json!({"name": "Чековый", "transport": "tcp", "address": address, "model": "epson", "code_page": "kz1048",
        "width": "80", "cash_boxes": [f.cash_box]});
    let (s, p) = t.put(&f.client, &format!("/api/v1/printers/{}", printer["id"]), fixed).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert!(print(&t).await);
    let ops = fake.next().await;
    assert_eq!(&ops[..2], &[Op::Init, Op::Table(53)], "KZ-1048, the code page at send time");
    assert!(escpos::text_of(&ops).contains(sale["number"].as_str().expect("number")));
    let tx = t.app.db.read().expect("read");
    let left = tx.len(dukan::printing::store::SALE_RECEIPTS).expect("len");
    assert_eq!(left, 0, "the receipt row leaves with its job");
    drop(tx);
    t.assert_consistent();
}

#[tokio::test]
async fn paper_out_holds_the_queue_in_order_until_paper_is_back() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let mut fake = fake_tcp().await;
    let p = add_printer(&t, &f, json!({"address": format!("127.0.0.1:{}", fake.port), "code_page": "pc866", "width": "58"})).await;
    fake.paper_out.store(true, Ordering::SeqCst);
    let first = sell(&t, &f, "paper-1", "60").await;
    let second = sell(&t, &f, "paper-2", "60").await;
    assert!(!print(&t).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.nothing_received(), "nothing prints without paper");
    let (_, st) = t.get(&f.client, &format!("/api/v1/printers/{}", p["id"])).await;
    assert_eq!((st["status"].as_str(), st["queued"].as_u64()), (Some("paper_out"), Some(2)), "{st}");
    let (_, q) = t.get(&f.client, &format!("/api/v1/printers/{}/queue", p["id"])).await;
    assert_eq!(q[0]["attempts"], 1, "{q}");
    // Backoff: the next step before it is due sends nothing, even for the second job.
    assert!(!print(&t).await);
    fake.paper_out.store(false, Ordering::SeqCst);
    t.clock.advance_ms(60_000);
    assert!(print(&t).await);
    assert!(print(&t).await);
    let a = escpos::text_of(&fake.next().await);
    let b = escpos::text_of(&fake.next().await);
    assert!(a.contains(first["number"].as_str().expect("n")) && b.contains(second["number"].as_str().expect("n")), "in order:\n{a}\n{b}");
    let (_, st) = t.get(&f.client, &format!("/api/v1/printers/{}", p["id"])).await;
    assert_eq!((st["status"].as_str(), st["queued"].as_u64()), (Some("ready"), Some(0)), "{st}");
    t.assert_consistent();
}

#[tokio::test]
async fn a_job_survives_a_restart_while_the_printer_is_down() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    // A port nobody listens on (yet).
    let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind").local_addr().expect("addr").port();
    let p = add_printer(&t, &f, json!({"address": format!("127.0.0.1:{port}")})).await;
    let sale = sell(&t, &f, "down-1", "60").await;
    assert!(!print(&t).await);
    let (_, st) = t.get(&f.client, &format!("/api/v1/printers/{}", p["id"])).await;
    assert_eq!(st["status"], "unreachable", "{st}");
    // A fixed word, not the socket's text with the address and port (a port scanner).
    assert_eq!(st["status_detail"], "connection refused", "{st}");
    let (_, queue) = t.get(&f.client, &format!("/api/v1/printers/{}/queue", p["id"])).await;
    assert!(!queue.to_string().contains(&port.to_string()), "{queue}");
    let dir = t.stop().await;

    let t = TestApp::spawn_in(dir).await;
    let mut fake = fake_tcp_on(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("rebind")).await;
    t.clock.advance_ms(3_600_000);
    assert!(print(&t).await);
    let text = escpos::text_of(&fake.next().await);
    assert!(text.contains(sale["number"].as_str().expect("number")), "{text}");
    t.assert_consistent();
}

/// A pty pair: the server opens the slave as a serial port; the test reads the master.
fn openpty() -> (std::fs::File, std::fs::File, String) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: openpty writes two fds and the NUL-terminated slave name into our buffers.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, name.as_mut_ptr(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: name is NUL-terminated by openpty; the fds are fresh and owned here.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned();
    unsafe { (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave), path) }
}

/// Reads the master until it has been quiet for a second after the first byte.
fn read_pty(master: std::fs::File) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut quiet = 0;
    while std::time::Instant::now() < deadline && (out.is_empty() || quiet < 5) {
        let mut pfd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, 200) };
        if ready <= 0 || pfd.revents & libc::POLLIN == 0 {
            quiet += 1;
            std::thread::sleep(Duration::from_millis(if ready < 0 || pfd.revents != 0 { 200 } else { 0 }));
            continue;
        }
        quiet = 0;
        let mut buf = [0u8; 4096];
        // SAFETY: reading into a stack buffer of its length.
        let n = unsafe { libc::read(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            out.extend_from_slice(&buf[..n as usize]);
        }
    }
    out
}

#[tokio::test]
async fn a_serial_printer_gets_its_job_through_a_pty() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let (master, _slave, path) = openpty();
    let printer = add_printer(&t, &f, json!({"transport": "serial", "address": path, "baud": 19200, "model": "xprinter", "code_page": "pc866", "width": "58", "cancel_kanji": true})).await;
    let sale = sell(&t, &f, "serial-1", "60").await;
    let reader = std::thread::spawn(move || read_pty(master));
    assert!(print(&t).await);
    let bytes = reader.join().expect("reader");
    assert!(bytes.starts_with(&STATUS_QUERY), "the status query comes first");
    let ops = escpos::decode(&bytes[STATUS_QUERY.len()..], &|n| CodePage::ALL.into_iter().find(|p| Model::Xprinter.table(*p) == Some(n)));
    assert_eq!(&ops[..3], &[Op::Init, Op::CancelKanji, Op::Table(17)], "FS . after init on a clone");
    let text = escpos::text_of(&ops);
    assert!(text.contains(sale["number"].as_str().expect("number")) && text.contains("Кефир"), "{text}");
    let (_, p) = t.get(&f.client, &format!("/api/v1/printers/{}", printer["id"])).await;
    assert_eq!(p["status"], "unknown", "a printer that does not answer DLE EOT: {p}");
}

#[tokio::test]
async fn the_test_page_prints_every_candidate_code_page() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let mut fake = fake_tcp().await;
    let p = add_printer(&t, &f, json!({"address": format!("127.0.0.1:{}", fake.port), "cash_boxes": []})).await;
    let (s, _) = t.post(&f.client, &format!("/api/v1/printers/{}/test", p["id"]), json!(null)).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(print(&t).await);
    let text = escpos::text_of(&fake.next().await);
    for expected in ["ESC t 17: PC866", "ESC t 46: WPC1251", "ESC t 53: KZ-1048", "Өө Үү Ңң"] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    // No printer on the box: sales queue nothing, re-print explains why.
    let sale = sell(&t, &f, "none-1", "60").await;
    assert!(!print(&t).await);
    let (s, body) = t.post(&f.client, &format!("/api/v1/sales/{}/reprint", sale["id"]), json!(null)).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::CONFLICT, Some("no_printer")), "{body}");
}

#[tokio::test]
async fn printer_setup_refuses_bad_input() {
    let t = TestApp::spawn().await;
    let f = fixture(&t, "Ош Базар", "owner@osh.kg").await;
    let base =
        json!({"name": "Чековый", "transport": "usb", "address": "/dev/pts/0", "model": "epson", "code_page": "pc866", "width": "58"});
    let cases = [
        (json!({"address": "/etc/passwd"}), "printer_path"),
        (json!({"address": "/dev/pts/../../etc/passwd"}), "printer_path"),
        (json!({"transport": "tcp", "address": "bad host:9100"}), "printer_address"),
        (json!({"transport": "serial", "address": "/dev/pts/0", "baud": 1234}), "printer_baud"),
        (json!({"transport": "pigeon"}), "printer_transport"),
        (json!({"width": "76"}), "paper_width"),
        (json!({"model": "custom"}), "code_table"),
        (json!({"model": "xprinter", "code_page": "kz1048"}), "code_table"),
        (json!({"cash_boxes": [999999999]}), "unknown_cash_box"),
    ];
    for (patch, code) in cases {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (s, p) = t.post(&f.client, "/api/v1/printers", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {p}");
        let codes: Vec<&str> = p["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
        assert!(codes.contains(&code), "{patch}: {p}");
    }
    let (s, p) = t.post(&f.client, "/api/v1/printers", json!({"name": "Custom", "transport": "usb", "address": "/dev/pts/0", "model": "custom", "code_page": "wpc1251", "table": 73, "width": "80"})).await;
    assert_eq!((s, p["table"].as_u64()), (StatusCode::CREATED, Some(73)), "{p}");
    let (_, list) = t.get(&f.client, "/api/v1/printers").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "the fixture's printer and this one");
}
