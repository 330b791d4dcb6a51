//! Ops own their facts: every CPU op declares them, the core's source names no op, and
//! load-time inference gives types, shapes and symbolic dims through shape chains.

use onnxrun_core::{Attribute, DataType, Dim, ExecutionProvider, Graph, Model, Node, Session, SessionOptions, Tensor, TypeInfo, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::path::Path;
use std::sync::Arc;

#[test]
fn every_cpu_op_declares_its_facts() {
    let p = CpuProvider::new(1);
    let r = p.registry();
    let missing: Vec<_> = r.ops().into_iter().filter(|(d, o)| r.op_facts(d, o).is_none()).collect();
    assert!(r.ops().len() > 200);
    assert!(missing.is_empty(), "ops without facts: {missing:?}");
}

/// String literals in `src` (a crude lexer: skips comments and char literals).
fn literals(src: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    for (no, line) in src.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            out.push((no + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_names_no_op() {
    let p = CpuProvider::new(1);
    let r = p.registry();
    let mut ops: Vec<String> = r.ops().into_iter().map(|(_, o)| o).collect();
    ops.extend(r.rewritten_ops().into_iter().map(|(_, o)| o.to_string()));
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut files = vec![];
    rust_files(&core, &mut files);
    assert!(files.len() > 10, "core sources not found at {}", core.display());
    // The scan itself finds a literal, and not one in a comment.
    assert_eq!(literals("let op = \"Add\"; // \"Mul\""), vec![(1, "Add".to_string())]);
    let mut hits = vec![];
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        for (line, lit) in literals(&src) {
            if ops.contains(&lit) {
                hits.push(format!("{}:{line}: \"{lit}\"", f.display()));
            }
        }
    }
    assert!(hits.is_empty(), "op names in the core:\n{}", hits.join("\n"));
}

fn node(op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<(&str, Attribute)>) -> Node {
    Node {
        op_type: op.into(),
        name: outputs[0].into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    }
}

fn vi(name: &str, ty: Option<TypeInfo>) -> ValueInfo {
    ValueInfo { name: name.into(), ty, doc: String::new() }
}

fn dims(spec: &[&str]) -> Vec<Dim> {
    spec.iter().map(|s| s.parse::<i64>().map(Dim::Known).unwrap_or_else(|_| Dim::Symbolic(s.to_string()))).collect()
}

fn f32_input(name: &str, spec: &[&str]) -> ValueInfo {
    vi(name, Some(TypeInfo::Tensor { dtype: DataType::Float, shape: Some(dims(spec)) }))
}

fn session(nodes: Vec<Node>, inputs: Vec<ValueInfo>, outputs: &[&str], inits: Vec<(&str, Tensor)>, level: u32) -> Session {
    let graph = Graph {
        name: "g".into(),
        nodes,
        inputs,
        outputs: outputs.iter().map(|o| vi(o, None)).collect(),
        initializers: inits.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 18);
    let opts = SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], optimization_level: level, verify_inferred_shapes: true, ..Default::default() };
    Session::new(model, opts).unwrap()
}

fn shape_of(s: &Session, name: &str) -> Vec<Dim> {
    let (_, ty) = s.value_types().into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no value {name}"));
    ty.and_then(|t| t.shape().map(<[Dim]>::to_vec)).unwrap_or_else(|| panic!("{name} has no shape"))
}

fn i64s(v: &[i64]) -> Tensor {
    Tensor::from_vec(vec![v.len()], v.to_vec()).unwrap()
}

/// The transformer pattern: split the hidden axis into heads with a Reshape whose target
/// is built at run time from `Shape`, and merge it back with `-1`.
#[test]
fn shape_chains_keep_symbols_through_reshape() {
    let nodes = vec![
        node("Shape", &["x"], &["s"], vec![]),
        node("Gather", &["s", "i0"], &["batch"], vec![("axis", Attribute::Int(0))]),
        node("Gather", &["s", "i1"], &["seq"], vec![("axis", Attribute::Int(0))]),
        node("Unsqueeze", &["batch", "ax0"], &["b1"], vec![]),
        node("Unsqueeze", &["seq", "ax0"], &["s1"], vec![]),
        node("Concat", &["b1", "s1", "heads"], &["target"], vec![("axis", Attribute::Int(0))]),
        node("Reshape", &["x", "target"], &["split"], vec![]),
        node("Transpose", &["split"], &["t"], vec![("perm", Attribute::Ints(vec![0, 2, 1, 3]))]),
        node("Reshape", &["t", "flat"], &["merged"], vec![]),
        node("MatMul", &["merged", "w"], &["y"], vec![]),
    ];
    let inits = vec![
        ("i0", Tensor::scalar(0i64)),
        ("i1", Tensor::scalar(1i64)),
        ("ax0", i64s(&[0])),
        ("heads", i64s(&[12, 64])),
        ("flat", i64s(&[-1, 64])),
        ("w", Tensor::zeros(DataType::Float, vec![64, 10]).unwrap()),
    ];
    let s = session(nodes, vec![f32_input("x", &["batch", "seq", "768"])], &["y"], inits, 0);
    assert_eq!(shape_of(&s, "target"), dims(&["4"]));
    assert_eq!(shape_of(&s, "split"), dims(&["batch", "seq", "12", "64"]));
    assert_eq!(shape_of(&s, "t"), dims(&["batch", "12", "seq", "64"]));
    assert_eq!(shape_of(&s, "merged"), dims(&["12*batch*seq", "64"]));
    assert_eq!(shape_of(&s, "y"), dims(&["12*batch*seq", "10"]));
    // Every value has an element type.
    assert!(s.value_types().iter().all(|(_, t)| t.as_ref().and_then(|t| t.elem_dtype()).is_some()));
    // And a run agrees with it (verify_inferred_shapes is on).
    let x = Tensor::zeros(DataType::Float, vec![2, 5, 768]).unwrap();
    let out = s.run(vec![(0, x.into())], &[0], &Default::default()).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), &[120, 10]);
}

