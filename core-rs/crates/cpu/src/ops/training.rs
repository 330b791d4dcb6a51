//! Optimizer steps of the `ai.onnx.preview.training` domain (opset 1): Adagrad, Adam and
//! Momentum (standard and Nesterov). Inputs are `R` (learning rate, scalar), `T` (update
//! count, int64 scalar), then the optimized tensors X1..Xn, their gradients G1..Gn and
//! the per-optimizer state tensors (each group n long); outputs are the new X's and new
//! states, group by group. Each element is updated in f64 and rounded back once.

use onnxrun_core::{bail, ensure, DataType, InferCtx, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, OpFacts, Result, Tensor};

const DOMAIN: &str = "ai.onnx.preview.training";

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new(DOMAIN, "Adagrad", 1, adagrad));
    r.register(KernelDef::new(DOMAIN, "Adam", 1, adam));
    r.register(KernelDef::new(DOMAIN, "Momentum", 1, momentum));
    r.facts_all(DOMAIN, &["Adagrad", "Adam", "Momentum"], OpFacts::new(updated));
}

/// Output j is the new value of X_j (j < n) or of a state tensor: the type of the input it
/// replaces (inputs R, T, X1..n, G1..n, states…; so n = inputs − 2 − outputs).
fn updated(cx: &mut InferCtx<'_>) {
    let Some(n) = cx.num_inputs().checked_sub(2 + cx.num_outputs()) else { return };
    for j in 0..cx.num_outputs() {
        let src = if j < n { 2 + j } else { 2 + n + j };
        if let Some(t) = cx.input(src).cloned() {
            cx.set(j, t);
        }
    }
}

#[derive(Clone, Copy)]
enum Rule {
    Adagrad { decay_factor: f64, epsilon: f64, norm: f64 },
    Adam { alpha: f64, beta: f64, epsilon: f64, norm: f64, norm_post: f64 },
    Momentum { alpha: f64, beta: f64, norm: f64, nesterov: bool },
}

impl Rule {
    /// Tensors per optimized variable: X, G and the states.
    fn group(self) -> usize {
        match self {
            Rule::Adagrad { .. } | Rule::Momentum { .. } => 3,
            Rule::Adam { .. } => 4,
        }
    }
}

struct Optimizer {
    rule: Rule,
    /// Number of optimized tensors.
    n: usize,
}

fn float(node: &NodeInfo, name: &str, default: Option<f32>) -> Result<f64> {
    match (node.get_float(name)?, default) {
        (Some(v), _) | (None, Some(v)) => Ok(v as f64),
        (None, None) => bail!(InvalidGraph, "{}: required attribute '{name}' is missing", node.describe()),
    }
}

fn adagrad(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let rule = Rule::Adagrad {
        decay_factor: float(node, "decay_factor", Some(0.0))?,
        epsilon: float(node, "epsilon", Some(1e-6))?,
        norm: float(node, "norm_coefficient", Some(0.0))?,
    };
    make(node, rule)
}

fn adam(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let rule = Rule::Adam {
        alpha: float(node, "alpha", Some(0.9))?,
        beta: float(node, "beta", Some(0.999))?,
        epsilon: float(node, "epsilon", Some(1e-6))?,
        norm: float(node, "norm_coefficient", Some(0.0))?,
        norm_post: float(node, "norm_coefficient_post", Some(0.0))?,
    };
    make(node, rule)
}

fn momentum(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let nesterov = match node.get_string("mode")?.as_deref() {
        Some("standard") => false,
        Some("nesterov") => true,
        Some(m) => bail!(InvalidGraph, "{}: mode must be 'standard' or 'nesterov', got '{m}'", node.describe()),
        None => bail!(InvalidGraph, "{}: required attribute 'mode' is missing", node.describe()),
    };
    let rule = Rule::Momentum {
        alpha: float(node, "alpha", None)?,
        beta: float(node, "beta", None)?,
        norm: float(node, "norm_coefficient", None)?,
        nesterov,
    };
    make(node, rule)
}

fn make(node: &NodeInfo, rule: Rule) -> Result<Box<dyn Kernel>> {
    let k = rule.group();
    let ins = node.inputs.len();
    ensure!(
        ins > 2 && (ins - 2).is_multiple_of(k),
        InvalidGraph,
        "{}: expects R, T and {k} inputs per optimized tensor, got {ins} inputs",
        node.describe()
    );
    let n = (ins - 2) / k;
    let outs = node.outputs.len();
    ensure!(
        outs <= (k - 1) * n,
        InvalidGraph,
        "{}: {n} optimized tensor(s) give at most {} outputs, got {outs}",
        node.describe(),
        (k - 1) * n
    );
    Ok(Box::new(Optimizer { rule, n }))
}

