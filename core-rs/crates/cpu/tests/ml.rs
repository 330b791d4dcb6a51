//! ai.onnx.ml kernels. Expected values come from onnxruntime 1.32 (Python, CPU provider)
//! run on the same inputs, unless a comment says they are worked by hand from the spec.

mod common;

use common::{assert_close, f32s, i64s, OpTest};
use onnxrun_core::{Attribute, DataType, MapValue, RunState, Session, SessionOptions, Tensor, TypeInfo, Value};
use onnxrun_cpu::CpuProvider;
use std::path::PathBuf;
use std::sync::Arc;

fn ints(v: &[i64]) -> Attribute {
    Attribute::Ints(v.to_vec())
}
fn floats(v: &[f32]) -> Attribute {
    Attribute::Floats(v.to_vec())
}
fn string(s: &str) -> Attribute {
    Attribute::String(s.as_bytes().to_vec())
}
fn strings(v: &[&str]) -> Attribute {
    Attribute::Strings(v.iter().map(|s| s.as_bytes().to_vec()).collect())
}
fn ml(op: &str) -> OpTest {
    OpTest::new(op, 13).domain("ai.onnx.ml")
}
fn strs(shape: &[usize], v: &[&str]) -> Tensor {
    Tensor::from_strings(shape.to_vec(), v.iter().map(|s| s.to_string()).collect()).unwrap()
}
fn labels_i64(v: &Value) -> Vec<i64> {
    v.as_tensor().unwrap().data::<i64>().unwrap().to_vec()
}
fn labels_str(v: &Value) -> Vec<String> {
    v.as_tensor().unwrap().strings().unwrap().to_vec()
}
fn shape(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// The tutorial model (LinearClassifier → Cast, Normalizer → ZipMap) against onnxruntime's
/// outputs in tests/fixtures/quickstart_reference.json.
#[test]
fn quickstart_logreg_iris_matches_onnxruntime() {
    let root = repo_root();
    let fixture: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("tests/fixtures/quickstart_reference.json")).unwrap()).unwrap();
    let model = onnxrun_core::load::load_model_file(&root.join(fixture["model"].as_str().unwrap())).unwrap();
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() }).unwrap();
    let n = fixture["X_test"].as_array().unwrap().len();
    let x = x_test(&fixture);
    let out_names: Vec<&str> = sess.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(out_names, ["output_label", "output_probability"]);
    let outs = sess.run(vec![(0, Value::Tensor(x))], &[0, 1], &RunState::default()).unwrap();

    let want = &fixture["label_and_probabilities"];
    let want_labels: Vec<i64> = want["output_label"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(labels_i64(&outs[0]), want_labels);
    assert_eq!(shape(&outs[0]), [n]);
    let label_only: Vec<i64> =
        fixture["label_only"]["output_label"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(labels_i64(&sess.run(vec![(0, Value::Tensor(x_test(&fixture)))], &[0], &RunState::default()).unwrap()[0]), label_only);

    let Value::Sequence { elem, items } = &outs[1] else { panic!("output_probability must be a sequence") };
    assert_eq!(elem, &TypeInfo::Map(DataType::Int64, Box::new(TypeInfo::tensor(DataType::Float))));
    let want_probs = want["output_probability"].as_array().unwrap();
    assert_eq!(items.len(), want_probs.len());
    for (r, (item, w)) in items.iter().zip(want_probs).enumerate() {
        let Value::Map(MapValue { keys, values }) = item else { panic!("row {r} is not a map") };
        let keys = keys.data::<i64>().unwrap();
        let vals = values.as_tensor().unwrap().data::<f32>().unwrap();
        let w = w.as_object().unwrap();
        assert_eq!(keys.len(), w.len(), "row {r}: key count");
        for (k, v) in keys.iter().zip(vals) {
            let expect = w[&k.to_string()].as_f64().unwrap() as f32;
            assert!((v - expect).abs() <= 1e-5, "row {r} class {k}: got {v}, want {expect}");
        }
    }
}

fn x_test(fixture: &serde_json::Value) -> Tensor {
    let rows = fixture["X_test"].as_array().unwrap();
    let x: Vec<f32> = rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
    Tensor::from_vec(vec![rows.len(), 4], x).unwrap()
}

// ---- LinearClassifier -------------------------------------------------------------------

const X3: [f32; 6] = [1.0, 2.0, -1.0, 0.5, 0.0, 0.0];

fn linear3(post: &str) -> Vec<Value> {
    ml("LinearClassifier")
        .attr("coefficients", floats(&[0.5, -0.3, 0.2, 0.1, -1.0, 0.0]))
        .attr("intercepts", floats(&[0.1, 0.0, 0.2]))
        .attr("classlabels_ints", ints(&[1, 2, 3]))
        .attr("post_transform", string(post))
        .input(f32s(&[3, 2], &X3))
        .outputs(2)
        .run()
        .unwrap()
}

#[test]
fn linear_classifier_multiclass_post_transforms() {
    let none = linear3("NONE");
    assert_eq!(labels_i64(&none[0]), [2, 3, 3]);
    assert_close(&none[1], &[0.0, 0.4, -0.8, -0.55, -0.15, 1.2, 0.1, 0.0, 0.2], 1e-6);
    let lg = linear3("LOGISTIC");
    assert_eq!(labels_i64(&lg[0]), [2, 3, 3]);
    assert_close(&lg[1], &[0.5, 0.59868765, 0.31002554, 0.36586443, 0.46257016, 0.76852477, 0.5249792, 0.5, 0.549834], 1e-6);
    let sm = linear3("SOFTMAX");
    assert_close(&sm[1], &[0.34000263, 0.5072243, 0.15277302, 0.12126464, 0.18090557, 0.69782984, 0.332225, 0.30060962, 0.3671654], 1e-6);
    let sz = linear3("SOFTMAX_ZERO");
    assert_close(&sz[1], &[0.0, 0.76852483, 0.2314752, 0.12126464, 0.18090557, 0.69782984, 0.47502083, 0.0, 0.52497917], 1e-6);
    let pb = linear3("PROBIT");
    assert_eq!(labels_i64(&pb[0]), [2, 3, 3]);
    let p = pb[1].as_tensor().unwrap().data::<f32>().unwrap();
    assert_eq!(p[0], f32::NEG_INFINITY);
    assert!((p[1] - -0.2533535).abs() < 1e-6 && (p[6] - -1.2817129).abs() < 1e-6 && (p[8] - -0.8417561).abs() < 1e-6);
    assert!(p[3].is_nan() && p[5].is_nan());
}

fn binary(post: &str, labels: Option<Attribute>) -> Vec<Value> {
    let mut t = ml("LinearClassifier")
        .attr("coefficients", floats(&[0.5, -0.3]))
        .attr("intercepts", floats(&[0.1]))
        .attr("post_transform", string(post));
    if let Some(l) = labels {
        let name = if matches!(l, Attribute::Ints(_)) { "classlabels_ints" } else { "classlabels_strings" };
        t = t.attr(name, l);
    }
    t.input(f32s(&[3, 2], &X3)).outputs(2).run().unwrap()
}

#[test]
fn linear_classifier_binary_one_row_adds_second_class() {
    // Raw scores: 0 (rounded to -2.2e-8), -0.55, 0.1; the label is positive only when > 0.
    for post in ["NONE", "SOFTMAX", "SOFTMAX_ZERO"] {
        let o = binary(post, Some(ints(&[3, 7])));
        assert_eq!(labels_i64(&o[0]), [3, 3, 7]);
        assert_close(&o[1], &[1.0, 0.0, 1.55, -0.55, 0.9, 0.1], 1e-6);
    }
    let o = binary("LOGISTIC", Some(strings(&["a", "b"])));
    assert_eq!(labels_str(&o[0]), ["a", "a", "b"]);
    assert_close(&o[1], &[0.5, 0.5, 0.6341356, 0.3658644, 0.47502083, 0.5249792], 1e-6);
    // No labels: one column, labels 0/1, and only PROBIT touches a lone score.
    let o = binary("LOGISTIC", None);
    assert_eq!(labels_i64(&o[0]), [0, 0, 1]);
    assert_eq!(shape(&o[1]), [3, 1]);
    assert_close(&o[1], &[0.0, -0.55, 0.1], 1e-6);
}

#[test]
fn linear_classifier_inputs_and_errors() {
    let run = |x: Tensor| {
        ml("LinearClassifier")
            .attr("coefficients", floats(&[0.5, -0.3, 0.2, 0.1]))
            .attr("intercepts", floats(&[0.1, 0.0]))
            .attr("classlabels_ints", ints(&[1, 2]))
            .input(x)
            .outputs(2)
            .run()
    };
    for x in [f32s(&[2], &[1.0, 2.0]), i64s(&[1, 2], &[1, 2]), Tensor::from_vec(vec![1, 2], vec![1.0f64, 2.0]).unwrap()] {
        let o = run(x).unwrap();
        assert_eq!(labels_i64(&o[0]), [2]);
        assert_eq!(shape(&o[1]), [1, 2]);
        assert_close(&o[1], &[0.0, 0.4], 1e-6);
    }
    let e = run(f32s(&[2, 1, 2], &[1.0; 4])).unwrap_err();
    assert!(e.message.contains("1-D or 2-D"), "{e}");
    let e = run(f32s(&[2, 3], &[1.0; 6])).unwrap_err();
    assert!(e.message.contains("too few"), "{e}");
    let e = ml("LinearClassifier")
        .attr("coefficients", floats(&[0.5, -0.3, 0.2, 0.1, 0.0, 0.0]))
        .attr("intercepts", floats(&[0.1, 0.0, 0.0]))
        .attr("classlabels_ints", ints(&[1, 2]))
        .input(f32s(&[1, 2], &[1.0, 2.0]))
        .outputs(2)
        .run()
        .unwrap_err();
    assert!(e.message.contains("class labels"), "{e}");
}

#[test]
fn linear_regressor_targets_and_post_transforms() {
    let x = f32s(&[3, 3], &[1.0, -2.0, 0.5, -1.0, -0.5, -0.25, 0.0, 0.0, 0.0]);
    let run = |post: &str| {
        ml("LinearRegressor")
            .attr("coefficients", floats(&[0.5, -0.3, 0.2, 0.1, 1.0, 0.0]))
            .attr("intercepts", floats(&[0.1, 0.0]))
            .attr("targets", Attribute::Int(2))
            .attr("post_transform", string(post))
            .input(x.clone())
            .run()
            .unwrap()
    };
    assert_close(&run("NONE")[0], &[1.3, -1.9, -0.3, -0.6, 0.1, 0.0], 1e-6);
    assert_close(&run("LOGISTIC")[0], &[0.78583497, 0.13010845, 0.4255575, 0.3543437, 0.5249792, 0.5], 1e-6);
    assert_close(&run("SOFTMAX")[0], &[0.96083426, 0.03916572, 0.5744425, 0.42555746, 0.5249792, 0.47502083], 1e-6);
    assert_close(&run("SOFTMAX_ZERO")[0], &[0.96083426, 0.03916572, 0.5744425, 0.42555746, 1.0, 0.0], 1e-6);
    // One target, no intercepts.
    let o = ml("LinearRegressor").attr("coefficients", floats(&[0.5, -0.3, 0.2])).input(x.clone()).run().unwrap();
    assert_eq!(shape(&o[0]), [3, 1]);
    assert_close(&o[0], &[1.2, -0.4, 0.0], 1e-6);
}

// ---- Normalizer / ZipMap ----------------------------------------------------------------

#[test]
fn normalizer_norms() {
    let x = f32s(&[3, 3], &[1.0, -2.0, 0.5, -1.0, -0.5, -0.25, 0.0, 0.0, 0.0]);
    let run = |norm: &str, x: Tensor| ml("Normalizer").attr("norm", string(norm)).input(x).run().unwrap();
    assert_close(&run("MAX", x.clone())[0], &[1.0, -2.0, 0.5, 4.0, 2.0, 1.0, 0.0, 0.0, 0.0], 1e-6);
    assert_close(&run("L1", x.clone())[0], &[0.2857143, -0.5714286, 0.14285715, -0.5714286, -0.2857143, -0.14285715, 0.0, 0.0, 0.0], 1e-6);
    assert_close(&run("L2", x.clone())[0], &[0.4364358, -0.8728716, 0.2182179, -0.8728716, -0.4364358, -0.2182179, 0.0, 0.0, 0.0], 1e-6);
    // Integer input, 1-D input, a row whose max is 0 (left as is).
    assert_close(&run("L2", i64s(&[1, 3], &[1, -2, 0]))[0], &[0.4472136, -0.8944272, 0.0], 1e-6);
    assert_close(&run("MAX", f32s(&[3], &[-1.0, 0.0, 0.0]))[0], &[-1.0, 0.0, 0.0], 0.0);
    let e = ml("Normalizer").attr("norm", string("L2")).input(f32s(&[1, 1, 2], &[1.0, 2.0])).run().unwrap_err();
    assert!(e.message.contains("1-D or 2-D"), "{e}");
    let e = ml("Normalizer").attr("norm", string("L3")).input(f32s(&[2], &[1.0, 2.0])).run().unwrap_err();
    assert!(e.message.contains("L3"), "{e}");
}

fn map_entries_str(v: &Value) -> Vec<(String, f32)> {
    let Value::Map(m) = v else { panic!("not a map") };
    m.keys.strings().unwrap().iter().cloned().zip(m.values.as_tensor().unwrap().data::<f32>().unwrap().iter().copied()).collect()
}
fn map_entries_i64(v: &Value) -> Vec<(i64, f32)> {
    let Value::Map(m) = v else { panic!("not a map") };
    m.keys.data::<i64>().unwrap().iter().copied().zip(m.values.as_tensor().unwrap().data::<f32>().unwrap().iter().copied()).collect()
}

#[test]
fn zipmap_rows_become_maps() {
    let x = f32s(&[2, 3], &[-1.0, 0.0, 0.0, -1.0, -2.0, 0.5]);
    let o = ml("ZipMap").attr("classlabels_int64s", ints(&[10, 20, 30])).input(x.clone()).run().unwrap();
    let Value::Sequence { items, .. } = &o[0] else { panic!() };
    assert_eq!(items.len(), 2);
    assert_eq!(map_entries_i64(&items[1]), [(10, -1.0), (20, -2.0), (30, 0.5)]);
    let o = ml("ZipMap").attr("classlabels_strings", strings(&["a", "b", "c"])).input(f32s(&[3], &[1.0, 2.0, 3.0])).run().unwrap();
    let Value::Sequence { elem, items } = &o[0] else { panic!() };
    assert_eq!(elem.type_string(), "map(string,tensor(float))");
    assert_eq!(map_entries_str(&items[0]), [("a".to_string(), 1.0), ("b".to_string(), 2.0), ("c".to_string(), 3.0)]);
    // A repeated label keeps its first place and the last column's score.
    let o = ml("ZipMap").attr("classlabels_int64s", ints(&[10, 10, 30])).input(x.clone()).run().unwrap();
    let Value::Sequence { items, .. } = &o[0] else { panic!() };
    assert_eq!(map_entries_i64(&items[1]), [(10, -2.0), (30, 0.5)]);
    let e = ml("ZipMap").attr("classlabels_strings", strings(&["a", "b"])).input(x).run().unwrap_err();
    assert!(e.message.contains("3 scores per row"), "{e}");
    let o = ml("ZipMap").attr("classlabels_int64s", ints(&[1])).input(f32s(&[0, 1], &[])).run().unwrap();
    assert!(matches!(&o[0], Value::Sequence { items, .. } if items.is_empty()));
}

// ---- small ops --------------------------------------------------------------------------

fn f32_data(v: &Value) -> Vec<f32> {
    v.as_tensor().unwrap().data::<f32>().unwrap().to_vec()
}

#[test]
fn array_feature_extractor_picks_last_axis_columns() {
    let x = f32s(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let o = ml("ArrayFeatureExtractor").input(x.clone()).input(i64s(&[2], &[2, 0])).run().unwrap();
    assert_eq!((shape(&o[0]), f32_data(&o[0])), (vec![2, 2], vec![3.0, 1.0, 6.0, 4.0]));
    // 1-D input counts as one row; strings work too.
    let o = ml("ArrayFeatureExtractor").input(f32s(&[3], &[1.0, 2.0, 3.0])).input(i64s(&[1], &[1])).run().unwrap();
    assert_eq!((shape(&o[0]), f32_data(&o[0])), (vec![1, 1], vec![2.0]));
    let o = ml("ArrayFeatureExtractor").input(strs(&[2, 2], &["a", "b", "c", "d"])).input(i64s(&[1], &[1])).run().unwrap();
    assert_eq!(labels_str(&o[0]), ["b", "d"]);
    for bad in [3, -1] {
        let e = ml("ArrayFeatureExtractor").input(x.clone()).input(i64s(&[1], &[bad])).run().unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
    }
}

#[test]
fn binarizer_scaler_imputer() {
    let x = f32s(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let o = ml("Binarizer").attr("threshold", Attribute::Float(2.0)).input(x.clone()).run().unwrap();
    assert_eq!(f32_data(&o[0]), [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
    let o = ml("Binarizer").attr("threshold", Attribute::Float(2.0)).input(i64s(&[3], &[1, 2, 3])).run().unwrap();
    assert_eq!(labels_i64(&o[0]), [0, 0, 1]);
    let e = ml("Binarizer").input(f32s(&[2], &[f32::NAN, 1.0])).run().unwrap_err();
    assert!(e.message.contains("NaN"), "{e}");

    let o = ml("Scaler").attr("offset", floats(&[1.0, 2.0, 3.0])).attr("scale", floats(&[2.0, 0.5, 1.0])).input(x.clone()).run().unwrap();
    assert_eq!(f32_data(&o[0]), [0.0, 0.0, 0.0, 6.0, 1.5, 3.0]);
    let o = ml("Scaler").attr("offset", floats(&[1.0])).attr("scale", floats(&[2.0])).input(i64s(&[2, 3], &[1, 2, 3, 4, 5, 6])).run().unwrap();
    assert_eq!(f32_data(&o[0]), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    let e = ml("Scaler").attr("offset", floats(&[1.0, 2.0])).attr("scale", floats(&[2.0])).input(x).run().unwrap_err();
    assert!(e.message.contains("offset"), "{e}");

    let xn = f32s(&[2, 3], &[1.0, f32::NAN, 3.0, f32::NAN, 5.0, 6.0]);
    let imp = |vals: &[f32]| ml("Imputer").attr("imputed_value_floats", floats(vals)).attr("replaced_value_float", Attribute::Float(f32::NAN));
    assert_eq!(f32_data(&imp(&[9.0, 8.0, 7.0]).input(xn.clone()).run().unwrap()[0]), [1.0, 8.0, 3.0, 9.0, 5.0, 6.0]);
    assert_eq!(f32_data(&imp(&[9.0]).input(xn.clone()).run().unwrap()[0]), [1.0, 9.0, 3.0, 9.0, 5.0, 6.0]);
    let o = ml("Imputer")
        .attr("imputed_value_int64s", ints(&[9, 8, 7]))
        .attr("replaced_value_int64", Attribute::Int(5))
        .input(i64s(&[2, 3], &[1, 5, 3, 5, 5, 6]))
        .run()
        .unwrap();
    assert_eq!(labels_i64(&o[0]), [1, 8, 3, 9, 8, 6]);
    let e = imp(&[9.0, 8.0]).input(xn).run().unwrap_err();
    assert!(e.message.contains("imputed values"), "{e}");
}

#[test]
fn category_mapper_and_one_hot_encoder() {
    let cm = || ml("CategoryMapper").attr("cats_strings", strings(&["a", "b", "c"])).attr("cats_int64s", ints(&[10, 20, 30]));
    let o = cm().attr("default_int64", Attribute::Int(-7)).input(strs(&[2, 2], &["a", "b", "zz", "c"])).run().unwrap();
    assert_eq!((shape(&o[0]), labels_i64(&o[0])), (vec![2, 2], vec![10, 20, -7, 30]));
    let o = cm().input(i64s(&[3], &[10, 30, 5])).run().unwrap();
    assert_eq!(labels_str(&o[0]), ["a", "c", "_Unused"]);

    let o = ml("OneHotEncoder").attr("cats_int64s", ints(&[1, 3, 5])).input(i64s(&[2, 2], &[1, 2, 5, 3])).run().unwrap();
    assert_eq!(shape(&o[0]), [2, 2, 3]);
    assert_eq!(f32_data(&o[0]), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
    // Floats are truncated to int64 first.
    let o = ml("OneHotEncoder").attr("cats_int64s", ints(&[1, 3, 5])).input(f32s(&[3], &[1.7, 3.0, -5.0])).run().unwrap();
    assert_eq!(f32_data(&o[0]), [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let e = ml("OneHotEncoder").attr("cats_strings", strings(&["a"])).attr("zeros", Attribute::Int(0)).input(strs(&[2], &["a", "b"])).run().unwrap_err();
    assert!(e.message.contains("not a known category"), "{e}");
}

#[test]
fn feature_vectorizer_cuts_and_pads() {
    let a = f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let b = f32s(&[2, 3], &[5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
    let o = ml("FeatureVectorizer").attr("inputdimensions", ints(&[3, 2])).input(a.clone()).input(b.clone()).run().unwrap();
    assert_eq!((shape(&o[0]), f32_data(&o[0])), (vec![2, 5], vec![1.0, 2.0, 0.0, 5.0, 6.0, 3.0, 4.0, 0.0, 8.0, 9.0]));
    // A 3-D input contributes each row flattened.
    let c = f32s(&[2, 2, 2], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    let o = ml("FeatureVectorizer").attr("inputdimensions", ints(&[4, 1])).input(c).input(i64s(&[2, 1], &[5, 6])).run().unwrap();
    assert_eq!(f32_data(&o[0]), [0.0, 1.0, 2.0, 3.0, 5.0, 4.0, 5.0, 6.0, 7.0, 6.0]);
    let e = ml("FeatureVectorizer").attr("inputdimensions", ints(&[1, 1])).input(a).input(f32s(&[1, 1], &[0.0])).run().unwrap_err();
    assert!(e.message.contains("rows"), "{e}");
}

fn int_map(keys: &[i64], vals: Tensor) -> Value {
    Value::Map(MapValue { keys: i64s(&[keys.len()], keys), values: Box::new(Value::Tensor(vals)) })
}

#[test]
fn cast_map_dense_and_sparse() {
    let m = int_map(&[5, 2, 9], f32s(&[3], &[1.5, -2.75, 3.0]));
    let run = |to: &str, form: &str, m: Value| ml("CastMap").attr("cast_to", string(to)).attr("map_form", string(form)).attr("max_map", Attribute::Int(6)).input(m).run();
    let o = run("TO_FLOAT", "DENSE", m.clone()).unwrap();
    assert_eq!((shape(&o[0]), f32_data(&o[0])), (vec![1, 3], vec![-2.75, 1.5, 3.0]));
    let o = run("TO_INT64", "SPARSE", m.clone()).unwrap();
    assert_eq!(labels_i64(&o[0]), [0, 0, -2, 0, 0, 1]);
    let o = run("TO_STRING", "SPARSE", m.clone()).unwrap();
    assert_eq!(labels_str(&o[0]), ["0.f", "0.f", "-2.750000", "0.f", "0.f", "1.500000"]);
    // String values parse as C's strtof/strtoll do (a numeric prefix).
    let ms = int_map(&[1, 2], strs(&[2], &["12", "1.9e3x"]));
    assert_eq!(f32_data(&run("TO_FLOAT", "DENSE", ms.clone()).unwrap()[0]), [12.0, 1900.0]);
    assert_eq!(labels_i64(&run("TO_INT64", "DENSE", ms).unwrap()[0]), [12, 1]);
    let e = run("TO_FLOAT", "SPARSE", int_map(&[-1], f32s(&[1], &[1.0]))).unwrap_err();
    assert!(e.message.contains("non-negative"), "{e}");
    let e = run("TO_FLOAT", "DENSE", int_map(&[1], strs(&[1], &["abc"]))).unwrap_err();
    assert!(e.message.contains("not a number"), "{e}");
}

#[test]
fn dict_vectorizer_fills_the_vocabulary() {
    let m = Value::Map(MapValue { keys: strs(&[3], &["c", "a", "zz"]), values: Box::new(Value::Tensor(f32s(&[3], &[1.5, 2.0, 3.0]))) });
    let o = ml("DictVectorizer").attr("string_vocabulary", strings(&["a", "b", "c", "a"])).input(m.clone()).run().unwrap();
    assert_eq!((shape(&o[0]), f32_data(&o[0])), (vec![1, 4], vec![2.0, 0.0, 1.5, 2.0]));
    let mi = int_map(&[3, 8], Tensor::from_vec(vec![2], vec![1.5f64, 2.0]).unwrap());
    let o = ml("DictVectorizer").attr("int64_vocabulary", ints(&[7, 3])).input(mi).run().unwrap();
    assert_eq!(o[0].as_tensor().unwrap().data::<f64>().unwrap(), [0.0, 1.5]);
    let e = ml("DictVectorizer").attr("int64_vocabulary", ints(&[7])).input(m).run().unwrap_err();
    assert!(e.message.contains("vocabulary"), "{e}");
    let e = ml("DictVectorizer").attr("int64_vocabulary", ints(&[7])).input(f32s(&[1], &[1.0])).run().unwrap_err();
    assert!(e.message.contains("must be a map"), "{e}");
}

#[test]
fn label_encoder_versions() {
    // v2 (OpTest imports ai.onnx.ml 5, so the v2+ kernel runs; v1 has its own test).
    let o = ml("LabelEncoder").attr("keys_strings", strings(&["a", "b"])).attr("values_int64s", ints(&[5, 6])).input(strs(&[2], &["b", "x"])).run().unwrap();
    assert_eq!(labels_i64(&o[0]), [6, -1]);
    let o = ml("LabelEncoder").attr("keys_strings", strings(&["a", "b"])).attr("values_floats", floats(&[5.5, 6.0])).input(strs(&[2], &["b", "x"])).run().unwrap();
    let d = f32_data(&o[0]);
    assert_eq!(d[0], 6.0);
    assert!(d[1] == 0.0 && d[1].is_sign_negative(), "default_float is -0.0");
    let o = ml("LabelEncoder").attr("keys_int64s", ints(&[1, 1, 2])).attr("values_strings", strings(&["x", "y", "z"])).input(i64s(&[3], &[1, 2, 3])).run().unwrap();
    assert_eq!(labels_str(&o[0]), ["x", "z", "_Unused"]);
    // v4: tensor attributes, NaN keys match NaN.
    let keys = Tensor::from_vec(vec![2], vec![1.5f64, f64::NAN]).unwrap();
    let vals = Tensor::from_vec(vec![2], vec![10i32, 20]).unwrap();
    let dflt = Tensor::from_vec(vec![1], vec![-9i32]).unwrap();
    let o = ml("LabelEncoder")
        .attr("keys_tensor", Attribute::Tensor(keys))
        .attr("values_tensor", Attribute::Tensor(vals))
        .attr("default_tensor", Attribute::Tensor(dflt))
        .input(Tensor::from_vec(vec![3], vec![1.5f64, f64::NAN, 0.0]).unwrap())
        .run()
        .unwrap();
    assert_eq!(o[0].as_tensor().unwrap().data::<i32>().unwrap(), [10, 20, -9]);
    let e = ml("LabelEncoder").attr("keys_strings", strings(&["a"])).attr("values_int64s", ints(&[1, 2])).input(strs(&[1], &["a"])).run().unwrap_err();
    assert!(e.message.contains("1 keys but 2 values"), "{e}");
    let e = ml("LabelEncoder").attr("keys_strings", strings(&["a"])).attr("values_int64s", ints(&[1])).input(i64s(&[1], &[1])).run().unwrap_err();
    assert!(e.message.contains("does not match"), "{e}");
}

#[test]
fn label_encoder_v1_maps_both_ways() {
    // ai.onnx.ml opset 1 through a model that imports it.
    let run = |t: Tensor, out_ty| {
        let mut model = onnxrun_core::Model { ir_version: 8, ..Default::default() };
        model.opsets.insert(String::new(), 13);
        model.opsets.insert("ai.onnx.ml".into(), 1);
        model.graph.nodes.push(onnxrun_core::Node {
            op_type: "LabelEncoder".into(),
            domain: "ai.onnx.ml".into(),
            inputs: vec!["x".into()],
            outputs: vec!["y".into()],
            attrs: vec![
                ("classes_strings".into(), strings(&["a", "b", "c"])),
                ("default_int64".into(), Attribute::Int(-3)),
                ("default_string".into(), string("??")),
            ],
            ..Default::default()
        });
        model.graph.inputs.push(onnxrun_core::ValueInfo { name: "x".into(), ty: None, doc: String::new() });
        model.graph.outputs.push(onnxrun_core::ValueInfo { name: "y".into(), ty: Some(TypeInfo::tensor(out_ty)), doc: String::new() });
        let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(1))], ..Default::default() }).unwrap();
        sess.run(vec![(0, Value::Tensor(t))], &[0], &RunState::default()).unwrap()
    };
    assert_eq!(labels_i64(&run(strs(&[3], &["b", "x", "c"]), DataType::Int64)[0]), [1, -3, 2]);
    assert_eq!(labels_str(&run(i64s(&[4], &[0, 2, 7, -1]), DataType::String)[0]), ["a", "c", "??", "??"]);
}

// ---- SVMs and trees (values from onnxruntime 1.32) ----------------------------------------

const XS: [f32; 6] = [1.0, 0.5, -1.0, 2.0, 0.2, -0.3];

fn svm3(proba: bool) -> Vec<Value> {
    let mut t = ml("SVMClassifier")
        .attr("kernel_type", string("RBF"))
        .attr("kernel_params", floats(&[0.5, 0.0, 3.0]))
        .attr("vectors_per_class", ints(&[2, 1, 1]))
        .attr("support_vectors", floats(&[1.0, 0.0, 0.0, 1.0, -1.0, 1.0, 0.5, -0.5]))
        .attr("coefficients", floats(&[0.5, -0.3, 0.8, 0.2, 0.1, 0.4, -0.6, 0.3]))
        .attr("rho", floats(&[0.1, -0.2, 0.3]))
        .attr("classlabels_ints", ints(&[5, 6, 7]));
    if proba {
        t = t.attr("prob_a", floats(&[-1.5, -2.0, -0.8])).attr("prob_b", floats(&[0.1, -0.2, 0.05]));
    }
    t.input(f32s(&[3, 2], &XS)).outputs(2).run().unwrap()
}

#[test]
fn svm_classifier_votes_and_platt_probabilities() {
    let o = svm3(false);
    assert_eq!(labels_i64(&o[0]), [5, 7, 5]);
    assert_close(&o[1], &[0.47621638, 0.20940655, 0.38891867, 0.48401853, -0.04816381, -0.05963914, 0.48805326, 0.2252538, 0.45566744], 1e-5);
    let o = svm3(true);
    assert_eq!(labels_i64(&o[0]), [5, 7, 5]);
    assert_close(&o[1], &[0.4837615, 0.2756394, 0.24059908, 0.4103414, 0.25605598, 0.33360255, 0.489488, 0.27725053, 0.23326151], 1e-5);
    // Binary, string labels, polynomial kernel: scores [-s, s].
    let o = ml("SVMClassifier")
        .attr("kernel_type", string("POLY"))
        .attr("kernel_params", floats(&[0.5, 1.0, 2.0]))
        .attr("vectors_per_class", ints(&[1, 2]))
        .attr("support_vectors", floats(&[1.0, 0.0, 0.0, 1.0, -1.0, 1.0]))
        .attr("coefficients", floats(&[0.5, -0.3, -0.2]))
        .attr("rho", floats(&[0.1]))
        .attr("classlabels_strings", strings(&["no", "yes"]))
        .input(f32s(&[3, 2], &XS))
        .outputs(2)
        .run()
        .unwrap();
    assert_eq!(labels_str(&o[0]), ["no", "yes", "no"]);
    assert_close(&o[1], &[-0.64374995, 0.64374995, 2.2250001, -2.2250001, -0.37575, 0.37575], 1e-5);
    let e = ml("SVMClassifier")
        .attr("vectors_per_class", ints(&[1, 1]))
        .attr("support_vectors", floats(&[1.0, 0.0, 0.0, 1.0]))
        .attr("coefficients", floats(&[0.5, -0.3]))
        .attr("rho", floats(&[0.1]))
        .attr("classlabels_ints", ints(&[0, 1]))
        .input(f32s(&[1, 3], &[1.0, 2.0, 3.0]))
        .outputs(2)
        .run()
        .unwrap_err();
    assert!(e.message.contains("features"), "{e}");
}

#[test]
fn svm_regressor_sigmoid_kernel() {
    let o = ml("SVMRegressor")
        .attr("kernel_type", string("SIGMOID"))
        .attr("kernel_params", floats(&[0.5, 0.1, 0.0]))
        .attr("n_supports", Attribute::Int(2))
        .attr("support_vectors", floats(&[1.0, 0.0, 0.0, 1.0]))
        .attr("coefficients", floats(&[0.7, -0.4]))
        .attr("rho", floats(&[0.2]))
        .input(f32s(&[3, 2], &XS))
        .run()
        .unwrap();
    assert_eq!(shape(&o[0]), [3, 1]);
    assert_close(&o[0], &[0.4413845, -0.38616395, 0.35814607], 1e-5);
}

/// One tree: x0 <= 0.5 (NaN goes true) ? leaf 1 : (x1 < 1 ? leaf 3 : leaf 4).
fn one_tree(op: &str) -> OpTest {
    ml(op)
        .attr("nodes_treeids", ints(&[0, 0, 0, 0, 0]))
        .attr("nodes_nodeids", ints(&[0, 1, 2, 3, 4]))
        .attr("nodes_featureids", ints(&[0, 0, 1, 0, 0]))
        .attr("nodes_values", floats(&[0.5, 0.0, 1.0, 0.0, 0.0]))
        .attr("nodes_modes", strings(&["BRANCH_LEQ", "LEAF", "BRANCH_LT", "LEAF", "LEAF"]))
        .attr("nodes_truenodeids", ints(&[1, 0, 3, 0, 0]))
        .attr("nodes_falsenodeids", ints(&[2, 0, 4, 0, 0]))
        .attr("nodes_missing_value_tracks_true", ints(&[1, 0, 0, 0, 0]))
}
const XT: [f32; 8] = [0.0, 0.0, 1.0, 0.0, 1.0, 5.0, f32::NAN, 5.0];

#[test]
fn tree_ensemble_regressor_and_classifier() {
    // Target 1 only scores at leaf 4; elsewhere it stays 0 without its base value.
    let o = one_tree("TreeEnsembleRegressor")
        .attr("target_treeids", ints(&[0, 0, 0, 0]))
        .attr("target_nodeids", ints(&[1, 3, 4, 4]))
        .attr("target_ids", ints(&[0, 0, 0, 1]))
        .attr("target_weights", floats(&[1.0, 2.0, 3.0, 4.0]))
        .attr("n_targets", Attribute::Int(2))
        .attr("base_values", floats(&[0.5, -0.5]))
        .input(f32s(&[4, 2], &XT))
        .run()
        .unwrap();
    assert_eq!(f32_data(&o[0]), [1.5, 0.0, 2.5, 0.0, 3.5, 3.5, 1.5, 0.0]);
    let o = one_tree("TreeEnsembleClassifier")
        .attr("class_treeids", ints(&[0, 0, 0, 0, 0]))
        .attr("class_nodeids", ints(&[1, 3, 4, 1, 3]))
        .attr("class_ids", ints(&[0, 1, 2, 2, 2]))
        .attr("class_weights", floats(&[0.6, 0.3, 0.9, 0.4, 0.7]))
        .attr("classlabels_strings", strings(&["a", "b", "c"]))
        .attr("post_transform", string("SOFTMAX"))
        .input(f32s(&[4, 2], &XT))
        .outputs(2)
        .run()
        .unwrap();
    assert_eq!(labels_str(&o[0]), ["a", "c", "c", "a"]);
    assert_close(
        &o[1],
        &[0.42237896, 0.23180647, 0.34581462, 0.22916797, 0.30934438, 0.46148762, 0.2242352, 0.2242352, 0.5515296, 0.42237896, 0.23180647, 0.34581462],
        1e-5,
    );
    // Binary with one class's weights of both signs and one base value: [σ(-s), σ(s)].
    let o = one_tree("TreeEnsembleClassifier")
        .attr("class_treeids", ints(&[0, 0, 0]))
        .attr("class_nodeids", ints(&[1, 3, 4]))
        .attr("class_ids", ints(&[0, 0, 0]))
        .attr("class_weights", floats(&[-0.6, 0.3, 1.5]))
        .attr("classlabels_int64s", ints(&[0, 1]))
        .attr("base_values", floats(&[0.2]))
        .attr("post_transform", string("LOGISTIC"))
        .input(f32s(&[4, 2], &XT))
        .outputs(2)
        .run()
        .unwrap();
    assert_eq!(labels_i64(&o[0]), [0, 1, 1, 0]);
    assert_close(&o[1], &[0.59868765, 0.40131235, 0.37754065, 0.62245935, 0.1544652, 0.8455348, 0.59868765, 0.40131235], 1e-5);
}

#[test]
fn tree_ensemble_rejects_malformed_trees() {
    let weights = |t: OpTest| {
        t.attr("target_treeids", ints(&[0]))
            .attr("target_nodeids", ints(&[1]))
            .attr("target_ids", ints(&[0]))
            .attr("target_weights", floats(&[1.0]))
            .input(f32s(&[1, 2], &[0.0, 0.0]))
    };
    // Node 2 branches back to node 0.
    let cyclic = ml("TreeEnsembleRegressor")
        .attr("nodes_treeids", ints(&[0, 0, 0]))
        .attr("nodes_nodeids", ints(&[0, 1, 2]))
        .attr("nodes_featureids", ints(&[0, 0, 1]))
        .attr("nodes_values", floats(&[0.5, 0.0, 1.0]))
        .attr("nodes_modes", strings(&["BRANCH_LEQ", "LEAF", "BRANCH_LT"]))
        .attr("nodes_truenodeids", ints(&[1, 0, 0]))
        .attr("nodes_falsenodeids", ints(&[2, 0, 1]));
    let e = weights(cyclic).run().unwrap_err();
    assert!(e.message.contains("cycle"), "{e}");
    // Node 0's false branch names node 9 of tree 0.
    let dangling = ml("TreeEnsembleRegressor")
        .attr("nodes_treeids", ints(&[0, 0]))
        .attr("nodes_nodeids", ints(&[0, 1]))
        .attr("nodes_featureids", ints(&[0, 0]))
        .attr("nodes_values", floats(&[0.5, 0.0]))
        .attr("nodes_modes", strings(&["BRANCH_LEQ", "LEAF"]))
        .attr("nodes_truenodeids", ints(&[1, 0]))
        .attr("nodes_falsenodeids", ints(&[9, 0]));
    let e = weights(dangling).run().unwrap_err();
    assert!(e.message.contains("does not exist"), "{e}");
    // A row shorter than the features the trees read.
    let e = one_tree("TreeEnsembleRegressor")
        .attr("target_treeids", ints(&[0]))
        .attr("target_nodeids", ints(&[1]))
        .attr("target_ids", ints(&[0]))
        .attr("target_weights", floats(&[1.0]))
        .input(f32s(&[1, 1], &[0.0]))
        .run()
        .unwrap_err();
    assert!(e.message.contains("feature 1"), "{e}");
}

/// TreeEnsemble (ai.onnx.ml 5), worked by hand from the spec: node 0 tests x0 <= 0.5
/// (true → leaf 0: target 0 += 1); node 1 tests x1 ∈ {1.5, 3} (true → leaf 1: target 1 +=
/// 2, false → leaf 2: target 0 -= 1).
fn tree5(post: i64) -> OpTest {
    ml("TreeEnsemble")
        .attr("tree_roots", ints(&[0]))
        .attr("nodes_featureids", ints(&[0, 1]))
        .attr("nodes_splits", Attribute::Tensor(f32s(&[2], &[0.5, 0.0])))
        .attr("nodes_modes", Attribute::Tensor(Tensor::from_vec(vec![2], vec![0u8, 6]).unwrap()))
        .attr("nodes_truenodeids", ints(&[0, 1]))
        .attr("nodes_falsenodeids", ints(&[1, 2]))
        .attr("nodes_trueleafs", ints(&[1, 1]))
        .attr("nodes_falseleafs", ints(&[0, 1]))
        .attr("membership_values", Attribute::Tensor(f32s(&[3], &[1.5, 3.0, f32::NAN])))
        .attr("leaf_targetids", ints(&[0, 1, 0]))
        .attr("leaf_weights", Attribute::Tensor(f32s(&[3], &[1.0, 2.0, -1.0])))
        .attr("n_targets", Attribute::Int(2))
        .attr("post_transform", Attribute::Int(post))
}

#[test]
fn tree_ensemble_v5_membership_and_post_transforms() {
    let x = f32s(&[4, 2], &[0.0, 0.0, 1.0, 1.5, 1.0, 1.6, f32::NAN, 3.0]);
    let o = tree5(0).input(x.clone()).run().unwrap();
    assert_eq!(f32_data(&o[0]), [1.0, 0.0, 0.0, 2.0, -1.0, 0.0, 0.0, 2.0]);
    // 2 is LOGISTIC and 1 SOFTMAX, as the spec numbers them.
    let o = tree5(2).input(x.clone()).run().unwrap();
    assert_close(&o[0], &[0.7310586, 0.5, 0.5, 0.8807971, 0.26894143, 0.5, 0.5, 0.8807971], 1e-6);
    let o = tree5(1).input(x.clone()).run().unwrap();
    assert_close(&o[0], &[0.7310586, 0.26894143, 0.11920292, 0.8807971, 0.26894143, 0.7310586, 0.11920292, 0.8807971], 1e-6);
    // Double in, double out.
    let xd = Tensor::from_vec(vec![1, 2], vec![1.0f64, 3.0]).unwrap();
    let o = tree5(0).input(xd).run().unwrap();
    assert_eq!(o[0].as_tensor().unwrap().data::<f64>().unwrap(), [0.0, 2.0]);
    let e = tree5(7).input(x).run().unwrap_err();
    assert!(e.message.contains("post_transform"), "{e}");
}
