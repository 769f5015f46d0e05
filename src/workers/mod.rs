//! Background workers: each is a loop that calls its `run_once` step, sleeps when idle and is
//! woken early by the data file itself after a durable commit that pushed outbox rows
//! (`Db::outbox_wakeups`); nobody wakes them by hand. Tests call the same steps directly
//! (`run_once`) to drain queues deterministically. Status (last run, last error) is kept on the
//! board (`status.rs`) and shown on the platform page and in `/metrics`.
//!
//! Workers sit below `app`: each step takes a [`Ctx`] — the data file, clock, configuration and
//! the few services workers use — which `app` builds from `App` (`Ctx::from(app)`).

mod status;

use std::sync::Arc;
use std::time::Duration;

use crate::backup;
use crate::clock::{Clock, Ts};
use crate::config::Config;
use crate::error::Result;
use crate::ids::BackupId;
use crate::search::Search;
use crate::storage::{Db, Schema, outbox};
pub use status::{Board, Status};

/// What every worker step needs, handed down by `app` (workers never see `App`).
#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// Tables and migrations, for backups.
    pub schema: Arc<Schema>,
    pub search: Arc<Search>,
    /// Outgoing HTTP for webhooks (see `webhooks::guard::client`).
    pub http: reqwest::Client,
    pub board: Arc<Board>,
    /// When the server started (the first scheduled backup waits a while after it).
    pub started: Ts,
    /// Live updates for open pages: workers publish what they changed after it commits.
    pub live: Arc<crate::live::Hub>,
    /// Opens messaging channels' sealed secrets.
    pub box_key: Arc<crate::messaging::seal::BoxKey>,
    /// The scale workers, started here with the others.
    pub scales: Arc<crate::scales::device::Devices>,
}

/// Starts every worker on the runtime. They stop when the process does.
pub fn start(ctx: Ctx) {
    // A backup killed with the server left its `.partial` file behind.
    backup::remove_leftovers(&ctx.config.backup_dir());
    spawn(ctx.clone(), "backup", Duration::from_secs(30), |w| Box::pin(backup_once(w)));
    spawn(ctx.clone(), "sweeper", Duration::from_secs(3600), |w| Box::pin(sweep_once(w)));
    spawn(ctx.clone(), "search", Duration::from_secs(5), |w| Box::pin(search_once(w)));
    spawn(ctx.clone(), "webhook", Duration::from_secs(5), |w| Box::pin(webhook_once(w)));
    spawn(ctx.clone(), "import", Duration::from_secs(5), |w| Box::pin(import_once(w)));
    match ctx.db.read().map_err(crate::error::Error::from).and_then(|tx| crate::scales::all_active(&tx)) {
        Ok(scales) => ctx.scales.start_all(scales),
        Err(e) => tracing::warn!("scales not started: {e}"),
    }
    spawn(ctx.clone(), "print", Duration::from_secs(2), |w| Box::pin(print_once(w)));
    spawn(ctx.clone(), "messaging", Duration::from_secs(5), |w| Box::pin(messaging_once(w)));
    spawn(ctx.clone(), "label_sync", Duration::from_secs(5), |w| Box::pin(label_sync_once(w)));
    spawn(ctx.clone(), "billing", Duration::from_secs(300), |w| Box::pin(billing_once(w)));
    spawn(ctx.clone(), "mail", Duration::from_secs(5), |w| Box::pin(mail_once(w)));
    spawn(ctx, "rules", Duration::from_secs(60), |w| Box::pin(rules_once(w)));
}

type Step = fn(Ctx) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool>> + Send>>;

fn spawn(w: Ctx, name: &'static str, idle: Duration, step: Step) {
    tokio::spawn(async move {
        // Subscribed before the first step: a commit during any step is seen at the next wait.
        let mut wakeups = w.db.outbox_wakeups();
        loop {
            let outcome = step(w.clone()).await;
            if let Err(e) = &outcome {
                tracing::warn!(worker = name, "worker step failed: {e}");
            }
            w.board.report(name, w.clock.now(), &outcome);
            if matches!(outcome, Ok(true)) {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                woke = wakeups.changed() => {
                    // The sender lives as long as the data file, which `w` holds; should it ever
                    // be gone, fall back to the idle timer instead of spinning.
                    if woke.is_err() {
                        tokio::time::sleep(idle).await;
                    }
                }
            }
        }
    });
}

