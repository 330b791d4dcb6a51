//! A small persistent intra-op thread pool.
//!
//! `parallel_for(n, f)` runs `f(0..n)` on the pool's workers plus the calling thread and
//! returns when every task is done, so `f` may borrow from the caller's stack. Tasks are
//! handed out through one atomic counter; a per-job count of workers still touching the
//! job is the completion latch the caller waits on before its stack frame can go away.
//!
//! Workers spin briefly after a job (back-to-back GEMMs in one model are common), then
//! park on a condvar. A call made while the pool is busy (a nested call from inside a
//! task, or a second thread using the same pool) runs inline on its own thread instead
//! of waiting, so the pool can never deadlock on itself.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long an idle worker polls for the next job before parking.
const SPIN_TIME: Duration = Duration::from_micros(50);

/// Why a `parallel_for` did not complete normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// A task panicked; the remaining unstarted tasks were skipped.
    TaskPanicked { task: usize, message: String },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::TaskPanicked { task, message } => {
                write!(f, "parallel task {task} panicked: {message}")
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// One `parallel_for` call, living on the caller's stack.
struct Job<'f> {
    func: &'f (dyn Fn(usize) + Sync + 'f),
    n_tasks: usize,
    /// Next task index to hand out.
    next: AtomicUsize,
    /// Workers that picked up this job and have not yet let go of it.
    active: AtomicUsize,
    /// First panic seen, if any.
    error: Mutex<Option<PoolError>>,
}

impl<'f> Job<'f> {
    fn new(func: &'f (dyn Fn(usize) + Sync + 'f), n_tasks: usize) -> Self {
        Job {
            func,
            n_tasks,
            next: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            error: Mutex::new(None),
        }
    }

    /// Claims and runs tasks until none are left.
    fn run(&self) {
        loop {
            let task = self.next.fetch_add(1, Ordering::Relaxed);
            if task >= self.n_tasks {
                return;
            }
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| (self.func)(task))) {
                // Stop handing out work: the call fails anyway.
                self.next.store(self.n_tasks, Ordering::Relaxed);
                let mut err = lock(&self.error);
                if err.is_none() {
                    *err = Some(PoolError::TaskPanicked {
                        task,
                        message: panic_message(payload.as_ref()),
                    });
                }
            }
        }
    }

    fn into_result(self) -> Result<(), PoolError> {
        match self
            .error
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A job pointer with its lifetime erased so it can sit in the shared state.
#[derive(Clone, Copy)]
struct JobPtr(*const Job<'static>);

// SAFETY: a JobPtr is only dereferenced by workers between registering in `Job::active`
// (under the state lock, while the job is published) and deregistering; the submitting
// thread keeps the Job alive until `active` is back to zero. Job itself is Sync (atomics,
// a Mutex and a `dyn Fn + Sync`).
unsafe impl Send for JobPtr {}

struct State {
    job: Option<JobPtr>,
    generation: u64,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    work_cv: Condvar,
    done_cv: Condvar,
    /// Mirror of `State::generation` that idle workers poll while spinning.
    generation: AtomicU64,
}

/// A persistent pool of `num_threads() - 1` workers; the caller of `parallel_for` is the
/// last thread.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Held for the duration of a pooled `parallel_for`; busy means "run inline".
    submit: Mutex<()>,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("num_threads", &self.num_threads())
            .finish()
    }
}

