//! A seeded mutation fuzzer of model load and of runs with fuzzed feeds, through the C ABI.
//!
//! Why: include/onnxrun.h promises that any model bytes and any feeds get a status back,
//! never a crash, a hang or a panic (a panic is caught, but is still a bug). A mutation
//! fuzzer over model bytes found none (issue 9); this keeps it that way, with no nightly
//! toolchain and no extra crate (cargo-fuzz needs both).
//!
//! Each iteration picks a seed model (seeds.rs: built ones incl. If/Loop, and the
//! repo's .onnx fixtures), mutates its bytes or its decoded fields (mutate.rs), loads
//! it with random session options, and runs it with fuzzed feeds (feeds.rs) under a
//! per-session tensor cap and a watchdog (watchdog.rs); runner.rs says what is
//! checked. An iteration depends only on (seed, index), so a finding replays on its own.
//! Every case in tests/fuzz_regressions/ is replayed first.
//!
//! Short pass (cargo test, npm test): a fixed seed and count, about 30 s in release.
//! Long pass: `bash scripts/fuzz.sh [seconds] [seed]`, which runs this test with
//!   ONNXRUN_FUZZ_SECONDS=<s> ONNXRUN_FUZZ_SEED=<n>
//! and, if the process dies, files the input it was running as a regression case.
//! Also: ONNXRUN_FUZZ_COUNT=<n> iterations; ONNXRUN_FUZZ_ONLY=<i> replays iteration i alone.
//! Findings are saved as case files under .cache/fuzz/findings/ (or $ONNXRUN_FUZZ_DIR);
//! the long pass keeps the input being run there as current.{onnx,case}.

// Linked for its exported C symbols, which abi.rs declares.
extern crate onnxrun;

mod abi;
mod case;
mod feeds;
mod mutate;
mod rng;
mod runner;
mod seeds;
mod watchdog;
mod wire;

use case::{Case, Current};
use rng::Rng;
use runner::{Fuzzer, Runs};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Iterations of the short pass: about 30 s on a 2-core machine in release.
const SHORT_COUNT: u64 = 50_000;
const SHORT_SEED: u64 = 0x5EED_0009;

/// The last panic's message and place, for a report of a panic `wrap` caught.
pub static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

struct Config {
    seed: u64,
    count: Option<u64>,
    seconds: Option<f64>,
    only: Option<u64>,
    dir: PathBuf,
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name} must be an integer, got '{v}'")))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().expect("repo root")
}

impl Config {
    fn from_env() -> Config {
        let seconds = std::env::var("ONNXRUN_FUZZ_SECONDS").ok().map(|s| s.trim().parse().expect("ONNXRUN_FUZZ_SECONDS must be a number"));
        let only = env_u64("ONNXRUN_FUZZ_ONLY");
        let count = env_u64("ONNXRUN_FUZZ_COUNT").or(if seconds.is_none() && only.is_none() { Some(SHORT_COUNT) } else { None });
        let dir = std::env::var_os("ONNXRUN_FUZZ_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join(".cache/fuzz"));
        Config { seed: env_u64("ONNXRUN_FUZZ_SEED").unwrap_or(SHORT_SEED), count, seconds, only, dir }
    }
    /// Long mode keeps each input on disk before running it.
    fn long(&self) -> bool {
        self.seconds.is_some()
    }
}

/// A model folder holding `weights.bin` (the external seed's data) and the symlink
/// `escape.bin`, plus `outside.bin` next to it: what a mutant must not read.
struct Workdir {
    root: PathBuf,
}

impl Workdir {
    fn new() -> Workdir {
        let root = std::env::temp_dir().join(format!("onnxrun-fuzz-{}", std::process::id()));
        let model = root.join("model");
        std::fs::create_dir_all(&model).expect("fuzz work dir");
        let weights: Vec<u8> = seeds::WEIGHTS.iter().flat_map(|w| w.to_le_bytes()).collect();
        std::fs::write(model.join("weights.bin"), &weights).expect("weights.bin");
        std::fs::write(root.join("outside.bin"), &weights).expect("outside.bin");
        std::os::unix::fs::symlink("../outside.bin", model.join("escape.bin")).expect("escape.bin");
        Workdir { root }
    }
    fn model_dir(&self) -> PathBuf {
        self.root.join("model")
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Library panics are recorded for the report (and not printed: `wrap` turns them into a
/// status); the fuzzer's own keep the default report.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let own = info.location().is_some_and(|l| l.file().contains("tests/fuzz"));
        if own {
            default(info);
        } else if let Ok(mut p) = LAST_PANIC.lock() {
            *p = info.to_string().replace('\n', " ");
        }
    }));
}