#[test]
fn conv_and_pool_shapes_are_known_at_load() {
    let nodes = vec![
        node(
            "Conv",
            &["x", "w"],
            &["c"],
            vec![("strides", Attribute::Ints(vec![2, 2])), ("pads", Attribute::Ints(vec![3, 3, 3, 3])), ("kernel_shape", Attribute::Ints(vec![7, 7]))],
        ),
        node(
            "MaxPool",
            &["c"],
            &["p"],
            vec![("kernel_shape", Attribute::Ints(vec![3, 3])), ("strides", Attribute::Ints(vec![2, 2])), ("pads", Attribute::Ints(vec![1, 1, 1, 1]))],
        ),
        node("AveragePool", &["p"], &["a"], vec![("kernel_shape", Attribute::Ints(vec![2, 2])), ("ceil_mode", Attribute::Int(1)), ("strides", Attribute::Ints(vec![2, 2]))]),
        node("GlobalAveragePool", &["a"], &["g"], vec![]),
        node("Flatten", &["g"], &["f"], vec![]),
        node("Gemm", &["f", "fc"], &["y"], vec![("transB", Attribute::Int(1))]),
    ];
    let inits = vec![("w", Tensor::zeros(DataType::Float, vec![8, 3, 7, 7]).unwrap()), ("fc", Tensor::zeros(DataType::Float, vec![5, 8]).unwrap())];
    let s = session(nodes, vec![f32_input("x", &["N", "3", "65", "65"])], &["y"], inits, 0);
    assert_eq!(shape_of(&s, "c"), dims(&["N", "8", "33", "33"]));
    assert_eq!(shape_of(&s, "p"), dims(&["N", "8", "17", "17"]));
    assert_eq!(shape_of(&s, "a"), dims(&["N", "8", "9", "9"]));
    assert_eq!(shape_of(&s, "f"), dims(&["N", "8"]));
    assert_eq!(shape_of(&s, "y"), dims(&["N", "5"]));
    let x = Tensor::zeros(DataType::Float, vec![1, 3, 65, 65]).unwrap();
    let out = s.run(vec![(0, x.into())], &[0], &Default::default()).unwrap();
    assert_eq!(out[0].as_tensor().unwrap().shape(), &[1, 5]);
}

/// Random ops are declared not foldable: at the "basic" level a RandomUniform with no
/// inputs stays a step, so two runs draw different values.
#[test]
fn facts_keep_random_ops_out_of_folding() {
    let nodes = vec![node("RandomUniform", &[], &["r"], vec![("shape", Attribute::Ints(vec![16]))])];
    let s = session(nodes, vec![], &["r"], vec![], 1);
    assert_eq!(shape_of(&s, "r"), dims(&["16"]));
    let a = s.run(vec![], &[0], &Default::default()).unwrap();
    let b = s.run(vec![], &[0], &Default::default()).unwrap();
    assert_ne!(a[0].as_tensor().unwrap().data::<f32>().unwrap(), b[0].as_tensor().unwrap().data::<f32>().unwrap());
}
