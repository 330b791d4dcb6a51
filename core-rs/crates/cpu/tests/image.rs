//! Image ops: Resize/Upsample, GridSample, AffineGrid, Col2Im, ImageDecoder. Expected values
//! come from onnxruntime 1.32 (or the ONNX reference where onnxruntime has no kernel, e.g.
//! integer cubic resize, which the reference rounds), for inputs made by `pat` below so the
//! generator and these tests build the same tensors. Encoded images were written by Pillow.

mod common;
use common::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, DataType, ErrorCode, Tensor, Value};

/// ((i * 37 + seed * 11) % 101) / 10 - 5: the same pattern the reference generator used.
fn pat(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    f32s(shape, &(0..n).map(|i| ((i * 37 + seed * 11) % 101) as f32 / 10.0 - 5.0).collect::<Vec<_>>())
}
fn scaled(t: Tensor, s: f32) -> Tensor {
    let v: Vec<f32> = t.data::<f32>().unwrap().iter().map(|x| x * s).collect();
    f32s(t.shape(), &v)
}
fn fl(v: &[f32]) -> Tensor {
    f32s(&[v.len()], v)
}
fn empty() -> Tensor {
    f32s(&[0], &[])
}
fn s(v: &str) -> Attribute {
    Attribute::String(v.as_bytes().to_vec())
}
fn shape_of(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}
fn out_f32(v: &Value) -> Vec<f32> {
    v.as_tensor().unwrap().data::<f32>().unwrap().to_vec()
}

/// Runs one node on a CPU provider with `threads` threads.
fn run_threads(op: &str, opset: i64, attrs: &[(&str, Attribute)], inputs: Vec<Option<Tensor>>, threads: usize) -> Vec<Value> {
    let mut t = OpTest::new(op, opset).threads(threads);
    for (n, a) in attrs {
        t = t.attr(n, a.clone());
    }
    for i in inputs {
        t = match i {
            Some(v) => t.input(v),
            None => t.no_input(),
        };
    }
    t.run().unwrap()
}

fn resize(opset: i64, attrs: &[(&str, Attribute)], x: Tensor, roi: Option<Tensor>, scales: Option<Tensor>, sizes: Option<Tensor>) -> OpTest {
    let mut t = OpTest::new("Resize", opset);
    for (n, a) in attrs {
        t = t.attr(n, a.clone());
    }
    t = t.input(x);
    for i in [roi, scales, sizes] {
        t = match i {
            Some(v) => t.input(v),
            None => t.no_input(),
        };
    }
    t
}

