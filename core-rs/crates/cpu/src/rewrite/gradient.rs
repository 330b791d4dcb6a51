//! Gradient (ai.onnx.preview.training, opset 1) is a graph transform, not a kernel: before
//! planning, each Gradient node becomes a copy of the forward sub-graph from its `xs`/`zs`
//! to `y`, fed by the Gradient node's own inputs, followed by the reverse-mode chain rule
//! written in standard ops, so every provider runs it with the kernels it already has.
//! The seed gradient is ones, so a non-scalar `y` is differentiated as `sum(y)`. An op on
//! the path from `xs` to `y` without a rule below is an InvalidGraph error at load.

use onnxrun_core::{bail, ensure, err, Attribute, Node, Result, Tensor};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const DOMAIN: &str = "ai.onnx.preview.training";

/// Ops the chain rule below covers (ai.onnx domain).
pub const DIFFERENTIABLE: &[&str] = &[
    "Abs", "Add", "Div", "Exp", "Flatten", "Gemm", "Identity", "Log", "MatMul", "Mul", "Neg", "Pow", "ReduceMean", "ReduceSum", "Relu",
    "Reshape", "Sigmoid", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Transpose", "Unsqueeze",
];

/// Opset of the ai.onnx nodes the rules emit (ReduceSum with axes as an input, CastLike).
const EMIT_OPSET: i64 = 18;

static EXPANSIONS: AtomicUsize = AtomicUsize::new(0);

/// `nodes` with every Gradient node replaced by its forward copy and backward pass.
pub fn expand_gradients(nodes: Vec<Node>, opsets: &BTreeMap<String, i64>) -> Result<Vec<Node>> {
    if !nodes.iter().any(is_gradient) {
        return Ok(nodes);
    }
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes.iter().filter(|n| is_gradient(n)) {
        out.extend(expand(node, &nodes, opsets).map_err(|e| e.context(node.describe()))?);
    }
    out.splice(0..0, nodes.into_iter().filter(|n| !is_gradient(n)));
    Ok(out)
}

fn is_gradient(n: &Node) -> bool {
    n.op_type == "Gradient" && n.domain == DOMAIN
}

fn strings_attr(node: &Node, name: &str) -> Result<Vec<String>> {
    match node.attr(name) {
        None => Ok(vec![]),
        Some(Attribute::Strings(v)) => Ok(v.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()),
        Some(a) => bail!(InvalidGraph, "attribute '{name}' must be strings, got {}", a.kind_name()),
    }
}

