//! Sessions: a loaded model compiled into a plan for a list of providers, run many times.

mod exec;
mod inline;
mod plan;

pub use exec::{execute_plan, RunState};
pub use plan::{free_names, Plan, SlotInfo};

/// Ops no provider implements because the session rewrites them into other ops before
/// planning: (domain, op).
pub(crate) use plan::{Schedule, Step, StepOp};

use crate::graph::{Model, ValueInfo};
use crate::profile::Profiler;
use crate::provider::ExecutionProvider;
use crate::tensor::{with_tensor_limit, Tensor};
use crate::value::{Dim, TypeInfo, Value};
use crate::Result;
use plan::Compiler;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Default)]
pub struct SessionOptions {
    /// In priority order; the caller appends the CPU provider unless fallback is off.
    pub providers: Vec<Arc<dyn ExecutionProvider>>,
    /// 0 disabled, 1 basic, 2 extended, 99 all (ONNX Runtime's levels).
    pub optimization_level: u32,
    pub enable_profiling: bool,
    pub profile_file_prefix: String,
    /// Symbolic dimension name → fixed size.
    pub free_dimension_overrides: Vec<(String, i64)>,
    /// Initializers supplied by the user (`add_initializer`), replacing the model's.
    pub initializer_overrides: Vec<(String, Tensor)>,
    /// The largest tensor this session's kernels may allocate, below the runtime-wide cap
    /// (config entry `session.max_tensor_bytes`). A request over it is an InvalidArgument.
    pub max_tensor_bytes: Option<usize>,
    /// Seed for the generators of random ops without a `seed` attribute (`set_seed`):
    /// kernels created under it draw theirs from [`next_session_seed`].
    pub seed: Option<u64>,
    /// Check every kernel's outputs against the types and shapes inferred at load, failing
    /// the run on a disagreement (config entry `session.verify_inferred_shapes`; tests).
    pub verify_inferred_shapes: bool,
}

thread_local! {
    /// (seed, draws so far) while a session with a seed compiles on this thread.
    static SEED: std::cell::Cell<Option<(u64, u64)>> = const { std::cell::Cell::new(None) };
}

