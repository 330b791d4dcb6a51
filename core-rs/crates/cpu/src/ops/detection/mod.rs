//! Detection heads: RoiAlign and NonMaxSuppression.

mod nms;
mod roi_align;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    roi_align::register(r);
    nms::register(r);
}