fn expand(grad: &Node, graph: &[Node], opsets: &BTreeMap<String, i64>) -> Result<Vec<Node>> {
    let xs = strings_attr(grad, "xs")?;
    let zs = strings_attr(grad, "zs")?;
    let y = match grad.attr("y") {
        Some(Attribute::String(s)) => String::from_utf8_lossy(s).into_owned(),
        _ => bail!(InvalidGraph, "attribute 'y' (a string) is required"),
    };
    ensure!(!xs.is_empty(), InvalidGraph, "attribute 'xs' must name at least one tensor");
    let sources: Vec<&String> = xs.iter().chain(&zs).collect();
    ensure!(
        grad.inputs.len() == sources.len(),
        InvalidGraph,
        "has {} inputs but 'xs' and 'zs' name {} tensors",
        grad.inputs.len(),
        sources.len()
    );
    ensure!(grad.outputs.len() == xs.len(), InvalidGraph, "has {} outputs but 'xs' names {} tensors", grad.outputs.len(), xs.len());
    let mut distinct = HashSet::new();
    for s in &sources {
        ensure!(distinct.insert(s.as_str()), InvalidGraph, "'{s}' is named twice in 'xs'/'zs'");
    }

    let mut e = Emitter { prefix: format!("{}/grad{}", grad.name, EXPANSIONS.fetch_add(1, Ordering::Relaxed)), nodes: vec![], count: 0 };
    // Forward copy: the ancestors of y reached before xs/zs, in topological order, reading
    // the Gradient node's inputs in place of xs/zs. Nodes that read none of xs/zs are
    // constants here and are read, not copied.
    let producer: HashMap<&str, usize> =
        graph.iter().enumerate().filter(|(_, n)| !is_gradient(n)).flat_map(|(i, n)| n.outputs.iter().map(move |o| (o.as_str(), i))).collect();
    let mut rename: HashMap<String, String> = sources.iter().zip(&grad.inputs).map(|(s, i)| ((*s).clone(), i.clone())).collect();
    let mut order = vec![];
    let mut state: HashMap<usize, bool> = HashMap::new();
    let y_depends = visit(&y, graph, &producer, &rename, &mut state, &mut order)?;
    let mut forward = vec![];
    for &ni in &order {
        let mut n = graph[ni].clone();
        for o in n.outputs.iter_mut().filter(|o| !o.is_empty()) {
            let fresh = format!("{o}__{}", e.prefix);
            rename.insert(o.clone(), fresh.clone());
            *o = fresh;
        }
        n.inputs = n.inputs.iter().map(|i| rename.get(i).cloned().unwrap_or_else(|| i.clone())).collect();
        n.name = format!("{}/{}", e.prefix, if n.name.is_empty() { &n.op_type } else { &n.name });
        forward.push(n);
    }
    let y_name = rename.get(&y).cloned().unwrap_or_else(|| y.clone());
    if !y_depends {
        bail!(InvalidGraph, "'y' ({y}) does not depend on any tensor in 'xs' or 'zs'");
    }

    // Which values carry a gradient: those computed from some x.
    let mut carries: HashSet<String> = grad.inputs[..xs.len()].iter().cloned().collect();
    for n in &forward {
        if n.inputs.iter().any(|i| carries.contains(i)) {
            carries.extend(n.outputs.iter().filter(|o| !o.is_empty()).cloned());
        }
    }

    let mut grads: HashMap<String, Vec<String>> = HashMap::new();
    let seed = e.filled_like(1.0, &y_name);
    grads.insert(y_name.clone(), vec![seed]);
    for n in forward.iter().rev() {
        let Some(parts) = n.outputs.first().and_then(|o| grads.remove(o)) else {
            continue;
        };
        if !n.inputs.iter().any(|i| carries.contains(i)) {
            continue;
        }
        let g = e.sum(parts);
        let opset = n.opset.or_else(|| opsets.get(&n.domain).copied()).unwrap_or(EMIT_OPSET);
        for (i, d) in rule(&mut e, n, &g, opset, &carries)? {
            grads.entry(n.inputs[i].clone()).or_default().push(d);
        }
    }

    let mut out = forward;
    for (k, out_name) in grad.outputs.iter().enumerate() {
        if out_name.is_empty() {
            continue;
        }
        let x = &grad.inputs[k];
        let d = match grads.remove(x) {
            Some(parts) => e.sum(parts),
            None => e.filled_like(0.0, x),
        };
        e.node_to("Identity", &[&d], vec![], out_name);
    }
    out.append(&mut e.nodes);
    Ok(out)
}

/// Post-order walk from `name`; returns whether it reads any of xs/zs (keys of `sources`).
fn visit(
    name: &str,
    graph: &[Node],
    producer: &HashMap<&str, usize>,
    sources: &HashMap<String, String>,
    state: &mut HashMap<usize, bool>,
    order: &mut Vec<usize>,
) -> Result<bool> {
    if sources.contains_key(name) {
        return Ok(true);
    }
    let Some(&ni) = producer.get(name) else {
        return Ok(false);
    };
    if let Some(&d) = state.get(&ni) {
        return Ok(d);
    }
    // Marks the node as in progress, so a cycle ends instead of recursing forever.
    state.insert(ni, false);
    let mut depends = false;
    for i in graph[ni].inputs.iter().filter(|i| !i.is_empty()) {
        depends |= visit(i, graph, producer, sources, state, order)?;
    }
    state.insert(ni, depends);
    if depends {
        order.push(ni);
    }
    Ok(depends)
}

