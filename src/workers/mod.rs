//! Background workers: each is a loop that calls its `run_once` step, sleeps when idle and is
//! woken early by `App::wake` when a transaction adds outbox rows. Tests call the same steps
//! directly (`run_once`) to drain queues deterministically. Status (last run, last error) is
//! shown on the platform page and in `/metrics`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::app::App;
use crate::backup;
use crate::clock::Ts;
use crate::error::Result;
use crate::ids::BackupId;
use crate::storage::outbox;

#[derive(Debug, Clone, Default)]
pub struct Status {
    pub runs: u64,
    pub last_run: Option<Ts>,
    pub last_error: Option<String>,
    /// What a long step is doing now ("rebuilding search for company 7: 1000/30000").
    pub progress: Option<String>,
}

#[derive(Default)]
pub struct Board {
    inner: Mutex<BTreeMap<&'static str, Status>>,
}

impl Board {
    fn report(&self, name: &'static str, now: Ts, outcome: &Result<bool>) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry(name).or_default();
        s.runs += 1;
        s.last_run = Some(now);
        s.last_error = outcome.as_ref().err().map(|e| e.to_string());
    }

    pub fn set_progress(&self, name: &'static str, progress: Option<String>) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).entry(name).or_default().progress = progress;
    }

    pub fn snapshot(&self) -> Vec<(&'static str, Status)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (*k, v.clone())).collect()
    }
}

/// Starts every worker on the runtime. They stop when the process does.
pub fn start(app: &App) {
    // A backup killed with the server left its `.partial` file behind.
    backup::remove_leftovers(&app.config.backup_dir());
    spawn(app.clone(), "backup", Duration::from_secs(30), |app| Box::pin(backup_once(app)));
    spawn(app.clone(), "sweeper", Duration::from_secs(3600), |app| Box::pin(sweep_once(app)));
    spawn(app.clone(), "search", Duration::from_secs(5), |app| Box::pin(search_once(app)));
    spawn(app.clone(), "webhook", Duration::from_secs(5), |app| Box::pin(webhook_once(app)));
    spawn(app.clone(), "import", Duration::from_secs(5), |app| Box::pin(import_once(app)));
    spawn(app.clone(), "print", Duration::from_secs(2), |app| Box::pin(print_once(app)));
}

type Step = fn(App) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool>> + Send>>;

fn spawn(app: App, name: &'static str, idle: Duration, step: Step) {
    tokio::spawn(async move {
        loop {
            let outcome = step(app.clone()).await;
            if let Err(e) = &outcome {
                tracing::warn!(worker = name, "worker step failed: {e}");
            }
            app.workers.report(name, app.clock.now(), &outcome);
            if matches!(outcome, Ok(true)) {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = app.wake.notified() => {}
            }
        }
    });
}

/// One step of the backup worker: queue today's scheduled backup when due, then run the
/// oldest requested backup. Returns whether it did anything.
pub async fn backup_once(app: App) -> Result<bool> {
    let now = app.clock.now();
    let cfg = &app.config.backup;
    let up_long_enough = now.0 - app.started.0 >= cfg.start_delay_minutes * 60_000;
    if !cfg.daily_at.trim().is_empty() && up_long_enough {
        let due = backup::scheduled_due(&app.db.read()?, &cfg.daily_at, &cfg.timezone, now)?;
        if due {
            app.db.write(move |tx| backup::request(tx, "schedule", backup::Trigger::Scheduled, now)).await?;
        }
    }
    let jobs = outbox::due(&app.db.read()?, "backup", now.0, 1)?;
    let Some((job_id, job)) = jobs.into_iter().next() else {
        return Ok(false);
    };
    let outbox::JobKind::Backup { backup_id } = job.kind else {
        return Err(crate::error::Error::Internal(format!("outbox job {job_id} is not a backup")));
    };
    let a = app.clone();
    let state = tokio::task::spawn_blocking(move || {
        let clock = a.clock.clone();
        backup::run(&a.db, &a.tables, &a.config.backup_dir(), BackupId(backup_id), move || clock.now(), a.config.backup.keep)
    })
    .await
    .map_err(|e| crate::error::Error::Internal(format!("backup task: {e}")))??;
    if let backup::State::Failed { error, .. } = &state {
        tracing::error!(backup = backup_id, "backup failed: {error}");
    }
    // The outcome is recorded on the backup itself; a failed backup is not retried blindly
    // (the next schedule or a person's click makes a new one).
    app.db.write(move |tx| outbox::done(tx, job_id).map_err(crate::error::Error::from)).await?;
    Ok(true)
}

