//! If, Loop, Scan and SequenceMap on small graphs built here. Expected values are worked
//! by hand from the ONNX spec (each test says how).

mod common;

use onnxrun_core::{Attribute, DataType, Dim, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, TypeInfo, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<(&str, Attribute)>) -> Node {
    Node {
        op_type: op.into(),
        name: format!("{op}_{}", outputs.first().unwrap_or(&"")),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    }
}
fn vi(name: &str) -> ValueInfo {
    ValueInfo { name: name.into(), ty: None, doc: String::new() }
}
fn vi_t(name: &str, dtype: DataType, dims: &[i64]) -> ValueInfo {
    ValueInfo { name: name.into(), ty: Some(TypeInfo::Tensor { dtype, shape: Some(dims.iter().map(|&d| Dim::Known(d)).collect()) }), doc: String::new() }
}
fn graph(nodes: Vec<Node>, inputs: Vec<ValueInfo>, outputs: Vec<ValueInfo>, inits: Vec<(&str, Tensor)>) -> Graph {
    Graph { name: "g".into(), nodes, inputs, outputs, initializers: inits.into_iter().map(|(n, t)| (n.to_string(), t)).collect(), ..Default::default() }
}
fn sub(g: Graph) -> Attribute {
    Attribute::Graph(Arc::new(g))
}
fn run(g: Graph, opset: i64, feeds: Vec<Value>) -> onnxrun_core::Result<Vec<Value>> {
    let n_out = g.outputs.len();
    let mut model = Model { ir_version: 10, graph: g, ..Default::default() };
    model.opsets.insert(String::new(), opset);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() })?;
    let fetch: Vec<usize> = (0..n_out).collect();
    sess.run(feeds.into_iter().enumerate().collect(), &fetch, &RunState::default())
}
fn f32s(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
fn i64s(shape: &[usize], v: &[i64]) -> Tensor {
    Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
}
fn f32_of(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let t = v.as_tensor().unwrap();
    (t.shape().to_vec(), t.data::<f32>().unwrap().to_vec())
}
fn i64_of(v: &Value) -> (Vec<usize>, Vec<i64>) {
    let t = v.as_tensor().unwrap();
    (t.shape().to_vec(), t.data::<i64>().unwrap().to_vec())
}

// ---- If ---------------------------------------------------------------------------------

/// then: x + [1, 2, 3] (shape [3], reads the outer x); else: [[5]] (shape [1, 1]).
fn if_graph() -> Graph {
    let then_g = graph(vec![node("Add", &["x", "c"], &["t"], vec![])], vec![], vec![vi("t")], vec![("c", f32s(&[3], &[1.0, 2.0, 3.0]))]);
    let else_g = graph(vec![], vec![], vec![vi("e")], vec![("e", f32s(&[1, 1], &[5.0]))]);
    graph(
        vec![node("If", &["cond"], &["y"], vec![("then_branch", sub(then_g)), ("else_branch", sub(else_g))])],
        vec![vi("cond"), vi("x")],
        vec![vi("y")],
        vec![],
    )
}

#[test]
fn if_runs_the_chosen_branch_with_its_own_shape() {
    let x = f32s(&[3], &[10.0, 20.0, 30.0]);
    let out = run(if_graph(), 13, vec![Tensor::scalar(true).into(), x.clone().into()]).unwrap();
    assert_eq!(f32_of(&out[0]), (vec![3], vec![11.0, 22.0, 33.0]));
    let out = run(if_graph(), 13, vec![Tensor::scalar(false).into(), x.clone().into()]).unwrap();
    assert_eq!(f32_of(&out[0]), (vec![1, 1], vec![5.0]));
    // A one-element [1] condition is fine; a float or a 2-element one is not.
    let out = run(if_graph(), 13, vec![Tensor::from_vec(vec![1], vec![true]).unwrap().into(), x.clone().into()]).unwrap();
    assert_eq!(f32_of(&out[0]).0, [3]);
    let e = run(if_graph(), 13, vec![Tensor::scalar(1.0f32).into(), x.clone().into()]).unwrap_err();
    assert!(e.message.contains("single bool"), "{e}");
    let e = run(if_graph(), 13, vec![Tensor::from_vec(vec![2], vec![true, false]).unwrap().into(), x.into()]).unwrap_err();
    assert!(e.message.contains("single bool"), "{e}");
}

// ---- Loop -------------------------------------------------------------------------------

/// Carries an int64 sum: sum += i; the scan output is the running sum. With `cond_limit`,
/// the body's cond is sum < limit.
fn loop_graph(with_m: bool, with_cond: bool, cond_limit: Option<i64>) -> Graph {
    let mut body_nodes = vec![node("Add", &["sum_in", "i"], &["sum_out"], vec![])];
    let cond_out = match cond_limit {
        Some(_) => {
            body_nodes.push(node("Less", &["sum_out", "limit"], &["cond_out"], vec![]));
            "cond_out"
        }
        None => "cond_in",
    };
    body_nodes.push(node("Identity", &["sum_out"], &["scan"], vec![]));
    let body = graph(
        body_nodes,
        vec![vi_t("i", DataType::Int64, &[]), vi_t("cond_in", DataType::Bool, &[]), vi("sum_in")],
        vec![vi(cond_out), vi("sum_out"), vi_t("scan", DataType::Int64, &[])],
        vec![],
    );
    let mut inits = vec![];
    if let Some(l) = cond_limit {
        inits.push(("limit", Tensor::scalar(l)));
    }
    graph(
        vec![node("Loop", &[if with_m { "m" } else { "" }, if with_cond { "cond" } else { "" }, "sum0"], &["sum", "sums"], vec![("body", sub(body))])],
        vec![vi("m"), vi("cond"), vi("sum0")],
        vec![vi("sum"), vi("sums")],
        inits,
    )
}

fn feeds(m: i64, cond: bool, sum0: i64) -> Vec<Value> {
    vec![Tensor::scalar(m).into(), Tensor::scalar(cond).into(), Tensor::scalar(sum0).into()]
}

#[test]
fn loop_for_counts_trips_and_stacks_scan_outputs() {
    // 5 trips from 0: sums 0, 1, 3, 6, 10.
    let out = run(loop_graph(true, true, None), 13, feeds(5, true, 0)).unwrap();
    assert_eq!(i64_of(&out[0]), (vec![], vec![10]));
    assert_eq!(i64_of(&out[1]), (vec![5], vec![0, 1, 3, 6, 10]));
    // cond false from the start: no trip, the carried value comes back, the scan output is
    // empty with the body's declared element shape.
    let out = run(loop_graph(true, true, None), 13, feeds(5, false, 7)).unwrap();
    assert_eq!(i64_of(&out[0]), (vec![], vec![7]));
    assert_eq!(i64_of(&out[1]), (vec![0], vec![]));
    let out = run(loop_graph(true, true, None), 13, feeds(0, true, 7)).unwrap();
    assert_eq!(i64_of(&out[1]).0, [0]);
}

#[test]
fn loop_while_stops_on_the_body_condition() {
    // sum < 7 after each step: 0 (go), 1, 3, 6, 10 (stop) → 5 trips.
    let out = run(loop_graph(false, true, Some(7)), 13, feeds(0, true, 0)).unwrap();
    assert_eq!(i64_of(&out[0]), (vec![], vec![10]));
    assert_eq!(i64_of(&out[1]).1, [0, 1, 3, 6, 10]);
    // Both M and cond: M = 3 ends it first.
    let out = run(loop_graph(true, true, Some(7)), 13, feeds(3, true, 0)).unwrap();
    assert_eq!(i64_of(&out[1]).1, [0, 1, 3]);
    // M without cond: the body's cond output is ignored (it turns false after trip 4).
    let out = run(loop_graph(true, false, Some(7)), 13, feeds(6, true, 0)).unwrap();
    assert_eq!(i64_of(&out[1]).1, [0, 1, 3, 6, 10, 15]);
}

#[test]
fn loop_scan_output_shapes_must_agree() {
    // The scan output is Range(0, i): shape [0], [1], ... — not stackable.
    let body = graph(
        vec![node("Range", &["zero", "i", "one"], &["r"], vec![])],
        vec![vi("i"), vi("cond_in")],
        vec![vi("cond_in"), vi("r")],
        vec![("zero", Tensor::scalar(0i64)), ("one", Tensor::scalar(1i64))],
    );
    let g = graph(vec![node("Loop", &["m", ""], &["rs"], vec![("body", sub(body))])], vec![vi("m")], vec![vi("rs")], vec![]);
    let e = run(g, 13, vec![Tensor::scalar(3i64).into()]).unwrap_err();
    assert!(e.message.contains("must agree"), "{e}");
}

/// If nested in a Loop body: the branches read the body's own values (acc_in, i) and the
/// main graph's x. A flag flips each trip: acc += x on even trips, acc -= i on odd ones.
#[test]
fn if_inside_loop_sees_both_scopes() {
    let then_g = graph(vec![node("Add", &["acc_in", "x"], &["a"], vec![])], vec![], vec![vi("a")], vec![]);
    let else_g = graph(
        vec![node("Cast", &["i"], &["i_f"], vec![("to", Attribute::Int(1))]), node("Sub", &["acc_in", "i_f"], &["b"], vec![])],
        vec![],
        vec![vi("b")],
        vec![],
    );
    let body = graph(
        vec![
            node("If", &["flag_in"], &["acc_out"], vec![("then_branch", sub(then_g)), ("else_branch", sub(else_g))]),
            node("Not", &["flag_in"], &["flag_out"], vec![]),
        ],
        vec![vi("i"), vi("cond_in"), vi("flag_in"), vi("acc_in")],
        vec![vi("cond_in"), vi("flag_out"), vi("acc_out")],
        vec![],
    );
    let g = graph(
        vec![node("Loop", &["m", "", "flag0", "acc0"], &["flag", "acc"], vec![("body", sub(body))])],
        vec![vi("m"), vi("flag0"), vi("acc0"), vi("x")],
        vec![vi("flag"), vi("acc")],
        vec![],
    );
    // x = 10, 4 trips from acc 0: +10 (i=0), -1 (i=1), +10 (i=2), -3 (i=3) → 16.
    let out = run(g, 13, vec![Tensor::scalar(4i64).into(), Tensor::scalar(true).into(), Tensor::scalar(0f32).into(), Tensor::scalar(10f32).into()]).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().data::<bool>().unwrap(), [true]);
    assert_eq!(f32_of(&out[1]).1, [16.0]);
}