/// The gradient of each differentiated input of `n`, given `g` for its output 0.
fn rule(e: &mut Emitter, n: &Node, g: &str, opset: i64, carries: &HashSet<String>) -> Result<Vec<(usize, String)>> {
    let inp = |i: usize| n.inputs.get(i).map(String::as_str).unwrap_or("");
    let wants = |i: usize| carries.contains(inp(i));
    let y = n.outputs[0].as_str();
    let (a, b) = (inp(0), inp(1));
    let mut out = vec![];
    let unsupported = || err!(InvalidGraph, "cannot differentiate through {}: Gradient supports {}", n.describe(), DIFFERENTIABLE.join(", "));
    if !n.domain.is_empty() {
        return Err(unsupported());
    }
    match n.op_type.as_str() {
        "Add" | "Sum" => {
            for i in (0..n.inputs.len()).filter(|&i| wants(i)) {
                out.push((i, e.unbroadcast(g, inp(i))));
            }
        }
        "Sub" => {
            if wants(0) {
                out.push((0, e.unbroadcast(g, a)));
            }
            if wants(1) {
                let ng = e.op("Neg", &[g]);
                out.push((1, e.unbroadcast(&ng, b)));
            }
        }
        "Mul" => {
            if wants(0) {
                let d = e.op("Mul", &[g, b]);
                out.push((0, e.unbroadcast(&d, a)));
            }
            if wants(1) {
                let d = e.op("Mul", &[g, a]);
                out.push((1, e.unbroadcast(&d, b)));
            }
        }
        "Div" => {
            if wants(0) {
                let d = e.op("Div", &[g, b]);
                out.push((0, e.unbroadcast(&d, a)));
            }
            if wants(1) {
                // d(a/b)/db = -y/b
                let gy = e.op("Mul", &[g, y]);
                let q = e.op("Div", &[&gy, b]);
                let d = e.op("Neg", &[&q]);
                out.push((1, e.unbroadcast(&d, b)));
            }
        }
        "Pow" => {
            if wants(0) {
                // b * a^(b-1), with b in a's type (Pow's exponent may have another).
                let bl = e.op("CastLike", &[b, a]);
                let one = e.scalar_like(1.0, a);
                let bm1 = e.op("Sub", &[&bl, &one]);
                let p = e.op("Pow", &[a, &bm1]);
                let f = e.op("Mul", &[&bl, &p]);
                let d = e.op("Mul", &[g, &f]);
                out.push((0, e.unbroadcast(&d, a)));
            }
            if wants(1) {
                let ln = e.op("Log", &[a]);
                let f = e.op("Mul", &[y, &ln]);
                let d = e.op("Mul", &[g, &f]);
                let d = e.op("CastLike", &[&d, b]);
                out.push((1, e.unbroadcast(&d, b)));
            }
        }
        "Neg" => out.push((0, e.op("Neg", &[g]))),
        "Identity" => out.push((0, g.to_string())),
        "Abs" => {
            let s = e.op("Sign", &[a]);
            out.push((0, e.op("Mul", &[g, &s])));
        }
        "Relu" => {
            let zero = e.scalar_like(0.0, a);
            let pos = e.op("Greater", &[a, &zero]);
            let m = e.op("CastLike", &[&pos, g]);
            out.push((0, e.op("Mul", &[g, &m])));
        }
        "Sigmoid" => {
            let one = e.scalar_like(1.0, y);
            let c = e.op("Sub", &[&one, y]);
            let f = e.op("Mul", &[y, &c]);
            out.push((0, e.op("Mul", &[g, &f])));
        }
        "Tanh" => {
            let one = e.scalar_like(1.0, y);
            let sq = e.op("Mul", &[y, y]);
            let f = e.op("Sub", &[&one, &sq]);
            out.push((0, e.op("Mul", &[g, &f])));
        }
        "Exp" => out.push((0, e.op("Mul", &[g, y]))),
        "Log" => out.push((0, e.op("Div", &[g, a]))),
        "Sqrt" => {
            let two = e.scalar_like(2.0, y);
            let t = e.op("Mul", &[y, &two]);
            out.push((0, e.op("Div", &[g, &t])));
        }
        "MatMul" => {
            // 2-D operands, through Gemm (which rejects other ranks with a clear error).
            if wants(0) {
                out.push((0, e.op_attrs("Gemm", &[g, b], vec![("transB", Attribute::Int(1))])));
            }
            if wants(1) {
                out.push((1, e.op_attrs("Gemm", &[a, g], vec![("transA", Attribute::Int(1))])));
            }
        }
        "Gemm" => {
            let int = |k: &str| match n.attr(k) {
                Some(Attribute::Int(v)) => *v != 0,
                _ => false,
            };
            let float = |k: &str| match n.attr(k) {
                Some(Attribute::Float(v)) => *v,
                _ => 1.0,
            };
            let (ta, tb, alpha, beta) = (int("transA"), int("transB"), float("alpha"), float("beta"));
            let flag = |v: bool| Attribute::Int(v as i64);
            if wants(0) {
                let d = if ta {
                    e.op_attrs("Gemm", &[b, g], vec![("alpha", Attribute::Float(alpha)), ("transA", flag(tb)), ("transB", flag(true))])
                } else {
                    e.op_attrs("Gemm", &[g, b], vec![("alpha", Attribute::Float(alpha)), ("transB", flag(!tb))])
                };
                out.push((0, d));
            }
            if wants(1) {
                let d = if tb {
                    e.op_attrs("Gemm", &[g, a], vec![("alpha", Attribute::Float(alpha)), ("transA", flag(true)), ("transB", flag(ta))])
                } else {
                    e.op_attrs("Gemm", &[a, g], vec![("alpha", Attribute::Float(alpha)), ("transA", flag(!ta))])
                };
                out.push((1, d));
            }
            if wants(2) {
                let c = inp(2);
                let s = e.scalar_like(beta as f64, c);
                let d = e.op("Mul", &[g, &s]);
                out.push((2, e.unbroadcast(&d, c)));
            }
        }
        "ReduceSum" | "ReduceMean" => {
            if wants(0) {
                // The reduced shape with kept axes, from the same node with keepdims=1.
                let mut kept = n.clone();
                kept.name = format!("{}/kept{}", e.prefix, e.count);
                kept.attrs.retain(|(k, _)| k != "keepdims");
                kept.attrs.push(("keepdims".into(), Attribute::Int(1)));
                kept.opset = Some(opset);
                let r = e.fresh();
                kept.outputs = vec![r.clone()];
                e.nodes.push(kept);
                let rs = e.op("Shape", &[&r]);
                let gk = e.op("Reshape", &[g, &rs]);
                let xs = e.op("Shape", &[a]);
                let mut d = e.op("Expand", &[&gk, &xs]);
                if n.op_type == "ReduceMean" {
                    let (nr, nx) = (e.op("Size", &[&r]), e.op("Size", &[a]));
                    let (nr, nx) = (e.op("CastLike", &[&nr, g]), e.op("CastLike", &[&nx, g]));
                    let f = e.op("Div", &[&nr, &nx]);
                    d = e.op("Mul", &[&d, &f]);
                }
                out.push((0, d));
            }
        }
        "Reshape" | "Flatten" | "Squeeze" | "Unsqueeze" => {
            if wants(0) {
                let s = e.op("Shape", &[a]);
                out.push((0, e.op("Reshape", &[g, &s])));
            }
        }
        "Transpose" => {
            let attrs = match n.attr("perm") {
                Some(Attribute::Ints(p)) => {
                    let mut inv = vec![0i64; p.len()];
                    for (i, &v) in p.iter().enumerate() {
                        let slot = usize::try_from(v).ok().filter(|&v| v < p.len()).ok_or_else(|| err!(InvalidGraph, "{}: bad perm {p:?}", n.describe()))?;
                        inv[slot] = i as i64;
                    }
                    vec![("perm", Attribute::Ints(inv))]
                }
                _ => vec![],
            };
            out.push((0, e.op_attrs("Transpose", &[g], attrs)));
        }
        _ => return Err(unsupported()),
    }
    Ok(out)
}

