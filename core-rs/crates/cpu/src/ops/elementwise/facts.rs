//! Facts of the elementwise ops. Add/Sub/Mul/Div, Equal and Where also compute on
//! shape-like values, as exporters do when they build a Reshape target from `Shape`.

use onnxrun_core::facts::dims;
use onnxrun_core::facts::rules;
use onnxrun_core::{Dim, InferCtx, KernelRegistry, OpFacts};

const UNARY: &[&str] = &[
    "Abs", "Neg", "Sign", "Sqrt", "Reciprocal", "Exp", "Log", "Floor", "Ceil", "Round", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan",
    "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "BitwiseNot", "Clip",
];

pub fn register(r: &mut KernelRegistry) {
    r.facts_all("", &["Add", "Sub", "Mul", "Div"], OpFacts::new(arith));
    r.facts_all("", &["Mod", "Pow", "Max", "Min", "Sum", "Mean", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"], OpFacts::new(rules::broadcast));
    r.facts_all("", &["And", "Or", "Xor", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"], OpFacts::new(rules::broadcast_bool));
    r.facts("", "Equal", OpFacts::new(equal));
    r.facts_all("", &["Not", "IsNaN", "IsInf"], OpFacts::new(rules::same_shape_bool));
    r.facts_all("", UNARY, OpFacts::new(rules::same));
    r.facts("", "Where", OpFacts::new(select));
}

/// Both inputs' values, the shorter repeated when it has one element.
fn paired<'a>(cx: &InferCtx<'a>) -> Option<Vec<(&'a Dim, &'a Dim)>> {
    let (a, b) = (cx.value(0)?, cx.value(1)?);
    match (a.len(), b.len()) {
        (n, m) if n == m => Some(a.iter().zip(b).collect()),
        (1, _) => Some(b.iter().map(|y| (&a[0], y)).collect()),
        (_, 1) => Some(a.iter().map(|x| (x, &b[0])).collect()),
        _ => None,
    }
}

fn arith(cx: &mut InferCtx<'_>) {
    rules::broadcast(cx);
    let f: fn(&Dim, &Dim) -> Dim = match cx.node.op_type.as_str() {
        "Add" => dims::add,
        "Sub" => dims::sub,
        "Mul" => dims::mul,
        _ => dims::div,
    };
    if let Some(p) = paired(cx) {
        let v = p.into_iter().map(|(a, b)| f(a, b)).collect();
        cx.set_value(0, v);
    }
}

fn equal(cx: &mut InferCtx<'_>) {
    rules::broadcast_bool(cx);
    if let Some(p) = paired(cx) {
        let v: Option<Vec<Dim>> = p
            .into_iter()
            .map(|(a, b)| match (a, b) {
                (Dim::Known(x), Dim::Known(y)) => Some(Dim::Known((x == y) as i64)),
                (Dim::Symbolic(x), Dim::Symbolic(y)) if x == y => Some(Dim::Known(1)),
                _ => None,
            })
            .collect();
        if let Some(v) = v {
            cx.set_value(0, v);
        }
    }
}

fn select(cx: &mut InferCtx<'_>) {
    if let Some(d) = cx.dtype(1).or(cx.dtype(2)) {
        cx.set_tensor(0, d, rules::broadcast_shape(cx));
    }
    let (Some(c), Some(x), Some(y)) = (cx.value(0), cx.value(1), cx.value(2)) else { return };
    let n = c.len().max(x.len()).max(y.len());
    let at = |v: &[Dim], i: usize| if v.len() == 1 { v.first().cloned() } else { v.get(i).cloned() };
    let v: Option<Vec<Dim>> = (0..n)
        .map(|i| match at(c, i)? {
            Dim::Known(0) => at(y, i),
            Dim::Known(_) => at(x, i),
            _ => None,
        })
        .collect();
    if let Some(v) = v {
        cx.set_value(0, v);
    }
}