// Expected values, generated with onnxruntime (see the module doc).
#[rustfmt::skip]
mod data {
pub const RS_LINEAR_HALF_2X: &[f32] = &[-5.0, -4.075, -2.225, -0.3749999, 1.475, 0.8000001, -2.4, -4.0, -3.825, -2.9, -1.05, 0.1687501, 0.75625, 0.08125003, -1.85625, -2.825, -1.475, -0.55, 1.3, 1.25625, -0.6812499, -1.35625, -0.7687501, -0.475, 0.875, 1.16875, 1.75625, 1.08125, -0.8562499, -1.53125, -0.94375, -0.65, 3.225, 2.25625, 0.3187501, -0.3562499, 0.23125, -0.44375, -2.38125, -3.35, 4.4, 2.8, -0.4, -1.075, 0.7750001, 0.1000001, -3.1, -4.7, -1.0, -0.07499999, 1.775, 1.1, -2.1, -2.775, -0.925, 0.0, 0.175, 0.4687501, 1.05625, 0.38125, -1.55625, -1.6, 0.2499999, 1.175, 2.525, 1.55625, -0.38125, -1.05625, -0.46875, 0.7499999, 2.6, 3.525, 2.35, 1.38125, -0.55625, -1.23125, -0.6437501, 0.5749999, 2.425, 3.35, -0.3500001, -0.05624998, 0.5312499, -0.1437501, -2.08125, -2.125, -0.2750001, 0.65, -1.7, -0.7750001, 1.075, 0.4, -2.8, -3.475, -1.625, -0.7];
pub const RS_LINEAR_ALIGN_SIZES: &[f32] = &[-5.0, 0.5500001, -4.0, 4.4, -0.15, -4.7, -1.0, -0.5, 0.0, -1.7, -1.2, -0.7];
pub const RS_CUBIC_EXCL: &[f32] = &[-3.423645, -2.260796, -0.09753255, 2.942189, 1.761549, -2.949345, -1.13746, 0.9458142, 5.147929, 1.399654, -3.031548, -0.005308568, 0.6698229, -1.636816, -1.766207, -1.522504, 1.722504, 1.966207, 1.836816, -0.4698229, 0.2053086, 3.231548, -1.199654, -4.947929, -0.7458143, 1.33746, 3.149345, -1.561549, -2.742189, 0.2975326, 2.460796, 3.623644];
pub const RS_CUBIC_U8: &[i64] = &[0, 2, 32, 51, 94, 126, 81, 99, 132, 163, 104, 33, 140, 157, 192, 234, 123, 0, 42, 58, 94, 134, 145, 137, 101, 131, 130, 58, 72, 116, 198, 242, 206, 29, 0, 37];
pub const RS_LINEAR_AA: &[f32] = &[-1.675, 2.093056, -0.07656247, -0.6812499, -2.8125, 0.9555557, -0.4250004, 1.3375, -0.09218804, 0.01111115, -1.176563, 0.1125007, 1.225, 0.6444443, 0.6140626, -0.9374994];
pub const RS_CUBIC_AA: &[f32] = &[-3.049448, 2.735008, -1.052299, 1.460701, -0.4193056, -0.3626915, 0.3090604, -1.310796, 1.593331, -1.821906];
// From onnx's reference: roi pairs with `axes` in the order given (onnxruntime 1.32 pairs it
// with the sorted axes, and differs here).
pub const RS_TF_CROP: &[f32] = &[-1.84, 0.732, -1.746, 1.512, -0.4105, -1.121, 10.0, 10.0, 10.0, 0.948, -1.227, -0.17, 0.058, -0.8545, 1.97, 10.0, 10.0, 10.0];
pub const RS_TRILINEAR: &[f32] = &[0.15, -2.55, -0.02500004, -0.1999999, -0.2583334, 2.091667, -0.4916667, 1.858333, -0.1125, -1.55, -0.2875001, 0.1687499, -0.5208333, 1.829167, -0.7541667, 1.595833, -0.6374999, 0.4499999, -0.8124999, 0.90625, -1.045833, 1.304167, -1.279167, 1.070833, -0.9, 1.45, -1.075, 1.275, -1.308333, 1.041667, -1.541667, 0.8083333];
pub const RS_CHANNELS: &[f32] = &[-5.0, -3.15, -0.6833333, 1.783333, -0.8, -4.0, -0.3, 1.55, 2.333333, -1.933333, -1.15, 0.7, 4.4, 1.2, -1.383333, 1.083333, -1.5, -4.7, -4.0, -2.15, -0.1041666, 0.6791667, -1.0625, -3.0, 0.7, 1.2875, 1.229167, -1.354167, -0.15, 1.7, 2.875, 0.9375, -0.8041667, -0.02083332, -1.7625, -3.7, -2.0, -0.15, 1.054167, -1.529167, -1.5875, -1.0, 2.7, 0.7625, -0.9791667, -0.1958333, 1.85, 3.7, -0.175, 0.4125, 0.3541667, -2.229167, -2.2875, -1.7, -1.0, 0.85, 1.633333, -2.633333, -1.85, 0.0, 3.7, 0.5, -2.083333, 0.3833333, 2.85, 4.7, -1.7, 0.15, 0.9333333, -3.333333, -2.55, -0.7];
pub const RS_SYMMETRIC: &[f32] = &[0.740659, -0.8527473, 1.105495, 0.06703281, -3.302197, -0.4560432, 2.307692, -2.615385, -1.323077, 1.523077, 2.815384, -2.107693, 0.6560439, 3.502198, 0.1329666, -0.9054945, 1.052747, -0.5406598];
pub const RS_NOT_SMALLER: &[f32] = &[-5.0, -3.52, -1.3, 0.9200006, 1.12, -2.720001, -4.0, -3.12, -1.64, 0.5800002, 0.3759999, -0.2320003, -1.648, -2.12, -0.3, 1.18, 3.4, -0.4400009, -2.26, -0.03999931, 0.7, 2.520001, 1.576, 0.1599993, -0.04399985, -0.6519997, -2.068001, -2.540001, 4.4, 1.84, -2.0, 0.2200005, 0.4199998, -3.420001, -4.7, -1.0, 0.4800002, 2.7, -1.140001, -2.96, -0.7399993, 0.0, 0.8800002, 0.7440001, 0.5399997, -0.8760003, -1.08, 1.140001, 1.88, 3.7, 1.14, -2.7, -0.4799995, 1.74, 3.960001, 4.7, 0.4599993, 0.3239998, 0.1200006, -1.296, -1.500001, 0.7199998, 1.459999, -1.7, -0.2199999, 2.0, -1.840001, -3.66, -1.439999, -0.7];
pub const RS10_LINEAR: &[f32] = &[1.0, 2.666667, 4.333333, 6.0, 7.666667, 9.333333];
pub const UP9_LINEAR: &[f32] = &[-0.6, 0.6333333, 1.866667, 3.1, 3.1, 3.1, -1.95, -0.7166666, 0.5166667, 1.75, 1.75, 1.75, -3.3, -2.066667, -0.8333333, 0.4, 0.4, 0.4, -3.3, -2.066667, -0.8333333, 0.4, 0.4, 0.4];
pub const RS_BIG_SAMPLES: &[f32] = &[0.5, -1.96875, -2.65625, -0.4749999, 0.44375];
pub const RS_BIG_SUM: f64 = -7.199998628348112;
pub const RS_BIG_CUBIC_DOWN: &[f32] = &[2.871105, 0.6953124, -1.363293, -2.563525, 0.9075195, -2.402625, 2.574479, -0.004687555, -2.50166, 1.500076, -0.2659179, -3.102626, 1.890918, -1.829102, 2.302784, 0.2795136, -1.09248, 0.9961265, -1.999414, 2.453573, 0.4303052, -1.698438, 1.362732, 0.1789373, -2.699414, 1.753572, -0.3738068, 1.162207, 1.627508, -0.6251715, 0.2500003, 1.125172, -1.143942, -0.3153322, -0.6079863, 0.15, 1.025174, -1.243944, -0.2, 0.8439437, -0.4603969, 3.010644, 0.2210626, -1.927507, -1.462207, 0.07380679, -2.053576, 2.399415, -0.4789387, -1.662734, 1.271875, -1.954192, 2.299414, -1.0995, 3.894043, 0.7362306, -0.8303052, -3.005905, 1.125977, -2.676237, 3.276237, 0.03623053, -2.050868, 1.950867, -0.1362304, -3.376237, 2.576237, -0.7903321, 1.529688, -0.2362305, -3.394043, 1.583062, -1.237207, 2.805907, 0.6303046, -1.498438, 1.56273, 0.3789373, -2.499414, 1.953572, -0.1738033, 1.362207, 1.827504, -0.321062, -2.675, -0.07442517, 1.262207, 1.727506, -0.4210627, -3.210645, 0.2603987, -1.043946, 2.533197e-07, 1.043946, -0.2603969, 3.210644, 0.4210627, -1.727504, -1.262207, 0.2738037, -1.853576, 2.472852, -1.71032, -1.362207, 0.1738061, -1.953574, 2.499414, -0.3789376, -1.56273, 1.498438, -0.6303045, -2.805905, 1.237207, -1.583062, 3.394043, 0.2362305, -1.850868, 2.150867, -0.1515626, 2.890669, 0.1362303, -1.950868, 2.050868, -0.03623053, -3.276237, 2.676237, -1.125977, 3.005905, 0.8303045, -0.7362305, -3.894043, 1.0995, -2.299414, 2.153577, 0.02619655, 1.346875, -0.5252173, 1.221289, 1.025749, -0.2351226, -0.4306639, 1.515222, -1.576932, -0.04091793, 0.3421881, 0.02965277, 2.42998, 0.7111123, -2.276929, -0.7409182, -0.2756218, -1.563526, 1.780957, -1.91032, -1.562207, -0.02619403, -2.153574, 2.299414, -1.0995, 3.894043, 0.7362306, -0.8303045, -3.005905, 1.125977, -2.676237, 3.276237, 0.03623053, -2.050868, 1.950867, -0.3515624, 2.690669, -0.0637694, -2.150868, 1.850868, -0.2362305, -3.394043, 1.583062, -1.237207, 2.805904, 0.6303046, -1.498438, 1.56273, 0.3789385, -2.499414, 1.953577, -0.1738033, 1.146875, 0.3961264, -2.599414, 1.853574, -0.2738047, 1.262207, 1.727506, -0.4210629, -3.210645, 0.260397, -1.043946, 2.533197e-07, 1.043946, -0.2604009, 3.210644, 0.4210616, -1.727504, -1.388769, -0.243211, 3.110645, 0.3210608, -1.827506, -1.362207, 0.1738048, -1.953572, 2.499414, -0.3789373, -1.56273, 1.498438, -0.6303045, -2.805909, 1.237207, -1.583061, 3.394043, 0.109668, -2.706526, 1.225977, -2.576236, 3.376237, 0.1362303, -1.950868, 2.050868, -0.03623053, -3.276237, 2.676237, -1.125977, 3.005905, 0.8303066, -0.7362305, -3.894043, 1.0995, -1.775, 0.9296878, -1.398438, 1.662732, 0.4789379, -2.399414, 2.053574, -0.07380655, 1.462207, 1.927508, -0.2210626, -3.010644, 0.460397, -0.8439422, 0.1999999, 1.243942, -1.025172, -0.2765624, -0.8267583, 0.1000002, 1.143945, -1.125173, -0.25, 0.6251729, -1.627507, -1.162207, 0.3738069, -1.753572, 2.699414, -0.1789374, -1.362733, 1.698438, -0.4303064, -2.453577, 1.872852, -2.346336, 1.007519, -2.302625, 2.674479, 0.09531264, -2.40166, 1.600076, -0.165918, -3.002626, 1.974479, -1.166895, 2.555113, 0.3795137, -1.339355, 1.060976, 0.8525503, -1.993457, 0.7296878, -1.598437, 1.462732, 0.2789375, -2.599414, 1.853574, -0.273807, 1.262207, 1.727507, -0.4210629, -3.210645, 0.260397, -1.043942, 2.533197e-07, 1.043942, -0.2604009, 3.084082, -1.026758, -0.1000001, 0.9439454, -0.3603985, 3.110645, 0.3210627, -1.827507, -1.362207, 0.1738067, -1.953572, 2.499414, -0.3789373, -1.562734, 1.498438, -0.6303065, -2.805909, 1.110645, -1.545545, 1.398438, -0.7303067, -2.905907, 1.225977, -2.576237, 3.376237, 0.1362303, -1.950868, 2.050868, -0.03623053, -3.276237, 2.676237, -1.125977, 3.005909, 0.8303066, -0.9515625, 2.090669, -1.225977, 2.905906, 0.7303054, -1.398438, 1.662732, 0.4789374, -2.399414, 2.053572, -0.07380655, 1.462207, 1.927508, -0.2210613, -3.010644, 0.4604011, -0.8439422, -0.01533207, -0.2038737, -3.110645, 0.3603986, -0.9439437, 0.1000002, 1.143944, -1.125174, -0.25, 0.6251742, -1.627507, -1.162207, 0.3738069, -1.753577, 2.699414, -0.1789387, -1.362733, 1.571875, -1.654192, 2.599414, -0.2789393, -1.462732, 1.598437, -0.5303052, -2.553572, 1.899414, -1.499501, 3.494043, 0.3362303, -1.750868, 2.250868, 0.1637696, -3.076237, 2.876237, -0.490332, 1.829688, 0.06376946, -3.176236, 2.776237, -1.025977, 3.105907, 0.9303045, -0.6362306, -3.794043, 1.199501, -2.199414, 2.253572, 0.2303063, -1.898438, 1.162734, -0.02106127, -2.375, -0.1001303, -0.3306639, 1.615224, -1.47693, 0.05908196, 0.4421861, 0.1296529, 2.529981, 0.8111124, -2.176932, -0.6409181, -0.1756179, -1.463526, 1.91875, 0.1111115, -2.064491, 1.442188, -1.854193, 2.399415, -0.4789394, -1.662731, 1.398438, -0.7303053, -2.905905, 1.225977, -2.576237, 3.376237, 0.1362303, -1.950868, 2.050868, -0.03623053, -3.276237, 2.676237, -0.6903322, 1.629688, -0.1362304, -3.376236, 2.576237, -1.225977, 2.905907, 0.7303045, -1.398438, 1.66273, 0.4789374, -2.399414, 2.053572, -0.07380332, 1.462207, 1.927504, -0.2210613, -2.575, 0.02557505, 1.362207, 1.827506, -0.3210629, -3.110645, 0.3603985, -0.9439461, 0.1000002, 1.143946, -1.125174, -0.25, 0.6251742, -1.627504, -1.162207, 0.3738036, -1.753577, 2.572851, -1.610319, -1.262207, 0.2738062, -1.853574, 2.599414, -0.2789375, -1.462731, 1.598437, -0.5303044, -2.553572, 1.899414, -1.499501, 3.494043, 0.3362303, -1.750868, 2.250868, -0.05156235, 2.990669, 0.2362305, -1.850868, 2.150868, 0.06376946, -3.176237, 2.776237, -1.025977, 3.105906, 0.9303045, -0.6362306, -3.794043, 1.1995, -2.199414, 2.253577, 0.2303063, -1.551563, 0.6961268, -2.299414, 2.153574, 0.02619538, 1.562207, 2.027506, -0.1210626, -2.910645, 0.5603971, -0.7439456, 0.3000003, 1.343946, -0.9251716, -0.05000043, 0.8251713, -1.443942, -0.6153319, -0.9079866, -0.1500002, 0.7251735, -1.527506, -1.062207, 0.3916109, -0.7603971, 2.710644, -0.07893732, -1.26273, 1.798438, -0.3303044, -2.353577, 2.099414, -1.2995, 3.694043, 0.4096679, 2.371105, 0.1953126, -2.30166, 1.700075, -0.06591794, -2.902626, 2.074479, -1.066895, 2.655113, 0.4795127, -1.239356, 1.160972, 0.9525506, -2.329101, 1.802784, -0.3245963, 1.405957, 0.4961264, -2.499414, 1.953574, -0.1738047, 1.362207, 1.827506, -0.3210629, -3.110645, 0.3603968, -0.9439461, 0.1000002, 1.143946, -1.125172, -0.25, 0.6251715, -1.627504, -1.288769, -0.1432112, 3.210644, 0.4210609, -1.727506, -1.262207, 0.2738048, -1.853572, 2.599414, -0.2789373, -1.462731, 1.598437, -0.5303044, -2.553577, 1.899414, -1.4995, 3.494043, 0.2096679, -2.606526, 1.237207, -1.583061, 3.394043, 0.2362305, -1.850868, 2.150868, 0.06376946, -3.176237, 2.776237, -1.025977, 3.105906, 0.9303064, -0.6362306, -3.794043, 1.1995, -1.675, 1.029688, -0.7362305, -3.894043, 1.0995, -2.299414, 2.153574, 0.02619298, 1.562207, 2.027507, -0.1210626, -2.910645, 0.5603971, -0.7439418, 0.3000003, 1.343942, -0.9251716, -0.1765626, -0.7267581, 0.1999999, 1.243945, -1.025173, -0.1500002, 0.7251726, -1.527507, -1.062207, 0.3916126, -0.7603971, 2.710644, -0.07893732, -1.262733, 1.798438, -0.3303066, -2.353577, 1.972852, -1.245544, 1.698438, -0.4303065, -2.453574, 1.999414, -1.3995, 3.594043, 0.4362306, -1.130305, -3.305905, 0.8259766, -2.976237, 2.976237, -0.8259766, 3.305909, 1.130307, -0.6515626, 2.390669, -0.9259765, 3.205906, 1.030305, -0.5362304, -3.694043, 1.299501, -2.099414, 2.353572, 0.3303043, -1.798438, 1.26273, 0.07893872, -2.710644, 0.760401, -0.3916097, 0.8468751, -1.17755, 0.1590822, 0.5421876, 0.2296513, 2.62998, 0.9111125, -2.076932, -0.5409178, -0.07561782, -1.363522, 2.01875, 0.2111124, -1.964491, 1.757519, -0.8632934, -2.063527, 1.280957, -1.445544, 1.498438, -0.6303067, -2.805907, 1.237207, -1.583062, 3.394043, 0.2362305, -1.850868, 2.150868, 0.06376946, -3.176237, 2.776237, -1.025977, 3.105909, 0.9303064, -0.8515626, 2.190669, -1.125977, 3.005906, 0.8303053, -0.7362305, -3.894043, 1.099501, -2.299414, 2.153572, 0.02619298, 1.562207, 2.027507, -0.1210613, -2.910645, 0.5604012, -0.7439418, 0.08466816, -0.1038734, -3.010644, 0.4603987, -0.8439438, 0.1999999, 1.243944, -1.025174, -0.1500002, 0.7251739, -1.527507, -1.062207, 0.3916126, -0.7604011, 2.710644, -0.07893872, -1.262733, 1.671875, -1.554192, 2.699414, -0.1789393, -1.362732, 1.698438, -0.4303052, -2.453572, 1.999414, -1.399501, 3.594043, 0.4362306, -1.130305, -3.305909, 0.8259766, -2.976237, 2.976237, -0.3903321, 1.929688, 0.1637696, -3.076236, 2.876237, -0.9259765, 3.205907, 1.030305, -0.5362304, -3.694043, 1.299501, -2.099414, 2.353572, 0.3303062, -1.798438, 1.262733, 0.07893872, -2.275, 0.4296877, -1.898438, 1.162732, -0.02106225, -2.810644, 0.660399, -0.6439458, 0.3999998, 1.443946, -0.825174, 0.0500003, 0.925174, -1.343942, -0.3000003, 0.7439417, -0.5604014, 2.784082, -1.326758, -0.4, 0.6439453, -0.6603989, 2.810644, 0.02106234, -1.16273, 1.898438, -0.2303044, -2.253572, 2.199414, -1.199501, 3.794043, 0.6362306, -0.9303064, -3.105909, 0.8106445];
pub const GS_2D: &[(&str, &str, i64, &[f32])] = &[
    ("linear", "zeros", 0, &[-1.862, -0.091875, 1.44938, -0.344438, -0.28, -1.26438, -0.339938, -0.735, 1.28312, 0.255563, -0.6475, 0.91]),
    ("linear", "zeros", 1, &[-0.89678, -0.12375, 1.44781, -0.956906, 0.72, -0.370938, -1.45125, -1.17375, 0.460938, 1.99309, -2.4975, -0.0953124]),
    ("linear", "border", 0, &[-3.04, -0.15, 1.44938, -2.29625, -0.8, -1.445, -0.555, -1.2, 1.28313, 1.70375, -1.85, 1.04]),
    ("linear", "border", 1, &[-0.89678, -0.12375, 1.44781, -1.2975, 0.8, -0.370938, -1.45125, -1.17375, 0.460938, 2.7025, -2.775, -0.0953124]),
    ("linear", "reflection", 0, &[-3.04, -0.15, 1.44938, -2.29625, -0.8, -1.445, -0.555, -1.2, 1.28313, 1.70375, -1.85, 1.04]),
    ("linear", "reflection", 1, &[-0.89678, -0.12375, 1.44781, -1.14197, 0.5125, -0.370938, -1.45125, -1.17375, 0.460938, 1.73125, -2.305, -0.0953124]),
    ("nearest", "zeros", 0, &[-4.0, 1.7, -0.3, 0.0, 0.0, -2.0, 0.0, -4.4, 3.7, 0.0, 0.0, 2.0]),
    ("nearest", "zeros", 1, &[-4.0, 1.7, -0.3, 0.7, 2.4, -2.0, 0.0, -4.4, 3.7, 4.7, -3.7, 2.0]),
    ("nearest", "border", 0, &[-4.0, 1.7, -0.3, -4.0, 2.4, -2.0, 0.0, -4.4, 3.7, 0.0, -3.7, 2.0]),
    ("nearest", "border", 1, &[-4.0, 1.7, -0.3, 0.7, 2.4, -2.0, 0.0, -4.4, 3.7, 4.7, -3.7, 2.0]),
    ("nearest", "reflection", 0, &[-4.0, 1.7, -0.3, -4.0, 2.4, -2.0, 0.0, -4.4, 3.7, 0.0, -3.7, 2.0]),
    ("nearest", "reflection", 1, &[-4.0, 1.7, -0.3, 0.7, 2.4, -2.0, 0.0, -4.4, 3.7, 4.7, -3.7, 2.0]),
    ("cubic", "zeros", 0, &[-2.55991, -0.132038, 2.38474, -0.358477, -0.224579, -2.09513, -0.92302, -0.685944, 1.86009, 0.310269, -1.17923, 1.58471]),
    ("cubic", "zeros", 1, &[-1.02178, -0.14119, 2.58884, -0.751085, 1.34495, -0.865796, -2.10458, -1.29878, 0.534014, 2.94783, -3.60698, 0.0269718]),
    ("cubic", "border", 0, &[-3.48576, -0.18816, 1.97324, -2.06413, -0.375677, -2.29951, -1.09248, -1.13492, 1.75952, 2.02142, -2.78723, 1.73418]),
    ("cubic", "border", 1, &[-0.621808, -0.13397, 2.41947, -0.624896, 1.59398, -0.690132, -2.01913, -1.24103, 0.230318, 3.71086, -3.88696, -0.067523]),
    ("cubic", "reflection", 0, &[-3.71101, -0.212303, 1.97324, -2.24821, -0.231846, -2.34859, -1.42667, -1.09375, 1.75952, 2.32216, -3.4135, 1.77757]),
    ("cubic", "reflection", 1, &[-1.16646, -0.150816, 2.27824, -1.11645, 1.01295, -1.10795, -1.93441, -1.2123, 0.708519, 2.4501, -3.24049, 0.310825]),
];
pub const GS_3D_LINEAR_ZEROS: &[f32] = &[0.07308736, -0.1033499, 0.9496592, 1.610962, -0.1850001, -0.4575002, 0.2147813, 0.7857502, 0.1469532, -0.4272187, 0.06418747, -0.1286251, -1.0695, 0.08579993, 0.4167844, 0.7630872, 0.1516563, -0.8257502, -0.9270936, 0.05074989, -0.3517969, -1.713469, -1.28375, 0.1055625];
pub const GS_3D_LINEAR_REFLECTION: &[f32] = &[0.1218123, -1.06, 3.7425, 3.99, -0.7400004, -0.9150004, 0.3950001, 2.245, 0.6187503, -0.6974999, 0.1, -0.8574998, -1.7825, 0.8800002, 1.6425, 1.89, 0.6066252, -1.6515, -1.705, 0.1449996, -1.48125, -2.7975, -2.0, 0.7037498];
pub const GS_3D_NEAREST_ZEROS: &[f32] = &[1.1, 0.0, 0.0, 0.0, 0.0, -0.9, -0.9, 0.0, 0.0, -2.9, 1.1, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, -3.0, -3.0, 0.0, 0.0, -5.0, -1.0, 0.0];
pub const GS_3D_NEAREST_REFLECTION: &[f32] = &[1.1, 1.1, 4.8, 4.8, -4.6, -0.9, -0.9, 2.8, 3.5, -2.9, 1.1, 1.1, -1.0, -1.0, 2.7, 2.7, 3.4, -3.0, -3.0, 0.7, 1.4, -5.0, -1.0, -1.0];
pub const GS16_BILINEAR: &[f32] = &[-3.039999, -0.15, 1.449375, -2.29625, -0.8, -1.445, -0.5550003, -1.2, 1.283125, 1.70375, -1.85, 1.04];
pub const AG_2D_0: &[f32] = &[1.22, -0.8833333, 0.9399999, -1.063333, 0.66, -1.243333, 0.3799999, -1.423333, 1.34, -0.63, 1.06, -0.81, 0.78, -0.99, 0.4999999, -1.17, 1.46, -0.3766667, 1.18, -0.5566667, 0.8999999, -0.7366667, 0.6199999, -0.9166666, -0.9666667, -1.05, -1.046667, -1.03, -1.126667, -1.01, -1.206667, -0.99, -0.58, -0.53, -0.66, -0.51, -0.74, -0.49, -0.82, -0.47, -0.1933333, -0.009999961, -0.2733333, 0.01000005, -0.3533333, 0.03000003, -0.4333333, 0.05000001];
pub const AG_2D_1: &[f32] = &[1.3, -0.92, 0.9266666, -1.16, 0.5533333, -1.4, 0.1799999, -1.64, 1.48, -0.54, 1.106667, -0.78, 0.7333333, -1.02, 0.36, -1.26, 1.66, -0.16, 1.286667, -0.4, 0.9133333, -0.64, 0.54, -0.88, -1.12, -1.32, -1.226667, -1.293333, -1.333333, -1.266667, -1.44, -1.24, -0.54, -0.54, -0.6466666, -0.5133333, -0.7533333, -0.4866667, -0.86, -0.46, 0.04000002, 0.24, -0.0666666, 0.2666667, -0.1733333, 0.2933334, -0.2799999, 0.3200001];
pub const AG_3D_1: &[f32] = &[0.68, 0.82, -1.06, 0.34, 1.42, -1.54, 1.192093e-08, 2.02, -2.02, 1.48, -0.54, -0.54, 1.14, 0.05999998, -1.02, 0.8, 0.66, -1.5, -1.08, 0.94, 0.94, -1.42, 1.54, 0.46, -1.76, 2.14, -0.02, -0.28, -0.42, 1.46, -0.62, 0.18, 0.98, -0.96, 0.78, 0.5];
pub const C2I_BASIC: &[f32] = &[-0.6, 4.5, -8.3, -1.3, 3.8, -1.2, -6.6, 2.4, 4.4, -5.7, 1.7, 3.7, -2.7, 0.3, 7.7, -3.4, -0.4000001, 10.6, -4.9, -1.8, 2.3, 0.2000003, -2.5, 1.6];
pub const C2I_ATTRS: &[f32] = &[-1.6, 2.1, -1.9, -4.6, -0.3, -4.9, -1.2, 1.6, -1.1, -3.6, 3.1, -3.3, -2.6, 4.8, 4.4, -0.2, 3.5, 0.8999999, -1.8, 1.1, -2.3, 1.4, -3.3, -6.0, -1.0, 4.3, -2.1, -0.1999999, -2.9, -4.5, 1.0, 4.7, 3.3, 0.6, 2.3, -1.1, 2.6, -0.8999999, -3.6, 0.2, -4.4, -0.7, 2.6, -0.1000001, -3.1, 3.6, -2.8, -1.6, 5.8, 4.9];
pub const C2I_ATTRS_L: usize = 12;
pub const C2I_3D_I32: &[i64] = &[-3, -4, -1, -2, 0, 2, 1, 4, 3, 2, 8, 6, 12, -24, -8, -4, -4, 0, -2, -2, 0, 0, 4, 4, 2, 6, -3, -2, -2, 0, 0, 4, 4, 2, 6, -3, 4, 12, -6, -12, -16, -4, -2, 0, 2, -1, 0, 1, 2, 8, 6, 3, -6, -2];
}
use data::*;