// ---- Scan -------------------------------------------------------------------------------

/// State s [2] accumulates each slice; the scan output is the running state.
fn scan_body() -> Graph {
    graph(
        vec![node("Add", &["s_in", "x_t"], &["s_out"], vec![]), node("Identity", &["s_out"], &["y_t"], vec![])],
        vec![vi("s_in"), vi("x_t")],
        vec![vi("s_out"), vi_t("y_t", DataType::Float, &[2])],
        vec![],
    )
}

#[test]
fn scan9_axes_and_directions() {
    // x is [2, 3] scanned along axis 1 (columns [1,4], [2,5], [3,6]), in reverse:
    // running sums [3,6], [5,11], [6,15]. Stacked along output axis 1 in reverse order:
    // column t holds the sum after step (2 - t).
    let g = graph(
        vec![node(
            "Scan",
            &["s0", "x"],
            &["s", "ys"],
            vec![
                ("body", sub(scan_body())),
                ("num_scan_inputs", Attribute::Int(1)),
                ("scan_input_axes", Attribute::Ints(vec![-1])),
                ("scan_input_directions", Attribute::Ints(vec![1])),
                ("scan_output_axes", Attribute::Ints(vec![1])),
                ("scan_output_directions", Attribute::Ints(vec![1])),
            ],
        )],
        vec![vi("s0"), vi("x")],
        vec![vi("s"), vi("ys")],
        vec![],
    );
    let x = f32s(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let out = run(g, 16, vec![f32s(&[2], &[0.0, 0.0]).into(), x.into()]).unwrap();
    assert_eq!(f32_of(&out[0]), (vec![2], vec![6.0, 15.0]));
    // steps: t0 [3,6], t1 [5,11], t2 [6,15]; reversed along axis 1 → [[6,5,3],[15,11,6]].
    assert_eq!(f32_of(&out[1]), (vec![2, 3], vec![6.0, 5.0, 3.0, 15.0, 11.0, 6.0]));
}

#[test]
fn scan9_forward_default_axes_and_errors() {
    // Two scan inputs zipped along axis 0: s += a_t + b_t is done as two Adds.
    let body = graph(
        vec![node("Add", &["s_in", "a_t"], &["u"], vec![]), node("Add", &["u", "b_t"], &["s_out"], vec![])],
        vec![vi("s_in"), vi("a_t"), vi("b_t")],
        vec![vi("s_out"), vi("u")],
        vec![],
    );
    let g = graph(
        vec![node("Scan", &["s0", "a", "b"], &["s", "us"], vec![("body", sub(body)), ("num_scan_inputs", Attribute::Int(2))])],
        vec![vi("s0"), vi("a"), vi("b")],
        vec![vi("s"), vi("us")],
        vec![],
    );
    let a = f32s(&[2, 1], &[1.0, 2.0]);
    let b = f32s(&[2, 1], &[10.0, 20.0]);
    let out = run(g.clone(), 11, vec![f32s(&[1], &[0.0]).into(), a.clone().into(), b.into()]).unwrap();
    assert_eq!(f32_of(&out[0]), (vec![1], vec![33.0]));
    assert_eq!(f32_of(&out[1]), (vec![2, 1], vec![1.0, 13.0]));
    let e = run(g, 11, vec![f32s(&[1], &[0.0]).into(), a.into(), f32s(&[3, 1], &[0.0; 3]).into()]).unwrap_err();
    assert!(e.message.contains("steps"), "{e}");
}

#[test]
fn scan8_batches_with_sequence_lengths() {
    // Batch of 2, sequences of up to 3 steps of [2]; the second is only 2 long, so its
    // third output step is zeros and its state stops after step 2.
    let g = graph(
        vec![node("Scan", &["lens", "s0", "x"], &["s", "ys"], vec![("body", sub(scan_body())), ("num_scan_inputs", Attribute::Int(1))])],
        vec![vi("lens"), vi("s0"), vi("x")],
        vec![vi("s"), vi("ys")],
        vec![],
    );
    let x = f32s(&[2, 3, 2], &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
    let s0 = f32s(&[2, 2], &[0.0, 100.0, 0.0, 0.0]);
    let out = run(g.clone(), 8, vec![i64s(&[2], &[3, 2]).into(), s0.clone().into(), x.clone().into()]).unwrap();
    assert_eq!(f32_of(&out[0]), (vec![2, 2], vec![6.0, 106.0, 40.0, 60.0]));
    assert_eq!(f32_of(&out[1]), (vec![2, 3, 2], vec![1.0, 101.0, 3.0, 103.0, 6.0, 106.0, 10.0, 20.0, 40.0, 60.0, 0.0, 0.0]));
    // Reverse direction: the first batch entry runs 3, 2, 1.
    let mut g_rev = g.clone();
    g_rev.nodes[0].attrs.push(("directions".into(), Attribute::Ints(vec![1])));
    let out = run(g_rev, 8, vec![i64s(&[2], &[3, 2]).into(), s0.clone().into(), x.clone().into()]).unwrap();
    assert_eq!(&f32_of(&out[1]).1[..6], [3.0, 103.0, 5.0, 105.0, 6.0, 106.0]);
    // The second entry's 2 steps, reversed, are steps 1 then 0.
    assert_eq!(&f32_of(&out[1]).1[6..], [30.0, 40.0, 40.0, 60.0, 0.0, 0.0]);
    let e = run(g, 8, vec![i64s(&[2], &[4, 2]).into(), s0.into(), x.into()]).unwrap_err();
    assert!(e.message.contains("sequence length 4"), "{e}");
}

// ---- SequenceMap ------------------------------------------------------------------------

fn seq(items: Vec<Tensor>) -> Value {
    Value::Sequence { elem: TypeInfo::tensor(DataType::Float), items: items.into_iter().map(Value::Tensor).collect() }
}

#[test]
fn sequence_map_walks_sequences_and_passes_tensors_whole() {
    // out1[i] = a[i] + b[i]; out2[i] = a[i] + t (t the same tensor each time).
    let body = graph(
        vec![node("Add", &["a_i", "b_i"], &["o1"], vec![]), node("Add", &["a_i", "t"], &["o2"], vec![])],
        vec![vi("a_i"), vi("b_i"), vi("t")],
        vec![vi("o1"), vi("o2")],
        vec![],
    );
    let g = graph(
        vec![node("SequenceMap", &["a", "b", "t"], &["s1", "s2"], vec![("body", sub(body))])],
        vec![vi("a"), vi("b"), vi("t")],
        vec![vi("s1"), vi("s2")],
        vec![],
    );
    let a = seq(vec![f32s(&[1], &[1.0]), f32s(&[2], &[2.0, 3.0])]);
    let b = seq(vec![f32s(&[1], &[10.0]), f32s(&[2], &[20.0, 30.0])]);
    let out = run(g.clone(), 17, vec![a.clone(), b, f32s(&[1], &[100.0]).into()]).unwrap();
    let Value::Sequence { items, .. } = &out[0] else { panic!("not a sequence") };
    assert_eq!(items.iter().map(f32_of).collect::<Vec<_>>(), [(vec![1], vec![11.0]), (vec![2], vec![22.0, 33.0])]);
    let Value::Sequence { items, .. } = &out[1] else { panic!("not a sequence") };
    assert_eq!(items.iter().map(f32_of).collect::<Vec<_>>(), [(vec![1], vec![101.0]), (vec![2], vec![102.0, 103.0])]);
    // Sequences of different lengths are an error; empty input gives empty sequences.
    let e = run(g.clone(), 17, vec![a, seq(vec![f32s(&[1], &[0.0])]), f32s(&[1], &[0.0]).into()]).unwrap_err();
    assert!(e.message.contains("elements"), "{e}");
    let out = run(g, 17, vec![seq(vec![]), seq(vec![]), f32s(&[1], &[0.0]).into()]).unwrap();
    assert!(matches!(&out[0], Value::Sequence { items, .. } if items.is_empty()));
}
