//! TfIdfVectorizer (opset 9). The pool of n-grams is loaded once into a trie; each input
//! row is scanned for n-grams of `min..=max_gram_length` items taken every `skip + 1`
//! positions (skip ≤ max_skip_count; unigrams are counted once, not once per skip).
//!
//! Weighting follows onnxruntime (and the spec's "i-th n-gram in pool" wording): weights
//! are per pool n-gram, and n-grams sharing an output index add up (TF, TFIDF) or, for
//! IDF, the last n-gram in pool order that occurs sets the value.

use crate::util::elems::check_size;
use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use onnxrun_core::{bail, ensure, err, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};
use onnxrun_linalg::ThreadPool;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Tf,
    Idf,
    Tfidf,
}

/// A prefix tree over n-gram items (int64 values, or string vocabulary ids); node 0 is the root.
struct Trie {
    /// (parent node, item) → child node.
    edges: HashMap<(u32, i64), u32>,
    /// Per node: 1 + the pool n-gram ending here, or 0.
    gram: Vec<u32>,
}

impl Trie {
    fn insert(&mut self, items: impl Iterator<Item = i64>, id: u32) {
        let mut node = 0u32;
        for k in items {
            let next = self.gram.len() as u32;
            node = *self.edges.entry((node, k)).or_insert(next);
            if node == next {
                self.gram.push(0);
            }
        }
        // A repeated n-gram keeps the later id, as onnxruntime does.
        self.gram[node as usize] = id + 1;
    }
}

/// What the pool holds; string items are numbered so the trie and the scan work on ints.
enum Items {
    Ints,
    Strings(HashMap<String, i64>),
}

struct TfIdf {
    mode: Mode,
    min_gram: usize,
    max_gram: usize,
    max_skip: usize,
    trie: Trie,
    items: Items,
    /// Output column of each pool n-gram.
    indexes: Vec<usize>,
    weights: Vec<f32>,
    out_size: usize,
}

pub(super) fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let d = node.describe();
    let mode = match node.get_string("mode")?.as_deref() {
        Some("TF") => Mode::Tf,
        Some("IDF") => Mode::Idf,
        Some("TFIDF") => Mode::Tfidf,
        Some(m) => bail!(InvalidGraph, "{d}: mode must be TF, IDF or TFIDF, got '{m}'"),
        None => bail!(InvalidGraph, "{d}: required attribute 'mode' is missing"),
    };
    let (min_gram, max_gram, max_skip) =
        (node.req_int("min_gram_length")?, node.req_int("max_gram_length")?, node.req_int("max_skip_count")?);
    ensure!(
        min_gram >= 1 && max_gram >= min_gram,
        InvalidGraph,
        "{d}: need 1 <= min_gram_length <= max_gram_length, got {min_gram} and {max_gram}"
    );
    ensure!(max_skip >= 0, InvalidGraph, "{d}: max_skip_count must not be negative, got {max_skip}");
    let counts = node.get_ints("ngram_counts")?.unwrap_or_default();
    let indexes = node.get_ints("ngram_indexes")?.unwrap_or_default();
    let ints = node.get_ints("pool_int64s")?.unwrap_or_default();
    let strs = node.get_strings("pool_strings")?.unwrap_or_default();
    ensure!(
        ints.is_empty() != strs.is_empty(),
        InvalidGraph,
        "{d}: exactly one of pool_int64s and pool_strings must be given (non-empty)"
    );
    let total = ints.len().max(strs.len());
    // ngram_counts[i] is where the (i+1)-grams start in the pool.
    ensure!(!counts.is_empty(), InvalidGraph, "{d}: ngram_counts is required");
    let mut segments = Vec::with_capacity(counts.len());
    for (i, &start) in counts.iter().enumerate() {
        let end = counts.get(i + 1).copied().unwrap_or(total as i64);
        ensure!(
            0 <= start && start <= end && end <= total as i64,
            InvalidGraph,
            "{d}: ngram_counts {counts:?} must be non-decreasing offsets into the pool of {total} items"
        );
        let (start, end, size) = (start as usize, end as usize, i + 1);
        ensure!(
            (end - start) % size == 0,
            InvalidGraph,
            "{d}: the {size}-gram part of the pool has {} items, not a multiple of {size}",
            end - start
        );
        segments.push((start, end, size));
    }
    let n_grams: usize = segments.iter().map(|&(s, e, n)| (e - s) / n).sum();
    ensure!(
        indexes.len() == n_grams,
        InvalidGraph,
        "{d}: ngram_indexes has {} entries but the pool holds {n_grams} n-grams",
        indexes.len()
    );
    ensure!(indexes.iter().all(|&i| i >= 0), InvalidGraph, "{d}: ngram_indexes must not be negative");
    let indexes: Vec<usize> = indexes.iter().map(|&i| i as usize).collect();
    let out_size = indexes.iter().max().map_or(0, |&m| m + 1);
    check_size(DataType::Float, &[out_size])?;
    let weights = node.get_floats("weights")?.unwrap_or_default();
    ensure!(
        weights.is_empty() || weights.len() == n_grams,
        InvalidGraph,
        "{d}: weights has {} entries but the pool holds {n_grams} n-grams",
        weights.len()
    );

    // Load the n-grams whose length can be counted; the others keep their ids (and output
    // columns) but never match.
    let (min_gram, max_gram) = (min_gram as usize, max_gram as usize);
    let mut id = 0u32;
    let mut load = |insert: &mut dyn FnMut(usize, usize, u32)| {
        for &(start, end, size) in &segments {
            for g in (start..end).step_by(size) {
                if (min_gram..=max_gram).contains(&size) {
                    insert(g, size, id);
                }
                id += 1;
            }
        }
    };
    let mut trie = Trie { edges: HashMap::new(), gram: vec![0] };
    let items = if !ints.is_empty() {
        load(&mut |g, n, id| trie.insert(ints[g..g + n].iter().copied(), id));
        Items::Ints
    } else {
        let mut vocab: HashMap<String, i64> = HashMap::new();
        for s in &strs {
            let next = vocab.len() as i64;
            vocab.entry(s.clone()).or_insert(next);
        }
        load(&mut |g, n, id| trie.insert(strs[g..g + n].iter().map(|s| vocab[s]), id));
        Items::Strings(vocab)
    };
    Ok(Box::new(TfIdf { mode, min_gram, max_gram, max_skip: max_skip as usize, trie, items, indexes, weights, out_size }))
}