#[test]
fn resize_nearest_integer_factors_match_the_formula_on_many_threads() {
    // PP-OCR's pattern: opset 11, asymmetric + floor, x2/x4/x8 on a 1xCxHxW map.
    let x = pat(&[1, 6, 13, 21], 0);
    let xs = x.data::<f32>().unwrap().to_vec();
    for k in [2usize, 4, 8, 3] {
        let attrs = [("coordinate_transformation_mode", s("asymmetric")), ("nearest_mode", s("floor"))];
        let sc = fl(&[1.0, 1.0, k as f32, k as f32]);
        for threads in [1, 4] {
            let y = run_threads("Resize", 11, &attrs, vec![Some(x.clone()), Some(empty()), Some(sc.clone())], threads);
            assert_eq!(shape_of(&y[0]), vec![1, 6, 13 * k, 21 * k]);
            let ys = out_f32(&y[0]);
            for c in 0..6 {
                for i in 0..13 * k {
                    for j in 0..21 * k {
                        assert_eq!(ys[(c * 13 * k + i) * 21 * k + j], xs[(c * 13 + i / k) * 21 + j / k]);
                    }
                }
            }
        }
    }
}

#[test]
fn resize_linear_and_cubic_match_onnxruntime() {
    let x = pat(&[1, 2, 3, 4], 0);
    let y = resize(19, &[("mode", s("linear"))], x.clone(), Some(empty()), Some(fl(&[1., 1., 2., 2.])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 2, 6, 8]);
    assert_close(&y[0], RS_LINEAR_HALF_2X, 1e-5);
    let attrs = [("mode", s("linear")), ("coordinate_transformation_mode", s("align_corners"))];
    let y = resize(19, &attrs, x.clone(), None, None, Some(i64s(&[4], &[1, 2, 2, 3]))).run().unwrap();
    assert_close(&y[0], RS_LINEAR_ALIGN_SIZES, 1e-5);
    let attrs = [("mode", s("cubic")), ("cubic_coeff_a", Attribute::Float(-0.5)), ("exclude_outside", Attribute::Int(1))];
    let y = resize(19, &attrs, pat(&[1, 1, 5, 5], 1), Some(empty()), Some(fl(&[1., 1., 0.8, 1.6])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 1, 4, 8]);
    assert_close(&y[0], RS_CUBIC_EXCL, 1e-5);
    let attrs = [("mode", s("linear")), ("coordinate_transformation_mode", s("half_pixel_symmetric"))];
    let y = resize(19, &attrs, pat(&[1, 1, 5, 5], 1), Some(empty()), Some(fl(&[1., 1., 0.7, 1.3])), None).run().unwrap();
    assert_close(&y[0], RS_SYMMETRIC, 1e-5);
    let attrs = [("mode", s("linear")), ("axes", Attribute::Ints(vec![2, 3])), ("keep_aspect_ratio_policy", s("not_smaller"))];
    let y = resize(19, &attrs, x, None, None, Some(i64s(&[2], &[5, 5]))).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 2, 5, 7]);
    assert_close(&y[0], RS_NOT_SMALLER, 1e-5);
}

#[test]
fn resize_antialias_follows_the_stretched_filter() {
    let x = pat(&[1, 1, 8, 8], 2);
    let attrs = [("mode", s("linear")), ("antialias", Attribute::Int(1))];
    let y = resize(19, &attrs, x.clone(), Some(empty()), Some(fl(&[1., 1., 0.6, 0.6])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 1, 4, 4]);
    assert_close(&y[0], RS_LINEAR_AA, 1e-5);
    let attrs = [("mode", s("cubic")), ("antialias", Attribute::Int(1))];
    let y = resize(19, &attrs, x, Some(empty()), Some(fl(&[1., 1., 0.35, 0.7])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 1, 2, 5]);
    assert_close(&y[0], RS_CUBIC_AA, 1e-5);
}

