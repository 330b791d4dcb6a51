//! The ai.onnx.ml domain: classic machine-learning models (linear models, trees, SVMs) and
//! the pre/post-processing ops that converters such as skl2onnx put around them. Where the
//! spec leaves room, behavior follows ONNX Runtime, which these models are checked against
//! (tests/sklearn.rs); where ONNX Runtime departs from the spec, each file says which it
//! follows.

mod facts;
mod common;
mod encoders;
mod features;
mod label_encoder;
mod linear;
mod maps;
mod normalizer;
mod preprocess;
mod svm;
mod tree;
mod zipmap;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    encoders::register(r); // CategoryMapper, OneHotEncoder
    features::register(r); // ArrayFeatureExtractor, FeatureVectorizer
    label_encoder::register(r); // LabelEncoder 1, 2, 4
    linear::register(r); // LinearClassifier, LinearRegressor
    maps::register(r); // CastMap, DictVectorizer
    normalizer::register(r); // Normalizer
    preprocess::register(r); // Binarizer, Imputer, Scaler
    svm::register(r); // SVMClassifier, SVMRegressor
    tree::register(r); // TreeEnsembleClassifier, TreeEnsembleRegressor, TreeEnsemble
    zipmap::register(r); // ZipMap
    facts::register(r);
}