impl TfIdf {
    /// Adds the pool n-gram occurrences of one row into `counts` (per pool n-gram).
    fn count_row(&self, row: &[i64], counts: &mut [u32]) {
        let c = row.len();
        let mut first = self.min_gram;
        for skip in 1..=self.max_skip + 1 {
            for start in 0..c {
                if start + skip * (first - 1) >= c {
                    break;
                }
                let mut node = 0u32;
                let mut pos = start;
                for size in 1..=self.max_gram {
                    if pos >= c {
                        break;
                    }
                    let Some(&next) = self.trie.edges.get(&(node, row[pos])) else { break };
                    let g = self.trie.gram[next as usize];
                    if size >= first && g != 0 {
                        counts[g as usize - 1] += 1;
                    }
                    node = next;
                    pos += skip;
                }
            }
            // Unigrams do not depend on the skip: count them in the first pass only.
            if first == 1 {
                first = 2;
                if first > self.max_gram {
                    break;
                }
            }
        }
    }

    /// Counts and weighs every row of `x` (rows of `c` items) into `out`.
    fn run(&self, x: &[i64], c: usize, out: &mut [f32], pool: Option<&ThreadPool>) -> Result<()> {
        let n_grams = self.indexes.len();
        for_chunk_ranges_mut(pool, out, self.out_size, |rows, part| {
            let mut counts = vec![0u32; n_grams];
            for (r, dst) in rows.zip(part.chunks_mut(self.out_size)) {
                counts.fill(0);
                self.count_row(&x[r * c..(r + 1) * c], &mut counts);
                self.emit(&counts, dst);
            }
        })
    }

    fn emit(&self, counts: &[u32], out: &mut [f32]) {
        for (g, (&n, &col)) in counts.iter().zip(&self.indexes).enumerate() {
            if n == 0 {
                continue;
            }
            let w = self.weights.get(g).copied().unwrap_or(1.0);
            match self.mode {
                Mode::Tf => out[col] += n as f32,
                Mode::Idf => out[col] = w,
                Mode::Tfidf => out[col] += n as f32 * w,
            }
        }
    }
}

impl Kernel for TfIdf {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let node = ctx.node;
        let x = ctx.input(0)?;
        let (rows, c, out_shape) = match *x.shape() {
            [c] => (1, c, vec![self.out_size]),
            [b, c] if b > 0 => (b, c, vec![b, self.out_size]),
            _ => bail!(InvalidArgument, "{}: input must be [C] or [B, C] with B > 0, got shape {:?}", node.describe(), x.shape()),
        };
        check_size(DataType::Float, &out_shape)?;
        let mut out = vec![0f32; rows * self.out_size];
        let pool = pool_for(ctx, x.len() * (self.max_skip + 1) * self.max_gram * 8);
        if c > 0 && self.out_size > 0 {
            let bad = |want: &str| {
                err!(InvalidArgument, "{}: the n-gram pool needs {want} input, got {}", node.describe(), x.dtype())
            };
            match (&self.items, x.dtype()) {
                (Items::Ints, DataType::Int64) => self.run(x.data::<i64>()?, c, &mut out, pool)?,
                (Items::Ints, DataType::Int32) => {
                    let v: Vec<i64> = x.data::<i32>()?.iter().map(|&v| v as i64).collect();
                    self.run(&v, c, &mut out, pool)?
                }
                (Items::Strings(vocab), DataType::String) => {
                    // Items outside the pool's vocabulary never match: -1 is no vocabulary id.
                    let v: Vec<i64> = x.strings()?.iter().map(|s| vocab.get(s.as_str()).copied().unwrap_or(-1)).collect();
                    self.run(&v, c, &mut out, pool)?
                }
                (Items::Ints, _) => return Err(bad("int32 or int64")),
                (Items::Strings(_), _) => return Err(bad("string")),
            }
        }
        ctx.set_output(0, Tensor::from_vec(out_shape, out)?)
    }
}
