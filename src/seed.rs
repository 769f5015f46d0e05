//! Synthetic data for benchmarks (`dukan bench-seed`): companies with owners, branches, a few
//! users each, and audit rows up to the requested record count, written in large batches
//! through the normal write paths (so indexes and `check` stay consistent).

use crate::audit::{AUDIT, Entry};
use crate::auth::password::Hasher;
use crate::clock::Ts;
use crate::error::Result;
use crate::ids::{CompanyId, UserId};
use crate::storage::Db;
use crate::tenancy::{self, Creator, ParsedCompany};

pub const BENCH_PASSWORD: &str = "bench-password";

/// Adds `companies` companies (owners `bench<N>@bench.local`) and audit rows until `records`
/// records were written; reports progress through `tick`. Returns the records written.
pub fn bench(db: &Db, hasher: &Hasher, now: Ts, records: u64, companies: u64, tick: impl Fn(u64)) -> Result<u64> {
    let hash = hasher.hash_blocking(BENCH_PASSWORD)?;
    let existing = db.read()?.len(tenancy::store::COMPANIES)?;
    let mut written = 0u64;
    let mut ids: Vec<(CompanyId, UserId)> = Vec::new();
    for n in 1..=companies {
        let parsed = ParsedCompany {
            name: format!("Бенчмарк {}", existing + n),
            country: crate::country::Country::KG,
            owner_name: format!("Владелец {n}"),
            owner_email: format!("bench{}@bench.local", existing + n),
            owner_password: String::new(),
            plan: None,
        };
        let h = hash.clone();
        let pair = db.write_blocking(|tx| tenancy::create_company(tx, now, &parsed, h, Creator::Cli))?;
        ids.push(pair);
        // Company, owner, branch, 4 preset roles, an audit row.
        written += 8;
        tick(8);
    }
    const BATCH: u64 = 50_000;
    while written < records && !ids.is_empty() {
        let n = BATCH.min(records - written);
        let ids = ids.clone();
        db.write_blocking(|tx| -> Result<()> {
            for i in 0..n {
                let (company, user) = ids[(i as usize) % ids.len()];
                let id = tx.next_id()?;
                let entry = Entry {
                    at: now,
                    actor_company: company,
                    actor_user: Some(user),
                    actor_name: "bench".into(),
                    ip: "127.0.0.1".into(),
                    action: "bench.record".into(),
                    target: format!("bench:{id}"),
                    detail: "synthetic record for start-up and read benchmarks".into(),
                };
                tx.insert(AUDIT, (company.0, id), &entry)?;
            }
            Ok(())
        })?;
        written += n;
        tick(n);
    }
    Ok(written)
}