/// One step of the backup worker: queue today's scheduled backup when due, then run the
/// oldest requested backup. Returns whether it did anything.
pub async fn backup_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let cfg = &w.config.backup;
    let up_long_enough = now.0 - w.started.0 >= cfg.start_delay_minutes * 60_000;
    if !cfg.daily_at.trim().is_empty() && up_long_enough {
        let due = backup::scheduled_due(&w.db.read()?, &cfg.daily_at, &cfg.timezone, now)?;
        if due {
            w.db.write(move |tx| backup::request(tx, "schedule", backup::Trigger::Scheduled, now)).await?;
        }
    }
    let jobs = outbox::due(&w.db.read()?, "backup", now.0, 1)?;
    let Some((job_id, job)) = jobs.into_iter().next() else {
        return Ok(false);
    };
    let outbox::JobKind::Backup { backup_id } = job.kind else {
        return Err(crate::error::Error::Internal(format!("outbox job {job_id} is not a backup")));
    };
    let a = w.clone();
    let state = tokio::task::spawn_blocking(move || {
        let clock = a.clock.clone();
        backup::run(&a.db, &a.schema, &a.config.backup_dir(), BackupId(backup_id), move || clock.now(), a.config.backup.keep)
    })
    .await
    .map_err(|e| crate::error::Error::Internal(format!("backup task: {e}")))??;
    if let backup::State::Failed { error, .. } = &state {
        tracing::error!(backup = backup_id, "backup failed: {error}");
        let (error, at) = (error.clone(), w.clock.now());
        match w.db.write(move |tx| crate::messaging::rules::backup_failed(tx, &error, at)).await {
            Ok(live) => live.into_iter().for_each(|(c, l)| crate::messaging::publish(&w.live, c, vec![l])),
            Err(e) => tracing::warn!("backup failure not notified: {e}"),
        }
    }
    // The outcome is recorded on the backup itself; a failed backup is not retried blindly
    // (the next schedule or a person's click makes a new one).
    w.db.write(move |tx| outbox::done(tx, job_id).map_err(crate::error::Error::from)).await?;
    Ok(true)
}

/// One step of the search worker (see `search::Search::run_once`): the first step finds
/// missing or outdated indexes, later steps rebuild them one company at a time, then apply
/// queued product changes in batches. Rebuild progress is shown on the worker board.
pub async fn search_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let a = w.clone();
    let step = tokio::task::spawn_blocking(move || {
        let now = a.clock.now();
        let board = a.board.clone();
        let progress = move |company: crate::ids::CompanyId, done: u64, total: u64| {
            let note = (done < total).then(|| format!("rebuilding search for company {company}: {done}/{total}"));
            board.set_progress("search", note);
        };
        a.search.run_once(&a.db, now.0, &progress)
    })
    .await
    .map_err(|e| crate::error::Error::Internal(format!("search task: {e}")))??;
    if let crate::search::Step::Rebuilt { company, docs } = step {
        tracing::info!(company = company.0, docs, "search index rebuilt");
    }
    Ok(step != crate::search::Step::Idle)
}

pub async fn sweep_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let removed = w.db.write(move |tx| crate::auth::sweep(tx, now)).await?;
    if removed > 0 {
        tracing::info!(removed, "expired sessions and tokens removed");
    }
    Ok(false)
}

