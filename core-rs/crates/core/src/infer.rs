//! Type inference for node outputs: element types for every op whose output type is
//! not simply its first input's, and shapes where they follow directly (elementwise
//! broadcast, MatMul, Transpose, Cast-like ops). Declared value_info always wins.

use crate::broadcast::broadcast_dims;
use crate::dtype::DataType;
use crate::graph::{Attribute, Node};
use crate::value::{Dim, TypeInfo};

fn t(d: DataType) -> Option<TypeInfo> {
    Some(TypeInfo::tensor(d))
}

fn attr_dtype(node: &Node, name: &str) -> Option<DataType> {
    match node.attr(name) {
        Some(Attribute::Int(v)) => DataType::from_i32(*v as i32).ok(),
        _ => None,
    }
}

fn tensor_attr_dtype(node: &Node, name: &str) -> Option<DataType> {
    match node.attr(name) {
        Some(Attribute::Tensor(t)) | Some(Attribute::SparseTensor(t)) => Some(t.dtype()),
        _ => None,
    }
}

/// Output types of `node` from its input types. `None` where unknown.
pub fn infer_node(node: &Node, inputs: &[Option<TypeInfo>]) -> Vec<Option<TypeInfo>> {
    use DataType::*;
    let n_out = node.outputs.len();
    let in_dt = |i: usize| inputs.get(i).and_then(|t| t.as_ref()).and_then(|t| t.elem_dtype());
    let first = inputs.iter().flatten().next().cloned();
    let same = |ty: Option<TypeInfo>| vec![ty; n_out];
    let domain = node.domain.as_str();
    let op = node.op_type.as_str();
    if domain == "ai.onnx.ml" {
        return match op {
            "LinearClassifier" | "SVMClassifier" | "TreeEnsembleClassifier" => {
                let label = if node.attr("classlabels_strings").is_some() { String } else { Int64 };
                vec![t(label), t(Float)]
            }
            "LabelEncoder" => {
                let out = if node.attr("values_strings").is_some() { String } else if node.attr("values_floats").is_some() { Float } else if node.attr("values_int64s").is_some() { Int64 } else { tensor_attr_dtype(node, "values_tensor").unwrap_or(Int64) };
                vec![t(out)]
            }
            "CategoryMapper" => vec![t(if in_dt(0) == Some(String) { Int64 } else { String })],
            "ZipMap" => {
                let key = if node.attr("classlabels_strings").is_some() { String } else { Int64 };
                vec![Some(TypeInfo::Sequence(Box::new(TypeInfo::Map(key, Box::new(TypeInfo::tensor(Float))))))]
            }
            "Binarizer" | "Imputer" => same(first),
            "ArrayFeatureExtractor" => same(first),
            _ => vec![t(Float); n_out],
        };
    }
    match op {
        "Cast" => vec![attr_dtype(node, "to").and_then(t)],
        "CastLike" => vec![in_dt(1).and_then(t)],
        "Shape" | "Size" | "NonZero" | "ArgMax" | "ArgMin" => vec![t(Int64)],
        "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "And" | "Or" | "Xor" | "Not" | "IsNaN" | "IsInf"
        | "RegexFullMatch" => vec![t(Bool); n_out],
        "StringConcat" | "StringNormalizer" => vec![t(String)],
        "StringSplit" => vec![t(String), t(Int64)],
        "TopK" => vec![first, t(Int64)],
        "Unique" => vec![first, t(Int64), t(Int64), t(Int64)],
        "Constant" => {
            let d = tensor_attr_dtype(node, "value").or_else(|| tensor_attr_dtype(node, "sparse_value")).or_else(|| {
                [("value_float", Float), ("value_floats", Float), ("value_int", Int64), ("value_ints", Int64), ("value_string", String), ("value_strings", String)]
                    .iter()
                    .find(|(n, _)| node.attr(n).is_some())
                    .map(|(_, d)| *d)
            });
            vec![d.and_then(t)]
        }
        "ConstantOfShape" => vec![t(tensor_attr_dtype(node, "value").unwrap_or(Float))],
        "EyeLike" | "RandomNormalLike" | "RandomUniformLike" => vec![attr_dtype(node, "dtype").or(in_dt(0)).and_then(t)],
        "RandomNormal" | "RandomUniform" | "Bernoulli" => vec![t(attr_dtype(node, "dtype").unwrap_or(if op == "Bernoulli" { in_dt(0).unwrap_or(Float) } else { Float }))],
        "Multinomial" => vec![t(attr_dtype(node, "dtype").unwrap_or(Int32))],
        "QuantizeLinear" => vec![attr_dtype(node, "output_dtype").or(in_dt(2)).or(Some(Uint8)).and_then(t)],
        "DequantizeLinear" => vec![attr_dtype(node, "output_dtype").or(in_dt(1)).and_then(t)],
        "DynamicQuantizeLinear" => vec![t(Uint8), t(Float), t(Uint8)],
        "MatMulInteger" | "ConvInteger" => vec![t(Int32)],
        "QLinearMatMul" | "QLinearConv" => vec![in_dt(7).and_then(t)],
        "Range" | "OneHot" => vec![in_dt(0).or(in_dt(2)).and_then(t)],
        "SequenceEmpty" => vec![Some(TypeInfo::Sequence(Box::new(TypeInfo::tensor(attr_dtype(node, "dtype").unwrap_or(Float)))))],
        "SequenceConstruct" | "SplitToSequence" => vec![first.map(|e| TypeInfo::Sequence(Box::new(e)))],
        "SequenceAt" => vec![match inputs.first().cloned().flatten() {
            Some(TypeInfo::Sequence(e)) => Some(*e),
            _ => None,
        }],
        "SequenceLength" => vec![t(Int64)],
        "SequenceInsert" | "SequenceErase" => vec![inputs.first().cloned().flatten()],
        "ConcatFromSequence" => vec![match inputs.first().cloned().flatten() {
            Some(TypeInfo::Sequence(e)) => Some(TypeInfo::tensor(e.elem_dtype().unwrap_or(Float))),
            _ => None,
        }],
        "OptionalHasElement" => vec![t(Bool)],
        "OptionalGetElement" => vec![match inputs.first().cloned().flatten() {
            Some(TypeInfo::Optional(e)) => Some(*e),
            other => other,
        }],
        "Optional" => vec![match node.attr("type") {
            Some(Attribute::Type(ty)) => Some(TypeInfo::Optional(Box::new(ty.clone()))),
            _ => first.map(|e| TypeInfo::Optional(Box::new(e))),
        }],
        "TfIdfVectorizer" => vec![t(Float)],
        "MelWeightMatrix" | "HannWindow" | "HammingWindow" | "BlackmanWindow" => vec![t(attr_dtype(node, "output_datatype").unwrap_or(Float))],
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Max" | "Min" | "Sum" | "Mean" | "Mod" | "BitShift" | "BitwiseAnd" | "BitwiseOr" | "BitwiseXor" | "PRelu" => {
            vec![broadcast_types(inputs)]
        }
        "MatMul" => vec![matmul_type(inputs)],
        _ => {
            let mut out = vec![first.map(|ty| TypeInfo::tensor(ty.elem_dtype().unwrap_or(Float))); n_out];
            if unary_same_shape(op) {
                if let Some(Some(ti)) = inputs.first() {
                    out[0] = Some(ti.clone());
                }
            }
            // Only element types are known here; non-tensor first inputs give nothing.
            if let Some(Some(ti)) = inputs.first() {
                if ti.elem_dtype().is_none() {
                    return vec![None; n_out];
                }
            }
            out
        }
    }
}

