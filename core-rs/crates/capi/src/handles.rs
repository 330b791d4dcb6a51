//! Handles: 64-bit ids into one registry, so a freed, foreign or wrong-kind handle is a
//! clear error instead of a dangling pointer. The registry is sharded by id, each shard an
//! `RwLock`: lookups (every run looks up its session and values) share read locks, and
//! inserts/removes of different ids mostly take different shards.

use crate::jobs::Job;
use crate::session::SessionEntry;
use crate::values::ValueEntry;
use onnxrun_core::{Error, ErrorCode, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub struct RunOptionsEntry {
    pub terminate: Arc<AtomicBool>,
    pub config: Mutex<std::collections::BTreeMap<String, String>>,
}

#[derive(Clone)]
pub enum Entry {
    Session(Arc<SessionEntry>),
    Value(Arc<ValueEntry>),
    RunOptions(Arc<RunOptionsEntry>),
    Job(Arc<Job>),
}

impl Entry {
    fn kind(&self) -> &'static str {
        match self {
            Entry::Session(_) => "session",
            Entry::Value(_) => "value",
            Entry::RunOptions(_) => "run options",
            Entry::Job(_) => "job",
        }
    }
}

type Map = HashMap<u64, Entry>;

// Ids are sequential, so id % SHARDS spreads them evenly.
const SHARDS: usize = 16;

fn shard(id: u64) -> &'static RwLock<Map> {
    static R: OnceLock<[RwLock<Map>; SHARDS]> = OnceLock::new();
    &R.get_or_init(|| std::array::from_fn(|_| RwLock::default()))[(id % SHARDS as u64) as usize]
}

// Ids start high and are never reused, so small integers and stale ids never match.
static NEXT: AtomicU64 = AtomicU64::new(0x0001_0000_0000_0001);

// A panic while a lock is held leaves the map itself consistent (no entry is half-made).
fn read(id: u64) -> RwLockReadGuard<'static, Map> {
    shard(id).read().unwrap_or_else(|p| p.into_inner())
}

fn write(id: u64) -> RwLockWriteGuard<'static, Map> {
    shard(id).write().unwrap_or_else(|p| p.into_inner())
}

pub fn insert(e: Entry) -> u64 {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    write(id).insert(id, e);
    id
}

fn bad(h: u64, want: &str, found: Option<&Entry>) -> Error {
    match (h, found) {
        (0, _) => Error::new(ErrorCode::InvalidArgument, format!("{want} handle is null")),
        (_, Some(e)) => Error::new(ErrorCode::InvalidArgument, format!("handle {h} is a {}, not a {want}", e.kind())),
        (_, None) => Error::new(ErrorCode::InvalidArgument, format!("{want} handle {h} is closed or was never valid")),
    }
}

macro_rules! getter {
    ($fn:ident, $take:ident, $variant:ident, $ty:ty, $what:literal) => {
        pub fn $fn(h: u64) -> Result<Arc<$ty>> {
            match read(h).get(&h) {
                Some(Entry::$variant(x)) => Ok(x.clone()),
                other => Err(bad(h, $what, other)),
            }
        }
        pub fn $take(h: u64) -> Result<Arc<$ty>> {
            let mut r = write(h);
            match r.get(&h) {
                Some(Entry::$variant(_)) => match r.remove(&h) {
                    Some(Entry::$variant(x)) => Ok(x),
                    _ => unreachable!("entry checked above"),
                },
                other => Err(bad(h, $what, other)),
            }
        }
    };
}

getter!(session, take_session, Session, SessionEntry, "session");
getter!(value, take_value, Value, ValueEntry, "value");
getter!(run_options, take_run_options, RunOptions, RunOptionsEntry, "run options");
getter!(job, take_job, Job, Job, "job");

/// Exact whenever no handle is being made or freed meanwhile (shards are counted in turn).
pub fn live() -> u64 {
    (0..SHARDS as u64).map(|i| read(i).len() as u64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ro() -> Entry {
        Entry::RunOptions(Arc::new(RunOptionsEntry { terminate: Arc::default(), config: Mutex::default() }))
    }

    #[test]
    fn a_lookup_does_not_wait_for_another_lookup_of_the_same_shard() {
        let id = insert(ro());
        let held = read(id); // a lookup in progress, say
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(run_options(id).is_ok()).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true), "second reader went through");
        drop(held);
        take_run_options(id).unwrap();
    }

    #[test]
    fn many_threads_look_up_insert_and_free_at_once() {
        let shared = insert(ro());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for k in 0..2000 {
                        assert!(run_options(shared).is_ok());
                        mine.push(insert(ro()));
                        if k % 2 == 0 {
                            take_run_options(mine.swap_remove(0)).unwrap();
                        }
                    }
                    mine.iter().for_each(|&h| drop(take_run_options(h).unwrap()));
                    mine
                })
            })
            .collect();
        let mut all: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "ids are unique");
        assert!(all.iter().all(|&h| run_options(h).is_err()), "freed handles are errors");
        take_run_options(shared).unwrap();
    }

    #[test]
    fn freed_foreign_and_wrong_kind_handles_are_clear_errors() {
        let id = insert(ro());
        let msg = |r: Result<Arc<Job>>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg(job(id)).contains("is a run options, not a job"));
        assert!(msg(take_job(id)).contains("not a job"));
        assert!(run_options(id).is_ok(), "a wrong-kind take leaves the entry");
        take_run_options(id).unwrap();
        assert!(msg(job(id)).contains("closed or was never valid"));
        assert!(take_run_options(id).is_err(), "freed twice");
        assert!(msg(job(0)).contains("null"));
        assert!(msg(job(42)).contains("never valid"));
        let next = insert(ro());
        assert!(next > id, "ids are never reused");
        take_run_options(next).unwrap();
    }
}