#[test]
fn resize_tf_crop_and_resize_with_axes_and_extrapolation() {
    let attrs = [
        ("mode", s("linear")),
        ("coordinate_transformation_mode", s("tf_crop_and_resize")),
        ("axes", Attribute::Ints(vec![3, 2])),
        ("extrapolation_value", Attribute::Float(10.0)),
    ];
    let roi = fl(&[0.2, 0.1, 0.9, 1.2]);
    let y = resize(19, &attrs, pat(&[1, 2, 3, 4], 0), Some(roi), None, Some(i64s(&[2], &[3, 3]))).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 2, 3, 3]);
    assert_close(&y[0], RS_TF_CROP, 1e-5);
    // Nearest on strings: a crop inside the input, no extrapolation needed.
    let strs: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
    let x = Tensor::from_strings(vec![2, 3], strs).unwrap();
    let attrs = [("coordinate_transformation_mode", s("tf_crop_and_resize"))];
    let y = resize(13, &attrs, x, Some(fl(&[0., 0., 1., 1.])), None, Some(i64s(&[2], &[3, 2]))).run().unwrap();
    assert_eq!(y[0].as_tensor().unwrap().strings().unwrap(), ["s0", "s2", "s0", "s2", "s3", "s5"]);
}

#[test]
fn resize_other_axes_and_volumes() {
    // Depth, height and width at once (trilinear) and a resized channel axis: the
    // one-pass-per-axis path.
    let y = resize(19, &[("mode", s("linear"))], pat(&[1, 1, 2, 3, 4], 3), Some(empty()), Some(fl(&[1., 1., 2., 1.5, 0.5])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 1, 4, 4, 2]);
    assert_close(&y[0], RS_TRILINEAR, 1e-5);
    let y = resize(19, &[("mode", s("linear"))], pat(&[1, 2, 3, 4], 0), Some(empty()), Some(fl(&[1., 2., 1., 1.5])), None).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 4, 3, 6]);
    assert_close(&y[0], RS_CHANNELS, 1e-5);
    // Rank 1.
    let y = resize(19, &[("mode", s("linear")), ("coordinate_transformation_mode", s("asymmetric"))], fl(&[0., 10.]), None, Some(fl(&[2.])), None)
        .run()
        .unwrap();
    assert_close(&y[0], &[0., 5., 10., 10.], 1e-6);
}

#[test]
fn resize_parallel_runs_match_onnxruntime() {
    let x = pat(&[2, 3, 17, 23], 5);
    for threads in [1, 3] {
        let y = run_threads("Resize", 19, &[("mode", s("linear"))], vec![Some(x.clone()), Some(empty()), Some(fl(&[1., 1., 2., 2.]))], threads);
        assert_eq!(shape_of(&y[0]), vec![2, 3, 34, 46]);
        let v = out_f32(&y[0]);
        let sum: f64 = v.iter().map(|&a| a as f64).sum();
        assert!((sum - RS_BIG_SUM).abs() < 1e-3, "sum {sum} vs {RS_BIG_SUM}");
        for (k, &i) in [0usize, 100, 1000, 5000, 9000].iter().enumerate() {
            assert!((v[i] - RS_BIG_SAMPLES[k]).abs() < 1e-5);
        }
        let y = run_threads("Resize", 19, &[("mode", s("cubic"))], vec![Some(x.clone()), Some(empty()), Some(fl(&[1., 1., 0.5, 0.75]))], threads);
        assert_eq!(shape_of(&y[0]), vec![2, 3, 8, 17]);
        assert_close(&y[0], RS_BIG_CUBIC_DOWN, 1e-5);
    }
}

#[test]
fn resize_integer_and_half_types() {
    // uint8 cubic: the reference rounds half to even and saturates (onnxruntime has no
    // integer cubic kernel).
    let xu: Vec<u8> = (0..16u32).map(|i| (i * 37 % 256) as u8).collect();
    let x = Tensor::from_vec(vec![1, 1, 4, 4], xu).unwrap();
    let y = resize(19, &[("mode", s("cubic"))], x, Some(empty()), Some(fl(&[1., 1., 1.5, 1.5])), None).run().unwrap();
    let got: Vec<i64> = y[0].as_tensor().unwrap().data::<u8>().unwrap().iter().map(|&v| v as i64).collect();
    assert_eq!(got, RS_CUBIC_U8);
    // int32 nearest moves values exactly.
    let x = Tensor::from_vec(vec![1, 3], vec![i32::MIN, 7, i32::MAX]).unwrap();
    let y = resize(19, &[], x, None, Some(fl(&[1., 2.])), None).run().unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<i32>().unwrap(), [i32::MIN, i32::MIN, 7, 7, i32::MAX, i32::MAX]);
    // f16 linear agrees with f32 to f16 precision.
    let x = pat(&[1, 2, 3, 4], 0);
    let h: Vec<f16> = x.data::<f32>().unwrap().iter().map(|&v| f16::from_f32(v)).collect();
    let xh = Tensor::from_vec(vec![1, 2, 3, 4], h).unwrap();
    let y = resize(19, &[("mode", s("linear"))], xh, Some(empty()), Some(fl(&[1., 1., 2., 2.])), None).run().unwrap();
    let got: Vec<f32> = y[0].as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    for (a, b) in got.iter().zip(RS_LINEAR_HALF_2X) {
        assert!((a - b).abs() < 1e-2, "{a} vs {b}");
    }
    // f64 roi/scales inputs of another float type are accepted.
    let x = Tensor::from_vec(vec![2], vec![1.0f64, 3.0]).unwrap();
    let y = resize(19, &[("mode", s("linear")), ("coordinate_transformation_mode", s("align_corners"))], x, None, Some(fl(&[1.5])), None)
        .run()
        .unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<f64>().unwrap(), [1.0, 2.0, 3.0]);
}

#[test]
fn resize_10_and_upsample_use_asymmetric_simple_rounding() {
    let x = f32s(&[1, 1, 1, 10], &(1..=10).map(|v| v as f32).collect::<Vec<_>>());
    let y = OpTest::new("Resize", 10).input(x.clone()).input(fl(&[1., 1., 1., 0.6])).run().unwrap();
    assert_close(&y[0], &[1., 3., 5., 6., 8., 10.], 0.0);
    let y = OpTest::new("Resize", 10).attr("mode", s("linear")).input(x.clone()).input(fl(&[1., 1., 1., 0.6])).run().unwrap();
    assert_close(&y[0], RS10_LINEAR, 1e-5);
    let y = OpTest::new("Resize", 10).input(x).input(fl(&[1., 1., 1., 1.5])).run().unwrap();
    assert_close(&y[0], &[1., 1., 2., 3., 3., 4., 5., 5., 6., 7., 7., 8., 9., 9., 10.], 0.0);
    let y = OpTest::new("Upsample", 9).attr("mode", s("linear")).input(pat(&[1, 1, 2, 2], 4)).input(fl(&[1., 1., 2., 3.])).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 1, 4, 6]);
    assert_close(&y[0], UP9_LINEAR, 1e-5);
    let y = OpTest::new("Upsample", 7).attr("scales", Attribute::Floats(vec![1., 2.])).input(i64s(&[2, 2], &[1, 2, 3, 4])).run().unwrap();
    assert_eq!(y[0].as_tensor().unwrap().data::<i64>().unwrap(), [1, 1, 2, 2, 3, 3, 4, 4]);
}

#[test]
fn resize_bad_attributes_fail_at_creation() {
    let x = || pat(&[1, 1, 2, 2], 0);
    let sc = || Some(fl(&[1., 1., 2., 2.]));
    for (opset, attrs) in [
        (19, vec![("mode", s("bilinear"))]),
        (10, vec![("mode", s("cubic"))]),
        (19, vec![("coordinate_transformation_mode", s("corners"))]),
        (18, vec![("coordinate_transformation_mode", s("half_pixel_symmetric"))]),
        (13, vec![("coordinate_transformation_mode", s("tf_half_pixel_for_nn"))]),
        (19, vec![("nearest_mode", s("up"))]),
        (19, vec![("keep_aspect_ratio_policy", s("fit"))]),
        (19, vec![("axes", Attribute::Ints(vec![2, 2]))]),
        (19, vec![("exclude_outside", Attribute::Int(2))]),
    ] {
        assert_eq!(code(resize(opset, &attrs, x(), None, sc(), None).run()), ErrorCode::InvalidGraph, "{opset} {attrs:?}");
    }
    // tf_crop_and_resize without a roi input.
    let attrs = [("coordinate_transformation_mode", s("tf_crop_and_resize"))];
    assert_eq!(code(resize(19, &attrs, x(), None, sc(), None).run()), ErrorCode::InvalidGraph);
    // Upsample-7 scales below 1.
    let r = OpTest::new("Upsample", 7).attr("scales", Attribute::Floats(vec![1., 0.5])).input(f32s(&[2, 2], &[0.; 4])).run();
    assert_eq!(code(r), ErrorCode::InvalidGraph);
}

