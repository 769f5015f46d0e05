//! The PLU sync driver: sends a `label::Plan` in batches of `label::BATCH` over an `Uplink`
//! (Mertech's TCP protocol here, the agent's WebSocket in `http`), stores each answered batch
//! in its own transaction and publishes progress on the live topic `label_scale:<id>` after
//! each commit. The outbox job of a Mertech scale is removed (or backed off) in the same
//! transaction that ends its sync.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::device::{Port, open};
use super::label::{self, BATCH, ItemResult, LabelLink, LabelScale, Plan, PluItem};
use super::mertech;
use super::{Link, Reach};
use crate::clock::Clock;
use crate::error::Result;
use crate::ids::{CompanyId, LabelScaleId};
use crate::live::{Event, Hub};
use crate::storage::{Db, outbox};

/// How long a scale may take to answer one command.
pub const ANSWER: Duration = Duration::from_secs(15);

/// What the scale said to a batch: per PLU, or the whole batch refused with its message.
pub type Answer = std::result::Result<Vec<ItemResult>, String>;

/// A way to a label scale. `Err` is a broken link (a fixed vocabulary), which ends the sync.
pub trait Uplink {
    fn send(&mut self, batch: &[PluItem]) -> impl Future<Output = std::result::Result<Answer, String>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to send: the scale is up to date, inactive or gone.
    Idle,
    Done {
        accepted: u32,
        rejected: u32,
    },
    Failed(String),
}

/// The topic a label scale's page follows.
pub fn topic(id: LabelScaleId) -> String {
    format!("label_scale:{id}")
}

/// Tells the scale's page (and an agent's connection) what changed: `progress` with
/// `{"done","total"}`, or `sync` when a sync is waiting to be taken.
pub fn publish(hub: &Hub, c: CompanyId, s: &LabelScale, kind: &str) {
    let (done, total) = s.sync.running.as_ref().map_or((0, 0), |r| (r.done, r.total));
    hub.publish(c, &topic(s.id), Event::new(kind, format!("{{\"done\":{done},\"total\":{total}}}")));
}

/// Sends `plan` over `link`. A broken link ends the sync as failed (the holds so far stay);
/// `job` is the outbox job to remove on success or back off on failure.
pub async fn run(db: &Db, hub: &Hub, clock: &dyn Clock, plan: Plan, link: &mut impl Uplink, job: Option<u64>) -> Result<Outcome> {
    let (c, id, sync) = (plan.company, plan.scale.id, plan.sync);
    publish(hub, c, &plan.scale, "progress");
    for chunk in plan.items.chunks(BATCH) {
        let results = match link.send(chunk).await {
            Ok(Ok(results)) => results,
            Ok(Err(refused)) => chunk.iter().map(|i| ItemResult { plu: i.plu, accepted: false, message: refused.clone() }).collect(),
            Err(broken) => return fail(db, hub, clock, c, id, sync, job, broken).await,
        };
        let (sent, now) = (chunk.to_vec(), clock.now());
        let s = db.write(move |tx| label::record_batch(tx, c, id, sync, now, &sent, &results)).await?;
        publish(hub, c, &s, "progress");
    }
    let now = clock.now();
    let s = db
        .write(move |tx| -> Result<LabelScale> {
            if let Some(job) = job {
                outbox::done(tx, job)?;
            }
            label::finish(tx, c, id, sync, now, None, false)
        })
        .await?;
    publish(hub, c, &s, "progress");
    Ok(Outcome::Done { accepted: s.sync.last_accepted, rejected: s.sync.last_rejected })
}

#[allow(clippy::too_many_arguments)]
async fn fail(
    db: &Db,
    hub: &Hub,
    clock: &dyn Clock,
    c: CompanyId,
    id: LabelScaleId,
    sync: u64,
    job: Option<u64>,
    why: String,
) -> Result<Outcome> {
    let (now, error) = (clock.now(), why.clone());
    let s = db
        .write(move |tx| -> Result<LabelScale> {
            if let Some(job) = job {
                outbox::failed(tx, job, error.clone(), now.0)?;
            }
            label::finish(tx, c, id, sync, now, Some(&error), job.is_some())
        })
        .await?;
    publish(hub, c, &s, "progress");
    Ok(Outcome::Failed(why))
}

/// A Mertech scale over TCP.
pub struct Mertech {
    port: Box<dyn Port>,
    password: [u8; 4],
    buf: Vec<u8>,
}

