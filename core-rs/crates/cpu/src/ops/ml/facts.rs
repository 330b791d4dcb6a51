//! Facts of the ai.onnx.ml ops: labels are strings or int64 as the class labels are,
//! scores float.

use onnxrun_core::facts::rules;
use onnxrun_core::{DataType, InferCtx, KernelRegistry, OpFacts, TypeInfo};

const ML: &str = "ai.onnx.ml";

pub fn register(r: &mut KernelRegistry) {
    r.facts_all(ML, &["LinearClassifier", "SVMClassifier", "TreeEnsembleClassifier"], OpFacts::new(classifier));
    r.facts(ML, "LabelEncoder", OpFacts::new(label_encoder));
    r.facts(ML, "CategoryMapper", OpFacts::new(category_mapper));
    r.facts(ML, "ZipMap", OpFacts::new(zip_map));
    r.facts_all(ML, &["Binarizer", "Imputer", "ArrayFeatureExtractor"], OpFacts::new(rules::first_dtype));
    r.facts_all(
        ML,
        &["LinearRegressor", "SVMRegressor", "TreeEnsembleRegressor", "Normalizer", "Scaler", "OneHotEncoder", "FeatureVectorizer"],
        OpFacts::new(rules::float32),
    );
    r.facts(ML, "TreeEnsemble", OpFacts::new(rules::first_dtype));
    r.facts(ML, "DictVectorizer", OpFacts::new(dict_vectorizer));
    r.facts(ML, "CastMap", OpFacts::new(cast_map));
}

fn label_type(cx: &InferCtx<'_>) -> DataType {
    if cx.attr("classlabels_strings").is_some() {
        DataType::String
    } else {
        DataType::Int64
    }
}

fn classifier(cx: &mut InferCtx<'_>) {
    cx.set_tensor(0, label_type(cx), None);
    cx.set_tensor(1, DataType::Float, None);
}

fn label_encoder(cx: &mut InferCtx<'_>) {
    let d = if cx.attr("values_strings").is_some() {
        DataType::String
    } else if cx.attr("values_floats").is_some() {
        DataType::Float
    } else if cx.attr("values_int64s").is_some() {
        DataType::Int64
    } else {
        cx.tensor_attr_dtype("values_tensor").unwrap_or(DataType::Int64)
    };
    cx.set_tensor(0, d, cx.shape(0).map(<[_]>::to_vec));
}

fn category_mapper(cx: &mut InferCtx<'_>) {
    let d = if cx.dtype(0) == Some(DataType::String) { DataType::Int64 } else { DataType::String };
    cx.set_tensor(0, d, cx.shape(0).map(<[_]>::to_vec));
}

fn zip_map(cx: &mut InferCtx<'_>) {
    let map = TypeInfo::Map(label_type(cx), Box::new(TypeInfo::tensor(DataType::Float)));
    cx.set(0, TypeInfo::Sequence(Box::new(map)));
}

/// The map's value type.
fn dict_vectorizer(cx: &mut InferCtx<'_>) {
    if let Some(TypeInfo::Map(_, v)) = cx.input(0) {
        if let Some(d) = v.elem_dtype() {
            cx.set_tensor(0, d, None);
        }
    }
}

fn cast_map(cx: &mut InferCtx<'_>) {
    let d = match cx.string_attr("cast_to").as_deref() {
        Some("TO_STRING") => DataType::String,
        Some("TO_INT64") => DataType::Int64,
        _ => DataType::Float,
    };
    cx.set_tensor(0, d, None);
}
