//! Executes one input (model bytes, session options, runs) through the C ABI and checks
//! what the ABI promises: every call returns a status, none is a caught panic, outputs
//! describe consistently, handles balance, a model escaping its folder is refused, and the
//! canary session still gives its first answer afterwards.

use crate::abi::{self, Failure};
use crate::case::{Case, Current};
use crate::feeds::{self, RunSpec, Signature};
use crate::rng::Rng;
use crate::watchdog::Watchdog;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

/// Per-tensor cap for fuzzed sessions, so mutants cannot allocate much.
pub const MAX_TENSOR_BYTES: usize = 32 << 20;

pub fn options(level: u32, threads: u32) -> String {
    format!(r#"{{"graphOptimizationLevel":{level},"intraOpNumThreads":{threads},"configEntries":{{"session.max_tensor_bytes":"{MAX_TENSOR_BYTES}"}}}}"#)
}

pub enum Runs<'a> {
    Fixed(Vec<RunSpec>),
    Fuzzed(&'a mut Rng),
    /// Fuzzed runs of a good model, then an all-ones run that must still succeed.
    FuzzedThenOnes(&'a mut Rng),
}

#[derive(Default)]
pub struct Stats {
    pub inputs: u64,
    pub loaded: u64,
    pub runs: u64,
    pub runs_ok: u64,
    pub terminated: u64,
    pub load_errors: BTreeMap<i32, u64>,
    pub feed_errors: BTreeMap<i32, u64>,
    pub run_errors: BTreeMap<i32, u64>,
    pub slowest_load: Duration,
    pub slowest_run: Duration,
}

pub struct Finding {
    pub kind: &'static str,
    pub label: String,
    pub detail: String,
    pub saved: Option<PathBuf>,
}

pub struct Fuzzer {
    pub stats: Stats,
    pub findings: Vec<Finding>,
    pub model_dir: CString,
    pub findings_dir: PathBuf,
    pub current: Current,
    pub watchdog: Watchdog,
    canary: Canary,
}

/// The MLP seed, loaded once: after every input it must still give its first answer.
struct Canary {
    session: u64,
    run: RunSpec,
    answer: Vec<u8>,
}

/// One output's bytes (host tensors) for the canary's comparison.
fn tensor_bytes(h: u64) -> Result<Vec<u8>, String> {
    let d = abi::describe(h).map_err(|f| f.message)?;
    // SAFETY: describe's data pointer and byte length of a live host tensor.
    Ok(unsafe { std::slice::from_raw_parts(d[3] as *const u8, d[4] as usize) }.to_vec())
}

fn free(h: u64) -> Result<(), Failure> {
    // SAFETY: a handle we own, freed once.
    abi::check(unsafe { abi::onnxrun_value_free(h) })
}

impl Canary {
    fn new(model_dir: &CString) -> Canary {
        let session = abi::create_session(&crate::seeds::mlp(), model_dir, &options(99, 1)).unwrap_or_else(|f| panic!("canary: {}", f.message));
        let sig = Signature::parse(&abi::session_info(session).unwrap_or_default()).expect("canary info");
        let mut run = sig.ones();
        run.feeds[0].dims = vec![2, 4];
        let mut c = Canary { session, run, answer: Vec::new() };
        c.answer = c.ask().unwrap_or_else(|e| panic!("canary: {e}"));
        c
    }

    fn ask(&self) -> Result<Vec<u8>, String> {
        let fed = feeds::create(&self.run.feeds[0]).map_err(|f| f.message)?;
        let outs = abi::run(self.session, 0, &[(0, fed.handle)], &self.run.fetch, &[]).map_err(|f| f.message)?;
        let answer = tensor_bytes(outs[0]);
        free(outs[0]).map_err(|f| f.message)?;
        answer
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        // SAFETY: our session, freed once.
        unsafe { abi::onnxrun_session_free(self.session) };
    }
}

impl Fuzzer {
    pub fn new(model_dir: CString, findings_dir: PathBuf, current: Current) -> Fuzzer {
        let watchdog = Watchdog::start(current.case_path());
        let canary = Canary::new(&model_dir);
        Fuzzer { stats: Stats::default(), findings: Vec::new(), model_dir, findings_dir, current, watchdog, canary }
    }

    fn finding(&mut self, kind: &'static str, case: &Case, model: &[u8], detail: String) {
        let id = case.label.split_whitespace().next().unwrap_or_default();
        let name = format!("{kind}-{}", id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"));
        let saved = case.save(&self.findings_dir, &name, model).ok();
        eprintln!("fuzz: FINDING {kind} in {}: {detail}", case.label);
        self.findings.push(Finding { kind, label: case.label.clone(), detail, saved });
    }

    /// A status is always fine, except a panic that `wrap` caught.
    fn failed(&mut self, f: &Failure, case: &Case, model: &[u8], call: &str) {
        if f.is_panic() {
            let at = crate::LAST_PANIC.lock().map(|p| p.clone()).unwrap_or_default();
            self.finding("panic", case, model, format!("{call}: {} [{at}]", f.message));
        }
    }

    /// Loads `model` with `options` and makes the runs (fuzzed ones from the signature).
    pub fn exec(&mut self, label: String, model: &[u8], options: String, runs: Runs) {
        let handles_before = abi::live_handles();
        let mut case = Case { label, options, runs: Vec::new() };
        self.current.begin(&case, model);
        self.stats.inputs += 1;
        self.watchdog.arm(format!("{} (load)", case.label), 0);
        let created = abi::create_session(model, &self.model_dir, &case.options);
        let (took, _) = self.watchdog.disarm();
        self.stats.slowest_load = self.stats.slowest_load.max(took);
        let must_refuse = crate::mutate::must_refuse(model);
        match created {
            Err(f) => {
                *self.stats.load_errors.entry(f.code).or_default() += 1;
                self.failed(&f, &case, model, "load");
            }
            Ok(session) => {
                self.stats.loaded += 1;
                if must_refuse {
                    self.finding("escape", &case, model, "a model reading external data from outside its folder loaded".into());
                }
                self.exec_runs(session, &mut case, model, runs);
                // SAFETY: our session, freed once.
                if let Err(f) = abi::check(unsafe { abi::onnxrun_session_free(session) }) {
                    self.finding("free", &case, model, format!("session free failed: {}", f.message));
                }
            }
        }
        let handles_after = abi::live_handles();
        if handles_after != handles_before {
            self.finding("leak", &case, model, format!("{handles_before} live handles before, {handles_after} after"));
        }
        match self.canary.ask() {
            Ok(a) if a == self.canary.answer => {}
            Ok(_) => self.finding("canary", &case, model, "the canary session's answer changed".into()),
            Err(e) => self.finding("canary", &case, model, format!("the canary session failed: {e}")),
        }
        self.current.end();
    }

    fn exec_runs(&mut self, session: u64, case: &mut Case, model: &[u8], runs: Runs) {
        let sig = match abi::session_info(session).map(|i| Signature::parse(&i)) {
            Ok(Some(sig)) => sig,
            Ok(None) => return self.finding("info", case, model, "session info is not the documented JSON".into()),
            Err(f) => return self.finding("info", case, model, format!("session info failed: {}", f.message)),
        };
        let (specs, then_ones) = match runs {
            Runs::Fixed(r) => (r, false),
            Runs::Fuzzed(rng) => ((0..1 + rng.below(4)).map(|_| sig.fuzz(rng)).collect(), false),
            Runs::FuzzedThenOnes(rng) => ((0..1 + rng.below(4)).map(|_| sig.fuzz(rng)).collect(), true),
        };
        let json = abi::cstring("{}");
        // SAFETY: a valid JSON string and out-pointer.
        let ro = abi::get(|out| unsafe { abi::onnxrun_run_options_create(json.as_ptr(), out) }).unwrap_or_else(|f| panic!("run options: {}", f.message));
        for spec in specs {
            self.current.push(&spec);
            case.runs.push(spec.clone());
            self.run_one(session, ro, &spec, case, model);
        }
        if then_ones {
            let spec = sig.ones();
            self.current.push(&spec);
            case.runs.push(spec.clone());
            if !self.run_one(session, ro, &spec, case, model) {
                self.finding("unusable", case, model, "after the fuzzed runs, the session fails a run that worked before".into());
            }
        }
        // SAFETY: our run options, freed once.
        unsafe { abi::onnxrun_run_options_free(ro) };
    }

    /// Whether the run succeeded.
    fn run_one(&mut self, session: u64, ro: u64, spec: &RunSpec, case: &Case, model: &[u8]) -> bool {
        let mut fed = Vec::new();
        for f in &spec.feeds {
            match feeds::create(f) {
                Ok(v) if feeds::over_limit(f) => {
                    self.finding("limit", case, model, format!("a feed of type {} and dims {:?} was accepted", f.elem, f.dims));
                    drop(v);
                }
                Ok(v) => fed.push((f.idx, v)),
                Err(e) => {
                    *self.stats.feed_errors.entry(e.code).or_default() += 1;
                    self.failed(&e, case, model, "value create");
                }
            }
        }
        let pairs: Vec<(u32, u64)> = fed.iter().map(|(i, v)| (*i, v.handle)).collect();
        self.stats.runs += 1;
        self.watchdog.arm(format!("{} (run {})", case.label, case.runs.len()), ro);
        let result = abi::run(session, ro, &pairs, &spec.fetch, &[]);
        let (took, fired) = self.watchdog.disarm();
        self.stats.slowest_run = self.stats.slowest_run.max(took);
        if fired {
            self.stats.terminated += 1;
            // SAFETY: live run options.
            unsafe { abi::onnxrun_run_options_set_terminate(ro, 0) };
        }
        let outs = match result {
            Ok(outs) => outs,
            Err(f) => {
                *self.stats.run_errors.entry(f.code).or_default() += 1;
                self.failed(&f, case, model, "run");
                return false;
            }
        };
        self.stats.runs_ok += 1;
        for (&h, o) in outs.iter().zip(&spec.fetch) {
            if let Err(e) = inspect(h) {
                self.finding("output", case, model, format!("output {o} of run {}: {e}", case.runs.len()));
            }
        }
        if spec.bind && !outs.is_empty() {
            if let Err(e) = self.run_bound(session, ro, &pairs, spec, outs[0], case, model) {
                self.finding("bound", case, model, e);
            }
        }
        for h in outs {
            if let Err(f) = free(h) {
                self.finding("free", case, model, format!("output free failed: {}", f.message));
            }
        }
        true
    }

    /// Runs again with output 0 written into a caller tensor shaped like the first answer.
    #[allow(clippy::too_many_arguments)]
    fn run_bound(&mut self, session: u64, ro: u64, feeds: &[(u32, u64)], spec: &RunSpec, first: u64, case: &Case, model: &[u8]) -> Result<(), String> {
        let d = abi::describe(first).map_err(|f| f.message)?;
        if d[0] != 1 || d[1] == 8 || d[5] != 0 {
            return Ok(());
        }
        let dims = &d[9..];
        // SAFETY: dims of the stated length, NULL data with copy (zeros), writable out.
        let bound = match abi::get(|out| unsafe { abi::onnxrun_value_tensor_create(d[1] as i32, dims.as_ptr(), dims.len(), std::ptr::null_mut(), 0, 1, out) }) {
            Ok(h) => h,
            Err(f) => return Err(format!("a tensor shaped like an output could not be made: {}", f.message)),
        };
        self.watchdog.arm(format!("{} (bound run {})", case.label, case.runs.len()), ro);
        let result = abi::run(session, ro, feeds, &spec.fetch, &[bound]);
        if self.watchdog.disarm().1 {
            // SAFETY: live run options.
            unsafe { abi::onnxrun_run_options_set_terminate(ro, 0) };
        }
        match result {
            Ok(outs) => {
                let kept = outs[0] == bound;
                for &h in &outs[1..] {
                    free(h).map_err(|f| f.message)?;
                }
                free(bound).map_err(|f| f.message)?;
                kept.then_some(()).ok_or_else(|| "a bound output came back as another handle".to_string())
            }
            Err(f) => {
                self.failed(&f, case, model, "bound run");
                free(bound).map_err(|f| f.message)
            }
        }
    }
}

/// Walks an output value through describe and the container getters, reading every byte.
fn inspect(h: u64) -> Result<(), String> {
    let d = abi::describe(h).map_err(|f| format!("describe failed: {}", f.message))?;
    abi::value_type(h).map_err(|f| format!("value type failed: {}", f.message))?;
    let child = |r: Result<u64, Failure>| -> Result<(), String> {
        let c = r.map_err(|f| format!("getter failed: {}", f.message))?;
        if c != 0 {
            inspect(c)?;
            free(c).map_err(|f| f.message)?;
        }
        Ok(())
    };
    match d[0] {
        1 => check_tensor(&d),
        2 => {
            for i in 0..(d[2] as usize).min(4) {
                // SAFETY: a live sequence, writable out.
                child(abi::get(|o| unsafe { abi::onnxrun_value_sequence_get(h, i, o) }))?;
            }
            // SAFETY: as above; one past the end must be refused.
            match abi::get(|o| unsafe { abi::onnxrun_value_sequence_get(h, d[2] as usize, o) }) {
                Ok(_) => Err("sequence_get past the end succeeded".into()),
                Err(_) => Ok(()),
            }
        }
        3 => {
            // SAFETY: a live map, writable outs.
            child(abi::get(|o| unsafe { abi::onnxrun_value_map_keys(h, o) }))?;
            child(abi::get(|o| unsafe { abi::onnxrun_value_map_values(h, o) }))
        }
        4 => {
            // SAFETY: a live optional, writable out.
            let inner = abi::get(|o| unsafe { abi::onnxrun_value_optional_get(h, o) }).map_err(|f| f.message)?;
            if (inner != 0) != (d[7] == 1) {
                return Err(format!("optional has_value {} but optional_get gave handle {inner}", d[7]));
            }
            child(Ok(inner))
        }
        k => Err(format!("describe gave value kind {k}")),
    }
}

fn check_tensor(d: &[i64]) -> Result<(), String> {
    let (elem, rank, ptr, len, device) = (d[1], d[2], d[3], d[4], d[5]);
    let dims = d.get(9..).unwrap_or_default();
    if rank < 0 || dims.len() != rank as usize || dims.iter().any(|&x| x < 0) || len < 0 {
        return Err(format!("describe slots are inconsistent: {d:?}"));
    }
    let n = dims.iter().try_fold(1usize, |a, &x| a.checked_mul(x as usize)).ok_or("element count overflows")?;
    if device != 0 {
        return Ok(());
    }
    let bytes: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: describe's pointer and length of a live host tensor (what we check).
        unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) }
    };
    if elem == 8 {
        // SAFETY: string tensors give n + 1 offsets at slot 8.
        let offs = unsafe { std::slice::from_raw_parts(d[8] as *const u64, n + 1) };
        if offs.windows(2).any(|w| w[0] > w[1]) || offs[n] != len as u64 {
            return Err(format!("string offsets do not cover the {len} bytes"));
        }
    } else {
        let size = onnxrun_core::DataType::from_i32(elem as i32).map_err(|e| e.message)?.size();
        if n * size != len as usize {
            return Err(format!("a tensor of {n} elements of type {elem} has {len} bytes"));
        }
    }
    std::hint::black_box(bytes.iter().fold(0u8, |a, &b| a ^ b));
    Ok(())
}