#[test]
fn resize_bad_inputs_fail_at_run_time() {
    let x = || pat(&[1, 1, 2, 2], 0);
    let both = resize(19, &[], x(), None, Some(fl(&[1., 1., 2., 2.])), Some(i64s(&[4], &[1, 1, 4, 4]))).run();
    assert_eq!(code(both), ErrorCode::InvalidArgument);
    let neither = resize(19, &[], x(), Some(empty()), Some(empty()), None).run();
    assert_eq!(code(neither), ErrorCode::InvalidArgument);
    let short = resize(19, &[], x(), None, Some(fl(&[2., 2.])), None).run();
    assert_eq!(code(short), ErrorCode::InvalidArgument);
    let zero = resize(19, &[], x(), None, None, Some(i64s(&[4], &[1, 1, 0, 4]))).run();
    assert_eq!(code(zero), ErrorCode::InvalidArgument);
    let negative = resize(19, &[], x(), None, Some(fl(&[1., 1., -2., 2.])), None).run();
    assert_eq!(code(negative), ErrorCode::InvalidArgument);
    let to_nothing = resize(19, &[], x(), None, Some(fl(&[1., 1., 0.1, 1.])), None).run();
    assert_eq!(code(to_nothing), ErrorCode::InvalidArgument);
    let huge = resize(19, &[], x(), None, None, Some(i64s(&[4], &[1, 1, 1 << 20, 1 << 20]))).run();
    assert_eq!(code(huge), ErrorCode::InvalidArgument);
    let attrs = [("coordinate_transformation_mode", s("tf_crop_and_resize"))];
    let bad_roi = resize(19, &attrs, x(), Some(fl(&[0., 0., 1., 1.])), Some(fl(&[1., 1., 2., 2.])), None).run();
    assert_eq!(code(bad_roi), ErrorCode::InvalidArgument);
    let bad_axis = resize(19, &[("axes", Attribute::Ints(vec![4]))], x(), None, Some(fl(&[2.])), None).run();
    assert_eq!(code(bad_axis), ErrorCode::InvalidArgument);
    // Linear on strings: an error, not a panic (at load, since the input type is declared).
    let strs = Tensor::from_strings(vec![2], vec!["a".into(), "b".into()]).unwrap();
    let r = resize(19, &[("mode", s("linear"))], strs, None, Some(fl(&[2.])), None).run();
    assert_eq!(code(r), ErrorCode::InvalidGraph);
    let r = OpTest::new("Upsample", 9).input(x()).input(fl(&[1., 1., 0.5, 1.])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn resize_identity_shares_the_input() {
    let x = pat(&[1, 1, 3, 3], 0);
    let y = resize(19, &[("mode", s("cubic"))], x.clone(), None, Some(fl(&[1., 1., 1., 1.])), None).run().unwrap();
    assert_eq!(out_f32(&y[0]), x.data::<f32>().unwrap());
}

#[test]
fn grid_sample_2d_every_mode_and_padding() {
    let x = pat(&[1, 2, 3, 4], 0);
    let g = scaled(pat(&[1, 2, 3, 2], 7), 0.25);
    for &(mode, pad, align, want) in GS_2D {
        let y = OpTest::new("GridSample", 22)
            .attr("mode", s(mode))
            .attr("padding_mode", s(pad))
            .attr("align_corners", Attribute::Int(align))
            .input(x.clone())
            .input(g.clone())
            .run()
            .unwrap();
        assert_eq!(shape_of(&y[0]), vec![1, 2, 2, 3]);
        let got = out_f32(&y[0]);
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{mode} {pad} {align}: {got:?} vs {want:?}");
        }
    }
    // Opset 16 names the modes bilinear/bicubic.
    let y = OpTest::new("GridSample", 16).attr("padding_mode", s("border")).input(x.clone()).input(g.clone()).run().unwrap();
    assert_close(&y[0], GS16_BILINEAR, 1e-4);
}

#[test]
fn grid_sample_volumes_types_and_threads() {
    let x = pat(&[1, 2, 2, 3, 4], 1);
    let g = scaled(pat(&[1, 2, 2, 3, 3], 8), 0.25);
    for (mode, pad, want) in [
        ("linear", "zeros", GS_3D_LINEAR_ZEROS),
        ("linear", "reflection", GS_3D_LINEAR_REFLECTION),
        ("nearest", "zeros", GS_3D_NEAREST_ZEROS),
        ("nearest", "reflection", GS_3D_NEAREST_REFLECTION),
    ] {
        for threads in [1, 3] {
            let attrs = [("mode", s(mode)), ("padding_mode", s(pad))];
            let y = run_threads("GridSample", 20, &attrs, vec![Some(x.clone()), Some(g.clone())], threads);
            assert_eq!(shape_of(&y[0]), vec![1, 2, 2, 2, 3]);
            assert_close(&y[0], want, 1e-4);
        }
    }
    // uint8 bilinear: the float result rounded half to even.
    let xu: Vec<u8> = (0..24u32).map(|i| (i * 53 % 256) as u8).collect();
    let xf: Vec<f32> = xu.iter().map(|&v| v as f32).collect();
    let g2 = scaled(pat(&[1, 2, 3, 2], 7), 0.25);
    let yu = OpTest::new("GridSample", 22).input(Tensor::from_vec(vec![1, 2, 3, 4], xu).unwrap()).input(g2.clone()).run().unwrap();
    let yf = OpTest::new("GridSample", 22).input(f32s(&[1, 2, 3, 4], &xf)).input(g2.clone()).run().unwrap();
    let want: Vec<u8> = out_f32(&yf[0]).iter().map(|v| v.round_ties_even().clamp(0.0, 255.0) as u8).collect();
    assert_eq!(yu[0].as_tensor().unwrap().data::<u8>().unwrap(), want.as_slice());
    // Nearest moves strings; outside with zeros padding gives "".
    let strs = Tensor::from_strings(vec![1, 1, 1, 2], vec!["a".into(), "b".into()]).unwrap();
    let g = f32s(&[1, 1, 3, 2], &[-0.5, 0., 0.5, 0., 3., 0.]);
    let y = OpTest::new("GridSample", 20).attr("mode", s("nearest")).input(strs).input(g).run().unwrap();
    assert_eq!(y[0].as_tensor().unwrap().strings().unwrap(), ["a", "b", ""]);
}

#[test]
fn grid_sample_errors() {
    let x = || pat(&[1, 1, 2, 2], 0);
    let g = || f32s(&[1, 1, 1, 2], &[0., 0.]);
    let bad = |opset: i64, mode: &str| OpTest::new("GridSample", opset).attr("mode", s(mode)).input(x()).input(g()).run();
    assert_eq!(code(bad(16, "linear")), ErrorCode::InvalidGraph);
    assert_eq!(code(bad(20, "bilinear")), ErrorCode::InvalidGraph);
    assert_eq!(code(bad(22, "bicubic")), ErrorCode::InvalidGraph);
    let r = OpTest::new("GridSample", 22).attr("padding_mode", s("wrap")).input(x()).input(g()).run();
    assert_eq!(code(r), ErrorCode::InvalidGraph);
    let r = OpTest::new("GridSample", 22).input(x()).input(f32s(&[1, 1, 1, 3], &[0.; 3])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = OpTest::new("GridSample", 16).input(pat(&[1, 1, 2, 2, 2], 0)).input(f32s(&[1, 1, 1, 1, 3], &[0.; 3])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = OpTest::new("GridSample", 22).input(pat(&[1, 1, 0, 2], 0)).input(g()).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn affine_grid_2d_and_3d() {
    let th = scaled(pat(&[2, 2, 3], 2), 0.2);
    for (align, want) in [(0, AG_2D_0), (1, AG_2D_1)] {
        let y = OpTest::new("AffineGrid", 20).attr("align_corners", Attribute::Int(align)).input(th.clone()).input(i64s(&[4], &[2, 1, 3, 4])).run().unwrap();
        assert_eq!(shape_of(&y[0]), vec![2, 3, 4, 2]);
        assert_close(&y[0], want, 1e-5);
    }
    let t3: Vec<f64> = pat(&[1, 3, 4], 3).data::<f32>().unwrap().iter().map(|&v| v as f64 / 5.0).collect();
    let y = OpTest::new("AffineGrid", 20)
        .attr("align_corners", Attribute::Int(1))
        .input(Tensor::from_vec(vec![1, 3, 4], t3).unwrap())
        .input(i64s(&[5], &[1, 1, 2, 2, 3]))
        .run()
        .unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 2, 2, 3, 3]);
    let got = y[0].as_tensor().unwrap().data::<f64>().unwrap();
    for (a, b) in got.iter().zip(AG_3D_1) {
        assert!((a - *b as f64).abs() < 1e-5, "{a} vs {b}");
    }
    let r = OpTest::new("AffineGrid", 20).input(th.clone()).input(i64s(&[4], &[3, 1, 3, 4])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = OpTest::new("AffineGrid", 20).input(th).input(i64s(&[3], &[2, 1, 3])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn col2im_values_attrs_and_errors() {
    let y = OpTest::new("Col2Im", 18).input(pat(&[1, 8, 6], 4)).input(i64s(&[2], &[3, 4])).input(i64s(&[2], &[2, 2])).run().unwrap();
    assert_eq!(shape_of(&y[0]), vec![1, 2, 3, 4]);
    assert_close(&y[0], C2I_BASIC, 1e-5);
    let y = OpTest::new("Col2Im", 18)
        .attr("dilations", Attribute::Ints(vec![1, 2]))
        .attr("pads", Attribute::Ints(vec![1, 0, 0, 1]))
        .attr("strides", Attribute::Ints(vec![2, 1]))
        .input(pat(&[2, 4, C2I_ATTRS_L], 5))
        .input(i64s(&[2], &[5, 5]))
        .input(i64s(&[2], &[2, 2]))
        .run()
        .unwrap();
    assert_eq!(shape_of(&y[0]), vec![2, 1, 5, 5]);
    assert_close(&y[0], C2I_ATTRS, 1e-5);
    let xi: Vec<i32> = (0..128).map(|i| i % 7 - 3).collect();
    let y = OpTest::new("Col2Im", 18)
        .input(Tensor::from_vec(vec![1, 16, 8], xi).unwrap())
        .input(i64s(&[3], &[3, 3, 3]))
        .input(i64s(&[3], &[2, 2, 2]))
        .run()
        .unwrap();
    let got: Vec<i64> = y[0].as_tensor().unwrap().data::<i32>().unwrap().iter().map(|&v| v as i64).collect();
    assert_eq!(got, C2I_3D_I32);
    // Wrong block count, non-multiple channels, attribute length mismatch, bad attribute.
    let run = |x: Tensor, img: &[i64], blk: &[i64]| {
        OpTest::new("Col2Im", 18).input(x).input(i64s(&[img.len()], img)).input(i64s(&[blk.len()], blk)).run()
    };
    assert_eq!(code(run(pat(&[1, 8, 5], 0), &[3, 4], &[2, 2])), ErrorCode::InvalidArgument);
    assert_eq!(code(run(pat(&[1, 7, 6], 0), &[3, 4], &[2, 2])), ErrorCode::InvalidArgument);
    assert_eq!(code(run(pat(&[1, 8, 6], 0), &[3, 4], &[2, 5])), ErrorCode::InvalidArgument);
    let r = OpTest::new("Col2Im", 18).attr("strides", Attribute::Ints(vec![1])).input(pat(&[1, 8, 6], 0)).input(i64s(&[2], &[3, 4])).input(i64s(&[2], &[2, 2])).run();
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = OpTest::new("Col2Im", 18).attr("strides", Attribute::Ints(vec![0, 1])).input(pat(&[1, 8, 6], 0)).input(i64s(&[2], &[3, 4])).input(i64s(&[2], &[2, 2])).run();
    assert_eq!(code(r), ErrorCode::InvalidGraph);
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn decode(bytes: &[u8], format: &str) -> onnxrun_core::Result<Vec<Value>> {
    let x = Tensor::from_vec(vec![bytes.len()], bytes.to_vec()).unwrap();
    OpTest::new("ImageDecoder", 20).attr("pixel_format", s(format)).input(x).run()
}

fn decoded(bytes: &[u8], format: &str) -> (Vec<usize>, Vec<u8>) {
    let y = decode(bytes, format).unwrap();
    let t = y[0].as_tensor().unwrap();
    assert_eq!(t.dtype(), DataType::Uint8);
    (t.shape().to_vec(), t.data::<u8>().unwrap().to_vec())
}

/// (name, encoded hex, pixel_format, H, W, C, expected hex), written and decoded by Pillow.
#[rustfmt::skip]
mod images {
pub const IMAGES: &[(&str, &str, &str, usize, usize, usize, &str)] = &[
    ("png rgb", "89504e470d0a1a0a0000000d4948445200000005000000030802000000d45452af0000003b49444154789c013000cfff008b4ae5f1a94106a0956a26afbccdaf045a181419eb1e50ff31d801a419dec302c2d74c47a3af431f110a0dbd259daa10b314de95503cc00000000049454e44ae426082", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("png rgb", "89504e470d0a1a0a0000000d4948445200000005000000030802000000d45452af0000003b49444154789c013000cfff008b4ae5f1a94106a0956a26afbccdaf045a181419eb1e50ff31d801a419dec302c2d74c47a3af431f110a0dbd259daa10b314de95503cc00000000049454e44ae426082", "BGR", 3, 5, 3, "e54a8b41a9f195a006af266aafcdbcf962e55f940ac693566a27422dabd54539a70e3751d7b29927344cd748fa"),
    ("png rgb", "89504e470d0a1a0a0000000d4948445200000005000000030802000000d45452af0000003b49444154789c013000cfff008b4ae5f1a94106a0956a26afbccdaf045a181419eb1e50ff31d801a419dec302c2d74c47a3af431f110a0dbd259daa10b314de95503cc00000000049454e44ae426082", "Grayscale", 3, 5, 1, "6fb3714ac49a658737a95b3aaf3a8e"),
    ("png palette", "89504e470d0a1a0a0000000d494844520000000500000003020300000026582d6b0000000c504c5445cda496229893a63cac4a3135b97b7c820000001149444154789c6368636012646089790900064701e3899c7ffe0000000049454e44ae426082", "RGB", 3, 5, 3, "a63caccda496229893a63caccda496a63cac2298932298934a3135cda4964a31354a3135cda4964a3135a63cac"),
    ("png palette", "89504e470d0a1a0a0000000d494844520000000500000003020300000026582d6b0000000c504c5445cda496229893a63cac4a3135b97b7c820000001149444154789c6368636012646089790900064701e3899c7ffe0000000049454e44ae426082", "Grayscale", 3, 5, 1, "68af7468af68747439af3939af3968"),
    ("png rgba", "89504e470d0a1a0a0000000d4948445200000004000000030806000000b4f4aec60000003e49444154789c013300ccff0070aca1e926115901dd06f27f8f063cd2005e19a621f9bd0ccc21397c1ec795ca770148dc03d132ac907c0bcae00a1d94d3f02ab416a2320059b80000000049454e44ae426082", "RGB", 3, 4, 3, "70aca1261159dd06f28f063c5e19a6f9bd0c21397cc795ca48dc037a8893855273a2e646"),
    ("png rgba", "89504e470d0a1a0a0000000d4948445200000004000000030806000000b4f4aec60000003e49444154789c013300ccff0070aca1e926115901dd06f27f8f063cd2005e19a621f9bd0ccc21397c1ec795ca770148dc03d132ac907c0bcae00a1d94d3f02ab416a2320059b80000000049454e44ae426082", "Grayscale", 3, 4, 1, "991f61353ebb39aa978565bf"),
    ("png gray", "89504e470d0a1a0a0000000d49484452000000030000000408000000006e46dadb0000001849444154789c63fce0f791e5c44366467ba64086a37d7f01382806c4fa104d090000000049454e44ae426082", "RGB", 4, 3, 3, "f0f0f03e3e3e2f2f2fb8b8b81f1f1f2222223f3f3f414141929292c5c5c58e8e8efdfdfd"),
    ("png gray", "89504e470d0a1a0a0000000d49484452000000030000000408000000006e46dadb0000001849444154789c63fce0f791e5c44366467ba64086a37d7f01382806c4fa104d090000000049454e44ae426082", "Grayscale", 4, 3, 1, "f03e2fb81f223f4192c58efd"),
    ("png 1-bit", "89504e470d0a1a0a0000000d494844520000000a0000000301000000008246a3d80000001149444154789c63b03fc0b8f43603ef01000ec6034e3be8910a0000000049454e44ae426082", "Grayscale", 3, 10, 1, "0000ffffffffffffffffff00ff0000ff00ffff0000000000ffff00ffffff"),
    ("png 16-bit", "89504e470d0a1a0a0000000d4948445200000003000000021000000000e88fe5850000001649444154789c635c2872feb5f03c46172d6bce47af01270e05a2711e4c780000000049454e44ae426082", "Grayscale", 2, 3, 1, "a17083447f61"),
    ("bmp 24-bit", "424d660000000000000036000000280000000500000003000000010018000000000030000000c40e0000c40e000000000000000000004539a70e3751d7b29927344cd748fa00f962e55f940ac693566a27422dabd500e54a8b41a9f195a006af266aafcdbc00", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("bmp 24-bit", "424d660000000000000036000000280000000500000003000000010018000000000030000000c40e0000c40e000000000000000000004539a70e3751d7b29927344cd748fa00f962e55f940ac693566a27422dabd500e54a8b41a9f195a006af266aafcdbc00", "Grayscale", 3, 5, 1, "6fb3714ac49a658737a95b3aaf3a8e"),
    ("bmp 8-bit palette", "424d5e0000000000000046000000280000000500000003000000010008000000000018000000c40e0000c40e0000040000000400000096a4cd0093982200ac3ca60035314a00030300030200000002010103000000000200010200000000", "RGB", 3, 5, 3, "a63caccda496229893a63caccda496a63cac2298932298934a3135cda4964a31354a3135cda4964a3135a63cac"),
    ("bmp 1-bit", "424d4a000000000000003e000000280000000a0000000300000001000100000000000c000000c40e0000c40e0000020000000200000000000000ffffff000dc00000a58000003fc00000", "Grayscale", 3, 10, 1, "0000ffffffffffffffffff00ff0000ff00ffff0000000000ffff00ffffff"),
    ("bmp gray", "424d460400000000000036040000280000000300000004000000010008000000000010000000c40e0000c40e00000001000000010000000000000101010002020200030303000404040005050500060606000707070008080800090909000a0a0a000b0b0b000c0c0c000d0d0d000e0e0e000f0f0f00101010001111110012121200131313001414140015151500161616001717170018181800191919001a1a1a001b1b1b001c1c1c001d1d1d001e1e1e001f1f1f00202020002121210022222200232323002424240025252500262626002727270028282800292929002a2a2a002b2b2b002c2c2c002d2d2d002e2e2e002f2f2f00303030003131310032323200333333003434340035353500363636003737370038383800393939003a3a3a003b3b3b003c3c3c003d3d3d003e3e3e003f3f3f00404040004141410042424200434343004444440045454500464646004747470048484800494949004a4a4a004b4b4b004c4c4c004d4d4d004e4e4e004f4f4f00505050005151510052525200535353005454540055555500565656005757570058585800595959005a5a5a005b5b5b005c5c5c005d5d5d005e5e5e005f5f5f00606060006161610062626200636363006464640065656500666666006767670068686800696969006a6a6a006b6b6b006c6c6c006d6d6d006e6e6e006f6f6f00707070007171710072727200737373007474740075757500767676007777770078787800797979007a7a7a007b7b7b007c7c7c007d7d7d007e7e7e007f7f7f00808080008181810082828200838383008484840085858500868686008787870088888800898989008a8a8a008b8b8b008c8c8c008d8d8d008e8e8e008f8f8f00909090009191910092929200939393009494940095959500969696009797970098989800999999009a9a9a009b9b9b009c9c9c009d9d9d009e9e9e009f9f9f00a0a0a000a1a1a100a2a2a200a3a3a300a4a4a400a5a5a500a6a6a600a7a7a700a8a8a800a9a9a900aaaaaa00ababab00acacac00adadad00aeaeae00afafaf00b0b0b000b1b1b100b2b2b200b3b3b300b4b4b400b5b5b500b6b6b600b7b7b700b8b8b800b9b9b900bababa00bbbbbb00bcbcbc00bdbdbd00bebebe00bfbfbf00c0c0c000c1c1c100c2c2c200c3c3c300c4c4c400c5c5c500c6c6c600c7c7c700c8c8c800c9c9c900cacaca00cbcbcb00cccccc00cdcdcd00cecece00cfcfcf00d0d0d000d1d1d100d2d2d200d3d3d300d4d4d400d5d5d500d6d6d600d7d7d700d8d8d800d9d9d900dadada00dbdbdb00dcdcdc00dddddd00dedede00dfdfdf00e0e0e000e1e1e100e2e2e200e3e3e300e4e4e400e5e5e500e6e6e600e7e7e700e8e8e800e9e9e900eaeaea00ebebeb00ececec00ededed00eeeeee00efefef00f0f0f000f1f1f100f2f2f200f3f3f300f4f4f400f5f5f500f6f6f600f7f7f700f8f8f800f9f9f900fafafa00fbfbfb00fcfcfc00fdfdfd00fefefe00ffffff00c58efd003f419200b81f2200f03e2f00", "Grayscale", 4, 3, 1, "f03e2fb81f223f4192c58efd"),
    ("bmp 32-bit", "424d660000000000000036000000280000000400000003000000010020000000000030000000c40e0000c40e0000000000000000000003dc48d193887a4d7352855746e6a247a6195e210cbdf9cc7c39211eca95c777a1ac70e959112601f206dd7f3c068fd2", "RGB", 3, 4, 3, "70aca1261159dd06f28f063c5e19a6f9bd0c21397cc795ca48dc037a8893855273a2e646"),
    ("bmp top-down", "424d6600000000000000360000002800000005000000fdffffff010018000000000030000000130b0000130b00000000000000000000e54a8b41a9f195a006af266aafcdbc00f962e55f940ac693566a27422dabd5004539a70e3751d7b29927344cd748fa00", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("bmp rle8", "424d520000000000000042000000280000000600000002000000010008000100000010000000130b0000130b000003000000000000000000ff0000ff0000ff00000003010003020001000000020204000001", "RGB", 2, 6, 3, "0000ff0000ffff0000ff0000ff0000ff000000ff0000ff0000ff000000ffff000000ff00"),
    ("bmp 565", "424d520000000000000042000000280000000300000002000000010010000300000010000000130b0000130b0000000000000000000000f80000e00700001f00000045fee9ee040300004f235d3f83bc0000", "RGB", 2, 3, 3, "20697b39eaeebd9118ffca29eede4a006120"),
    ("ppm", "50360a3520330a3235350a8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("ppm", "50360a3520330a3235350a8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7", "BGR", 3, 5, 3, "e54a8b41a9f195a006af266aafcdbcf962e55f940ac693566a27422dabd54539a70e3751d7b29927344cd748fa"),
    ("pgm", "50350a3320340a3235350af03e2fb81f223f4192c58efd", "Grayscale", 4, 3, 1, "f03e2fb81f223f4192c58efd"),
    ("pgm", "50350a3320340a3235350af03e2fb81f223f4192c58efd", "RGB", 4, 3, 3, "f0f0f03e3e3e2f2f2fb8b8b81f1f1f2222223f3f3f414141929292c5c5c58e8e8efdfdfd"),
    ("pbm", "50340a313020330ac0005a40f200", "Grayscale", 3, 10, 1, "0000ffffffffffffffffff00ff0000ff00ffff0000000000ffff00ffffff"),
    ("plain pgm", "50320a2320636f6d6d656e740a3320320a31350a3020352031300a3135203120370a", "Grayscale", 2, 3, 1, "0055aaff1177"),
    ("plain ppm", "50332032203120323535203130203230203330203230302031303020300a", "RGB", 1, 2, 3, "0a141ec86400"),
    ("plain pbm", "50310a3420320a303130310a312031203020300a", "Grayscale", 2, 4, 1, "ff00ff000000ffff"),
    ("tiff rgb", "49492a00080000000a0000010400010000000500000001010400010000000300000002010300030000008600000003010300010000000100000006010300010000000200000011010400010000008c00000015010300010000000300000016010400010000000300000017010400010000002d0000001c0103000100000001000000000000000800080008008b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("tiff rgb", "49492a00080000000a0000010400010000000500000001010400010000000300000002010300030000008600000003010300010000000100000006010300010000000200000011010400010000008c00000015010300010000000300000016010400010000000300000017010400010000002d0000001c0103000100000001000000000000000800080008008b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7", "Grayscale", 3, 5, 1, "6fb3714ac49a658737a95b3aaf3a8e"),
    ("tiff gray lzw", "49492a0018000000803c07c2f5c07c443f20a498a8e7ec0409000001030001000000030000000101030001000000040000000201030001000000080000000301030001000000050000000601030001000000010000001101040001000000080000001601030001000000040000001701040001000000100000001c010300010000000100000000000000", "Grayscale", 4, 3, 1, "f03e2fb81f223f4192c58efd"),
    ("tiff rgb deflate", "49492a0040000000789c012d00d2ff8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7173b16510a000001030001000000050000000101030001000000030000000201030003000000be0000000301030001000000080000000601030001000000020000001101040001000000080000001501030001000000030000001601030001000000030000001701040001000000380000001c010300010000000100000000000000080008000800", "BGR", 3, 5, 3, "e54a8b41a9f195a006af266aafcdbcf962e55f940ac693566a27422dabd54539a70e3751d7b29927344cd748fa"),
    ("tiff rgba packbits", "49492a003c0000000f70aca1e926115901dd06f27f8f063cd20f5e19a621f9bd0ccc21397c1ec795ca770f48dc03d17a88934d85527357a2e64647000b000001030001000000040000000101030001000000030000000201030004000000c60000000301030001000000058000000601030001000000020000001101040001000000080000001501030001000000040000001601030001000000030000001701040001000000330000001c0103000100000001000000520103000100000002000000000000000800080008000800", "RGB", 3, 4, 3, "70aca1261159dd06f28f063c5e19a6f9bd0c21397cc795ca48dc037a8893855273a2e646"),
    ("tiff 1-bit", "49492a0008000000080000010400010000000a00000001010400010000000300000003010300010000000100000006010300010000000100000011010400010000006e0000001601040001000000030000001701040001000000060000001c0103000100000001000000000000003fc0a5800dc0", "Grayscale", 3, 10, 1, "0000ffffffffffffffffff00ff0000ff00ffff0000000000ffff00ffffff"),
    ("tiff cmyk", "49492a00080000000a0000010400010000000300000001010400010000000200000002010300040000008600000003010300010000000100000006010300010000000500000011010400010000008e0000001501030001000000040000001601040001000000020000001701040001000000180000001c0103000100000001000000000000000800080008000800a79be118544441317c9311f85e0429b19f7ec0e156f65a33", "RGB", 2, 3, 3, "505b1b8a9799040307314d410b0f07870784"),
    ("webp lossless", "5249464680000000574542505650384c740000002f0480000077a02892a4a6ea3c44a21dcc60057398c82ff852d85013c956f3094eb20f3a8422050168c8a1ce8d92da56a40ca8c5e2c8c1a13c05402f338a10f31fe965334473677bf53e3bcb7cedf244d100cb4ab5dfa5014b83784a205014db06f5b61f2a596ba083762a4819d1fff8e54d5603", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("webp lossless", "5249464680000000574542505650384c740000002f0480000077a02892a4a6ea3c44a21dcc60057398c82ff852d85013c956f3094eb20f3a8422050168c8a1ce8d92da56a40ca8c5e2c8c1a13c05402f338a10f31fe965334473677bf53e3bcb7cedf244d100cb4ab5dfa5014b83784a205014db06f5b61f2a596ba083762a4819d1fff8e54d5603", "Grayscale", 3, 5, 1, "6fb3714ac49a658737a95b3aaf3a8e"),
    ("webp lossless rgba", "5249464682000000574542505650384c760000002f038000105fa028b60d6af76af8ae04908a163aa9622996910048120ba8fc21bad12dee30d96d9ad544921445f7df2180080308401666c930f1a78a62dba07cf7e228210e5b45b4d3c1ce4ca057af72507c0d377c6ad654cb2be79fa6179c6bfc61ee642f100490688491c422cbcdb06944ff63f206", "RGB", 3, 4, 3, "70aca1261159dd06f28f063c5e19a6f9bd0c21397cc795ca48dc037a8893855273a2e646"),
    ("webp lossy", "524946461c010000574542505650382010010000b005009d012a1000100001402625b00274388039eabd803f647f667d9e4a541fedfc816a09fc5bf9efface000fd3b27e83f4c046a00000cc26f967367d2d17948b8e9e8d723bf06323aeb0bf6979b17d9b79fd7a7164878cc676ba2e7e1b729ff6f913c9ec3fccd371cad3853c5fbe5e2e781f72c0c72d5a8e4357f2dafeee120649f15b7d8dac978fa9b429ae8c77dfe2e3a4c067d36843091c6d368d2e2d7916f3056d36a6927fdd6af8a16cdc987907fcd0b7ec11c441069d91f5d58e4ee10be79e1f5f4bf855664a0fa7f22c97b925ceb9cc6e9cdd9ced49527f46787eb19d98b75653709c8c7ffafb3feb6cacf55b094d67bd0cbd3260dac05089a77699fff5a9998c79ed97b9e8e6fd74160000", "RGB", 16, 16, 3, "55c5c158aeb352738727324e8a9cb82a54583388572987557bc7c4a7d7e93d4651818e87447d6177c1af77b5d04981b26dbbaa4380726e8b83939f9dbec8d049635d5a966980c599a5dfd93f6370c2cfd4343e364a695189b2a2456b7e6285aba7ae828c976696a96a9cab6f57512fcac4a69aa37c8d9e7d8c9e936072726f827d9fa89e5745342710037c70766e69782c2f02949a68677336949e61726f45584d318d7c6bdecac3d3bec1676264395149556661735a5ed1a9b0765c5e5d4b4c03452f5f8d7eaab6b2676a678fa19455625b7e6c7d885f7d96607b7353624b605e89aab1565b83403761716b74403c3678b3b46896963d4f4f677a7375a8944a776f86879ed1aed3af6c8c9065712b493490bdb5a19ecfa38ec74b4154aaa5a76b61773c413fc0e1af77b77292eeb479cfab6b979197929f834c5cb18c8285b879507f4d794965c87bb39f799c67536cc58cad815d69949f8472a3735fad7c81d4ad4282742e494d58394f654e519acd9e91ba919459717b2456582a4c674c67954164a05987c490d4765e930c15198aaf9e5f9e978ec2d1535b8b37386c4d6f88849cb075557d8450786946595a4046ad6270a15178822d839b58a5ae98a06a7a6764988d659ba46f84ab4451815a7199565b83734d814b14448c5b7ea27791f2cead6e372a711630d284979b8c6b5f7447a3c6af67867b808d848c948c4454516155678b3d75cb66b39b479a7b2d82a9aa71b79b77aa545ca4555dcdbfa2bad0a985a18e77857eb9a7a4b2a09f394445b2afc0723565731f648e459788439a2d4d10bfbd9eb5718c984f7aaa9aab869a9c8fb0b3adb1c6a85f9aeaa3ead2deff87acd230384e8e869b857795dbcaeb749261b0b1a1501345b376bb3b375fa9c3da849eb19c97b4a3579179337521285fa9ccf226374b939ba2d0d9daa9b3b0504e35e0cad2793d86d4a7facbe2ff789fb85b6382594d61614e45e5d6c67e7e7e625a6c7f5e8291718e403a37dbe3d04f3a2f431f349b5db2f8d2ff8eb2df7babc62f2d52c1b3c1d3d9b076824a736e548b6f76723663be87b0e2d5d0ced4b9"),
    ("jp2 rgb", "0000000c6a5020200d0a870a00000014667479706a703220000000006a7032200000002d6a703268000000166968647200000003000000050003070700000000000f636f6c7201000000000010000000e76a703263ff4fff51002f000000000005000000030000000000000000000000050000000300000000000000000003070101070101070101ff52000c00000001000104040001ff5c00074040484850ff640025000143726561746564206279204f70656e4a5045472076657273696f6e20322e352e34ff90000a00000000006c0001ff93cfb42002f114974c421a3fcfb41c0c1fb94daa5d2ecfb41c01183d6df1fcc1cfc01a1f501c7e00600c0aac72db9f0bfe2706513fcfc0161f50240f9c100e1ec398ef0307a37f02b5cfc01a3ed0487da0600c0f576d7b9f02b6e6600b8317ffd9", "RGB", 3, 5, 3, "8b4ae5f1a94106a0956a26afbccdafe562f90a945f5693c642276ad5ab2da7394551370e99b2d74c3427fa48d7"),
    ("j2k gray", "ff4fff510029000000000003000000040000000000000000000000030000000400000000000000000001070101ff52000c00000001000104040001ff5c00074040484850ff640025000143726561746564206279204f70656e4a5045472076657273696f6e20322e352e34ff90000a00000000002c0001ff93df80300e1f02969a6fc7da071f68341f50180625570a4cd605687f0be177ffd9", "Grayscale", 4, 3, 1, "f03e2fb81f223f4192c58efd"),
];
pub const JPEGS: &[(&str, &str, &str, usize, usize, usize, &str)] = &[
    ("jpeg 420", "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc00011080010001003012200021101031101ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00f23f08fc12fb9fe8ff00a57b5f847e097dcff47fd2be92f0a7c1755d9fb8fd2bd73c3df0ae0b5552f1818ec057e935b194687c523e0a3094dda28fffd9", "RGB", 16, 16, 3, "00295c022d600932660e376b133c701841751f477b234b7f2951852d5589325990385f963c639a41689f476ea54b72a90b34680f396b153e721a44761e477b244d812a52862e568a345c903860943e669a436b9f486fa64d75a95279b0577fb31941741d4576234b7e2850812c5487325a8d395e923d629641699c456da04b73a65078ab547cb05a82b55f87bb638bbe264c7d285081305687335b8c3860913d6596456a9e496ea24c74a75179ac567eb15b83b66088bb658dc06b93c66f97ca335787365c8b3d6191416796466c9d4b71a25177a8557bac5880b15c84b5628abb678fc06c94c77199cc779fd27ba3d63f6395436799486c9e4e72a45177a8567cad5c82b35e86b7648cbd6890c16e96c7739bcc779fd27da5d882aadd86aee14c70a45074a85479ad5a7fb35e83b76388bc678fc26b93c67199cc749ed079a3d57fa9db83addf88b2e48eb8ea92bcee577ab25a7fb66085bc658abf6a8fc46d95c8739bce76a0d27ba5d77fa9db85afe18ab4e68fb9eb94beee9ac4f49ec8f86387c1658cc56a91ca6f96cd749bd278a1d57ea7db81acdf86b2e38ab6e791bdec96c2f19bc5f5a0cbf8a6cffdaad3ff6c93ce7097d0769dd67aa3d97ea7dd83ace088b4e58cb8e993bfee97c3f09ec9f6a2cdf8a6d0faaad4feb2d9ffb6ddff78a1d97ca5dd82abe387b0e68bb4e88fbbec95c1f099c6f0a1ccf6a4d0f7aad4faaed9fcb3dbfeb9dfffc1e5ffc5e9ff84ade388b1e58eb7eb92bcee97c1f19bc6f1a1ccf6a5d1f6abd6f9aed9f9b5defcbbe2ffc2e7ffc8ecffcef0ffd1f3ff91b9ea95bdee9ac3f19fc8f4a3cdf5a8d2f8add8fab1ddfab8e2fbbce5fbc4eaffcbeeffd2f3ffd7f7ffdcf9ffdefcff9ec4f1a0caf4a5cff7aad4faaed9fbb4ddfbbae4fdbee7fdc4edffcbf0ffd0f4ffd8f9ffddfcffe1fdffe5feffe5ffffabd1f8add4fbb3dbffb7e0ffbbe4ffc0e8ffc6efffcbf2ffd2f8ffd5faffdbfdffe1ffffe6fffde8fffdebfffcecfffab5dbffb9dfffbde5ffc1eaffc6eeffcaf3ffd2f9ffd5fdffdaffffddffffe2ffffe6ffffebfffeeefffbf1fffcf2fffb"),
    ("jpeg 420", "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc00011080010001003012200021101031101ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00f23f08fc12fb9fe8ff00a57b5f847e097dcff47fd2be92f0a7c1755d9fb8fd2bd73c3df0ae0b5552f1818ec057e935b194687c523e0a3094dda28fffd9", "Grayscale", 16, 16, 1, "23262c31363b41454b4f545a5e63696d2e32383d41474c50565a60656a6f74793b3f454a4e54595d63676d72767c8185464a50555a5f65696e73787d82878d9152565c61666b71757a7e84898e93999d5e62676d71767c80868a9095999fa4a86b6f747a7e83898d93979ca2a6abb1b5767a80858a8f95999ea2a8adb2b7bdc183878c91969ba1a5aaaeb5babec3c8cc8e92989da1a6acb0b7bbc1c5c8ccd2d59b9fa5aaaeb3b9bdc4c7ccd0d3d7dde1a7abb1b5babec4c8cdd0d5dadfe3e8eab3b7bcc1c5cacfd3d8dbe1e5ebeef1f3bec2c7ccd0d4dadde3e7eaf0f3f5f7f7cacdd3d7dbdfe5e8edf0f3f6f7f8f9f9d4d7dce0e4e8eef1f4f5f6f8f9f9fafb"),
    ("jpeg 444 progressive", "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc20011080010001003011100021101031101ffc4001500010100000000000000000000000000000607ffc4001801000301010000000000000000000000000003060104ffda000c0301000210031000000123553ed4292ad5dc2dffc4001810000301010000000000000000000000000004050102ffda00080101000105025220a44158a2f2b393ffc400191100020301000000000000000000000000000201031011ffda0008010301013f01ce0b5cb1ffc400191101000203000000000000000000000000020003041051ffda0008010201013f01d2b498f2b93fffc400161001010100000000000000000000000000003132ffda0008010100063f02cb288fffc40017100003010000000000000000000000000000011131ffda0008010100013f21c86414a146a8ffda000c030100020003000000105a4fffc40017110101010100000000000000000000000001001031ffda0008010301013f10c13718bfffc4001811000203000000000000000000000000000001103141ffda0008010201013f108b96667fffc40019100002030100000000000000000000000000011141f1d1ffda0008010100013f10c6318e463a14a2923fffd9", "BGR", 16, 16, 3, "5b28005f2c0465320a6a370f6f3c147441197a471f7e4b2384512988552d8d5a3293603897643c9c6941a26f47a6734b67340c6b3810713e1676431b7a471f804d2585522a89562e8f5c3493603899663e9e6b43a37048a8754dad7a52b27f5774411978451d7e4b2383502887542c8d5a32925f3796633b9c6941a06d45a6734bab7850af7c54b5825aba875fbe8b637f4c2483502889562e8e5b3393603898653d9e6b43a26f47a7744cac7951b17e56b6835bbb8860c08d65c6936bca976f8b58308f5c3495623a9a673f9f6c44a47149aa774fae7b53b38058b7845cbd8a62c28f67c7946ccc9971d29f77d6a37b97643c9b6840a06d45a6734baa774faf7c54b5825ab9865ebf8c64c39068c9966ece9b73d29f77d8a57dddaa82e1ae86a47149a8754dad7a52b38058b7845cbc8961c28f67c6936bcc9971d09d75d5a27adba880dfac84e4b189eab78feebb93af7c54b38058b9865ebe8b63c39068c8956dce9b73d29f77d7a47cdba880e1ae86e6b38bebb890f0bd95f6c39bfac79fbd8961c18d65c6926acb976fd09c74d5a179dba77fdfab83e3b187e8b48befbb92f4c097f8c49bfacaa0fdd0a5ffd4a9c7946ccb9870d19e76d6a37bdaa77fdfac84e5b28ae9b68ef0bc97f4c09bfac6a1fccba5fdcea8fed3acffd9b2ffdeb6d4a278d8a57ddeab83e3b088e5b48ceab991f0bf97f4c39bfbcaa4fecda7ffd2acffd7b0ffdab4ffe0b9ffe7bfffebc3e1ad84e5b188eab88eeebb93f1c098f5c49cf9cba2fdcfa6ffd4adffd7b0ffddb5ffe2bbffe8c0ffeec5fff4cafff7cfefb990f1bd94f5c29af8c79ffacca3fdd0aaffd6afffdab3ffe1b6ffe5b9ffebc1fff0c7fff6cefffad3fefed6ffffd9f7c49cfbc8a0fccea5fed3acfed7b0fddcb5ffe2bbffe5beffeec3fff2c8fff6cefffad5fffddafeffdffeffe2fcffe3fdd0aaffd4adffdbb3fedfb8fde3befbe8c2feeec9fff2ccfef9d2fefbd5fefddbffffe1fdffe7feffebfeffeffefef0ffdbb4ffdfb9ffe5beffeac4feefc8fcf3cdfdfbd3fefdd7feffddfdffe0fdffe4feffebfefff1fffff6fffffafffffc"),
    ("jpeg gray", "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffc0000b080010001001011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00f23f08fc12fb9fe8ff00a57b5f847e097dcff47fd2be92f0a7c1755d9fb8fd2bd73c3df0ae0b5552f1818ec057ffd9", "Grayscale", 16, 16, 1, "22262c31363b41454b4f545a5e63696d2e32383d41474c50565a60656a6f74793b3f454a4e54595d63676d72767c8185464a50555a5f65696e73787d82878d9152565c61666b71757a7e84898e93999d5e62676d71767c80868a9095999fa4a86b6f747a7e83898d93979ca2a6abb1b5767a80858a8f95999ea2a8adb2b7bdc183878c91969ba1a5aaaeb5babec3c8cc8e92989da1a6acb0b7bbc1c5c8ccd2d69b9fa5aaaeb3b9bdc4c7ccd0d3d8dee2a7abb1b5babec4c8cdd0d5dadfe4e9ecb3b7bcc1c5cacfd3d8dbe1e6ebeff2f4bec2c7ccd0d4dadde3e7ebf0f3f5f7f7cacdd3d7dbdfe5e8eef0f3f6f8f9fafad4d8dde1e5e9eff2f5f6f8fafcfdfeff"),
    ("jpeg gray", "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffc0000b080010001001011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00f23f08fc12fb9fe8ff00a57b5f847e097dcff47fd2be92f0a7c1755d9fb8fd2bd73c3df0ae0b5552f1818ec057ffd9", "RGB", 16, 16, 3, "2222222626262c2c2c3131313636363b3b3b4141414545454b4b4b4f4f4f5454545a5a5a5e5e5e6363636969696d6d6d2e2e2e3232323838383d3d3d4141414747474c4c4c5050505656565a5a5a6060606565656a6a6a6f6f6f7474747979793b3b3b3f3f3f4545454a4a4a4e4e4e5454545959595d5d5d6363636767676d6d6d7272727676767c7c7c8181818585854646464a4a4a5050505555555a5a5a5f5f5f6565656969696e6e6e7373737878787d7d7d8282828787878d8d8d9191915252525656565c5c5c6161616666666b6b6b7171717575757a7a7a7e7e7e8484848989898e8e8e9393939999999d9d9d5e5e5e6262626767676d6d6d7171717676767c7c7c8080808686868a8a8a9090909595959999999f9f9fa4a4a4a8a8a86b6b6b6f6f6f7474747a7a7a7e7e7e8383838989898d8d8d9393939797979c9c9ca2a2a2a6a6a6abababb1b1b1b5b5b57676767a7a7a8080808585858a8a8a8f8f8f9595959999999e9e9ea2a2a2a8a8a8adadadb2b2b2b7b7b7bdbdbdc1c1c18383838787878c8c8c9191919696969b9b9ba1a1a1a5a5a5aaaaaaaeaeaeb5b5b5babababebebec3c3c3c8c8c8cccccc8e8e8e9292929898989d9d9da1a1a1a6a6a6acacacb0b0b0b7b7b7bbbbbbc1c1c1c5c5c5c8c8c8ccccccd2d2d2d6d6d69b9b9b9f9f9fa5a5a5aaaaaaaeaeaeb3b3b3b9b9b9bdbdbdc4c4c4c7c7c7ccccccd0d0d0d3d3d3d8d8d8dededee2e2e2a7a7a7abababb1b1b1b5b5b5babababebebec4c4c4c8c8c8cdcdcdd0d0d0d5d5d5dadadadfdfdfe4e4e4e9e9e9ecececb3b3b3b7b7b7bcbcbcc1c1c1c5c5c5cacacacfcfcfd3d3d3d8d8d8dbdbdbe1e1e1e6e6e6ebebebefefeff2f2f2f4f4f4bebebec2c2c2c7c7c7ccccccd0d0d0d4d4d4dadadadddddde3e3e3e7e7e7ebebebf0f0f0f3f3f3f5f5f5f7f7f7f7f7f7cacacacdcdcdd3d3d3d7d7d7dbdbdbdfdfdfe5e5e5e8e8e8eeeeeef0f0f0f3f3f3f6f6f6f8f8f8f9f9f9fafafafafafad4d4d4d8d8d8dddddde1e1e1e5e5e5e9e9e9efefeff2f2f2f5f5f5f6f6f6f8f8f8fafafafcfcfcfdfdfdfefefeffffff"),
    ("jpeg cmyk", "ffd8ffee000e41646f626500640000000000ffdb0043000201010101010201010102020202020403020202020504040304060506060605060606070908060709070606080b08090a0a0a0a0a06080b0c0b0a0c090a0a0affc000140800100010044311004d11005911004b1100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda000e0443004d0059004b00003f00fcedf849fb127faaff008947a7f05786fc24fd893fd57fc4a3d3f82bd5be127ec49feabfe251e9fc15fbf95f507c24fd893fd57fc4a3d3f82bea0f849fb127faaff8947a7f057d41f093f624ff0055ff00128f4fe0a2bee0f849fb127faaff008947a7f057dc1f093f624ff55ff128f4fe0afaff00c11fb397853c331235d408eca3eeaaff005a2bea0f849fb127faaff8947a7f057d1bf0ff00f655f0f787e2493518635200f942e4d77da7691a6e95108b4fb38e2007f0af3457ffd9", "RGB", 16, 16, 3, "00285a052d5f0a32640f3769143c6e1941731e4678234b7d2850822d5587325a8c375f913c649641699b466ea04b73a50c346611396b163e701a427420487a244c7e2951832f5789345c8e3961933e6698426a9c4870a24c74a65179ab577fb11840721d4577224a7c274f812d558731598b365e903b639540689a456d9f4a72a44f77a9557daf5981b35e86b8638bbd244c7e2951832e5688335b8d3860923d6597426a9c476fa14c74a65179ab567eb05b83b56088ba658dbf6a92c46f97c930588a355d8f3a62943f6799446c9e4971a34e76a8537bad5880b25d85b7628abc678fc16c94c67199cb769ed07ba3d53c649641699b466ea04a72a45078aa557daf5a82b45f87b9648cbe6991c36e96c8729acc78a0d27da5d782aadc87afe14870a24e76a8537bad577fb15d85b76189bb668ec06b93c57098ca769ed07ba3d57fa7d985addf89b1e38eb6e893bbed547cae5981b35e86b8638bbd6890c26d95c7729acc779fd17ca4d681a9db86aee08bb3e590b8ea95bdef9ac2f49fc7f96088ba658dbf6a92c56f97c9749ccd79a1d37ea6d983abdd88b1e28db6e692baec97bef29cc4f7a1c9fba6cefeabd3ff6c94c47199ca769ed17aa2d680a8da84acdf89b1e48fb7e794bbef99c1f39ec6f8a2cafca8d1feacd6ffb1dbffb7dfff78a0d27da5d782aadd87afe18db5e691b9ec96bef29bc3f6a0c9fba5cefdaad3ffafd7ffb5ddffb9e2ffbee7ffc3ebfe84acde89b1e28eb6e893bbec98c0f19dc5f6a2cafca7cfffacd4feb1d9ffb6deffbbe2ffc0e8fec5edfecaf2fecff6fe90b8ea95bdef9ac2f59fc7faa4ccfda9d1ffaed6ffb3dbffb8dfffbde5ffc2eaffc7effeccf5fed1faffd6fdffdbffff9cc4f7a1c9faa6cefeaad2ffb0d8ffb5ddffbae2ffbfe7fec4ecfec9f2ffcef7ffd2fbffd8ffffddffffe2ffffe7ffffa8d0ffaed6ffb3dbffb7dffebde5fec1e9ffc6eeffcbf3ffd0f8fed6fcffdbfeffdfffffe5ffffe9ffffeefefff3fefeb4dcffb9e1ffbee6ffc3ebffc8f0ffcdf5ffd2faffd7ffffdcffffe1ffffe6ffffebfffef0fffef5fffffafeffffffff"),
];
}
use images::*;

#[test]
fn image_decoder_matches_pillow() {
    for &(name, enc, format, h, w, c, want) in IMAGES {
        let (shape, got) = decoded(&hex(enc), format);
        assert_eq!(shape, vec![h, w, c], "{name} {format}");
        assert_eq!(got, hex(want), "{name} {format}");
    }
}

#[test]
fn image_decoder_jpeg_is_within_idct_rounding_of_pillow() {
    // Pillow decodes with libjpeg-turbo; jpeg-decoder's IDCT and chroma upsampling round
    // differently, so samples may differ by a few levels.
    for &(name, enc, format, h, w, c, want) in JPEGS {
        let (shape, got) = decoded(&hex(enc), format);
        assert_eq!(shape, vec![h, w, c], "{name}");
        let want = hex(want);
        let worst = got.iter().zip(&want).map(|(a, b)| (*a as i32 - *b as i32).abs()).max().unwrap();
        assert!(worst <= 4, "{name}: max difference {worst}");
    }
}

#[test]
fn image_decoder_rejects_bad_bytes() {
    assert_eq!(code(decode(b"not an image at all", "RGB")), ErrorCode::InvalidArgument);
    assert_eq!(code(decode(&[], "RGB")), ErrorCode::InvalidArgument);
    // Truncated streams of every format.
    for &(name, enc, ..) in IMAGES.iter().chain(JPEGS) {
        let b = hex(enc);
        let r = decode(&b[..b.len() / 2], "RGB");
        assert!(r.is_err(), "{name}: a truncated stream decoded");
    }
    // A header promising a huge image.
    let mut bmp = hex(IMAGES[0].1);
    if bmp.starts_with(b"BM") {
        bmp[18..22].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert_eq!(code(decode(&bmp, "RGB")), ErrorCode::InvalidArgument);
    }
    assert_eq!(code(decode(b"P6\n100000 100000\n255\n", "RGB")), ErrorCode::InvalidArgument);
    let x = Tensor::from_vec(vec![2], vec![0u8, 1]).unwrap();
    assert_eq!(code(OpTest::new("ImageDecoder", 20).attr("pixel_format", s("RGBA")).input(x).run()), ErrorCode::InvalidGraph);
    let x = f32s(&[2], &[0., 1.]);
    assert_eq!(code(OpTest::new("ImageDecoder", 20).input(x).run()), ErrorCode::InvalidArgument);
}
