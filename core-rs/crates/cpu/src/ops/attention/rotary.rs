//! RotaryEmbedding (opset 23): rotates the first `rotary_embedding_dim` features of each
//! head by position-dependent angles given as cos/sin caches, either as two halves
//! (x1 = x[..d/2], x2 = x[d/2..d]) or interleaved pairs (x[2j], x[2j+1]):
//! (x1, x2) → (cos·x1 − sin·x2, sin·x1 + cos·x2). Features past the rotary dim pass through.
//! Input [batch, heads, seq, head] or [batch, seq, heads*head] (with `num_heads`); caches
//! [max_pos, rot/2] indexed by `position_ids` [batch, seq], else [batch, seq, rot/2].
//! Half types are computed in f32 and rounded once.

use crate::util::parallel::{for_chunk_ranges_mut, pool_for};
use crate::util::real::Real;
use onnxrun_core::half::{bf16, f16};
use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, NodeInfo, OpContext, Result, Tensor};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("", "RotaryEmbedding", 23, make));
}

struct Rotary {
    interleaved: bool,
    /// 0 = the whole head.
    rotary_dim: usize,
    /// 0 = not given.
    num_heads: usize,
}

fn make(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let at = node.describe();
    let interleaved = node.int_or("interleaved", 0)?;
    ensure!(interleaved == 0 || interleaved == 1, InvalidGraph, "{at}: interleaved must be 0 or 1, got {interleaved}");
    let rotary_dim = node.int_or("rotary_embedding_dim", 0)?;
    ensure!(rotary_dim >= 0, InvalidGraph, "{at}: rotary_embedding_dim must be >= 0, got {rotary_dim}");
    ensure!(rotary_dim % 2 == 0, InvalidGraph, "{at}: rotary_embedding_dim must be even, got {rotary_dim}");
    let num_heads = node.int_or("num_heads", 0)?;
    ensure!(num_heads >= 0, InvalidGraph, "{at}: num_heads must be >= 0, got {num_heads}");
    Ok(Box::new(Rotary { interleaved: interleaved == 1, rotary_dim: rotary_dim as usize, num_heads: num_heads as usize }))
}

/// Sizes, and how to find row (b, s, h) of the input.
struct Layout {
    batch: usize,
    seq: usize,
    heads: usize,
    head: usize,
    rot: usize,
    /// [b, s, h*head] rather than [b, h, s, head].
    three_d: bool,
}

impl Layout {
    /// The head-row index (in `head`-sized rows of the input) of row `r` in storage order,
    /// as (b, s).
    fn batch_seq(&self, r: usize) -> (usize, usize) {
        if self.three_d {
            let bs = r / self.heads;
            (bs / self.seq, bs % self.seq)
        } else {
            (r / (self.heads * self.seq), r % self.seq)
        }
    }
}