fn unary_same_shape(op: &str) -> bool {
    matches!(
        op,
        "Relu" | "Sigmoid" | "Tanh" | "Exp" | "Log" | "Neg" | "Abs" | "Sqrt" | "Reciprocal" | "Identity" | "Softmax" | "LogSoftmax"
            | "Erf" | "Sin" | "Cos" | "Floor" | "Ceil" | "Round" | "Sign" | "LeakyRelu" | "Elu" | "Selu" | "HardSigmoid" | "Softplus"
            | "Softsign" | "Gelu" | "Clip" | "Dropout"
    )
}

fn dims_of(t: &Option<TypeInfo>) -> Option<Vec<Dim>> {
    t.as_ref()?.shape().map(|s| s.to_vec())
}

fn broadcast_types(inputs: &[Option<TypeInfo>]) -> Option<TypeInfo> {
    let dtype = inputs.iter().flatten().find_map(|t| t.elem_dtype())?;
    let shapes: Option<Vec<Vec<Dim>>> = inputs.iter().map(dims_of).collect();
    let shape = shapes.map(|shapes| broadcast_dims(&shapes.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    Some(TypeInfo::Tensor { dtype, shape })
}

fn matmul_type(inputs: &[Option<TypeInfo>]) -> Option<TypeInfo> {
    let dtype = inputs.first()?.as_ref()?.elem_dtype()?;
    let shape = (|| {
        let a = dims_of(inputs.first()?)?;
        let b = dims_of(inputs.get(1)?)?;
        if a.len() < 2 || b.len() < 2 {
            return None;
        }
        let batch_a = TypeInfo::Tensor { dtype, shape: Some(a[..a.len() - 2].to_vec()) };
        let batch_b = TypeInfo::Tensor { dtype, shape: Some(b[..b.len() - 2].to_vec()) };
        let mut s = broadcast_types(&[Some(batch_a), Some(batch_b)])?.shape()?.to_vec();
        s.push(a[a.len() - 2].clone());
        s.push(b[b.len() - 1].clone());
        Some(s)
    })();
    Some(TypeInfo::Tensor { dtype, shape })
}
