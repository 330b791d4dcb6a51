//! What an op declares about itself besides its kernels: how its output types and shapes
//! follow from its inputs' (and from the contents of small integer inputs, such as the
//! shape a Reshape reads), whether it may be constant-folded, and which inputs it reads on
//! the host. Op crates register these next to their kernels (`KernelRegistry::facts`);
//! the planner only calls them, so the core itself names no op.

mod ctx;
pub mod dims;
pub mod rules;

pub use ctx::InferCtx;

/// Sets the outputs' types (and, for shape-like integer outputs, their contents) from
/// what `InferCtx` knows. Best effort: whatever it leaves unset stays unknown, and the
/// kernel still checks its inputs at run time.
pub type InferFn = fn(&mut InferCtx<'_>);

#[derive(Clone, Copy)]
pub struct OpFacts {
    pub infer: InferFn,
    /// False for ops whose outputs are not a function of their inputs (random draws),
    /// which the planner then never computes ahead of a run.
    pub foldable: bool,
    /// Inputs read in host memory whichever provider runs the node (shapes, axes, scalars).
    pub host_inputs: &'static [usize],
}

impl OpFacts {
    pub const fn new(infer: InferFn) -> OpFacts {
        OpFacts { infer, foldable: true, host_inputs: &[] }
    }
    pub const fn not_foldable(mut self) -> OpFacts {
        self.foldable = false;
        self
    }
    pub const fn host_inputs(mut self, idx: &'static [usize]) -> OpFacts {
        self.host_inputs = idx;
        self
    }
}

/// The rule for an op that declares none: each output has the first tensor input's
/// element type, shape unknown (nothing when the first input is not a tensor).
pub fn default_infer(cx: &mut InferCtx<'_>) {
    let first = (0..cx.num_inputs()).find_map(|i| cx.input(i).cloned());
    if let Some(d) = first.and_then(|t| t.elem_dtype()) {
        for i in 0..cx.num_outputs() {
            cx.set_tensor(i, d, None);
        }
    }
}
