//! Tree ensembles: TreeEnsembleRegressor / TreeEnsembleClassifier (ai.onnx.ml 1 and 3)
//! and TreeEnsemble (ai.onnx.ml 5). Both attribute layouts compile into one `Forest`
//! of flat nodes that every row walks from each root to a leaf.

mod v3;
mod v5;

use crate::util::real::Acc;
use onnxrun_core::{bail, KernelRegistry, Result};

pub fn register(r: &mut KernelRegistry) {
    v3::register(r);
    v5::register(r);
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Rule {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
    /// Index into `Forest::sets`.
    Member(usize),
    /// Weights `start..start + len` of `Forest::weights`.
    Leaf { start: usize, len: usize },
}

#[derive(Clone, Debug)]
pub(super) struct TreeNode {
    pub rule: Rule,
    pub feature: usize,
    pub threshold: f64,
    pub missing_true: bool,
    pub on_true: usize,
    pub on_false: usize,
}

/// A compiled ensemble. Builders fill `nodes`, `roots`, `weights` and `sets`, then call
/// `validate`, which also packs the nodes for walking.
#[derive(Debug, Default)]
pub(super) struct Forest {
    pub nodes: Vec<TreeNode>,
    pub roots: Vec<usize>,
    /// (target or class, weight) of the leaves.
    pub weights: Vec<(usize, f64)>,
    pub sets: Vec<Vec<f64>>,
    /// Rows must have more features than this.
    pub max_feature: Option<usize>,
    packed32: Vec<Packed<f32>>,
    packed64: Vec<Packed<f64>>,
    /// Set index of each BRANCH_MEMBER node (by node index; 0 elsewhere).
    member_of: Vec<u32>,
    /// Every interior node is BRANCH_LEQ with NaN going false: the common case gets a
    /// tight walk.
    all_leq: bool,
}

/// Kinds of `Packed` nodes.
const LEQ: u8 = 0;
const LT: u8 = 1;
const GTE: u8 = 2;
const GT: u8 = 3;
const EQ: u8 = 4;
const NEQ: u8 = 5;
const MEMBER: u8 = 6;
const LEAF: u8 = 7;

/// A node as walked, with its threshold in the walk's float type (20 bytes for f32, so
/// big forests stay cache-friendly). For a leaf, `a` and `b` are its first weight and
/// weight count; otherwise its true and false nodes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Packed<T> {
    threshold: T,
    feature: u32,
    a: u32,
    b: u32,
    kind: u8,
    missing_true: bool,
}

impl Forest {
    /// Checks every branch points at a node, no tree loops back on itself, and all
    /// weights name a target below `n_targets`. Called once the forest is built.
    pub fn validate(&mut self, n_targets: usize, what: &str) -> Result<()> {
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter().enumerate() {
            if !matches!(node.rule, Rule::Leaf { .. }) && (node.on_true >= n || node.on_false >= n) {
                bail!(InvalidGraph, "{what}: node {i} branches to a node that does not exist");
            }
        }
        if let Some((i, _)) = self.weights.iter().enumerate().find(|(_, w)| w.0 >= n_targets) {
            bail!(InvalidGraph, "{what}: leaf weight {i} is for target/class {}, but there are only {n_targets}", self.weights[i].0);
        }
        // Depth-first from every root with on-stack marks: a node met again while on the
        // stack is a cycle, which would make a walk never end.
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        for &root in &self.roots {
            if root >= n {
                bail!(InvalidGraph, "{what}: tree root {root} is not a node");
            }
            let mut stack = vec![(root, false)];
            while let Some((i, leaving)) = stack.pop() {
                if leaving {
                    state[i] = 2;
                    continue;
                }
                match state[i] {
                    2 => continue,
                    1 => bail!(InvalidGraph, "{what}: the trees have a cycle through node {i}"),
                    _ => {}
                }
                state[i] = 1;
                stack.push((i, true));
                let node = &self.nodes[i];
                if !matches!(node.rule, Rule::Leaf { .. }) {
                    for next in [node.on_true, node.on_false] {
                        if state[next] == 1 {
                            bail!(InvalidGraph, "{what}: the trees have a cycle through node {next}");
                        }
                        if state[next] == 0 {
                            stack.push((next, false));
                        }
                    }
                }
            }
        }
        self.max_feature = self.nodes.iter().filter(|n| !matches!(n.rule, Rule::Leaf { .. })).map(|n| n.feature).max();
        self.pack(what)
    }

    fn pack(&mut self, what: &str) -> Result<()> {
        let small = |v: usize| u32::try_from(v).map_err(|_| onnxrun_core::err!(InvalidGraph, "{what}: the ensemble is too large ({v})"));
        small(self.nodes.len())?;
        small(self.weights.len())?;
        self.member_of = vec![0; self.nodes.len()];
        self.packed64 = Vec::with_capacity(self.nodes.len());
        for (i, n) in self.nodes.iter().enumerate() {
            let (kind, a, b) = match n.rule {
                Rule::Leaf { start, len } => (LEAF, start, len),
                Rule::Member(s) => {
                    self.member_of[i] = small(s)?;
                    (MEMBER, n.on_true, n.on_false)
                }
                r => {
                    let k = match r {
                        Rule::Leq => LEQ,
                        Rule::Lt => LT,
                        Rule::Gte => GTE,
                        Rule::Gt => GT,
                        Rule::Eq => EQ,
                        _ => NEQ,
                    };
                    (k, n.on_true, n.on_false)
                }
            };
            let feature = if kind == LEAF { 0 } else { small(n.feature)? };
            self.packed64.push(Packed { threshold: n.threshold, feature, a: small(a)?, b: small(b)?, kind, missing_true: n.missing_true });
        }
        // Float rows compare against thresholds rounded to float, as ONNX Runtime does.
        self.packed32 = self.packed64.iter().map(|p| Packed { threshold: p.threshold as f32, feature: p.feature, a: p.a, b: p.b, kind: p.kind, missing_true: p.missing_true }).collect();
        self.all_leq = self.packed64.iter().all(|p| p.kind == LEAF || (p.kind == LEQ && !p.missing_true));
        Ok(())
    }

