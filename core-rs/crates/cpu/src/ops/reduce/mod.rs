//! Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare and
//! ArgMax/ArgMin. Axes come from the `axes` attribute in early opsets and from an optional
//! second input later (ReduceSum from 13, the others from 18); no axes means all axes,
//! or none with `noop_with_empty_axes`. Floats accumulate in f32 (f64 for double).

mod argmax;
mod driver;
mod facts;
pub(crate) mod elem;
mod plan;

#[allow(unused_imports)]
use crate::return_or_value; // used by the dispatch macros
use crate::util::parallel::pool_for;
use driver::*;
use onnxrun_core::{bail, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use plan::{axes_mask, ReducePlan};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "ReduceSum", 1, |n| make(n, SUM, 13)));
    r.register(KernelDef::new("", "ReduceMean", 1, |n| make(n, MEAN, 18)));
    r.register(KernelDef::new("", "ReduceMax", 1, |n| make(n, MAX, 18)));
    r.register(KernelDef::new("", "ReduceMin", 1, |n| make(n, MIN, 18)));
    r.register(KernelDef::new("", "ReduceProd", 1, |n| make(n, PROD, 18)));
    r.register(KernelDef::new("", "ReduceL1", 1, |n| make(n, L1, 18)));
    r.register(KernelDef::new("", "ReduceL2", 1, |n| make(n, L2, 18)));
    r.register(KernelDef::new("", "ReduceLogSum", 1, |n| make(n, LOG_SUM, 18)));
    r.register(KernelDef::new("", "ReduceLogSumExp", 1, |n| make(n, LOG_SUM_EXP, 18)));
    r.register(KernelDef::new("", "ReduceSumSquare", 1, |n| make(n, SUM_SQUARE, 18)));
    argmax::register(r);
    facts::register(r);
}

struct Reduce {
    op: u8,
    keepdims: bool,
    noop_with_empty_axes: bool,
    /// Axes from the attribute (opsets before `axes` became an input).
    attr_axes: Vec<i64>,
    axes_input: bool,
}

fn make(node: &NodeInfo, op: u8, axes_input_since: i64) -> Result<Box<dyn Kernel>> {
    let axes_input = node.opset >= axes_input_since;
    Ok(Box::new(Reduce {
        op,
        keepdims: node.int_or("keepdims", 1)? != 0,
        noop_with_empty_axes: node.int_or("noop_with_empty_axes", 0)? != 0,
        attr_axes: if axes_input { Vec::new() } else { node.get_ints("axes")?.unwrap_or_default() },
        axes_input,
    }))
}

impl Kernel for Reduce {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node.describe();
        let x = ctx.input(0)?;
        let axes = match (self.axes_input, ctx.opt_input(1)?) {
            (true, Some(t)) => t.to_i64_vec().map_err(|e| e.context(format!("{node}: axes")))?,
            (true, None) => Vec::new(),
            (false, _) => self.attr_axes.clone(),
        };
        let mask = if axes.is_empty() {
            vec![!self.noop_with_empty_axes; x.rank()]
        } else {
            axes_mask(&axes, x.rank()).map_err(|e| e.context(&node))?
        };
        let plan = ReducePlan::new(x.shape(), &mask, self.keepdims);
        let p = pool_for(ctx, x.len());
        let out = match self.op {
            SUM => by_type::<SUM>(p, x, &plan),
            MEAN => by_type::<MEAN>(p, x, &plan),
            MAX => by_type::<MAX>(p, x, &plan),
            MIN => by_type::<MIN>(p, x, &plan),
            PROD => by_type::<PROD>(p, x, &plan),
            L1 => by_type::<L1>(p, x, &plan),
            L2 => by_type::<L2>(p, x, &plan),
            LOG_SUM => by_type::<LOG_SUM>(p, x, &plan),
            LOG_SUM_EXP => by_type::<LOG_SUM_EXP>(p, x, &plan),
            _ => by_type::<SUM_SQUARE>(p, x, &plan),
        }
        .map_err(|e| e.context(&node))?;
        ctx.set_output(0, out)
    }
}

fn by_type<const OP: u8>(p: Option<&ThreadPool>, x: &Tensor, plan: &ReducePlan) -> Result<Tensor> {
    let dt = x.dtype();
    if OP == MAX || OP == MIN {
        crate::dispatch_all!(dt, T => reduce::<T, OP>(p, x, plan), else bail!(NotImplemented, "not implemented for element type {dt}"))
    } else {
        crate::dispatch_numeric!(dt, T => reduce::<T, OP>(p, x, plan), else bail!(NotImplemented, "not implemented for element type {dt}"))
    }
}
