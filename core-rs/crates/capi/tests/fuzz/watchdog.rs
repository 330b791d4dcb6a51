//! Bounds each library call: sets the run's terminate flag after `TERMINATE_AFTER`, and
//! aborts the process (a crash, so scripts/fuzz.sh keeps the input) when a call outlives
//! `HANG_AFTER` or the process outgrows `MAX_RSS`, instead of hanging or swapping.

use crate::abi;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TERMINATE_AFTER: Duration = Duration::from_millis(500);
const HANG_AFTER: Duration = Duration::from_secs(30);
const MAX_RSS: u64 = 6 << 30;

#[derive(Default)]
struct Armed {
    since: Option<Instant>,
    what: String,
    run_options: u64,
    fired: bool,
}

pub struct Watchdog {
    armed: Arc<Mutex<Armed>>,
}

pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// Says why, notes it in the case file being run (if any), and aborts.
fn give_up(kind: &str, what: &str, note: Option<&PathBuf>) -> ! {
    eprintln!("fuzz: {kind} in {what}; aborting so the input is kept");
    if let Some(mut f) = note.and_then(|p| std::fs::OpenOptions::new().append(true).open(p).ok()) {
        let _ = writeln!(f, "# {kind} in {what}");
    }
    std::process::abort();
}

impl Watchdog {
    /// `note`: the case file of the input being run, when one is written (long mode).
    pub fn start(note: Option<PathBuf>) -> Watchdog {
        let armed = Arc::new(Mutex::new(Armed::default()));
        let a = armed.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(10));
            let mut a = a.lock().unwrap_or_else(|p| p.into_inner());
            if rss_bytes() > MAX_RSS {
                give_up("memory blow-up", &a.what, note.as_ref());
            }
            let Some(since) = a.since else { continue };
            let elapsed = since.elapsed();
            if elapsed > TERMINATE_AFTER && a.run_options != 0 && !a.fired {
                // SAFETY: the run options stay alive while armed (disarm takes this lock).
                unsafe { abi::onnxrun_run_options_set_terminate(a.run_options, 1) };
                a.fired = true;
            }
            if elapsed > HANG_AFTER {
                give_up("hang", &a.what, note.as_ref());
            }
        });
        Watchdog { armed }
    }

    /// Starts timing a call; `run_options` (0 for none) is terminated when it runs long.
    pub fn arm(&self, what: String, run_options: u64) {
        *self.armed.lock().unwrap_or_else(|p| p.into_inner()) = Armed { since: Some(Instant::now()), what, run_options, fired: false };
    }

    /// Stops timing: how long the call took and whether it had to be terminated.
    pub fn disarm(&self) -> (Duration, bool) {
        let mut a = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        let took = a.since.map(|s| s.elapsed()).unwrap_or_default();
        let fired = a.fired;
        *a = Armed::default();
        (took, fired)
    }
}