    /// Checks rows of `features` values can be walked.
    pub fn check_features(&self, features: usize, what: &str) -> Result<()> {
        match self.max_feature {
            Some(f) if f >= features => bail!(InvalidArgument, "{what}: the trees read feature {f}, but rows have {features} features"),
            _ => Ok(()),
        }
    }

    /// The leaf a row reaches from `root`, as its weights' (start, count). Comparisons are
    /// in the row's own float type, as ONNX Runtime does; NaN takes the true branch only
    /// where the node says so (otherwise wherever its comparison sends it).
    #[inline]
    pub fn leaf<A: Walk>(&self, root: usize, row: &[A]) -> (usize, usize) {
        let nodes = A::packed(self);
        let mut n = &nodes[root];
        if self.all_leq {
            while n.kind != LEAF {
                let next = if row[n.feature as usize] <= n.threshold { n.a } else { n.b };
                n = &nodes[next as usize];
            }
            return (n.a as usize, n.b as usize);
        }
        let mut i = root;
        while n.kind != LEAF {
            let x = row[n.feature as usize];
            let th = n.threshold;
            let go_true = (n.missing_true && x.is_nan())
                || match n.kind {
                    LEQ => x <= th,
                    LT => x < th,
                    GTE => x >= th,
                    GT => x > th,
                    EQ => x == th,
                    NEQ => x != th,
                    _ => self.sets[self.member_of[i] as usize].iter().any(|&m| A::from_f64(m) == x),
                };
            i = if go_true { n.a } else { n.b } as usize;
            n = &nodes[i];
        }
        (n.a as usize, n.b as usize)
    }

    /// Four rows walked through one all-BRANCH_LEQ tree in lockstep: their loads overlap
    /// instead of each waiting on the last.
    #[inline]
    fn leaf4<A: Walk>(&self, root: usize, rows: [&[A]; 4]) -> [(usize, usize); 4] {
        let nodes = A::packed(self);
        let mut at = [root as u32; 4];
        loop {
            let mut moving = false;
            for (j, row) in rows.iter().enumerate() {
                let n = &nodes[at[j] as usize];
                if n.kind != LEAF {
                    at[j] = if row[n.feature as usize] <= n.threshold { n.a } else { n.b };
                    moving = true;
                }
            }
            if !moving {
                break;
            }
        }
        at.map(|i| (nodes[i as usize].a as usize, nodes[i as usize].b as usize))
    }

    /// Calls `visit(row - rows.start, start, count)` with the leaf weights each tree gives
    /// each row of `x` (rows of `c` features) in `rows`. Per row the trees come in order;
    /// rows go in blocks, trees outer, so a tree's nodes stay in cache across a block.
    pub fn for_each_leaf<A: Walk>(&self, x: &[A], c: usize, rows: std::ops::Range<usize>, mut visit: impl FnMut(usize, usize, usize)) {
        const BLOCK: usize = 64;
        let row = |r: usize| &x[r * c..(r + 1) * c];
        let mut b0 = rows.start;
        while b0 < rows.end {
            let b1 = (b0 + BLOCK).min(rows.end);
            for &root in &self.roots {
                let mut r = b0;
                if self.all_leq {
                    while r + 4 <= b1 {
                        let leaves = self.leaf4(root, [row(r), row(r + 1), row(r + 2), row(r + 3)]);
                        for (j, (start, len)) in leaves.into_iter().enumerate() {
                            visit(r + j - rows.start, start, len);
                        }
                        r += 4;
                    }
                }
                for r in r..b1 {
                    let (start, len) = self.leaf(root, row(r));
                    visit(r - rows.start, start, len);
                }
            }
            b0 = b1;
        }
    }
}

/// The float types rows are walked in, each with its copy of the packed nodes.
pub(super) trait Walk: Acc {
    fn packed(f: &Forest) -> &[Packed<Self>];
}

impl Walk for f32 {
    fn packed(f: &Forest) -> &[Packed<f32>] {
        &f.packed32
    }
}

impl Walk for f64 {
    fn packed(f: &Forest) -> &[Packed<f64>] {
        &f.packed64
    }
}

/// How leaf values combine over the trees, per target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

impl Aggregate {
    #[inline]
    pub fn add<A: Acc>(self, acc: &mut A, has: &mut bool, v: A) {
        *acc = if !*has {
            v
        } else {
            match self {
                Aggregate::Sum | Aggregate::Average => *acc + v,
                Aggregate::Min => acc.min(v),
                Aggregate::Max => acc.max(v),
            }
        };
        *has = true;
    }
}