/// One step of the webhook worker: POST up to 20 due deliveries, signed, and record each
/// outcome; failures back off (outbox) until `webhooks::MAX_ATTEMPTS`.
pub async fn webhook_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let jobs = outbox::due(&w.db.read()?, "webhook", now.0, 20)?;
    if jobs.is_empty() {
        return Ok(false);
    }
    for (job_id, job) in jobs {
        let outbox::JobKind::Webhook { delivery } = job.kind else {
            continue;
        };
        let company = crate::ids::CompanyId(job.company);
        let tx = w.db.read()?;
        let found = tx.get(crate::webhooks::DELIVERIES, (company.0, delivery))?.and_then(|d| {
            let hook = tx.get(crate::webhooks::HOOKS, (company.0, d.webhook)).ok().flatten();
            hook.map(|h| (d, h))
        });
        drop(tx);
        let outcome = match &found {
            None => Err("webhook deleted".to_string()),
            // The URL is vetted again (the policy may have changed since it was saved); a
            // host name's addresses are vetted by the client's resolver at connect time.
            Some((_, h)) if crate::webhooks::guard::check_url(&h.url, crate::webhooks::guard::Policy::of(&w.config)).is_err() => {
                Err("address not allowed".to_string())
            }
            Some((d, h)) => {
                let sent = w
                    .http
                    .post(&h.url)
                    .header("content-type", "application/json")
                    .header("x-dukan-event", d.event.as_str())
                    .header("x-dukan-delivery", d.id.to_string())
                    .header("x-dukan-signature", crate::webhooks::sign(&h.secret, d.body.as_bytes()))
                    .body(d.body.clone())
                    .send()
                    .await;
                sent.map(|r| r.status().as_u16()).map_err(|e| crate::webhooks::guard::error_class(&e).to_string())
            }
        };
        let at = w.clock.now();
        w.db.write(move |tx| -> Result<()> {
            let finished = found.is_none() || crate::webhooks::record_attempt(tx, company, delivery, outcome.clone(), at)?;
            if finished {
                outbox::done(tx, job_id)?;
            } else {
                outbox::failed(tx, job_id, outcome.err().unwrap_or_else(|| "non-2xx".into()), at.0)?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(true)
}

/// One step of the import worker: the next chunk (`transfer::CHUNK` rows, one transaction)
/// of the oldest confirmed import. The chunk, the progress and, after the last chunk, the
/// removal of the job commit together, so a restart resumes at the next chunk.
pub async fn import_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let jobs = outbox::due(&w.db.read()?, "import", now.0, 1)?;
    let Some((job_id, job)) = jobs.into_iter().next() else {
        return Ok(false);
    };
    let outbox::JobKind::ImportApply { import } = job.kind else {
        return Err(crate::error::Error::Internal(format!("outbox job {job_id} is not an import")));
    };
    let (company, import) = (crate::ids::CompanyId(job.company), crate::ids::ImportId(import));
    let actor = crate::transfer::actor_of(&w.db.read()?, company, import, now)?;
    let state = w.db.write(move |tx| crate::transfer::apply_job(tx, actor, now, company, import, job_id)).await?;
    w.board.set_progress("import", state.map(|(done, total)| format!("import {import}: {done}/{total}")));
    Ok(true)
}

/// One step of the print worker: fan the receipts and Z reports pos queued out per printer
/// (`printing::fan_out`), then, for every printer with a due job, send its oldest job (the
/// printers in parallel, each printer one job at a time, so jobs never interleave) and record
/// the outcome and the printer's status. Returns whether anything printed.
pub async fn print_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    if !crate::printing::fan_out_pending(&w.db.read()?)?.is_empty() {
        // Batched: under a checkout rush the fan-out rides in the checkouts' own durable batch
        // instead of costing a flush of its own (it is a pure function of the transaction).
        w.db.write_batched(crate::printing::fan_out).await?;
    }
    let now = w.clock.now();
    let due = crate::printing::due(&w.db.read()?, now)?;
    if due.is_empty() {
        return Ok(false);
    }
    let sends = due.into_iter().map(|d| async move {
        let (health, error) = crate::printing::transport::send_to(&d.printer.transport, &d.job.bytes, !d.label).await;
        (d, health, error)
    });
    let results = futures_util::future::join_all(sends).await;
    let printed = results.iter().any(|(_, _, e)| e.is_none());
    for (d, health, error) in results {
        if let Some(e) = &error {
            tracing::warn!(printer = d.printer.id.0, job = d.job.id, "print failed: {e}");
        }
        let at = w.clock.now();
        w.db.write(move |tx| crate::printing::record_send(tx, d.company, d.printer.id, &d.job, health, error, at)).await?;
    }
    Ok(printed)
}

/// One step of the messaging worker: up to 20 due jobs, oldest first — a stored webhook body
/// becomes messages and statuses (one transaction each, the body removed with it), an
/// outbound message is POSTed to Meta's Cloud API and its outcome recorded. Live updates
/// are published after each commit.
pub async fn messaging_once(w: impl Into<Ctx>) -> Result<bool> {
    use crate::messaging;
    let w: Ctx = w.into();
    let now = w.clock.now();
    let jobs = outbox::due(&w.db.read()?, "messaging", now.0, 20)?;
    if jobs.is_empty() {
        return Ok(false);
    }
    for (job_id, job) in jobs {
        let company = crate::ids::CompanyId(job.company);
        match job.kind {
            outbox::JobKind::MessagingInbound { event } => {
                let at = w.clock.now();
                let live =
                    w.db.write(move |tx| {
                        let live = messaging::process(tx, company, event, at)?;
                        outbox::done(tx, job_id)?;
                        Ok::<_, crate::error::Error>(live)
                    })
                    .await?;
                messaging::publish(&w.live, company, live);
            }
            outbox::JobKind::MessagingSend { conversation, message } => {
                let (conv, msg) = (crate::ids::ConversationId(conversation), crate::ids::MessageId(message));
                let job = messaging::inbox::send_job(&w.db.read()?, company, conv, msg)?;
                let outcome = match &job {
                    None => messaging::meta::SendOutcome::Refused("message or channel deleted".into()),
                    Some(j) => match w.box_key.open(company, "access_token", &j.channel.access_token) {
                        None => messaging::meta::SendOutcome::Refused("channel secrets missing on this box".into()),
                        Some(token) => {
                            let (base, from) = (&w.config.meta_graph_url, &j.channel.phone_number_id);
                            match (j.kind, &j.message.template) {
                                (messaging::Kind::WhatsApp, template) => {
                                    let body = messaging::meta::send_body(&j.to, &j.message.text, template.as_ref());
                                    messaging::meta::send(&w.http, base, from, &token, &body).await
                                }
                                (messaging::Kind::Instagram, None) => {
                                    let body = messaging::meta::instagram_send_body(&j.to, &j.message.text);
                                    messaging::meta::send_instagram(&w.http, base, from, &token, &body).await
                                }
                                (messaging::Kind::Instagram, Some(_)) => {
                                    messaging::meta::SendOutcome::Refused("templates are for WhatsApp only".into())
                                }
                            }
                        }
                    },
                };
                let at = w.clock.now();
                let live = w.db.write(move |tx| messaging::inbox::record_send(tx, company, job_id, conv, msg, outcome, at)).await?;
                messaging::publish(&w.live, company, live);
            }
            _ => continue,
        }
    }
    Ok(true)
}

/// One step of the telecom billing scheduler: every company with active contracts whose last
/// billing run is before today (its own zone, from 02:00 on) is billed for today, one company
/// per transaction. A run repeated for a day charges nothing, so a restart or a second box
/// clock tick is harmless.
pub async fn billing_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let due = crate::telecom::billing::companies_due(&w.db.read()?, now)?;
    for (company, today) in due {
        let report = w.db.write(move |tx| crate::telecom::billing::scheduled_run(tx, company, &today, now)).await?;
        if report.charges > 0 {
            tracing::info!(company = company.0, charges = report.charges, "telecom billing run");
        }
    }
    Ok(false)
}