/// Appends generated nodes with fresh, collision-free names.
struct Emitter {
    prefix: String,
    nodes: Vec<Node>,
    count: usize,
}

impl Emitter {
    fn fresh(&mut self) -> String {
        self.count += 1;
        format!("{}/v{}", self.prefix, self.count)
    }

    fn node_to(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attribute)>, output: &str) {
        self.nodes.push(Node {
            name: format!("{}/{op}{}", self.prefix, self.nodes.len()),
            op_type: op.into(),
            domain: String::new(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: vec![output.to_string()],
            attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            opset: Some(EMIT_OPSET),
        });
    }

    fn op_attrs(&mut self, op: &str, inputs: &[&str], attrs: Vec<(&str, Attribute)>) -> String {
        let out = self.fresh();
        self.node_to(op, inputs, attrs, &out);
        out
    }

    fn op(&mut self, op: &str, inputs: &[&str]) -> String {
        self.op_attrs(op, inputs, vec![])
    }

    fn constant(&mut self, t: Tensor) -> String {
        self.op_attrs("Constant", &[], vec![("value", Attribute::Tensor(t))])
    }

    /// A scalar `v` in `like`'s element type.
    fn scalar_like(&mut self, v: f64, like: &str) -> String {
        let c = self.constant(Tensor::from_vec(vec![], vec![v]).expect("scalar"));
        self.op("CastLike", &[&c, like])
    }

    /// A tensor of `like`'s shape and type filled with `v`.
    fn filled_like(&mut self, v: f64, like: &str) -> String {
        let s = self.scalar_like(v, like);
        let shape = self.op("Shape", &[like]);
        self.op("Expand", &[&s, &shape])
    }

    /// The sum of gradient contributions to one value.
    fn sum(&mut self, parts: Vec<String>) -> String {
        if parts.len() == 1 {
            return parts.into_iter().next().unwrap_or_default();
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        self.op("Sum", &refs)
    }

    /// `g` summed over the axes along which `like` was broadcast to g's shape.
    fn unbroadcast(&mut self, g: &str, like: &str) -> String {
        let (sg, sa) = (self.op("Shape", &[g]), self.op("Shape", &[like]));
        let (rg, ra) = (self.op("Size", &[&sg]), self.op("Size", &[&sa]));
        let extra = self.op("Sub", &[&rg, &ra]);
        let one_dim = self.constant(Tensor::from_vec(vec![1], vec![1i64]).expect("shape"));
        let extra = self.op("Reshape", &[&extra, &one_dim]);
        let ones = self.op_attrs("ConstantOfShape", &[&extra], vec![("value", Attribute::Tensor(Tensor::from_vec(vec![1], vec![1i64]).expect("one")))]);
        let padded = self.op_attrs("Concat", &[&ones, &sa], vec![("axis", Attribute::Int(0))]);
        let same = self.op("Equal", &[&padded, &sg]);
        let differ = self.op("Not", &[&same]);
        let nz = self.op("NonZero", &[&differ]);
        let flat = self.constant(Tensor::from_vec(vec![1], vec![-1i64]).expect("shape"));
        let axes = self.op("Reshape", &[&nz, &flat]);
        let r = self.op_attrs("ReduceSum", &[g, &axes], vec![("keepdims", Attribute::Int(1)), ("noop_with_empty_axes", Attribute::Int(1))]);
        self.op("Reshape", &[&r, &sa])
    }
}