/// The next generator seed for a kernel being created under a session seed: the k-th
/// draw of one session creation is a fixed mix of (seed, k), so the same model and seed
/// give the same generators. None when the session has no seed.
pub fn next_session_seed() -> Option<u64> {
    SEED.with(|c| {
        let (seed, k) = c.get()?;
        c.set(Some((seed, k + 1)));
        // SplitMix64 of seed + k: nearby seeds and draws give unrelated generators.
        let mut z = seed.wrapping_add(k.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Some(z ^ (z >> 31))
    })
}

fn with_seed<R>(seed: Option<u64>, f: impl FnOnce() -> R) -> R {
    let outer = SEED.with(|c| c.replace(seed.map(|s| (s, 0))));
    let r = f();
    SEED.with(|c| c.set(outer));
    r
}

#[derive(Clone, Debug, Default)]
pub struct ModelMeta {
    pub producer_name: String,
    pub graph_name: String,
    pub domain: String,
    pub description: String,
    pub graph_description: String,
    pub version: i64,
    pub custom: Vec<(String, String)>,
}

pub struct Session {
    pub meta: ModelMeta,
    pub ir_version: i64,
    pub opsets: BTreeMap<String, i64>,
    /// Inputs the caller must (or may) feed: graph inputs without initializers.
    pub inputs: Vec<ValueInfo>,
    /// Graph inputs that have an initializer: feeding them is optional.
    pub overridable: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
    pub providers: Vec<Arc<dyn ExecutionProvider>>,
    max_tensor_bytes: Option<usize>,
    plan: Plan,
    /// Feed index (inputs ++ overridable) → slot.
    feed_slots: Vec<usize>,
    schedules: Mutex<HashMap<Vec<usize>, Arc<Schedule>>>,
    profiler: Option<Arc<Profiler>>,
}

fn override_dims(ty: &mut Option<TypeInfo>, overrides: &[(String, i64)]) {
    if let Some(TypeInfo::Tensor { shape: Some(dims), .. }) = ty {
        for d in dims.iter_mut() {
            if let Dim::Symbolic(name) = d {
                if let Some((_, v)) = overrides.iter().find(|(n, _)| n == name) {
                    *d = Dim::Known(*v);
                }
            }
        }
    }
}

impl Session {
    pub fn new(mut model: Model, opts: SessionOptions) -> Result<Session> {
        let t0 = Instant::now();
        ensure!(!opts.providers.is_empty(), EpFail, "no execution provider");
        for (name, t) in &opts.initializer_overrides {
            match model.graph.initializers.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = t.clone(),
                None => model.graph.initializers.push((name.clone(), t.clone())),
            }
        }
        for vi in &mut model.graph.inputs {
            override_dims(&mut vi.ty, &opts.free_dimension_overrides);
        }
        let init_names: std::collections::HashSet<&str> = model.graph.initializers.iter().map(|(n, _)| n.as_str()).collect();
        let inputs: Vec<ValueInfo> = model.graph.inputs.iter().filter(|v| !init_names.contains(v.name.as_str())).cloned().collect();
        let overridable: Vec<ValueInfo> = if model.ir_version >= 4 {
            model.graph.inputs.iter().filter(|v| init_names.contains(v.name.as_str())).cloned().collect()
        } else {
            vec![]
        };
        let compiler = Compiler {
            providers: &opts.providers,
            opsets: &model.opsets,
            functions: &model.functions,
            fold_constants: opts.optimization_level >= 1,
            level: opts.optimization_level,
            verify: opts.verify_inferred_shapes,
        };
        let plan = with_seed(opts.seed, || {
            with_tensor_limit(opts.max_tensor_bytes, || compiler.compile(&model.graph, &HashMap::new(), &HashMap::new()))
        })?;
        let slot_of = |name: &str| plan.slots.iter().position(|s| s.name == name).expect("graph input has a slot");
        let feed_slots = inputs.iter().chain(&overridable).map(|v| slot_of(&v.name)).collect();
        let profiler = opts.enable_profiling.then(|| Arc::new(Profiler::new(&opts.profile_file_prefix)));
        if let Some(p) = &profiler {
            p.event("Session", "session_initialization", t0, vec![]);
        }
        let g = &model.graph;
        Ok(Session {
            meta: ModelMeta {
                producer_name: model.producer_name.clone(),
                graph_name: g.name.clone(),
                domain: model.domain.clone(),
                description: model.doc.clone(),
                graph_description: g.doc.clone(),
                version: model.model_version,
                custom: model.metadata.clone(),
            },
            ir_version: model.ir_version,
            opsets: model.opsets.clone(),
            inputs,
            overridable,
            outputs: g.outputs.clone(),
            providers: opts.providers,
            max_tensor_bytes: opts.max_tensor_bytes,
            plan,
            feed_slots,
            schedules: Mutex::new(HashMap::new()),
            profiler,
        })
    }

    /// Feeds: (index into inputs ++ overridable, value). Fetches: output indices.
    pub fn run(&self, feeds: Vec<(usize, Value)>, fetches: &[usize], run: &RunState) -> Result<Vec<Value>> {
        let t0 = Instant::now();
        let n_feeds = self.feed_slots.len();
        let mut fed = vec![false; n_feeds];
        let mut slot_feeds = Vec::with_capacity(feeds.len());
        for (i, v) in feeds {
            ensure!(i < n_feeds, InvalidArgument, "feed index {i} is out of range (the model has {n_feeds} feedable inputs)");
            let vi = if i < self.inputs.len() { &self.inputs[i] } else { &self.overridable[i - self.inputs.len()] };
            ensure!(!fed[i], InvalidArgument, "input '{}' is fed twice", vi.name);
            fed[i] = true;
            check_feed(vi, &v)?;
            slot_feeds.push((self.feed_slots[i], v));
        }
        if let Some(i) = (0..self.inputs.len()).find(|&i| !fed[i]) {
            bail!(InvalidArgument, "missing input: '{}' must be fed", self.inputs[i].name);
        }
        let mut fetch_slots = Vec::with_capacity(fetches.len());
        for &o in fetches {
            ensure!(o < self.outputs.len(), InvalidArgument, "output index {o} is out of range (the model has {} outputs)", self.outputs.len());
            fetch_slots.push(self.plan.outputs[o]);
        }
        let sched = {
            let mut cache = self.schedules.lock().map_err(|_| crate::err!(Fail, "schedule cache poisoned"))?;
            cache.entry(fetch_slots.clone()).or_insert_with(|| Arc::new(self.plan.schedule(&fetch_slots))).clone()
        };
        let run_state;
        let run = match (&self.profiler, &run.profiler) {
            (Some(p), None) => {
                run_state = RunState { terminate: run.terminate.clone(), profiler: Some(p.clone()), config: run.config.clone() };
                &run_state
            }
            _ => run,
        };
        let out = with_tensor_limit(self.max_tensor_bytes, || exec::run_schedule(&self.plan, &sched, slot_feeds, &[], &fetch_slots, run))?;
        for p in &self.providers {
            p.synchronize()?;
        }
        let out = out.into_iter().map(|v| v.into_owned()).collect::<Result<Vec<_>>>()?;
        if let Some(p) = &self.profiler {
            p.event("Session", "model_run", t0, vec![]);
        }
        Ok(out)
    }

    /// Writes the profile and returns its path (error when profiling is off).
    pub fn end_profiling(&self) -> Result<String> {
        match &self.profiler {
            Some(p) => p.write(),
            None => bail!(InvalidArgument, "profiling is not enabled for this session (set enableProfiling)"),
        }
    }

    /// (op, provider) for every planned kernel, for tests and `getProviders`-style checks.
    pub fn assignments(&self) -> Vec<(String, String)> {
        self.plan.assignments()
    }

    /// (name, type) of every value of the graph and its subgraphs, as inferred at load.
    pub fn value_types(&self) -> Vec<(String, Option<TypeInfo>)> {
        self.plan.value_types()
    }

    /// Names of providers that run at least one node.
    pub fn providers_in_use(&self) -> Vec<String> {
        let used: std::collections::HashSet<String> = self.assignments().into_iter().map(|(_, p)| p).collect();
        self.providers.iter().map(|p| p.name().to_string()).filter(|n| used.contains(n)).collect()
    }
}

