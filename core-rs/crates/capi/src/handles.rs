//! Handles: 64-bit ids into one registry, so a freed, foreign or wrong-kind handle is a
//! clear error instead of a dangling pointer.

use crate::jobs::Job;
use crate::session::SessionEntry;
use crate::values::ValueEntry;
use onnxrun_core::{Error, ErrorCode, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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

fn registry() -> &'static Mutex<HashMap<u64, Entry>> {
    static R: OnceLock<Mutex<HashMap<u64, Entry>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

// Ids start high and are never reused, so small integers and stale ids never match.
static NEXT: AtomicU64 = AtomicU64::new(0x0001_0000_0000_0001);

fn lock() -> std::sync::MutexGuard<'static, HashMap<u64, Entry>> {
    registry().lock().unwrap_or_else(|p| p.into_inner())
}

pub fn insert(e: Entry) -> u64 {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    lock().insert(id, e);
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
            match lock().get(&h) {
                Some(Entry::$variant(x)) => Ok(x.clone()),
                other => Err(bad(h, $what, other)),
            }
        }
        pub fn $take(h: u64) -> Result<Arc<$ty>> {
            let mut r = lock();
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

pub fn live() -> u64 {
    lock().len() as u64
}