impl Mertech {
    /// Connects (the address passes the device policy at every connect) and asks the scale's
    /// state, so a wrong device is told apart from a silent one before anything is sent.
    pub async fn connect(host: &str, port: u16, password: [u8; 4], reach: &Reach) -> std::result::Result<Mertech, String> {
        let link = Link::Tcp { host: host.to_string(), port };
        let port = open(&link, reach).await.map_err(str::to_string)?;
        let mut m = Mertech { port, password, buf: Vec::new() };
        m.write(&mertech::state_request()).await?;
        match m.read_frame().await? {
            f if f.code == mertech::STATE => Ok(m),
            _ => Err("not a Mertech scale".into()),
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> std::result::Result<(), String> {
        match tokio::time::timeout(ANSWER, self.port.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err("connection broken".into()),
            Err(_) => Err("no answer".into()),
        }
    }

    async fn read_frame(&mut self) -> std::result::Result<mertech::Frame, String> {
        let deadline = tokio::time::Instant::now() + ANSWER;
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            match mertech::decode(&self.buf) {
                Ok(Some((frame, used))) => {
                    self.buf.drain(..used);
                    return Ok(frame);
                }
                Ok(None) => {}
                Err(_) => return Err("not a Mertech scale".into()),
            }
            match tokio::time::timeout_at(deadline, self.port.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Err("connection broken".into()),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return Err("no answer".into()),
            }
        }
    }
}

impl Uplink for Mertech {
    async fn send(&mut self, batch: &[PluItem]) -> std::result::Result<Answer, String> {
        self.write(&mertech::products_request(self.password, batch)).await?;
        let frame = self.read_frame().await?;
        Ok(mertech::products_answer(&frame))
    }
}

/// One `LabelSync` outbox job: for a Mertech scale, the whole sync (connect, batches, finish);
/// for an agent's scale, the job is handed to the agent's connection (a `sync` event) and
/// removed — a disconnected agent syncs when it comes back.
pub async fn job(db: &Db, hub: &Hub, clock: &dyn Clock, reach: &Reach, c: CompanyId, id: LabelScaleId, job: u64) -> Result<Outcome> {
    let now = clock.now();
    let Some(scale) = db.read()?.get(super::store::LABEL_SCALES, (c, id))? else {
        db.write(move |tx| outbox::done(tx, job)).await?;
        return Ok(Outcome::Idle);
    };
    let LabelLink::Mertech { host, port, password } = scale.link.clone() else {
        let s = db
            .write(move |tx| -> Result<Option<LabelScale>> {
                outbox::done(tx, job)?;
                label::handed_over(tx, c, id)
            })
            .await?;
        if let Some(s) = s {
            publish(hub, c, &s, "sync");
        }
        return Ok(Outcome::Idle);
    };
    let plan = db
        .write(move |tx| -> Result<Option<Plan>> {
            let plan = label::begin(tx, c, id, now, false)?;
            if plan.is_none() {
                outbox::done(tx, job)?;
            }
            Ok(plan)
        })
        .await?;
    let Some(plan) = plan else { return Ok(Outcome::Idle) };
    let sync = plan.sync;
    match Mertech::connect(&host, port, password, reach).await {
        Ok(mut link) => run(db, hub, clock, plan, &mut link, Some(job)).await,
        Err(why) => fail(db, hub, clock, c, id, sync, Some(job), why).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, Ts};
    use crate::i18n::Lang;
    use crate::scales::label::LabelScaleDraft;
    use crate::scales::label_sim::LabelSim;
    use crate::tenancy::actor::{Actor, BranchScope};
    use crate::tenancy::model::{Access, SystemRole, all_features};
    use crate::tenancy::perms::PermSet;
    use crate::webhooks::guard::Policy;

    fn owner(db: &Db, now: Ts) -> Actor {
        let parsed = crate::tenancy::ParsedCompany {
            name: "Весы".into(),
            country: crate::country::Country::KG,
            owner_name: "Владелец".into(),
            owner_email: "o@scales.test".into(),
            owner_password: String::new(),
            plan: None,
        };
        let (company, user) =
            db.write_blocking(|tx| crate::tenancy::create_company(tx, now, &parsed, "x".into(), crate::tenancy::Creator::Cli)).unwrap();
        Actor {
            company,
            user,
            user_name: "o".into(),
            role: SystemRole::Owner,
            perms: PermSet::all(),
            branch: BranchScope::Company,
            ip: String::new(),
            lang: Lang::Ru,
            platform_admin: false,
            access: Access::Full,
            features: all_features(),
        }
    }

    /// The worker's path end to end against the simulator: a sync of 250 PLUs in 3 batches,
    /// a refused PLU stored with the scale's message, a dead scale backed off and retried,
    /// a price change queueing the next sync, and `verify` clean throughout.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mertech_sync_stores_every_result_and_retries_a_dead_scale() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::schema::open(&dir.path().join("t.redb"), 16 << 20).unwrap();
        let now = Ts(1_772_355_600_000);
        let a = owner(&db, now);
        let ids = db.write_blocking(|tx| -> Result<Vec<crate::ids::ProductId>> {
            (0..250)
                .map(|i| {
                    let d = crate::catalog::ProductDraft {
                        name: if i == 7 { " ".into() } else { format!("Сыр {i}") },
                        unit: "kg".into(),
                        weighed: true,
                        price: "450.50".into(),
                        ..crate::catalog::ProductDraft::default()
                    };
                    crate::catalog::save_product(tx, &a, now, None, &d)
                })
                .collect()
        });
        // A blank name is refused by the catalogue itself: the list holds 249.
        assert!(ids.is_err());
        let ids = db
            .write_blocking(|tx| -> Result<Vec<crate::ids::ProductId>> {
                (0..250)
                    .map(|i| {
                        let d = crate::catalog::ProductDraft {
                            name: format!("Сыр {i}"),
                            unit: "kg".into(),
                            weighed: true,
                            price: if i == 7 { "0".into() } else { "450.50".into() },
                            ..crate::catalog::ProductDraft::default()
                        };
                        crate::catalog::save_product(tx, &a, now, None, &d)
                    })
                    .collect()
            })
            .unwrap();
        let sim = LabelSim::new(*b"0030");
        sim.set_down(true);
        let port = sim.serve().await.unwrap();
        let reach = Reach { paths: Vec::new(), policy: Policy { allow_private: true, allow_loopback: true } };
        let d = LabelScaleDraft {
            name: "Гастроном".into(),
            link: "mertech".into(),
            address: format!("127.0.0.1:{port}"),
            password: String::new(),
            active: true,
        };
        let (scale, token) = db.write_blocking(|tx| label::save(tx, &a, now, None, &d, &reach)).unwrap();
        assert!(token.unwrap().starts_with(&format!("ls.{}.{}.", a.company, scale.id)));
        let (hub, clock) = (Hub::new(), ManualClock::new(now));
        let due = |at: i64| outbox::due(&db.read().unwrap(), "label_sync", at, 10).unwrap();
        let (job_id, _) = due(now.0)[0].clone();

        // The scale is off: the sync fails, the job backs off and stays the queued one.
        let out = job(&db, &hub, &clock, &reach, a.company, scale.id, job_id).await.unwrap();
        assert!(matches!(out, Outcome::Failed(_)), "{out:?}");
        assert!(due(now.0).is_empty(), "backed off");
        let s = db.read().unwrap().get(super::super::store::LABEL_SCALES, (a.company, scale.id)).unwrap().unwrap();
        assert!(s.sync.queued && s.sync.last_error.is_some() && s.sync.held_version == 0);

        sim.set_down(false);
        let out = job(&db, &hub, &clock, &reach, a.company, scale.id, job_id).await.unwrap();
        assert_eq!(out, Outcome::Done { accepted: 249, rejected: 1 });
        assert_eq!(sim.count(), 249);
        assert!(due(i64::MAX).is_empty(), "the job is done");
        let tx = db.read().unwrap();
        let batches = tx.list(super::super::store::LABEL_BATCHES, (a.company, scale.id, 0), (a.company, scale.id, u64::MAX), 100).unwrap();
        assert_eq!(batches.len(), 3);
        let refused: Vec<_> = batches.iter().flat_map(|(_, b)| b.items.iter()).filter(|i| !i.accepted).collect();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].message, "нулевая цена");
        assert_eq!(label::held_count(&tx, a.company, scale.id).unwrap(), 249);
        assert!(label::verify(&tx).unwrap().is_empty());
        drop(tx);

        // A held PLU is not given to another product, even after its product takes another.
        let first = crate::catalog::store::product(&db.read().unwrap(), a.company, ids[0]).unwrap().unwrap();
        let held_plu = first.plu.unwrap();
        let moved = crate::catalog::ProductDraft { plu: "9000".into(), ..crate::catalog::ProductDraft::from_product(&first) };
        db.write_blocking(|tx| crate::catalog::save_product(tx, &a, now, Some(ids[0]), &moved)).unwrap();
        let thief = crate::catalog::ProductDraft {
            name: "Колбаса".into(),
            unit: "kg".into(),
            weighed: true,
            price: "600".into(),
            plu: held_plu.to_string(),
            ..crate::catalog::ProductDraft::default()
        };
        let err = db.write_blocking(|tx| crate::catalog::save_product(tx, &a, now, None, &thief)).unwrap_err();
        assert!(format!("{err:?}").contains("plu_held"), "{err:?}");

        // That change queued the next sync; once it completes the old PLU is free again.
        let (job_id, _) = due(i64::MAX)[0].clone();
        let out = job(&db, &hub, &clock, &reach, a.company, scale.id, job_id).await.unwrap();
        assert_eq!(out, Outcome::Done { accepted: 249, rejected: 1 });
        db.write_blocking(|tx| crate::catalog::save_product(tx, &a, now, None, &thief)).unwrap();
        assert!(label::verify(&db.read().unwrap()).unwrap().is_empty());
    }
}
