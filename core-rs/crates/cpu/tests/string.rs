//! String kernels. Expected values come from onnxruntime 1.32 (StringNormalizer run with
//! the C.UTF-8 locale, the machine having no en_US one; RegexFullMatch; TfIdfVectorizer),
//! and for StringSplit from Python's str.split, which the spec's reference uses.

mod common;

use common::{i64s, OpTest};
use onnxrun_core::{Attribute, ErrorCode, Tensor, Value};

fn strs(shape: &[usize], v: &[&str]) -> Tensor {
    Tensor::from_strings(shape.to_vec(), v.iter().map(|s| s.to_string()).collect()).unwrap()
}
fn string(s: &str) -> Attribute {
    Attribute::String(s.as_bytes().to_vec())
}
fn strings(v: &[&str]) -> Attribute {
    Attribute::Strings(v.iter().map(|s| s.as_bytes().to_vec()).collect())
}
fn got_strs(v: &Value) -> (Vec<usize>, Vec<String>) {
    let t = v.as_tensor().unwrap();
    (t.shape().to_vec(), t.strings().unwrap().to_vec())
}
fn code(r: onnxrun_core::Result<Vec<Value>>) -> ErrorCode {
    r.expect_err("expected an error").code
}

#[test]
fn concat_broadcasts_utf8() {
    let out = OpTest::new("StringConcat", 20).input(strs(&[2, 1], &["α", ""])).input(strs(&[3], &["x", "βγ", ""])).run().unwrap();
    assert_eq!(got_strs(&out[0]), (vec![2, 3], ["αx", "αβγ", "α", "x", "βγ", ""].map(String::from).to_vec()));
    let r = OpTest::new("StringConcat", 20).input(strs(&[2], &["a", "b"])).input(strs(&[3], &["x", "y", "z"])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = OpTest::new("StringConcat", 20).input(strs(&[1], &["a"])).input(i64s(&[1], &[1])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

fn split(x: Tensor, attrs: &[(&str, Attribute)]) -> (Vec<usize>, Vec<String>, Vec<i64>) {
    let mut t = OpTest::new("StringSplit", 20).outputs(2);
    for (n, a) in attrs {
        t = t.attr(n, a.clone());
    }
    let out = t.input(x).run().unwrap();
    let (shape, s) = got_strs(&out[0]);
    (shape, s, out[1].as_tensor().unwrap().data::<i64>().unwrap().to_vec())
}

#[test]
fn split_on_whitespace_runs() {
    let x = strs(&[2, 2], &["  a b  c ", "x\u{a0}y\u{3000}z\tw", "", "\u{1c}a\u{1f}b"]);
    let (shape, s, n) = split(x.clone(), &[]);
    assert_eq!(shape, [2, 2, 4]);
    assert_eq!(s, ["a", "b", "c", "", "x", "y", "z", "w", "", "", "", "", "a", "b", "", ""]);
    assert_eq!(n, [3, 4, 0, 2]);
    // maxsplit: the rest keeps its inner and trailing whitespace.
    let (_, s, n) = split(x, &[("maxsplit", Attribute::Int(1))]);
    assert_eq!(s, ["a", "b  c ", "x", "y\u{3000}z\tw", "", "", "a", "b"]);
    assert_eq!(n, [2, 2, 0, 2]);
}

#[test]
fn split_on_a_delimiter() {
    let x = strs(&[3], &["a::b::::c", "", "a::b::c"]);
    let (shape, s, n) = split(x.clone(), &[("delimiter", string("::"))]);
    assert_eq!(shape, [3, 4]);
    assert_eq!(s, ["a", "b", "", "c", "", "", "", "", "a", "b", "c", ""]);
    assert_eq!(n, [4, 1, 3]);
    let (_, s, n) = split(x.clone(), &[("delimiter", string("::")), ("maxsplit", Attribute::Int(1))]);
    assert_eq!(s, ["a", "b::::c", "", "", "a", "b::c"]);
    assert_eq!(n, [2, 1, 2]);
    let (shape, _, n) = split(x, &[("delimiter", string("::")), ("maxsplit", Attribute::Int(0))]);
    assert_eq!((shape, n), (vec![3, 1], vec![1, 1, 1]));
    let (shape, s, n) = split(strs(&[0, 3], &[]), &[]);
    assert_eq!((shape, s.len(), n.len()), (vec![0, 3, 0], 0, 0));
    let r = OpTest::new("StringSplit", 20).outputs(2).input(i64s(&[1], &[1])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

fn normalize(x: Tensor, attrs: &[(&str, Attribute)]) -> onnxrun_core::Result<(Vec<usize>, Vec<String>)> {
    let mut t = OpTest::new("StringNormalizer", 10);
    for (n, a) in attrs {
        t = t.attr(n, a.clone());
    }
    t.input(x).run().map(|o| got_strs(&o[0]))
}

#[test]
fn normalizer_simple_case_mapping() {
    let x = strs(&[8], &["İstanbul", "straße", "ǅ", "ﬁ", "ᾳ", "Ωμέγα", "ÀÉÎ", "Σ"]);
    let (_, s) = normalize(x, &[("case_change_action", string("LOWER"))]).unwrap();
    assert_eq!(s, ["istanbul", "straße", "ǆ", "ﬁ", "ᾳ", "ωμέγα", "àéî", "σ"]);
    let x = strs(&[9], &["İstanbul", "straße", "ǅ", "ﬁ", "ᾳ", "Ωμέγα", "àéî", "ς", "ŉ"]);
    let (_, s) = normalize(x, &[("case_change_action", string("UPPER"))]).unwrap();
    assert_eq!(s, ["İSTANBUL", "STRAßE", "Ǆ", "ﬁ", "ᾼ", "ΩΜΈΓΑ", "ÀÉÎ", "Σ", "ŉ"]);
}

#[test]
fn normalizer_stopwords() {
    let x = strs(&[4], &["Monday", "MONDAY", "monday x", "Straße"]);
    let stops = ("stopwords", strings(&["monday", "STRASSE"]));
    let (_, s) = normalize(x.clone(), &[stops.clone()]).unwrap();
    assert_eq!(s, ["monday x", "Straße"]);
    let (_, s) = normalize(x.clone(), &[stops.clone(), ("case_change_action", string("LOWER"))]).unwrap();
    assert_eq!(s, ["monday x", "straße"]);
    // Case-sensitive: only exact matches drop.
    let (_, s) = normalize(x, &[stops, ("case_change_action", string("UPPER")), ("is_case_sensitive", Attribute::Int(1))]).unwrap();
    assert_eq!(s, ["MONDAY", "MONDAY", "MONDAY X", "STRAßE"]);
    // Everything dropped from a [1, C] input: [1, 1] holding "".
    let got = normalize(strs(&[1, 2], &["a", "B"]), &[("stopwords", strings(&["A", "b"]))]).unwrap();
    assert_eq!(got, (vec![1, 1], vec![String::new()]));
}

#[test]
fn normalizer_bad_inputs() {
    assert_eq!(normalize(strs(&[2, 1], &["a", "b"]), &[]).unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(normalize(strs(&[0], &[]), &[]).unwrap_err().code, ErrorCode::InvalidArgument);
    assert_eq!(normalize(strs(&[1], &["a"]), &[("case_change_action", string("TITLE"))]).unwrap_err().code, ErrorCode::InvalidGraph);
}

fn full_match(pattern: &str, x: &[&str]) -> onnxrun_core::Result<Vec<bool>> {
    let out = OpTest::new("RegexFullMatch", 20).attr("pattern", string(pattern)).input(strs(&[x.len()], x)).run()?;
    Ok(out[0].as_tensor().unwrap().data::<bool>().unwrap().to_vec())
}

#[test]
fn regex_follows_re2_semantics() {
    // Perl classes and word boundaries are ASCII-only in RE2; `.` is one code point.
    assert_eq!(full_match(r"\w", &["é", "a", "_", "1", "٣"]).unwrap(), [false, true, true, true, false]);
    assert_eq!(full_match(r"\d", &["é", "a", "٣"]).unwrap(), [false, false, false]);
    assert_eq!(full_match(r"\s", &["\u{b}", "\t", "\u{a0}", " "]).unwrap(), [false, true, false, true]);
    assert_eq!(full_match(r".\b.", &["éa", "ab"]).unwrap(), [true, false]);
    assert_eq!(full_match(r".", &["é", "ab"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"(?i)É", &["é", "a"]).unwrap(), [true, false]);
    // A full match, whichever alternative the leftmost-first order tries first.
    assert_eq!(full_match(r"a|ab", &["ab", "a", "b"]).unwrap(), [true, true, false]);
    assert_eq!(full_match(r"\Qa.\E", &["a.", "ab"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"\01", &["\u{1}"]).unwrap(), [true]);
    assert_eq!(full_match(r"a.b", &["a\nb"]).unwrap(), [false]);
    assert_eq!(full_match(r"(?s)a.b", &["a\nb"]).unwrap(), [true]);
    assert_eq!(full_match(r"[[:upper:]]", &["A", "É"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"(?m)a$", &["a\n"]).unwrap(), [false]);
    assert_eq!(full_match(r"\p{Greek}+ \x{41}{2}", &["Ωμέγα AA", "Ωμέγα A"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"[\w.-]+@[^\W_]+\.com", &["a.b-c@x1.com", "a@x_1.com"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"a{,2}", &["a{,2}", "aa"]).unwrap(), [true, false]);
    assert_eq!(full_match(r"", &[""]).unwrap(), [true]);
}

#[test]
fn regex_bad_patterns_fail_at_creation() {
    for p in [r"(a", r"a)", r"(a)\1", r"\1", r"a{1001}", r"(?=a)", r"[a", r"a\Z"] {
        let e = full_match(p, &["a"]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGraph, "pattern {p}");
        assert!(e.message.contains("RegexFullMatch"), "{}", e.message);
    }
    let r = OpTest::new("RegexFullMatch", 20).attr("pattern", string("a")).input(i64s(&[1], &[1])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

fn tfidf(x: Tensor, attrs: &[(&str, Attribute)]) -> onnxrun_core::Result<(Vec<usize>, Vec<f32>)> {
    let mut base: Vec<(&str, Attribute)> = vec![
        ("mode", string("TF")),
        ("min_gram_length", Attribute::Int(1)),
        ("max_gram_length", Attribute::Int(2)),
        ("max_skip_count", Attribute::Int(0)),
        ("ngram_counts", Attribute::Ints(vec![0, 4])),
        ("ngram_indexes", Attribute::Ints(vec![0, 1, 2, 3, 4, 5])),
        ("pool_int64s", Attribute::Ints(vec![2, 3, 5, 4, 5, 6, 7, 8])),
    ];
    for (n, a) in attrs {
        base.retain(|(b, _)| b != n);
        base.push((n, a.clone()));
    }
    let mut t = OpTest::new("TfIdfVectorizer", 9);
    for (n, a) in base {
        t = t.attr(n, a);
    }
    let out = t.input(x).run()?;
    let y = out[0].as_tensor().unwrap();
    Ok((y.shape().to_vec(), y.data::<f32>().unwrap().to_vec()))
}

fn rows() -> Tensor {
    i64s(&[3, 4], &[2, 3, 5, 4, 5, 6, 7, 8, 2, 2, 2, 3])
}

#[test]
fn tfidf_modes_and_weights() {
    let (shape, y) = tfidf(rows(), &[]).unwrap();
    assert_eq!(shape, [3, 6]);
    assert_eq!(y, [1., 1., 1., 1., 0., 0., 0., 0., 1., 0., 1., 1., 3., 1., 0., 0., 0., 0.]);
    let w = ("weights", Attribute::Floats(vec![1.5, 2., 3., 4., 5., 6.]));
    let (_, y) = tfidf(rows(), &[("mode", string("IDF")), w.clone()]).unwrap();
    assert_eq!(y, [1.5, 2., 3., 4., 0., 0., 0., 0., 3., 0., 5., 6., 1.5, 2., 0., 0., 0., 0.]);
    // Weights belong to pool n-grams, not output columns.
    let rev = ("ngram_indexes", Attribute::Ints(vec![5, 4, 3, 2, 1, 0]));
    let (_, y) = tfidf(rows(), &[("mode", string("TFIDF")), w, rev]).unwrap();
    assert_eq!(y, [0., 0., 4., 3., 2., 1.5, 6., 5., 0., 3., 0., 0., 0., 0., 0., 0., 2., 4.5]);
    // Shared columns: IDF takes the last occurring n-gram's weight, TFIDF sums.
    let w = ("weights", Attribute::Floats(vec![6.5, -5., 4., 3., -2., 1.]));
    let (_, y) = tfidf(rows(), &[("mode", string("IDF")), w.clone(), ("ngram_indexes", Attribute::Ints(vec![0; 6]))]).unwrap();
    assert_eq!(y, [3., 1., -5.]);
    let (_, y) = tfidf(rows(), &[("mode", string("TFIDF")), w, ("ngram_indexes", Attribute::Ints(vec![1, 1, 1, 1, 0, 0]))]).unwrap();
    assert_eq!(y, [0., 8.5, -1., 4., 0., 14.5]);
}

#[test]
fn tfidf_skips_trigrams_and_shapes() {
    let x = i64s(&[7], &[94, 17, 36, 12, 28, 94, 12]);
    let attrs = [
        ("max_gram_length", Attribute::Int(3)),
        ("max_skip_count", Attribute::Int(1)),
        ("ngram_counts", Attribute::Ints(vec![0, 2, 4])),
        ("ngram_indexes", Attribute::Ints(vec![0, 1, 2, 3, 4])),
        ("pool_int64s", Attribute::Ints(vec![94, 12, 94, 36, 17, 12, 94, 17, 36, 28])),
    ];
    let (shape, y) = tfidf(x.clone(), &attrs).unwrap();
    assert_eq!((shape, y), (vec![5], vec![2., 2., 1., 1., 0.]));
    let x32 = Tensor::from_vec(vec![1, 7], vec![94i32, 17, 36, 12, 28, 94, 12]).unwrap();
    let mut a2 = attrs.to_vec();
    a2.push(("min_gram_length", Attribute::Int(2)));
    let (shape, y) = tfidf(x32, &a2).unwrap();
    assert_eq!((shape, y), (vec![1, 5], vec![0., 0., 1., 1., 0.]));
    a2.push(("max_skip_count", Attribute::Int(0)));
    assert_eq!(tfidf(x, &a2).unwrap().1, [0.; 5]);
    // Strings: a, b, c, d unigrams and the bigrams "a b", "c d".
    let pool = ("pool_strings", strings(&["a", "b", "c", "d", "a", "b", "c", "d"]));
    let (shape, y) = tfidf(strs(&[1, 3], &["a", "b", "c"]), &[("pool_int64s", Attribute::Ints(vec![])), pool]).unwrap();
    assert_eq!((shape, y), (vec![1, 6], vec![1., 1., 1., 0., 1., 0.]));
    // Empty rows give zeros.
    assert_eq!(tfidf(i64s(&[2, 0], &[]), &[]).unwrap(), (vec![2, 6], vec![0.; 12]));
}

#[test]
fn tfidf_bad_attributes_and_inputs() {
    let graph_err = |attrs: &[(&str, Attribute)]| tfidf(rows(), attrs).unwrap_err().code;
    assert_eq!(graph_err(&[("mode", string("BM25"))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("ngram_indexes", Attribute::Ints(vec![0, 1, 2, 3, 4]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("ngram_indexes", Attribute::Ints(vec![0, 1, 2, 3, 4, -5]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("ngram_counts", Attribute::Ints(vec![4, 0]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("ngram_counts", Attribute::Ints(vec![0, 3]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("ngram_counts", Attribute::Ints(vec![0, 9]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("weights", Attribute::Floats(vec![1., 2.]))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("min_gram_length", Attribute::Int(3))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("max_skip_count", Attribute::Int(-1))]), ErrorCode::InvalidGraph);
    assert_eq!(graph_err(&[("pool_strings", strings(&["a"]))]), ErrorCode::InvalidGraph);
    let run_err = |x: Tensor| tfidf(x, &[]).unwrap_err().code;
    assert_eq!(run_err(strs(&[1, 2], &["a", "b"])), ErrorCode::InvalidArgument);
    assert_eq!(run_err(i64s(&[1, 2, 2], &[1, 2, 3, 4])), ErrorCode::InvalidArgument);
    assert_eq!(run_err(i64s(&[0, 4], &[])), ErrorCode::InvalidArgument);
}
