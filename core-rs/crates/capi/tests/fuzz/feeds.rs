//! Fuzzed feeds. A feed is a small spec (index, element type, dims, fill, data seed), so a
//! case file replays a run exactly without storing tensor bytes; `create` turns a spec into
//! a value through the C ABI (a refusal just leaves that feed out of the run).

use crate::abi::{self, Failure};
use crate::rng::Rng;
use onnxrun_core::half::{bf16, f16};
use serde_json::Value as Json;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fill {
    /// NULL data with copy: the library allocates zeros.
    Zeros,
    Ones,
    Small,
    Bits,
    /// NaN, ±Inf, -0, extremes; bools of 2 and invalid UTF-8 (both must be refused).
    Special,
    /// A value handle that was already freed.
    Freed,
}

const FILLS: [(Fill, &str); 6] = [(Fill::Zeros, "zeros"), (Fill::Ones, "ones"), (Fill::Small, "small"), (Fill::Bits, "bits"), (Fill::Special, "special"), (Fill::Freed, "freed")];

#[derive(Clone, Debug)]
pub struct FeedSpec {
    pub idx: u32,
    pub elem: i32,
    pub dims: Vec<i64>,
    pub fill: Fill,
    pub seed: u64,
    /// Copied into the library (else borrowed, zero-copy).
    pub copy: bool,
    /// Added to the right byte length: nonzero must be refused.
    pub len_delta: i64,
}

#[derive(Clone, Debug, Default)]
pub struct RunSpec {
    pub fetch: Vec<u32>,
    pub feeds: Vec<FeedSpec>,
    /// After a successful run, run again with output 0 bound to a matching tensor.
    pub bind: bool,
}

/// Feeds above this (and below the library's refusal) would only make runs slow.
const FEED_CAP_BYTES: u128 = 16 << 20;
/// Shapes whose size overflows or exceeds the runtime-wide 8 GiB limit: must be refused.
const HUGE: [&[i64]; 6] = [&[1 << 34], &[1 << 20, 1 << 20, 4], &[i64::MAX], &[1 << 62, 1 << 62], &[-1], &[3, -7]];
const ELEM_TYPES: [i32; 17] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 21, 23];
const BAD_ELEM_TYPES: [i32; 4] = [0, -1, 99, i32::MAX];

impl RunSpec {
    pub fn to_line(&self) -> String {
        let fetch: Vec<String> = self.fetch.iter().map(|f| f.to_string()).collect();
        let mut s = format!("run fetch={}", fetch.join(","));
        if self.bind {
            s.push_str(" bind");
        }
        for f in &self.feeds {
            let dims = if f.dims.is_empty() { "s".to_string() } else { f.dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x") };
            let fill = FILLS.iter().find(|(k, _)| *k == f.fill).map(|(_, n)| *n).unwrap_or("ones");
            s.push_str(&format!(" feed={}:{}:{dims}:{fill}:{}:{}:{}", f.idx, f.elem, f.seed, u8::from(f.copy), f.len_delta));
        }
        s
    }

    /// Parses `to_line`'s output (without checking more than a case file needs).
    pub fn parse(line: &str) -> Option<RunSpec> {
        let mut run = RunSpec::default();
        for tok in line.strip_prefix("run")?.split_whitespace() {
            if let Some(f) = tok.strip_prefix("fetch=") {
                run.fetch = f.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect::<Option<_>>()?;
            } else if tok == "bind" {
                run.bind = true;
            } else {
                let p: Vec<&str> = tok.strip_prefix("feed=")?.split(':').collect();
                let [idx, elem, dims, fill, seed, copy, delta] = p[..] else { return None };
                let dims = if dims == "s" { vec![] } else { dims.split('x').map(|d| d.parse().ok()).collect::<Option<_>>()? };
                let fill = FILLS.iter().find(|(_, n)| *n == fill)?.0;
                run.feeds.push(FeedSpec {
                    idx: idx.parse().ok()?,
                    elem: elem.parse().ok()?,
                    dims,
                    fill,
                    seed: seed.parse().ok()?,
                    copy: copy == "1",
                    len_delta: delta.parse().ok()?,
                });
            }
        }
        Some(run)
    }
}

/// What a session declares (from onnxrun_session_info) that feeds are made for.
pub struct Signature {
    /// (elemType, dims: Some(n) known, None free) or None for an unknown shape, per feedable input.
    pub feedable: Vec<(i32, Option<Vec<Option<i64>>>)>,
    pub n_required: usize,
    pub n_outputs: usize,
}

impl Signature {
    pub fn parse(info: &str) -> Option<Signature> {
        let j: Json = serde_json::from_str(info).ok()?;
        let args = |key: &str| j.get(key).and_then(|v| v.as_array()).cloned();
        let (inputs, over, outputs) = (args("inputs")?, args("overridableInitializers")?, args("outputs")?);
        let feedable = inputs
            .iter()
            .chain(&over)
            .map(|a| {
                let elem = a.get("elemType").and_then(|e| e.as_i64()).unwrap_or(0) as i32;
                let dims = a.get("shape").and_then(|s| s.as_array()).map(|ds| ds.iter().map(|d| d.as_i64()).collect());
                (elem, dims)
            })
            .collect();
        Some(Signature { feedable, n_required: inputs.len(), n_outputs: outputs.len() })
    }