impl ThreadPool {
    /// A pool running tasks on `n_threads` threads in total (the caller included).
    /// `0` means one per available CPU. If the OS refuses to spawn a worker, the pool
    /// keeps the ones it got.
    pub fn new(n_threads: usize) -> Self {
        let n_threads = if n_threads == 0 {
            thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            n_threads
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                job: None,
                generation: 0,
                shutdown: false,
            }),
            work_cv: Condvar::new(),
            done_cv: Condvar::new(),
            generation: AtomicU64::new(0),
        });
        let mut workers = Vec::with_capacity(n_threads.saturating_sub(1));
        for i in 1..n_threads {
            let shared = Arc::clone(&shared);
            let spawned = thread::Builder::new()
                .name(format!("onnxrun-linalg-{i}"))
                .spawn(move || worker_main(&shared));
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(_) => break,
            }
        }
        ThreadPool {
            shared,
            workers,
            submit: Mutex::new(()),
        }
    }

    /// Threads that run tasks, the calling thread included.
    pub fn num_threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `f(i)` for every `i` in `0..n_tasks`, each exactly once, and returns when all
    /// are done. Tasks run in no particular order and on any thread. If a task panics the
    /// panic is caught, unstarted tasks are skipped, and the first panic is returned.
    pub fn parallel_for<F>(&self, n_tasks: usize, f: F) -> Result<(), PoolError>
    where
        F: Fn(usize) + Sync,
    {
        if n_tasks <= 1 || self.workers.is_empty() {
            return run_inline(n_tasks, &f);
        }
        let _submit = match self.submit.try_lock() {
            Ok(guard) => guard,
            // A panic never happens while the lock is held (tasks are caught), but a
            // poisoned lock is still a free lock.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return run_inline(n_tasks, &f),
        };

        let job = Job::new(&f, n_tasks);
        let ptr = JobPtr((&job as *const Job<'_>).cast::<Job<'static>>());
        {
            let mut st = lock(&self.shared.state);
            st.job = Some(ptr);
            st.generation += 1;
            self.shared
                .generation
                .store(st.generation, Ordering::Release);
        }
        self.shared.work_cv.notify_all();

        // The guard unpublishes the job and waits for the workers even if something
        // below unwinds, so no worker can outlive `job`.
        let finish = FinishGuard {
            shared: &self.shared,
            job: &job,
        };
        job.run();
        drop(finish);
        job.into_result()
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        // Break spinning workers out early; they then see `shutdown` under the lock.
        self.shared.generation.fetch_add(1, Ordering::Release);
        self.shared.work_cv.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

struct FinishGuard<'a, 'f> {
    shared: &'a Shared,
    job: &'a Job<'f>,
}

impl Drop for FinishGuard<'_, '_> {
    fn drop(&mut self) {
        // No new worker can register once the job is unpublished.
        lock(&self.shared.state).job = None;
        let start = Instant::now();
        while self.job.active.load(Ordering::Acquire) != 0 {
            if start.elapsed() > SPIN_TIME {
                let mut st = lock(&self.shared.state);
                // Checked under the lock, and workers notify under it: no lost wakeup.
                while self.job.active.load(Ordering::Acquire) != 0 {
                    st = self
                        .shared
                        .done_cv
                        .wait(st)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                return;
            }
            std::hint::spin_loop();
        }
    }
}

fn worker_main(shared: &Shared) {
    let mut seen = 0u64;
    loop {
        let start = Instant::now();
        while shared.generation.load(Ordering::Acquire) == seen && start.elapsed() < SPIN_TIME {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
        let job = {
            let mut st = lock(&shared.state);
            loop {
                if st.shutdown {
                    return;
                }
                if st.generation != seen {
                    seen = st.generation;
                    if let Some(job) = st.job {
                        // SAFETY: the job is published, so its submitter is still inside
                        // parallel_for and cannot unpublish it while we hold the lock.
                        unsafe { &*job.0 }.active.fetch_add(1, Ordering::Relaxed);
                        break job;
                    }
                    // Job already finished and unpublished: wait for the next one.
                }
                st = shared
                    .work_cv
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        // SAFETY: we registered in `active` above, and the submitter waits for `active`
        // to reach zero before the job leaves its stack frame.
        let job_ref = unsafe { &*job.0 };
        job_ref.run();
        if job_ref.active.fetch_sub(1, Ordering::Release) == 1 {
            // `job_ref` may be gone from here on; only `shared` is touched.
            let _st = lock(&shared.state);
            shared.done_cv.notify_all();
        }
    }
}

fn run_inline(n_tasks: usize, f: &(dyn Fn(usize) + Sync)) -> Result<(), PoolError> {
    let mut current = 0;
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        while current < n_tasks {
            f(current);
            current += 1;
        }
    }));
    result.map_err(|payload| PoolError::TaskPanicked {
        task: current,
        message: panic_message(payload.as_ref()),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while these locks are held, but never cascade a poison panic.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_task_runs_exactly_once() {
        for threads in [1, 2, 3, 5] {
            let pool = ThreadPool::new(threads);
            for n in [0, 1, 2, 7, 100, 1000] {
                let hits: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
                pool.parallel_for(n, |i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
                assert!(
                    hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                    "threads={threads} n={n}"
                );
            }
        }
    }
}