impl Kernel for Rotary {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let at = ctx.node.describe();
        let x = ctx.input(0)?;
        let (cos, sin) = (ctx.input(1)?, ctx.input(2)?);
        let pos = ctx.opt_input(3)?;
        let s = x.shape();
        let l = match s.len() {
            4 => {
                if self.num_heads != 0 {
                    ensure!(
                        self.num_heads == s[1],
                        InvalidArgument,
                        "{at}: num_heads is {} but the 4-D input has {} heads",
                        self.num_heads,
                        s[1]
                    );
                }
                Layout { batch: s[0], heads: s[1], seq: s[2], head: s[3], rot: 0, three_d: false }
            }
            3 => {
                ensure!(self.num_heads > 0, InvalidArgument, "{at}: a 3-D input needs the num_heads attribute");
                ensure!(
                    s[2] % self.num_heads == 0,
                    InvalidArgument,
                    "{at}: hidden size {} is not a multiple of num_heads {}",
                    s[2],
                    self.num_heads
                );
                Layout { batch: s[0], seq: s[1], heads: self.num_heads, head: s[2] / self.num_heads, rot: 0, three_d: true }
            }
            r => bail!(InvalidArgument, "{at}: input must be 3-D or 4-D, got rank {r}"),
        };
        let rot = if self.rotary_dim == 0 { l.head } else { self.rotary_dim };
        ensure!(rot <= l.head, InvalidArgument, "{at}: rotary_embedding_dim {rot} exceeds the head size {}", l.head);
        ensure!(rot % 2 == 0, InvalidArgument, "{at}: the rotated size {rot} must be even");
        let l = Layout { rot, ..l };
        let half = rot / 2;
        let dt = x.dtype();
        ensure!(cos.dtype() == dt && sin.dtype() == dt, InvalidArgument, "{at}: cos_cache and sin_cache must be {dt} like the input");
        ensure!(
            cos.shape() == sin.shape(),
            InvalidArgument,
            "{at}: cos_cache {:?} and sin_cache {:?} differ in shape",
            cos.shape(),
            sin.shape()
        );
        let cs = cos.shape();
        // Per (b, s): the row of the caches to use.
        let cache_row: Vec<usize> = match pos {
            Some(p) => {
                ensure!(p.dtype() == DataType::Int64, InvalidArgument, "{at}: position_ids must be int64, got {}", p.dtype());
                let ps = p.shape();
                ensure!(
                    ps.len() == 2 && (ps[0] == l.batch || ps[0] == 1) && ps[1] == l.seq,
                    InvalidArgument,
                    "{at}: position_ids must be [{}, {}], got {ps:?}",
                    l.batch,
                    l.seq
                );
                ensure!(
                    cs.len() == 2 && cs[1] == half,
                    InvalidArgument,
                    "{at}: with position_ids the caches must be [max_position, {half}], got {cs:?}"
                );
                let ids = p.data::<i64>()?;
                let mut rows = Vec::with_capacity(l.batch * l.seq);
                for b in 0..l.batch {
                    for si in 0..l.seq {
                        let id = ids[if ps[0] == 1 { si } else { b * l.seq + si }];
                        ensure!(
                            id >= 0 && (id as usize) < cs[0],
                            InvalidArgument,
                            "{at}: position id {id} is outside the caches' {} positions",
                            cs[0]
                        );
                        rows.push(id as usize);
                    }
                }
                rows
            }
            None => {
                ensure!(
                    cs.len() == 3 && (cs[0] == l.batch || cs[0] == 1) && cs[1] == l.seq && cs[2] == half,
                    InvalidArgument,
                    "{at}: without position_ids the caches must be [{}, {}, {half}], got {cs:?}",
                    l.batch,
                    l.seq
                );
                (0..l.batch * l.seq).map(|i| if cs[0] == 1 { i % l.seq } else { i }).collect()
            }
        };
        let pool = pool_for(ctx, x.len().saturating_mul(4));
        let interleaved = self.interleaved;
        let out = match dt {
            DataType::Float => run::<f32>(x, cos, sin, &l, &cache_row, interleaved, pool)?,
            DataType::Float16 => run::<f16>(x, cos, sin, &l, &cache_row, interleaved, pool)?,
            DataType::Bfloat16 => run::<bf16>(x, cos, sin, &l, &cache_row, interleaved, pool)?,
            DataType::Double => run::<f64>(x, cos, sin, &l, &cache_row, interleaved, pool)?,
            _ => bail!(InvalidArgument, "{at}: input must be float, float16 or bfloat16, got {dt}"),
        };
        ctx.set_output(0, out)
    }
}

fn run<T: Real>(
    x: &Tensor,
    cos: &Tensor,
    sin: &Tensor,
    l: &Layout,
    cache_row: &[usize],
    interleaved: bool,
    pool: Option<&onnxrun_linalg::ThreadPool>,
) -> Result<Tensor> {
    let xd = x.data::<T>()?;
    let (cd, sd) = (cos.data::<T>()?, sin.data::<T>()?);
    let mut out = Tensor::zeros(x.dtype(), x.shape().to_vec())?;
    let head = l.head.max(1);
    let half = l.rot / 2;
    for_chunk_ranges_mut(pool, out.data_mut::<T>()?, head, |rows, piece| {
        for (r, o) in rows.zip(piece.chunks_mut(head)) {
            let src = &xd[r * head..(r + 1) * head];
            let (b, s) = l.batch_seq(r);
            let c = &cd[cache_row[b * l.seq + s] * half..][..half];
            let sn = &sd[cache_row[b * l.seq + s] * half..][..half];
            for j in 0..half {
                let (i1, i2) = if interleaved { (2 * j, 2 * j + 1) } else { (j, j + half) };
                let (x1, x2) = (src[i1].to_acc(), src[i2].to_acc());
                let (cv, sv) = (c[j].to_acc(), sn[j].to_acc());
                o[i1] = T::from_acc(cv * x1 - sv * x2);
                o[i2] = T::from_acc(sv * x1 + cv * x2);
            }
            o[l.rot..].copy_from_slice(&src[l.rot..]);
        }
    })?;
    Ok(out)
}