/// The seeds must be good models, or the fuzzer would only test the loader's first check.
fn check_seeds(model_dir: &std::ffi::CStr, seeds: &[seeds::Seed]) {
    for s in seeds {
        assert!(wire::decode(wire::Kind::Model, &s.bytes).is_some(), "seed {} does not decode", s.name);
        assert!(!mutate::must_refuse(&s.bytes), "seed {} reads external data from outside its folder", s.name);
        let session = abi::create_session(&s.bytes, model_dir, &runner::options(99, 1)).unwrap_or_else(|f| panic!("seed {} does not load: {}", s.name, f.message));
        let info = abi::session_info(session).unwrap_or_else(|f| panic!("seed {}: {}", s.name, f.message));
        let run = feeds::Signature::parse(&info).expect("session info").ones();
        let fed: Vec<_> = run.feeds.iter().map(|f| (f.idx, feeds::create(f).unwrap_or_else(|e| panic!("seed {} feed: {}", s.name, e.message)))).collect();
        let pairs: Vec<(u32, u64)> = fed.iter().map(|(i, v)| (*i, v.handle)).collect();
        match abi::run(session, 0, &pairs, &run.fetch, &[]) {
            Ok(outs) => {
                for h in outs {
                    // SAFETY: our own output handle, freed once.
                    unsafe { abi::onnxrun_value_free(h) };
                }
            }
            Err(f) if s.built => panic!("seed {} does not run with all-ones feeds: {}", s.name, f.message),
            Err(_) => {}
        }
        // SAFETY: our session, freed once.
        unsafe { abi::onnxrun_session_free(session) };
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Replays tests/fuzz_regressions/NAME.onnx with NAME.case's runs (fuzzed ones, seeded by
/// the name, when there is no case file).
fn replay_regressions(fz: &mut Fuzzer) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    models.retain(|p| p.extension().is_some_and(|e| e == "onnx"));
    models.sort();
    for path in &models {
        let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let model = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let label = format!("regression-{name}");
        match std::fs::read_to_string(path.with_extension("case")) {
            Ok(text) => {
                let case = Case::parse(label.clone(), &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let options = if case.options.is_empty() { runner::options(99, 1) } else { case.options };
                fz.exec(label, &model, options, Runs::Fixed(case.runs));
            }
            Err(_) => fz.exec(label, &model, runner::options(99, 1), Runs::Fuzzed(&mut Rng::new(fnv1a(&name)))),
        }
    }
    models.len()
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kib.unwrap_or(0) / 1024
}

#[test]
fn fuzz_model_load_and_run() {
    install_panic_hook();
    let t0 = Instant::now();
    let cfg = Config::from_env();
    let work = Workdir::new();
    let seeds = seeds::all(&repo_root());
    let donors = mutate::Donors {
        bytes: seeds.iter().map(|s| s.bytes.clone()).collect(),
        trees: seeds.iter().filter_map(|s| wire::decode(wire::Kind::Model, &s.bytes)).collect(),
        outside_abs: work.root.join("outside.bin").to_string_lossy().into_owned(),
    };
    let model_dir = abi::cstring(&work.model_dir().to_string_lossy());
    let current = Current { dir: cfg.long().then(|| cfg.dir.clone()) };
    if let Some(d) = &current.dir {
        std::fs::create_dir_all(d).expect("fuzz dir");
    }
    check_seeds(&model_dir, &seeds);
    let mut fz = Fuzzer::new(model_dir, cfg.dir.join("findings"), current);
    let regressions = replay_regressions(&mut fz);
    let iterations: Box<dyn Iterator<Item = u64>> = match cfg.only {
        Some(i) => Box::new(std::iter::once(i)),
        None => Box::new(0..),
    };
    for i in iterations {
        if cfg.count.is_some_and(|n| i >= n) || cfg.seconds.is_some_and(|s| t0.elapsed().as_secs_f64() >= s) {
            break;
        }
        let mut rng = Rng::for_iteration(cfg.seed, i);
        let seed = rng.pick(&seeds);
        let m = mutate::mutate(&mut rng, &seed.bytes, &donors);
        let options = runner::options(rng.choose(&[0, 1, 2, 99]), if rng.one_in(8) { 2 } else { 1 });
        let label = format!("{:#x}-{i} ({}: {})", cfg.seed, seed.name, m.steps.join(" + "));
        if cfg.only.is_some() {
            eprintln!("fuzz: {label}, {} bytes, options {options}", m.bytes.len());
        }
        let runs = if seed.built && m.steps == ["as-is"] { Runs::FuzzedThenOnes(&mut rng) } else { Runs::Fuzzed(&mut rng) };
        fz.exec(label, &m.bytes, options, runs);
    }
    let s = &fz.stats;
    println!(
        "fuzz: seed {:#x}: {} mutants + {regressions} regression cases in {:.1} s: {} loaded, {} runs, {} ok, {} terminated; \
         load errors {}; feed errors {}; run errors {}; slowest load {:.2} s, run {:.2} s; peak RSS {} MiB; {} findings",
        cfg.seed,
        s.inputs - regressions as u64,
        t0.elapsed().as_secs_f64(),
        s.loaded,
        s.runs,
        s.runs_ok,
        s.terminated,
        abi::codes(&s.load_errors),
        abi::codes(&s.feed_errors),
        abi::codes(&s.run_errors),
        s.slowest_load.as_secs_f64(),
        s.slowest_run.as_secs_f64(),
        peak_rss_mib(),
        fz.findings.len()
    );
    for f in &fz.findings {
        let saved = f.saved.as_ref().map(|p| format!(" (saved as {})", p.display())).unwrap_or_default();
        println!("  {} in {}: {}{saved}", f.kind, f.label, f.detail);
    }
    assert!(fz.findings.is_empty(), "{} findings; replay one with ONNXRUN_FUZZ_SEED=<seed> ONNXRUN_FUZZ_ONLY=<iteration>", fz.findings.len());
}