    /// All-ones feeds of the declared types, free dims 1: the run every built seed passes.
    pub fn ones(&self) -> RunSpec {
        let feeds = self.feedable[..self.n_required]
            .iter()
            .enumerate()
            .map(|(i, (elem, dims))| FeedSpec {
                idx: i as u32,
                elem: if *elem == 0 { 1 } else { *elem },
                dims: dims.as_ref().map(|d| d.iter().map(|x| x.unwrap_or(1)).collect()).unwrap_or_default(),
                fill: Fill::Ones,
                seed: 0,
                copy: true,
                len_delta: 0,
            })
            .collect();
        RunSpec { fetch: (0..self.n_outputs as u32).collect(), feeds, bind: false }
    }

    /// A fuzzed run: mostly plausible feeds, each with a chance of a wrong type, rank,
    /// size or value, plus missing, extra and out-of-range feeds and fetches.
    pub fn fuzz(&self, rng: &mut Rng) -> RunSpec {
        let mut feeds = Vec::new();
        for (i, (elem, dims)) in self.feedable.iter().enumerate() {
            let optional = i >= self.n_required;
            if (optional && !rng.one_in(4)) || rng.one_in(25) {
                continue;
            }
            feeds.push(fuzz_feed(rng, i as u32, *elem, dims.as_deref()));
        }
        if rng.one_in(20) {
            let idx = if rng.one_in(2) && !feeds.is_empty() { feeds[0].idx } else { (self.feedable.len() + rng.below(3)) as u32 };
            feeds.push(fuzz_feed(rng, idx, 1, None));
        }
        let mut fetch: Vec<u32> = (0..self.n_outputs as u32).filter(|_| !rng.one_in(8)).collect();
        if rng.one_in(25) {
            fetch.push((self.n_outputs + rng.below(2)) as u32);
        }
        RunSpec { fetch, feeds, bind: rng.one_in(4) }
    }
}

/// The element count when a feed of these dims is small enough to make (any type).
fn elements(dims: &[i64]) -> Option<u128> {
    let n = dims.iter().try_fold(1u128, |acc, &d| acc.checked_mul(u128::try_from(d).ok()?))?;
    (n.checked_mul(16)? <= FEED_CAP_BYTES).then_some(n)
}

/// Dims the library must refuse: a negative one, or a size over the runtime-wide 8 GiB cap.
pub fn over_limit(spec: &FeedSpec) -> bool {
    let size = onnxrun_core::DataType::from_i32(spec.elem).map(|d| d.size().max(1)).unwrap_or(1) as u128;
    let n = spec.dims.iter().try_fold(1u128, |acc, &d| acc.checked_mul(u128::try_from(d).ok()?));
    n.and_then(|n| n.checked_mul(size)).is_none_or(|bytes| bytes > 8 << 30)
}

fn fuzz_feed(rng: &mut Rng, idx: u32, declared: i32, dims: Option<&[Option<i64>]>) -> FeedSpec {
    let elem = match rng.below(12) {
        0 => rng.choose(&ELEM_TYPES),
        1 if rng.one_in(3) => rng.choose(&BAD_ELEM_TYPES),
        _ if declared == 0 => 1,
        _ => declared,
    };
    let mut d: Vec<i64> = match dims {
        Some(ds) => ds.iter().map(|x| x.unwrap_or_else(|| rng.below(5) as i64)).collect(),
        None => (0..rng.below(4)).map(|_| 1 + rng.below(4) as i64).collect(),
    };
    match rng.below(16) {
        0 => d.push(1 + rng.below(3) as i64),
        1 if !d.is_empty() => {
            d.remove(rng.below(d.len()));
        }
        2 if !d.is_empty() => {
            let k = rng.below(d.len());
            d[k] = 0;
        }
        _ => {}
    }
    // Declared dims can be mutated to anything: keep what we feed small, or clearly huge.
    if elements(&d).is_none() {
        d.iter_mut().for_each(|x| *x = (*x).clamp(0, 4));
    }
    if rng.one_in(40) {
        d = rng.pick(&HUGE).to_vec();
    }
    let fill = match rng.below(40) {
        0 => Fill::Freed,
        1..=3 => Fill::Zeros,
        4..=9 => Fill::Ones,
        10..=23 => Fill::Small,
        24..=31 => Fill::Bits,
        _ => Fill::Special,
    };
    let len_delta = if rng.one_in(30) { rng.choose(&[-1, 1, 7]) } else { 0 };
    FeedSpec { idx, elem, dims: d, fill, seed: rng.next(), copy: !rng.one_in(3), len_delta }
}

/// One element of `elem` as little-endian bytes, per the fill.
fn element(elem: i32, fill: Fill, rng: &mut Rng, out: &mut Vec<u8>) {
    let f = match fill {
        Fill::Ones => 1.0,
        Fill::Small => rng.f32_in(-3.0, 3.0),
        Fill::Special => rng.choose(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::MAX, f32::MIN, 1e-45, 0.0]),
        _ => f32::from_bits(rng.next() as u32),
    };
    let i: i64 = match fill {
        Fill::Ones => 1,
        Fill::Small => rng.below(8) as i64 - 2,
        Fill::Special => rng.choose(&[0, -1, i64::MAX, i64::MIN, i32::MAX as i64, i32::MIN as i64, 1 << 40]),
        _ => rng.next() as i64,
    };
    match elem {
        1 => out.extend(f.to_le_bytes()),
        11 => out.extend((f as f64).to_le_bytes()),
        10 => out.extend(f16::from_f32(f).to_le_bytes()),
        16 => out.extend(bf16::from_f32(f).to_le_bytes()),
        9 => out.push(if fill == Fill::Special && rng.one_in(4) { 2 } else { u8::from(i & 1 == 1 || fill == Fill::Ones) }),
        _ => {
            let size = onnxrun_core::DataType::from_i32(elem).map(|d| d.size()).unwrap_or(4).max(1);
            out.extend_from_slice(&i.to_le_bytes()[..size.min(8)]);
            out.resize(out.len() + size.saturating_sub(8), 0);
        }
    }
}

