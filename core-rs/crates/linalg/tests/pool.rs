//! Thread pool behaviour: completeness, borrowing, panics, nesting, concurrency, drop.

use onnxrun_linalg::{PoolError, ThreadPool};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[test]
fn tasks_borrow_from_the_stack_and_write_disjoint_slots() {
    let pool = ThreadPool::new(2);
    assert_eq!(pool.num_threads(), 2);
    let input: Vec<u64> = (0..10_000).collect();
    let out: Vec<AtomicUsize> = (0..100).map(|_| AtomicUsize::new(0)).collect();
    for _ in 0..200 {
        pool.parallel_for(100, |t| {
            let s: u64 = input[t * 100..(t + 1) * 100].iter().sum();
            out[t].store(s as usize, Ordering::Relaxed);
        })
        .unwrap();
    }
    let total: usize = out.iter().map(|x| x.load(Ordering::Relaxed)).sum();
    assert_eq!(total, 10_000 * 9_999 / 2);
}

#[test]
fn single_thread_pool_runs_inline_on_the_caller() {
    let pool = ThreadPool::new(1);
    assert_eq!(pool.num_threads(), 1);
    let me = std::thread::current().id();
    let count = AtomicUsize::new(0);
    pool.parallel_for(50, |_| {
        assert_eq!(std::thread::current().id(), me);
        count.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(count.load(Ordering::Relaxed), 50);
}

#[test]
fn zero_threads_means_one_per_cpu() {
    let pool = ThreadPool::new(0);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    assert_eq!(pool.num_threads(), cpus);
}

#[test]
fn work_is_shared_between_threads() {
    let pool = ThreadPool::new(2);
    let ids = std::sync::Mutex::new(std::collections::HashSet::new());
    // Slow tasks so the worker surely wakes up and takes some.
    pool.parallel_for(20, |_| {
        std::thread::sleep(Duration::from_millis(2));
        ids.lock().unwrap().insert(std::thread::current().id());
    })
    .unwrap();
    assert_eq!(ids.lock().unwrap().len(), 2);
}

#[test]
fn panicking_task_is_reported_and_the_pool_survives() {
    for threads in [1, 2, 4] {
        let pool = ThreadPool::new(threads);
        let ran = AtomicUsize::new(0);
        let res = pool.parallel_for(64, |t| {
            ran.fetch_add(1, Ordering::Relaxed);
            if t == 5 {
                panic!("boom at {t}");
            }
        });
        match res {
            Err(PoolError::TaskPanicked { task, message }) => {
                assert_eq!(task, 5);
                assert_eq!(message, "boom at 5");
            }
            other => panic!("expected a panic error, got {other:?}"),
        }
        assert!(ran.load(Ordering::Relaxed) <= 64);
        // Still usable afterwards.
        let count = AtomicUsize::new(0);
        pool.parallel_for(1000, |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 1000);
    }
}

#[test]
fn every_task_panicking_still_returns() {
    let pool = ThreadPool::new(3);
    let err = pool.parallel_for(100, |_| panic!("all fail")).unwrap_err();
    assert!(err.to_string().contains("all fail"), "{err}");
}

#[test]
fn nested_parallel_for_runs_inline_without_deadlock() {
    let pool = ThreadPool::new(2);
    let count = AtomicUsize::new(0);
    pool.parallel_for(8, |_| {
        pool.parallel_for(8, |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    })
    .unwrap();
    assert_eq!(count.load(Ordering::Relaxed), 64);
}

#[test]
fn concurrent_callers_share_one_pool() {
    let pool = ThreadPool::new(2);
    let count = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..200 {
                    pool.parallel_for(17, |_| {
                        count.fetch_add(1, Ordering::Relaxed);
                    })
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(count.load(Ordering::Relaxed), 4 * 200 * 17);
}

#[test]
fn pool_is_send_and_sync_and_drops_cleanly() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ThreadPool>();
    for _ in 0..50 {
        let pool = ThreadPool::new(3);
        pool.parallel_for(10, |_| {}).unwrap();
        drop(pool);
    }
    // Dropped while workers are parked, not just spinning.
    let pool = ThreadPool::new(2);
    pool.parallel_for(4, |_| {}).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    drop(pool);
    // Moved to and dropped on another thread.
    let pool = ThreadPool::new(2);
    std::thread::spawn(move || pool.parallel_for(4, |_| {}).unwrap())
        .join()
        .unwrap();
}

#[test]
fn many_rapid_small_jobs() {
    let pool = ThreadPool::new(2);
    let count = AtomicUsize::new(0);
    for i in 0..20_000 {
        pool.parallel_for(2 + i % 3, |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    }
    let expect: usize = (0..20_000).map(|i| 2 + i % 3).sum();
    assert_eq!(count.load(Ordering::Relaxed), expect);
}