/// One step of the label-scale worker: the oldest due `LabelSync` job — a Mertech scale's
/// whole PLU sync (progress live on its page), or an agent's sync handed to its connection.
/// An unreachable scale's job backs off (outbox) and is retried. Returns whether a job ran.
pub async fn label_sync_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let jobs = outbox::due(&w.db.read()?, "label_sync", now.0, 1)?;
    let Some((job_id, job)) = jobs.into_iter().next() else {
        return Ok(false);
    };
    let outbox::JobKind::LabelSync { scale } = job.kind else {
        return Err(crate::error::Error::Internal(format!("outbox job {job_id} is not a label sync")));
    };
    let (company, scale) = (crate::ids::CompanyId(job.company), crate::ids::LabelScaleId(scale));
    let reach = crate::scales::Reach::of(&w.config);
    let outcome = crate::scales::upload::job(&w.db, &w.live, w.clock.as_ref(), &reach, company, scale, job_id).await?;
    if let crate::scales::upload::Outcome::Failed(why) = &outcome {
        tracing::warn!(company = company.0, scale = scale.0, "label scale sync failed: {why}");
    }
    Ok(true)
}

/// SMTP sessions open at once in one step, over every company; each sends its mails one
/// after another.
const MAIL_PARALLEL: usize = 8;
/// Jobs one step takes; their outcomes commit together in one transaction.
const MAIL_BATCH: usize = 200;