fn string(fill: Fill, rng: &mut Rng) -> Vec<u8> {
    match fill {
        Fill::Ones => b"1".to_vec(),
        Fill::Small => (0..rng.below(5)).map(|_| rng.choose(b"0123456789.eE-abcXYZ ")).collect(),
        Fill::Special => rng.pick(&[&b""[..], b"NaN", b"-inf", b"1e309", b"\xff\xfe", "\u{661}\u{662}".as_bytes(), &[b'9'; 400]]).to_vec(),
        _ => (0..rng.below(8)).map(|_| rng.next() as u8).collect(),
    }
}

/// A created value and the memory it may borrow (freed after the value).
pub struct Fed {
    pub handle: u64,
    owned: bool,
    _keep: Vec<u8>,
}

impl Drop for Fed {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: our own handle, freed once.
            unsafe { abi::onnxrun_value_free(self.handle) };
        }
    }
}

/// Creates the value a spec describes. The dims are passed as given (huge and negative
/// ones included); the data is made only when its size is small.
pub fn create(spec: &FeedSpec) -> Result<Fed, Failure> {
    let mut rng = Rng::new(spec.seed);
    let n = elements(&spec.dims);
    let fill = if spec.fill == Fill::Freed { Fill::Ones } else { spec.fill };
    let fed = if spec.elem == 8 { create_strings(spec, n, fill, &mut rng)? } else { create_tensor(spec, n, fill, &mut rng)? };
    if spec.fill == Fill::Freed {
        let stale = fed.handle;
        drop(fed);
        return Ok(Fed { handle: stale, owned: false, _keep: Vec::new() });
    }
    Ok(fed)
}

fn create_tensor(spec: &FeedSpec, n: Option<u128>, fill: Fill, rng: &mut Rng) -> Result<Fed, Failure> {
    let mut data = Vec::new();
    if let (Some(n), false) = (n, fill == Fill::Zeros) {
        for _ in 0..n {
            element(spec.elem, fill, rng, &mut data);
        }
    }
    let byte_len = (data.len() as i64 + spec.len_delta).max(0) as usize;
    data.resize(data.len().max(byte_len), 0);
    // NULL data (copy only) asks the library for zeros; huge dims must be refused there.
    let (ptr, copy) = if fill == Fill::Zeros || n.is_none() { (std::ptr::null_mut(), 1) } else { (data.as_mut_ptr(), i32::from(spec.copy)) };
    let mut h = 0u64;
    // SAFETY: dims and data live for the call; borrowed data lives in the returned Fed.
    abi::check(unsafe { abi::onnxrun_value_tensor_create(spec.elem, spec.dims.as_ptr(), spec.dims.len(), ptr, byte_len, copy, &mut h) })?;
    Ok(Fed { handle: h, owned: true, _keep: data })
}

fn create_strings(spec: &FeedSpec, n: Option<u128>, fill: Fill, rng: &mut Rng) -> Result<Fed, Failure> {
    // The library reads as many offsets as the dims say, so a short array would be the
    // fuzzer's own out-of-bounds read: huge string feeds are not made.
    let n = n.ok_or(Failure { code: -1, message: "string feed too large to make".into() })? as usize;
    let (mut utf8, mut offsets) = (Vec::new(), vec![0u64]);
    for _ in 0..n {
        utf8.extend(string(fill, rng));
        offsets.push(utf8.len() as u64);
    }
    if spec.len_delta != 0 {
        // Offsets past the bytes: must be refused.
        *offsets.last_mut().expect("n + 1 offsets") += spec.len_delta.unsigned_abs();
    }
    let mut h = 0u64;
    // SAFETY: n + 1 offsets into utf8, both alive for the call (the library copies them).
    abi::check(unsafe { abi::onnxrun_value_tensor_create_strings(spec.dims.as_ptr(), spec.dims.len(), utf8.as_ptr(), utf8.len(), offsets.as_ptr(), &mut h) })?;
    Ok(Fed { handle: h, owned: true, _keep: Vec::new() })
}
