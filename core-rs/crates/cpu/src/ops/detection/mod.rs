//! Detection heads: RoiAlign, MaxRoiPool and NonMaxSuppression.

mod facts;
mod max_roi_pool;
mod nms;
mod roi_align;

use onnxrun_core::KernelRegistry;

pub fn register(r: &mut KernelRegistry) {
    roi_align::register(r);
    max_roi_pool::register(r);
    nms::register(r);
    facts::register(r);
}