/// One step of the search worker (see `search::Search::run_once`): the first step finds
/// missing or outdated indexes, later steps rebuild them one company at a time, then apply
/// queued product changes in batches. Rebuild progress is shown on the worker board.
pub async fn search_once(app: App) -> Result<bool> {
    let a = app.clone();
    let step = tokio::task::spawn_blocking(move || {
        let now = a.clock.now();
        let board = a.workers.clone();
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

pub async fn sweep_once(app: App) -> Result<bool> {
    let now = app.clock.now();
    let removed = app.db.write(move |tx| crate::auth::sweep(tx, now)).await?;
    if removed > 0 {
        tracing::info!(removed, "expired sessions and tokens removed");
    }
    Ok(false)
}

/// One step of the webhook worker: POST up to 20 due deliveries, signed, and record each
/// outcome; failures back off (outbox) until `webhooks::MAX_ATTEMPTS`.
pub async fn webhook_once(app: App) -> Result<bool> {
    let now = app.clock.now();
    let jobs = outbox::due(&app.db.read()?, "webhook", now.0, 20)?;
    if jobs.is_empty() {
        return Ok(false);
    }
    for (job_id, job) in jobs {
        let outbox::JobKind::Webhook { delivery } = job.kind else {
            continue;
        };
        let company = crate::ids::CompanyId(job.company);
        let tx = app.db.read()?;
        let found = tx.get(crate::webhooks::DELIVERIES, (company.0, delivery))?.and_then(|d| {
            let hook = tx.get(crate::webhooks::HOOKS, (company.0, d.webhook)).ok().flatten();
            hook.map(|h| (d, h))
        });
        drop(tx);
        let outcome = match &found {
            None => Err("webhook deleted".to_string()),
            // The URL is vetted again (the policy may have changed since it was saved); a
            // host name's addresses are vetted by the client's resolver at connect time.
            Some((_, h)) if crate::webhooks::guard::check_url(&h.url, crate::webhooks::guard::Policy::of(&app.config)).is_err() => {
                Err("address not allowed".to_string())
            }
            Some((d, h)) => {
                let sent = app
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
        let at = app.clock.now();
        app.db
            .write(move |tx| -> Result<()> {
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
pub async fn import_once(app: App) -> Result<bool> {
    let now = app.clock.now();
    let jobs = outbox::due(&app.db.read()?, "import", now.0, 1)?;
    let Some((job_id, job)) = jobs.into_iter().next() else {
        return Ok(false);
    };
    let outbox::JobKind::ImportApply { import } = job.kind else {
        return Err(crate::error::Error::Internal(format!("outbox job {job_id} is not an import")));
    };
    let (company, import) = (crate::ids::CompanyId(job.company), crate::ids::ImportId(import));
    let actor = crate::transfer::actor_of(&app.db.read()?, company, import, now)?;
    let state = app.db.write(move |tx| crate::transfer::apply_job(tx, actor, now, company, import, job_id)).await?;
    app.workers.set_progress("import", state.map(|(done, total)| format!("import {import}: {done}/{total}")));
    app.wake.notify_waiters();
    Ok(true)
}

/// One step of the print worker: for every printer with a due job, send its oldest job (the
/// printers in parallel, each printer one job at a time, so jobs never interleave) and record
/// the outcome and the printer's status. Returns whether anything printed.
pub async fn print_once(app: App) -> Result<bool> {
    let now = app.clock.now();
    let due = crate::printing::due(&app.db.read()?, now)?;
    if due.is_empty() {
        return Ok(false);
    }
    let sends = due.into_iter().map(|d| async move {
        let (health, error) = crate::printing::transport::send(&d.printer.transport, &d.job.bytes).await;
        (d, health, error)
    });
    let results = futures_util::future::join_all(sends).await;
    let printed = results.iter().any(|(_, _, e)| e.is_none());
    for (d, health, error) in results {
        if let Some(e) = &error {
            tracing::warn!(printer = d.printer.id.0, job = d.job.id, "print failed: {e}");
        }
        let at = app.clock.now();
        app.db.write(move |tx| crate::printing::record_send(tx, d.company, d.printer.id, &d.job, health, error, at)).await?;
    }
    Ok(printed)
}
