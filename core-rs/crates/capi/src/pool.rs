//! A session's worker threads for async runs: at most `max` threads, started as jobs need
//! them, taking jobs in submission order (FIFO). Per session rather than library-wide
//! because `interOpNumThreads` is a session option; shutdown stays simple because nothing
//! joins: dropping the pool (with the session's last `Arc`, possibly on one of its own
//! workers) only tells idle workers to exit once the queue is empty. Idle workers yield for
//! a moment, then block on a condvar: plain threads, so they never delay process exit.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a worker that ran out of jobs keeps yielding before it sleeps: waking a sleeping
/// thread costs more than spawning one (bench/async_overhead.ts on Bun: workers that slept
/// at once added ~10 µs of runAsync overhead to a thread per job's ~35 µs; with this it is
/// ~22 µs), as a worker still looking takes the next of back-to-back calls at once.
const SPIN: Duration = Duration::from_micros(100);

type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    queue: VecDeque<Task>,
    workers: usize,
    idle: usize,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    /// queue.len(), readable without the lock while a worker spins.
    queued: AtomicUsize,
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Pool {
    shared: Arc<Shared>,
    max: usize,
}

/// Threads for `interOpNumThreads = n`. 0 (unset) means one per core, as it does for
/// onnxruntime's inter-op pool: concurrent runAsync calls keep running side by side, as
/// they did with a thread per job, without more threads than cores.
pub fn threads_for(n: usize) -> usize {
    match n {
        0 => std::thread::available_parallelism().map_or(1, |c| c.get()),
        n => n,
    }
}

impl Pool {
    pub fn new(max: usize) -> Pool {
        Pool { shared: Arc::default(), max: max.max(1) }
    }

    /// Queues the task; starts a worker when every current one is busy and there is room.
    /// Fails only when no worker exists and none could be started (the task is dropped).
    pub fn submit(&self, task: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let mut st = self.shared.lock();
        st.queue.push_back(Box::new(task));
        self.shared.queued.store(st.queue.len(), Relaxed);
        if st.queue.len() <= st.idle || st.workers >= self.max {
            self.shared.wake.notify_one();
            return Ok(());
        }
        st.workers += 1;
        let shared = self.shared.clone();
        match std::thread::Builder::new().name("onnxrun-job".into()).spawn(move || work(&shared)) {
            Ok(_) => Ok(()),
            Err(e) => {
                st.workers -= 1;
                if st.workers == 0 {
                    // No one would ever run it; with no workers the queue held only this task.
                    st.queue.pop_back();
                    self.shared.queued.store(0, Relaxed);
                    return Err(e);
                }
                Ok(())
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_all();
    }
}

fn work(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if let Some(task) = st.queue.pop_front() {
            shared.queued.store(st.queue.len(), Relaxed);
            drop(st);
            // A panic must not end the worker: its count would stay and queued jobs would hang.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(task));
            st = shared.lock();
        } else if st.shutdown {
            st.workers -= 1;
            return;
        } else {
            st.idle += 1;
            drop(st);
            let t0 = Instant::now();
            while shared.queued.load(Relaxed) == 0 && t0.elapsed() < SPIN {
                std::thread::yield_now();
            }
            st = shared.lock();
            // Checked under the lock, so a submit in between is never missed.
            if st.queue.is_empty() && !st.shutdown {
                st = shared.wake.wait(st).unwrap_or_else(|e| e.into_inner());
            }
            st.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn wait_until(what: &str, f: impl Fn() -> bool) {
        let t0 = Instant::now();
        while !f() {
            assert!(t0.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn one_thread_runs_more_jobs_than_threads_in_submission_order() {
        let pool = Pool::new(1);
        let (tx, rx) = mpsc::channel();
        for k in 0..50 {
            let tx = tx.clone();
            pool.submit(move || tx.send((k, std::thread::current().id())).unwrap()).unwrap();
        }
        let got: Vec<_> = (0..50).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), (0..50).collect::<Vec<_>>());
        assert!(got.iter().all(|g| g.1 == got[0].1), "one worker thread");
        assert_eq!(pool.shared.lock().workers, 1);
    }

    #[test]
    fn never_more_workers_than_max_and_queued_jobs_wait_then_complete() {
        let pool = Pool::new(3);
        let (release, gate) = (Arc::new((Mutex::new(false), Condvar::new())), mpsc::channel());
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for _ in 0..12 {
            let (release, done, running) = (release.clone(), gate.0.clone(), running.clone());
            pool.submit(move || {
                running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut open = release.0.lock().unwrap();
                while !*open {
                    open = release.1.wait(open).unwrap();
                }
                done.send(()).unwrap();
            })
            .unwrap();
        }
        wait_until("3 running jobs", || running.load(std::sync::atomic::Ordering::SeqCst) == 3);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(running.load(std::sync::atomic::Ordering::SeqCst), 3, "the rest wait");
        assert_eq!(pool.shared.lock().workers, 3);
        *release.0.lock().unwrap() = true;
        release.1.notify_all();
        (0..12).for_each(|_| gate.1.recv_timeout(Duration::from_secs(10)).unwrap());
    }

    #[test]
    fn workers_exit_after_the_pool_is_dropped_and_its_queue_drained() {
        let pool = Pool::new(2);
        let (tx, rx) = mpsc::channel();
        for k in 0..6 {
            let tx = tx.clone();
            pool.submit(move || {
                std::thread::sleep(Duration::from_millis(5));
                tx.send(k).unwrap();
            })
            .unwrap();
        }
        let weak = Arc::downgrade(&pool.shared);
        drop(pool); // jobs still queued: they run, then the workers go
        let mut got: Vec<i32> = (0..6).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..6).collect::<Vec<_>>());
        wait_until("workers to exit", || weak.upgrade().is_none());
    }

    #[test]
    fn a_panicking_task_leaves_its_worker_running() {
        let pool = Pool::new(1);
        pool.submit(|| panic!("task panic (expected in this test)")).unwrap();
        let (tx, rx) = mpsc::channel();
        pool.submit(move || tx.send(1).unwrap()).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
    }

    #[test]
    fn zero_means_one_thread_per_core() {
        assert!(threads_for(0) >= 1);
        assert_eq!(threads_for(3), 3);
        assert_eq!(Pool::new(0).max, 1);
    }
}
