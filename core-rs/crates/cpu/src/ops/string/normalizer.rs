//! StringNormalizer (opset 10), as onnxruntime runs it: an element equal to a stopword
//! (compared after lowercasing both when `is_case_sensitive` is 0) is dropped, the rest
//! get `case_change_action`. Case mapping is per code point with Unicode's *simple*
//! mappings — what glibc's towlower/towupper give onnxruntime under en_US.UTF-8 (so "ß"
//! stays "ß" in UPPER, "İ" lowers to "i"). The `locale` attribute is accepted but no
//! locale-specific rule (e.g. Turkish dotless i) is applied.

use onnxrun_core::{bail, ensure, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};
use std::collections::HashSet;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    None,
    Lower,
    Upper,
}

struct Normalizer {
    case: Case,
    case_sensitive: bool,
    /// Stopwords as given (case-sensitive) or lowercased (case-insensitive).
    stopwords: HashSet<String>,
}

pub(super) fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let case = match node.string_or("case_change_action", "NONE")?.as_str() {
        "NONE" => Case::None,
        "LOWER" => Case::Lower,
        "UPPER" => Case::Upper,
        other => bail!(InvalidGraph, "{}: case_change_action must be NONE, LOWER or UPPER, got '{other}'", node.describe()),
    };
    let case_sensitive = match node.int_or("is_case_sensitive", 0)? {
        0 => false,
        1 => true,
        v => bail!(InvalidGraph, "{}: is_case_sensitive must be 0 or 1, got {v}", node.describe()),
    };
    let words = node.get_strings("stopwords")?.unwrap_or_default();
    let stopwords = words.into_iter().map(|w| if case_sensitive { w } else { map_case(&w, Case::Lower) }).collect();
    Ok(Box::new(Normalizer { case, case_sensitive, stopwords }))
}

/// Unicode simple lowercase of one code point. Rust gives the full mapping; the only
/// code point whose full lowercase is longer than one is U+0130, simply 'i'.
fn lower(c: char) -> char {
    let mut m = c.to_lowercase();
    m.next().unwrap_or(c)
}

/// Unicode simple uppercase of one code point. Where the full mapping expands (ß → SS,
/// ŉ → ʼN, ...) the simple one keeps the character, except the Greek letters with
/// ypogegrammeni, whose simple uppercase is the matching prosgegrammeni capital.
fn upper(c: char) -> char {
    let mut m = c.to_uppercase();
    match (m.next(), m.next()) {
        (Some(u), None) => u,
        _ => {
            let cp = c as u32;
            let mapped = match cp {
                0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => cp + 8,
                0x1FB3 | 0x1FC3 | 0x1FF3 => cp + 9,
                _ => cp,
            };
            char::from_u32(mapped).unwrap_or(c)
        }
    }
}

fn map_case(s: &str, case: Case) -> String {
    match case {
        Case::None => s.to_string(),
        Case::Lower if s.is_ascii() => s.to_ascii_lowercase(),
        Case::Upper if s.is_ascii() => s.to_ascii_uppercase(),
        Case::Lower => s.chars().map(lower).collect(),
        Case::Upper => s.chars().map(upper).collect(),
    }
}

impl Kernel for Normalizer {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let x = ctx.input(0)?;
        ensure!(x.dtype() == DataType::String, InvalidArgument, "{}: input must be a string tensor, got {}", node.describe(), x.dtype());
        let two_d = match *x.shape() {
            [c] if c > 0 => false,
            [1, c] if c > 0 => true,
            _ => bail!(InvalidArgument, "{}: input must be [C] or [1, C] with C > 0, got shape {:?}", node.describe(), x.shape()),
        };
        let mut out: Vec<String> = Vec::with_capacity(x.len());
        for s in x.strings()? {
            let stop = !self.stopwords.is_empty()
                && if self.case_sensitive {
                    self.stopwords.contains(s)
                } else {
                    self.stopwords.contains(&map_case(s, Case::Lower))
                };
            if !stop {
                out.push(map_case(s, self.case));
            }
        }
        // All dropped: one empty string, keeping the rank.
        if out.is_empty() {
            out.push(String::new());
        }
        let shape = if two_d { vec![1, out.len()] } else { vec![out.len()] };
        ctx.set_output(0, Tensor::from_strings(shape, out)?)
    }
}
