//! Async runs: each job runs on a worker of its session's pool (pool.rs, sized by
//! `interOpNumThreads`), so neither runtime's event loop blocks.
//! Deno awaits `onnxrun_job_wait` as a nonblocking call. Bun has no nonblocking calls and
//! its threadsafe callbacks are unreliable, so a thread that enabled notices gets the ids
//! of the jobs it started pushed on its own done queue as they finish; a Bun Worker
//! blocks in `onnxrun_jobs_wait_done` and posts them to the JS thread. The queue is per
//! starting thread so that two JS threads using the library never take each other's ids.

use crate::ffi::{out, wrap};
use crate::handles::{self, Entry};
use crate::session::{execute, SessionEntry};
use crate::values::ValueEntry;
use onnxrun_core::{bail, Error, ErrorCode, Result, RunState, Value};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

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

pub fn start(p: Prepared) -> Result<u64> {
    let job = Arc::new(Job { result: Mutex::new(None), done: Condvar::new() });
    let id = handles::insert(Entry::Job(job.clone()));
    // The starting thread's queue, taken now: the job finishes on a worker.
    let notify = THREAD_QUEUE.with(|t| t.borrow().as_ref().map(|t| t.1.clone()));
    // The job holds the session, so freeing it meanwhile leaves its pool running the queue.
    let session = p.session.clone();
    let submitted = session.pool.submit(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(p)))
            .unwrap_or_else(|_| Err(Error::new(ErrorCode::RuntimeException, "internal error (panic) during the run")));
        {
            let mut slot = job.result.lock().unwrap_or_else(|e| e.into_inner());
            *slot = Some(r);
            job.done.notify_all();
        }
        // After the result is in: whoever gets the id can finish the job at once.
        if let Some(q) = notify {
            q.push(id);
        }
    });
    if let Err(e) = submitted {
        let _ = handles::take_job(id);
        bail!(RuntimeException, "could not start a thread for the async run: {e}");
    }
    Ok(id)
}

/// Ids of finished jobs, for one starting thread. `None` once closed.
struct DoneQueue {
    ids: Mutex<Option<VecDeque<u64>>>,
    ready: Condvar,
}

impl DoneQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<VecDeque<u64>>> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, id: u64) {
        if let Some(q) = self.lock().as_mut() {
            q.push_back(id);
            self.ready.notify_all();
        }
    }
}

/// A thread's queue and its id; closed when the thread ends (a terminated Bun Worker, say).
struct ThreadQueue(u64, Arc<DoneQueue>);

impl Drop for ThreadQueue {
    fn drop(&mut self) {
        let _ = close(self.0);
    }
}

thread_local! {
    /// The calling thread's queue, once it enabled notices.
    static THREAD_QUEUE: RefCell<Option<ThreadQueue>> = const { RefCell::new(None) };
}

/// Open queues by id (the waiter calls in from another thread).
fn queues() -> std::sync::MutexGuard<'static, HashMap<u64, Arc<DoneQueue>>> {
    static Q: OnceLock<Mutex<HashMap<u64, Arc<DoneQueue>>>> = OnceLock::new();
    Q.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

fn closed(id: u64) -> Error {
    Error::new(ErrorCode::InvalidArgument, format!("job done queue {id} is closed or was never opened"))
}