/// One step of the mail worker: up to `MAIL_BATCH` due e-mails, each company's through its own
/// server (or the box's) over at most `MAIL_PARALLEL` reused SMTP sessions in all
/// (`mail::smtp::send_all`); every outcome — sent, failed for good, or backed off for a retry —
/// is recorded in one transaction at the end of the step. A crash between a send and that
/// commit re-sends those mails once (SMTP has no idempotency key); a mail already decided is
/// never sent again.
pub async fn mail_once(w: impl Into<Ctx>) -> Result<bool> {
    use crate::messaging::mail::{self, Outcome};
    use std::collections::BTreeMap;
    let w: Ctx = w.into();
    let now = w.clock.now();
    let tx = w.db.read()?;
    let jobs = outbox::due(&tx, "mail", now.0, MAIL_BATCH)?;
    if jobs.is_empty() {
        return Ok(false);
    }
    let policy = crate::webhooks::guard::Policy::of(&w.config);
    // Everything is read first and the read transaction dropped before any network wait. A
    // mail that needs no network (deleted, already decided, its body sealed for another box)
    // gets its outcome here; the rest wait per company for its server.
    let mut servers: BTreeMap<u64, Option<mail::Server>> = Default::default();
    let mut results = Vec::new();
    // Per company: ((job, mail id), the mail, its opened body).
    type ToSend = Vec<((u64, crate::ids::MailId), mail::Mail, String)>;
    let mut to_send: BTreeMap<u64, ToSend> = Default::default();
    for (job_id, job) in jobs {
        let outbox::JobKind::Mail { mail: id } = job.kind else {
            continue;
        };
        let (company, id) = (crate::ids::CompanyId(job.company), crate::ids::MailId(id));
        let decided = match tx.get(mail::store::MAILS, (company.0, id.0))? {
            None => Some(Outcome::Permanent("mail deleted".into())),
            Some(m) if m.state != mail::MailState::Queued => Some(Outcome::Sent),
            Some(m) => match mail::body(&w.box_key, company, &m) {
                None => Some(Outcome::Permanent("sealed body does not open on this box".into())),
                Some(body) => {
                    to_send.entry(company.0).or_default().push(((job_id, id), m, body));
                    None
                }
            },
        };
        if let Some(outcome) = decided {
            results.push((job_id, company, id, outcome));
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = servers.entry(company.0) {
            slot.insert(mail::server(&tx, &w.box_key, &w.config, company)?);
        }
    }
    drop(tx);
    let limit = tokio::sync::Semaphore::new(MAIL_PARALLEL);
    let sends = to_send.into_iter().map(|(company, mails)| {
        let (server, limit) = (servers.remove(&company).flatten(), &limit);
        async move {
            let transport = match server {
                None => Err(Outcome::Permanent("e-mail is not set up".into())),
                Some(server) => mail::smtp::transport(&server, policy).await,
            };
            let outcomes = match transport {
                Ok(t) => {
                    let sessions = mails.len().min(MAIL_PARALLEL);
                    mail::smtp::send_all(&t, mails, sessions, limit).await
                }
                Err(o) => mails.into_iter().map(|(tag, _, _)| (tag, o.clone())).collect(),
            };
            outcomes.into_iter().map(move |((job_id, id), o)| (job_id, crate::ids::CompanyId(company), id, o))
        }
    });
    results.extend(futures_util::future::join_all(sends).await.into_iter().flatten());
    let at = w.clock.now();
    w.db.write(move |tx| {
        for (job_id, company, id, outcome) in &results {
            if let Outcome::Permanent(e) | Outcome::Transient(e) = outcome {
                tracing::warn!(company = company.0, mail = id.0, "e-mail not sent: {e}");
            }
            mail::record(tx, *company, *job_id, *id, outcome, at)?;
        }
        Ok::<_, crate::error::Error>(())
    })
    .await?;
    Ok(true)
}

/// One step of the notification-rule scheduler (every minute): each company with active rules
/// is evaluated in one transaction of its own (`messaging::rules::run`); a firing is recorded
/// with what it sent, so a repeated tick or a restart sends nothing twice.
pub async fn rules_once(w: impl Into<Ctx>) -> Result<bool> {
    let w: Ctx = w.into();
    let now = w.clock.now();
    let companies = crate::messaging::rules::companies_with_rules(&w.db.read()?)?;
    for c in companies {
        let config = w.config.clone();
        let outcome =
            w.db.write(move |tx| {
                let mut live = Vec::new();
                let report = crate::messaging::rules::run(tx, &config, c, now, &mut live)?;
                Ok::<_, crate::error::Error>((report, live))
            })
            .await;
        match outcome {
            Ok((report, live)) => {
                if report.fired > 0 {
                    tracing::info!(company = c.0, fired = report.fired, "notification rules fired");
                }
                crate::messaging::publish(&w.live, c, live);
            }
            // One company's failure (a missing time zone) does not hold up the others.
            Err(e) => tracing::warn!(company = c.0, "notification rules: {e}"),
        }
    }
    Ok(false)
}
