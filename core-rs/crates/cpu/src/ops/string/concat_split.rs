//! StringConcat (elementwise with broadcasting) and StringSplit.

use crate::util::broadcast::Broadcast;
use crate::util::elems::check_size;
use onnxrun_core::{DataType, FnKernel, Kernel, NodeInfo, OpContext, Result, Tensor};

pub(super) fn concat(_node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    Ok(Box::new(FnKernel(|ctx: &mut OpContext<'_>| {
        let (x, y) = (ctx.input(0)?, ctx.input(1)?);
        let (xs, ys) = (strings(ctx, x, "X")?, strings(ctx, y, "Y")?);
        let b = Broadcast::new(&[x.shape(), y.shape()]).map_err(|e| e.context(ctx.node.describe()))?;
        let (sx, sy) = (b.inner_stride(0), b.inner_stride(1));
        let mut out = Vec::with_capacity(b.len());
        b.for_each_segment(0..b.len(), |_, offs, len| {
            for i in 0..len {
                let (p, q) = (&xs[offs[0] + i * sx], &ys[offs[1] + i * sy]);
                let mut s = String::with_capacity(p.len() + q.len());
                s.push_str(p);
                s.push_str(q);
                out.push(s);
            }
        });
        ctx.set_output(0, Tensor::from_strings(b.shape().to_vec(), out)?)
    })))
}

fn strings<'a>(ctx: &OpContext<'_>, t: &'a Tensor, what: &str) -> Result<&'a [String]> {
    onnxrun_core::ensure!(
        t.dtype() == DataType::String,
        InvalidArgument,
        "{}: input {what} must be a string tensor, got {}",
        ctx.node.describe(),
        t.dtype()
    );
    t.strings()
}

struct Split {
    /// None: split on runs of whitespace, ignoring leading/trailing whitespace.
    delimiter: Option<String>,
    /// Most splits per element; None = unlimited.
    maxsplit: Option<usize>,
}

pub(super) fn split(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let delimiter = node.get_string("delimiter")?.filter(|d| !d.is_empty());
    // Negative maxsplit means no limit, as Python's str.split (the spec's reference).
    let maxsplit = node.get_int("maxsplit")?.and_then(|m| usize::try_from(m).ok());
    Ok(Box::new(Split { delimiter, maxsplit }))
}

/// Python's `str.isspace` set: Unicode White_Space plus the ASCII separators 0x1C–0x1F.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `s.split(None, maxsplit)`: runs of whitespace separate; once `maxsplit` pieces are
/// cut, the rest (leading whitespace dropped, trailing kept) is the last piece.
fn split_whitespace<'a>(s: &'a str, maxsplit: Option<usize>, out: &mut Vec<&'a str>) {
    let mut rest = s.trim_start_matches(is_space);
    let mut splits = 0;
    while !rest.is_empty() {
        if maxsplit.is_some_and(|m| splits == m) {
            out.push(rest);
            return;
        }
        match rest.find(is_space) {
            Some(end) => {
                out.push(&rest[..end]);
                rest = rest[end..].trim_start_matches(is_space);
                splits += 1;
            }
            None => {
                out.push(rest);
                return;
            }
        }
    }
}

/// `s.split(delim, maxsplit)`: every occurrence separates (empty pieces kept).
fn split_delim<'a>(s: &'a str, delim: &str, maxsplit: Option<usize>, out: &mut Vec<&'a str>) {
    match maxsplit {
        Some(m) => out.extend(s.splitn(m + 1, delim)),
        None => out.extend(s.split(delim)),
    }
}

impl Kernel for Split {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        let xs = strings(ctx, x, "X")?;
        let mut pieces: Vec<&str> = Vec::new();
        let mut counts: Vec<i64> = Vec::with_capacity(xs.len());
        for s in xs {
            let before = pieces.len();
            match &self.delimiter {
                Some(d) => split_delim(s, d, self.maxsplit, &mut pieces),
                None => split_whitespace(s, self.maxsplit, &mut pieces),
            }
            counts.push((pieces.len() - before) as i64);
        }
        let width = counts.iter().copied().max().unwrap_or(0) as usize;
        let mut shape = x.shape().to_vec();
        shape.push(width);
        check_size(DataType::String, &shape)?;
        let mut out = Vec::with_capacity(xs.len() * width);
        let mut at = 0;
        for &c in &counts {
            let c = c as usize;
            out.extend(pieces[at..at + c].iter().map(|p| p.to_string()));
            out.extend(std::iter::repeat_n(String::new(), width - c));
            at += c;
        }
        ctx.set_output(0, Tensor::from_strings(shape, out)?)?;
        if ctx.num_outputs() > 1 {
            ctx.set_output(1, Tensor::from_vec(x.shape().to_vec(), counts)?)?;
        }
        Ok(())
    }
}