/// Wakes a blocked waiter, which then gets the closed error; later jobs of the starting
/// thread push to nothing.
fn close(id: u64) -> Result<()> {
    let q = queues().remove(&id).ok_or_else(|| closed(id))?;
    *q.lock() = None;
    q.ready.notify_all();
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_jobs_notify_enable(out_queue: *mut u64) -> i32 {
    wrap(|| {
        let id = THREAD_QUEUE.with(|t| {
            let mut t = t.borrow_mut();
            match &*t {
                Some(ThreadQueue(id, q)) if q.lock().is_some() => *id,
                _ => {
                    // Its own counter: queues are not handles, so live-handle counts stay as they were.
                    static NEXT: AtomicU64 = AtomicU64::new(1);
                    let id = NEXT.fetch_add(1, Ordering::Relaxed);
                    let q = Arc::new(DoneQueue { ids: Mutex::new(Some(VecDeque::new())), ready: Condvar::new() });
                    queues().insert(id, q.clone());
                    *t = Some(ThreadQueue(id, q));
                    id
                }
            }
        });
        // SAFETY: writable out-pointer.
        unsafe { out(out_queue, id, "out_queue") }
    })
}

#[no_mangle]
pub unsafe extern "C" fn onnxrun_jobs_wait_done(
    queue_id: u64,
    out_ids: *mut u64,
    cap: usize,
    out_n: *mut usize,
    timeout_ms: u32,
) -> i32 {
    wrap(|| {
        if out_ids.is_null() || cap == 0 {
            bail!(InvalidArgument, "out_ids must hold at least one id");
        }
        let q = queues().get(&queue_id).cloned().ok_or_else(|| closed(queue_id))?;
        let deadline = (timeout_ms != u32::MAX).then(|| Instant::now() + Duration::from_millis(timeout_ms.into()));
        let mut ids = q.lock();
        let n = loop {
            let Some(pending) = ids.as_mut() else { return Err(closed(queue_id)) };
            if !pending.is_empty() {
                let n = pending.len().min(cap);
                // SAFETY: cap writable slots per the contract.
                let dst = unsafe { std::slice::from_raw_parts_mut(out_ids, n) };
                for (d, id) in dst.iter_mut().zip(pending.drain(..n)) {
                    *d = id;
                }
                break n;
            }
            ids = match deadline {
                None => q.ready.wait(ids).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break 0;
                    }
                    q.ready.wait_timeout(ids, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        };
        // SAFETY: writable out-pointer.
        unsafe { out(out_n, n, "out_n") }
    })
}

#[no_mangle]
pub extern "C" fn onnxrun_jobs_notify_disable(queue_id: u64) -> i32 {
    wrap(|| close(queue_id))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn enable() -> u64 {
        let mut q = 0;
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { onnxrun_jobs_notify_enable(&mut q) }, 0);
        q
    }

    fn wait(q: u64, cap: usize, timeout_ms: u32) -> (i32, Vec<u64>) {
        let (mut ids, mut n) = (vec![0; cap], 0);
        // SAFETY: cap writable slots and a valid out-pointer.
        let st = unsafe { onnxrun_jobs_wait_done(q, ids.as_mut_ptr(), cap, &mut n, timeout_ms) };
        ids.truncate(n);
        (st, ids)
    }

    fn push_on_this_thread(id: u64) {
        THREAD_QUEUE.with(|t| t.borrow().as_ref().unwrap().1.push(id));
    }

    #[test]
    fn done_queue_hands_out_ids_in_batches_and_times_out_empty() {
        let q = enable();
        assert_eq!(enable(), q, "one queue per thread");
        (1..=3).for_each(push_on_this_thread);
        assert_eq!(wait(q, 2, 0), (0, vec![1, 2]));
        assert_eq!(wait(q, 8, u32::MAX), (0, vec![3]));
        let t0 = Instant::now();
        assert_eq!(wait(q, 8, 20), (0, vec![]));
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert_eq!(onnxrun_jobs_notify_disable(q), 0);
        assert_ne!(wait(q, 1, 0).0, 0, "closed queue is an error");
        assert_ne!(enable(), q, "enabling again opens a new queue");
    }

    #[test]
    fn each_thread_gets_its_own_queue_and_disable_wakes_the_waiter() {
        let q = enable();
        let other = std::thread::spawn(enable).join().unwrap();
        assert_ne!(q, other);
        assert_ne!(wait(other, 1, 0).0, 0, "a thread's queue closes when the thread ends");
        let waiter = std::thread::spawn(move || wait(q, 4, u32::MAX));
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(onnxrun_jobs_notify_disable(q), 0);
        assert_ne!(waiter.join().unwrap().0, 0);
        push_on_this_thread(7); // a closed queue drops it
    }

    /// The mul_1.onnx example: Y = X * [[1, 2], [3, 4], [5, 6]].
    fn session(options: &str) -> u64 {
        let model = include_bytes!("../../../../src/datasets/mul_1.onnx");
        let (opts, mut s) = (std::ffi::CString::new(options).unwrap(), 0);
        // SAFETY: valid buffer, NUL-terminated options, writable out-pointer.
        let st = unsafe { crate::session::onnxrun_session_create_from_bytes(model.as_ptr(), model.len(), std::ptr::null(), opts.as_ptr(), &mut s) };
        assert_eq!(st, 0);
        s
    }

    fn start(session: u64, k: f32) -> u64 {
        let x = crate::values::new_handle(onnxrun_core::Tensor::from_vec(vec![3, 2], vec![k; 6]).unwrap().into());
        let (idx, none, mut job) = (0u32, 0u64, 0);
        // SAFETY: one-element arrays and a writable out-pointer.
        let st = unsafe { crate::session::onnxrun_session_run_start(session, 0, &idx, &x, 1, &idx, &none, 1, &mut job) };
        assert_eq!((st, crate::values::onnxrun_value_free(x)), (0, 0), "the job holds its own copy of the feed");
        job
    }

    /// Finishes the job and checks its output was computed from input k.
    fn finish(job: u64, k: f32) {
        let mut y = 0;
        // SAFETY: one writable slot.
        assert_eq!(unsafe { onnxrun_job_finish(job, &mut y, 1) }, 0);
        let v = handles::value(y).unwrap();
        assert_eq!(v.value.as_tensor().unwrap().data::<f32>().unwrap(), [1., 2., 3., 4., 5., 6.].map(|w| w * k));
        assert_eq!(crate::values::onnxrun_value_free(y), 0);
    }

    #[test]
    fn with_one_thread_more_jobs_than_threads_finish_in_submission_order() {
        let s = session(r#"{"interOpNumThreads": 1}"#);
        let q = enable();
        let jobs: Vec<u64> = (0..24).map(|k| start(s, k as f32)).collect();
        let mut done = Vec::new();
        while done.len() < jobs.len() {
            let (st, ids) = wait(q, 8, 10_000);
            assert!(st == 0 && !ids.is_empty(), "jobs stopped finishing");
            done.extend(ids);
        }
        assert_eq!(done, jobs, "one worker takes the jobs first in, first out");
        jobs.iter().enumerate().for_each(|(k, &j)| finish(j, k as f32));
        assert_eq!(onnxrun_jobs_notify_disable(q), 0);
        assert_eq!(crate::session::onnxrun_session_free(s), 0);
    }

    #[test]
    fn a_session_freed_with_jobs_queued_finishes_them_then_goes() {
        let s = session(r#"{"interOpNumThreads": 1}"#);
        let entry = Arc::downgrade(&handles::session(s).unwrap());
        let jobs: Vec<u64> = (0..16).map(|k| start(s, k as f32)).collect();
        assert_eq!(crate::session::onnxrun_session_free(s), 0);
        assert!(handles::session(s).is_err(), "the handle is gone at once");
        for (k, &j) in jobs.iter().enumerate() {
            assert_eq!(onnxrun_job_wait(j), 0);
            finish(j, k as f32);
        }
        // The last job drops the session on its worker, which then exits.
        let t0 = Instant::now();
        while entry.upgrade().is_some() {
            assert!(t0.elapsed() < Duration::from_secs(10), "session still held after its jobs");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn concurrent_jobs_on_the_default_pool_all_finish() {
        let s = session("{}");
        let starters: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    let jobs: Vec<u64> = (0..8).map(|k| start(s, (t * 8 + k) as f32)).collect();
                    for (k, &j) in jobs.iter().enumerate() {
                        assert_eq!(onnxrun_job_wait(j), 0);
                        finish(j, (t * 8 + k as i32) as f32);
                    }
                })
            })
            .collect();
        starters.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(crate::session::onnxrun_session_free(s), 0);
    }
}
