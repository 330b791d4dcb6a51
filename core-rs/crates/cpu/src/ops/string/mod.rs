//! String kernels: StringConcat, StringSplit (opset 20), StringNormalizer (10),
//! RegexFullMatch (20) and TfIdfVectorizer (9).

mod facts;
mod concat_split;
mod normalizer;
mod regex_match;
mod tfidf;

use onnxrun_core::{KernelDef, KernelRegistry};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "StringConcat", 20, concat_split::concat));
    r.register(KernelDef::new("", "StringSplit", 20, concat_split::split));
    r.register(KernelDef::new("", "StringNormalizer", 10, normalizer::create));
    r.register(KernelDef::new("", "RegexFullMatch", 20, regex_match::create));
    r.register(KernelDef::new("", "TfIdfVectorizer", 9, tfidf::create));
    facts::register(r);
}
