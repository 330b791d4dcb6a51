//! `attn_mask` as an additive bias in the compute type: bool true → 0, false → -inf;
//! numeric masks as their values. Its shape is right-aligned against
//! [batch, q_heads, q_len, total_len]; every dim but the last is equal or 1 (broadcast),
//! and the last may be shorter than total_len, the missing keys counting as masked.

use super::core::{Comp, MaskView};
use crate::util::real::Acc;
use onnxrun_core::{bail, ensure, DataType, Result, Tensor};
use std::borrow::Cow;

pub(super) struct Bias<'a, C: Clone> {
    data: Cow<'a, [C]>,
    strides: [usize; 3],
    len: usize,
}

impl<C: Clone> Bias<'_, C> {
    pub(super) fn view(&self) -> MaskView<'_, C> {
        let [sb, sh, si] = self.strides;
        MaskView { data: &self.data, sb, sh, si, len: self.len }
    }
}

pub(super) fn bias<'a, C: Comp>(at: &str, m: &'a Tensor, target: [usize; 4]) -> Result<Bias<'a, C>> {
    let s = m.shape();
    ensure!((1..=4).contains(&s.len()), InvalidArgument, "{at}: attn_mask must have rank 1 to 4, got shape {s:?}");
    let mut dims = [1usize; 4];
    dims[4 - s.len()..].copy_from_slice(s);
    for a in 0..3 {
        ensure!(
            dims[a] == 1 || dims[a] == target[a],
            InvalidArgument,
            "{at}: attn_mask shape {s:?} does not broadcast to [batch {}, heads {}, q_len {}, total_len {}]",
            target[0],
            target[1],
            target[2],
            target[3]
        );
    }
    ensure!(dims[3] <= target[3], InvalidArgument, "{at}: attn_mask covers {} keys but there are only {} (past + new)", dims[3], target[3]);
    let len = dims[3];
    let si = len;
    let sh = dims[2] * si;
    let sb = dims[1] * sh;
    let strides = [if dims[0] == 1 { 0 } else { sb }, if dims[1] == 1 { 0 } else { sh }, if dims[2] == 1 { 0 } else { si }];
    let data: Cow<'a, [C]> = match m.dtype() {
        DataType::Bool => {
            Cow::Owned(m.data::<bool>()?.iter().map(|&keep| if keep { <C as Acc>::ZERO } else { <C as Acc>::NEG_INFINITY }).collect())
        }
        dt if dt == C::DTYPE => Cow::Borrowed(m.data::<C>()?),
        DataType::String => bail!(InvalidArgument, "{at}: attn_mask must be bool or numeric, got string"),
        _ => Cow::Owned(m.to_f64_vec()?.into_iter().map(C::from_f64).collect()),
    };
    Ok(Bias { data, strides, len })
}