fn scalar_f64(t: &Tensor, what: &str, me: &str) -> Result<f64> {
    ensure!(t.len() == 1, InvalidArgument, "{me}: {what} must be a scalar, got shape {:?}", t.shape());
    ensure!(
        matches!(t.dtype(), DataType::Float | DataType::Double),
        InvalidArgument,
        "{me}: {what} must be float or double, got {}",
        t.dtype()
    );
    Ok(t.to_f64_vec()?[0])
}

impl Kernel for Optimizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let me = ctx.node.describe();
        let r = scalar_f64(ctx.input(0)?, "R", &me)?;
        let t = ctx.input(1)?;
        ensure!(
            t.len() == 1 && t.dtype() == DataType::Int64,
            InvalidArgument,
            "{me}: T must be an int64 scalar, got {} of shape {:?}",
            t.dtype(),
            t.shape()
        );
        let t = t.data::<i64>()?[0];
        let (n, k) = (self.n, self.rule.group());
        for i in 0..n {
            // This variable's tensors: X, G, then the states.
            let ts: Vec<&Tensor> = (0..k).map(|j| ctx.input(2 + j * n + i)).collect::<Result<_>>()?;
            let x = ts[0];
            let dt = x.dtype();
            ensure!(
                matches!(dt, DataType::Float | DataType::Double),
                InvalidArgument,
                "{me}: X{} must be float or double, got {dt}",
                i + 1
            );
            for (j, other) in ts.iter().enumerate().skip(1) {
                ensure!(
                    other.dtype() == dt && other.shape() == x.shape(),
                    InvalidArgument,
                    "{me}: input {} ({} of shape {:?}) must match X{} ({dt} of shape {:?})",
                    2 + j * n + i,
                    other.dtype(),
                    other.shape(),
                    i + 1,
                    x.shape()
                );
            }
            let vals: Vec<Vec<f64>> = ts.iter().map(|t| t.to_f64_vec()).collect::<Result<_>>()?;
            let news = self.step(r, t, &vals);
            // Output j*n + i is the new value of tensor j of this variable (X, then states).
            for (j, v) in news.into_iter().enumerate() {
                let o = j * n + i;
                if ctx.output_required(o) {
                    let out = match dt {
                        DataType::Float => Tensor::from_vec(x.shape().to_vec(), v.into_iter().map(|e| e as f32).collect::<Vec<_>>())?,
                        _ => Tensor::from_vec(x.shape().to_vec(), v)?,
                    };
                    ctx.set_output(o, out)?;
                }
            }
        }
        Ok(())
    }
}

impl Optimizer {
    /// New X and new states for one variable; `v` holds X, G and the old states.
    fn step(&self, r: f64, t: i64, v: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (x, g) = (&v[0], &v[1]);
        let len = x.len();
        match self.rule {
            Rule::Adagrad { decay_factor, epsilon, norm } => {
                let h = &v[2];
                let rate = r / (1.0 + t as f64 * decay_factor);
                let (mut xn, mut hn) = (Vec::with_capacity(len), Vec::with_capacity(len));
                for e in 0..len {
                    let gr = norm * x[e] + g[e];
                    let h2 = h[e] + gr * gr;
                    xn.push(x[e] - rate * gr / (h2.sqrt() + epsilon));
                    hn.push(h2);
                }
                vec![xn, hn]
            }
            Rule::Adam { alpha, beta, epsilon, norm, norm_post } => {
                let (m, h) = (&v[2], &v[3]);
                let rate = if t > 0 {
                    let tf = t as f64;
                    r * (1.0 - beta.powf(tf)).sqrt() / (1.0 - alpha.powf(tf))
                } else {
                    r
                };
                let (mut xn, mut mn, mut hn) = (Vec::with_capacity(len), Vec::with_capacity(len), Vec::with_capacity(len));
                for e in 0..len {
                    let gr = norm * x[e] + g[e];
                    let m2 = alpha * m[e] + (1.0 - alpha) * gr;
                    let h2 = beta * h[e] + (1.0 - beta) * gr * gr;
                    let x2 = x[e] - rate * m2 / (h2.sqrt() + epsilon);
                    xn.push((1.0 - norm_post) * x2);
                    mn.push(m2);
                    hn.push(h2);
                }
                vec![xn, mn, hn]
            }
            Rule::Momentum { alpha, beta, norm, nesterov } => {
                let m = &v[2];
                // The gradient's coefficient is 1 on the first update.
                let b = if t > 0 { beta } else { 1.0 };
                let (mut xn, mut mn) = (Vec::with_capacity(len), Vec::with_capacity(len));
                for e in 0..len {
                    let gr = norm * x[e] + g[e];
                    let m2 = alpha * m[e] + b * gr;
                    xn.push(if nesterov { x[e] - r * (gr + alpha * m2) } else { x[e] - r * m2 });
                    mn.push(m2);
                }
                vec![xn, mn]
            }
        }
    }
}