/// Checks a feed against the declared type: kind, element type, rank, fixed dims.
fn check_feed(vi: &ValueInfo, v: &Value) -> Result<()> {
    let Some(decl) = &vi.ty else { return Ok(()) };
    let got = v.type_info();
    match (decl, v) {
        (TypeInfo::Tensor { dtype, shape }, Value::Tensor(t)) => {
            ensure!(
                *dtype == t.dtype(),
                InvalidArgument,
                "unexpected data type for input '{}': expected tensor({}), got tensor({})",
                vi.name,
                dtype,
                t.dtype()
            );
            if let Some(dims) = shape {
                ensure!(
                    dims.len() == t.rank(),
                    InvalidArgument,
                    "invalid rank for input '{}': expected {} (shape {:?}), got {} (shape {:?})",
                    vi.name,
                    dims.len(),
                    show_dims(dims),
                    t.rank(),
                    t.shape()
                );
                for (i, (d, &g)) in dims.iter().zip(t.shape()).enumerate() {
                    if let Dim::Known(k) = d {
                        ensure!(
                            *k == g as i64,
                            InvalidArgument,
                            "invalid dimensions for input '{}': index {i} expected {k}, got {g} (expected shape {:?}, got {:?})",
                            vi.name,
                            show_dims(dims),
                            t.shape()
                        );
                    }
                }
            }
            Ok(())
        }
        (TypeInfo::Tensor { .. }, _) | (TypeInfo::Sequence(_), Value::Tensor(_)) | (TypeInfo::Map(..), Value::Tensor(_)) => {
            bail!(InvalidArgument, "unexpected type for input '{}': expected {}, got {}", vi.name, decl.type_string(), got.type_string())
        }
        _ => Ok(()),
    }
}

fn show_dims(dims: &[Dim]) -> Vec<String> {
    dims.iter()
        .map(|d| match d {
            Dim::Known(k) => k.to_string(),
            Dim::Symbolic(s) => s.clone(),
            Dim::Unknown => "?".into(),
        })
        .collect()
}
