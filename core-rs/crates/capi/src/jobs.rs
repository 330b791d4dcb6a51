//! Runs on a library thread, so neither runtime's event loop blocks: Deno awaits
//! `onnxrun_job_wait` as a nonblocking call, Bun polls `onnxrun_job_poll`.

use crate::ffi::{out, wrap};
use crate::handles::{self, Entry};
use crate::session::{execute, SessionEntry};
use crate::values::ValueEntry;
use onnxrun_core::{bail, Error, ErrorCode, Result, RunState, Value};
use std::sync::{Arc, Condvar, Mutex};

pub struct Prepared {
    pub session: Arc<SessionEntry>,
    pub feeds: Vec<(usize, Value)>,
    pub fetch: Vec<usize>,
    pub bound: Vec<Option<(u64, Arc<ValueEntry>)>>,
    pub run: RunState,
}

pub struct Job {
    result: Mutex<Option<Result<Vec<u64>>>>,
    done: Condvar,
}

pub fn start(p: Prepared) -> u64 {
    let job = Arc::new(Job { result: Mutex::new(None), done: Condvar::new() });
    let id = handles::insert(Entry::Job(job.clone()));
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(p)))
            .unwrap_or_else(|_| Err(Error::new(ErrorCode::RuntimeException, "internal error (panic) during the run")));
        let mut slot = job.result.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(r);
        job.done.notify_all();
    });
    id
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_job_poll(job: u64, out_done: *mut i32) -> i32 {
    wrap(|| {
        let j = handles::job(job)?;
        let done = j.result.lock().map(|r| r.is_some()).unwrap_or(true);
        // SAFETY: writable out-pointer.
        unsafe { out(out_done, done as i32, "out_done") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_job_wait(job: u64) -> i32 {
    wrap(|| {
        let j = handles::job(job)?;
        let mut r = j.result.lock().unwrap_or_else(|e| e.into_inner());
        while r.is_none() {
            r = j.done.wait(r).unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_job_finish(job: u64, fetches: *mut u64, n_fetches: usize) -> i32 {
    wrap(|| {
        let j = handles::job(job)?;
        if j.result.lock().map(|r| r.is_none()).unwrap_or(false) {
            bail!(InvalidArgument, "job {job} has not finished yet (poll or wait first)");
        }
        let j = handles::take_job(job)?;
        let r = j.result.lock().unwrap_or_else(|e| e.into_inner()).take().expect("finished job has a result");
        let hs = r?;
        if hs.len() != n_fetches {
            bail!(InvalidArgument, "job produced {} outputs but {n_fetches} slots were given", hs.len());
        }
        if n_fetches > 0 {
            if fetches.is_null() {
                bail!(InvalidArgument, "fetches is NULL");
            }
            // SAFETY: n_fetches writable slots per the contract.
            unsafe { std::slice::from_raw_parts_mut(fetches, n_fetches) }.copy_from_slice(&hs);
        }
        Ok(())
    })
}
