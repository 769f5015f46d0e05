//! The worker status board: per worker, runs, last run, last error and what a long step is
//! doing now. `App` owns it (the platform page and `/metrics` read it); the workers write it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::clock::Ts;
use crate::error::Result;

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
    pub(super) fn report(&self, name: &'static str, now: Ts, outcome: &Result<bool>) {
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
