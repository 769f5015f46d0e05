//! 10,000 notification e-mails drained through the SMTP fake (`cargo bench --bench notify`;
//! numbers go to BENCHMARKS.md): the real data file, N mails queued as rule firings queue
//! them (a `Mail` row and its outbox job each, 1,000 per transaction), then the mail worker's
//! step (`workers::mail_once`: up to 200 due mails over at most 8 reused SMTP sessions, the
//! outcomes in one transaction per step) run until the queue is empty. The fake is the RFC 5321 one
//! of the integration tests (`tests/it/smtp_fake.rs`). Prints the drain time against the goal
//! of 30 s for 10,000; `NOTIFY_MAILS` sets the count.

#[path = "../tests/it/smtp_fake.rs"]
mod smtp_fake;

use std::sync::Arc;
use std::time::Instant;

use dukan::app::App;
use dukan::clock::{Clock, SystemClock};
use dukan::config::Config;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("NOTIFY_MAILS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let fake = smtp_fake::SmtpFake::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config { data: dir.path().to_path_buf(), argon2_m_kib: 1024, argon2_t: 1, ..Config::default() };
    config.smtp.host = "127.0.0.1".into();
    config.smtp.port = fake.port;
    config.smtp.security = "plain".into();
    config.smtp.from = "shop@bench.kg".into();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = App::open(config, clock).expect("open");
    let draft = dukan::tenancy::CompanyDraft {
        name: "Бенч".into(),
        country: "KG".into(),
        owner_name: "Владелец".into(),
        owner_email: "bench@notify.kg".into(),
        owner_password: "password-123".into(),
        plan: None,
    };
    let (company, _) = dukan::http::shared::create_company(&app, None, "127.0.0.1", draft).await.expect("company");

    let queued = Instant::now();
    let mut left = n;
    while left > 0 {
        let batch = left.min(1000);
        left -= batch;
        let now = app.now();
        app.db
            .write(move |tx| {
                for i in 0..batch {
                    let to = format!("client{}@bench.kg", left + i);
                    dukan::messaging::mail::queue(
                        tx,
                        company,
                        &to,
                        "Dukan: напоминание",
                        "Завтра платёж по рассрочке: 1 000,00 сом.\n.\n",
                        "notify:installment_due",
                        now,
                    )?;
                }
                Ok::<_, dukan::error::Error>(())
            })
            .await
            .expect("queue");
    }
    let queue_time = queued.elapsed();

    let started = Instant::now();
    let mut steps = 0u32;
    while dukan::workers::mail_once(app.clone()).await.expect("mail step") {
        steps += 1;
    }
    let drained = started.elapsed();
    let log = dukan::messaging::mail::log(&app.db.read().expect("read"), company, usize::MAX).expect("log");
    let sent = log.iter().filter(|m| m.state == dukan::messaging::mail::MailState::Sent).count();
    assert_eq!((fake.count(), sent), (n, n), "every mail delivered once and recorded as sent");
    let secs = drained.as_secs_f64();
    println!("notify: {n} mails queued in {:.2} s", queue_time.as_secs_f64());
    println!(
        "notify: {n} mails drained through the SMTP fake in {secs:.2} s ({:.0}/s, {steps} worker steps, {} SMTP sessions); limit 30 s for 10,000: {}",
        n as f64 / secs,
        fake.sessions.load(std::sync::atomic::Ordering::SeqCst),
        if n >= 10_000 && secs <= 30.0 {
            "PASS"
        } else if n < 10_000 {
            "n/a (smaller run)"
        } else {
            "FAIL"
        }
    );
}
