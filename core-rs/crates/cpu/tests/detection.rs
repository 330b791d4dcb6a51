//! RoiAlign, MaxRoiPool and NonMaxSuppression: values from onnxruntime 1.32 (both coordinate modes,
//! avg and max, adaptive and fixed sampling, f16; NMS with both box formats, thresholds,
//! ties and degenerate boxes), optional inputs absent, and bad inputs (errors).

mod math_support;
use math_support::*;
use onnxrun_core::half::f16;
use onnxrun_core::{Attribute, ErrorCode, Value};

fn x80() -> Vec<f32> {
    (0..80).map(|i| (((i * 37) % 101) as f64 / 10.0 - 5.0) as f32).collect()
}

const ROIS: [f32; 12] = [0.5, 0.2, 3.7, 2.9, 1.0, 1.0, 1.2, 1.1, -1.5, 2.0, 6.0, 5.0];
const BATCH: [i64; 3] = [1, 0, 1];

fn roi_attrs(mode: &str, ctm: Option<&str>, oh: i64, ow: i64, sr: i64, scale: f32) -> Vec<(&'static str, Attribute)> {
    let mut a = vec![
        ("output_height", Attribute::Int(oh)),
        ("output_width", Attribute::Int(ow)),
        ("sampling_ratio", Attribute::Int(sr)),
        ("spatial_scale", Attribute::Float(scale)),
        ("mode", Attribute::String(mode.as_bytes().to_vec())),
    ];
    if let Some(c) = ctm {
        a.push(("coordinate_transformation_mode", Attribute::String(c.as_bytes().to_vec())));
    }
    a
}

fn roi_align(opset: i64, attrs: Vec<(&str, Attribute)>, threads: usize) -> (Vec<usize>, Vec<f32>) {
    let out = run_node("RoiAlign", opset, attrs, vec![t(&[2, 2, 4, 5], x80()), t(&[3, 4], ROIS.to_vec()), t(&[3], BATCH.to_vec())], 1, threads).unwrap();
    f32_out(&out[0])
}

#[test]
fn roialign_half_pixel_avg_adaptive_sampling() {
    for threads in [1, 3] {
        let (shape, y) = roi_align(16, roi_attrs("avg", Some("half_pixel"), 2, 3, 0, 1.0), threads);
        assert_eq!(shape, [3, 2, 2, 3]);
        let want = [
            -0.4308334290981293, -1.7024999856948853, 0.7291668653488159, 0.6408334970474243, -1.283125400543213, -1.4606246948242188,
            0.8491663932800293, 0.08250026404857635, -0.1791667938232422, -1.2775002717971802, -2.086249589920044, 1.7341670989990234,
            -1.4446667432785034, -1.5515000820159912, -1.6583335399627686, -1.2939996719360352, -1.4344998598098755, -1.5750000476837158,
            -0.6191666126251221, -0.37249988317489624, -0.12583300471305847, -0.7041667103767395, -0.45750004053115845,
            -0.21083316206932068, -1.3805556297302246, -0.4142361879348755, 0.9305556416511536, -1.1152777671813965, 0.5055556297302246,
            0.040277838706970215, 0.6265625357627869, -1.0420138835906982, -0.14843761920928955, -0.015277828089892864,
            0.19166655838489532, 1.1402778625488281,
        ];
        assert_all_close(&y, &want.map(|v| v as f32), 1e-5, 1e-5);
    }
}

#[test]
fn roialign_half_pixel_max() {
    let (_, y) = roi_align(16, roi_attrs("max", Some("half_pixel"), 2, 3, 0, 1.0), 1);
    let want = [
        2.052000045776367, 1.709999918937683, 2.3356666564941406, 1.7640002965927124, 1.4700000286102295, 0.514500081539154,
        3.458583354949951, 1.8351669311523438, 2.7930002212524414, 1.4373334646224976, 0.2654167413711548, 2.4010002613067627,
        0.8329999446868896, 0.7139999270439148, 0.5949998497962952, 0.9123334288597107, 0.7820000648498535, 0.6516665816307068,
        0.5066667199134827, 0.5700000524520874, 0.6333334445953369, 0.45333331823349, 0.5099999904632568, 0.5666666626930237,
        0.13854153454303741, 1.828125, 2.5375001430511475, 0.016666650772094727, 2.9250001907348633, 1.2000000476837158, 1.3125,
        2.0052082538604736, 2.8125, 0.2916663885116577, 3.2083332538604736, 4.5,
    ];
    assert_all_close(&y, &want.map(|v| v as f32), 1e-5, 1e-5);
}

#[test]
fn roialign_opset10_is_output_half_pixel() {
    let (_, y) = roi_align(10, roi_attrs("avg", None, 2, 3, 0, 1.0), 1);
    let want = [
        0.7080413103103638, -1.5704686641693115, 1.2231147289276123, 0.5519269704818726, -1.5877084732055664, -0.42380189895629883,
        -1.6858333349227905, 0.6543021202087402, 1.1280416250228882, -1.8977082967758179, -0.9757810831069946, 1.161302089691162,
        -2.808333396911621, -1.5750000476837158, -0.3416665196418762, -3.6583333015441895, -2.424999952316284, -1.1916664838790894,
        0.4916664958000183, 1.725000023841858, 2.9583332538604736, -0.35833343863487244, 0.875, 2.1083333492279053, -1.259722352027893,
        -0.07951398938894272, 1.0513890981674194, -0.8069445490837097, 0.30833330750465393, 0.3486112058162689, 0.3265624940395355,
        -0.18125002086162567, 1.2348958253860474, 0.2930555045604706, -0.005555590149015188, 1.4486112594604492,
    ];
    assert_all_close(&y, &want.map(|v| v as f32), 1e-5, 1e-5);
    // The same attributes spelled out at opset 16 give the same result.
    let (_, y16) = roi_align(16, roi_attrs("avg", Some("output_half_pixel"), 2, 3, 0, 1.0), 1);
    assert_eq!(y, y16);
}

#[test]
fn roialign_output_half_pixel_max() {
    let (_, y) = roi_align(16, roi_attrs("max", Some("output_half_pixel"), 2, 3, 0, 1.0), 1);
    let want = [
        2.173499584197998, 0.472499817609787, 1.5697499513626099, 1.292791724205017, 1.8281251192092896, 1.115291953086853,
        0.5879999995231628, 1.2127501964569092, 2.976749897003174, 1.5093748569488525, 0.8135420083999634, 1.996875286102295,
        0.08749997615814209, 0.26249998807907104, 0.4375, 0.029166659340262413, 0.08749999850988388, 0.1458333432674408,
        0.49999988079071045, 1.5, 2.5, 0.28749993443489075, 0.8624999523162842, 1.4375, 0.6927082538604736, 2.9250001907348633, 1.8125,
        0.11666665226221085, 2.9250001907348633, 1.2000000476837158, 2.0416665077209473, 2.0416667461395264, 4.5, 2.0416665077209473,
        2.0416667461395264, 4.5,
    ];
    assert_all_close(&y, &want.map(|v| v as f32), 1e-5, 1e-5);
}

#[test]
fn roialign_f16_fixed_sampling_scaled() {
    let x: Vec<f16> = x80().iter().map(|&v| f16::from_f32(v)).collect();
    let rois: Vec<f16> = ROIS.iter().map(|&v| f16::from_f32(v)).collect();
    let out = run_node(
        "RoiAlign",
        16,
        roi_attrs("avg", None, 2, 2, 2, 0.5),
        vec![t(&[2, 2, 4, 5], x), t(&[3, 4], rois), t(&[3], BATCH.to_vec())],
        1,
        1,
    )
    .unwrap();
    let y: Vec<f32> = out[0].as_tensor().unwrap().data::<f16>().unwrap().iter().map(|v| v.to_f32()).collect();
    let want = [
        0.483642578125, -3.384765625, 0.52099609375, 0.1861572265625, 3.689453125, -0.5126953125, 2.73828125, -1.4638671875, -4.8046875,
        -4.62890625, -4.6015625, -4.4375, -1.62890625, -1.443359375, -1.6708984375, -1.486328125, 0.2783203125, -0.34521484375,
        -0.87353515625, -0.90478515625, 2.912109375, -0.9306640625, 1.6376953125, -2.181640625,
    ];
    assert_all_close(&y, &want.map(|v| v as f32), 3e-3, 3e-3);
}

#[test]
fn roialign_bad_inputs() {
    let x = || t(&[2, 2, 4, 5], x80());
    let a = || roi_attrs("avg", None, 2, 2, 0, 1.0);
    let cases: Vec<Vec<Option<Value>>> = vec![
        vec![x(), t(&[1, 4], vec![0f32, 0.0, 1.0, 1.0]), t(&[1], vec![2i64])],
        vec![x(), t(&[1, 4], vec![0f32, 0.0, 1.0, 1.0]), t(&[1], vec![-1i64])],
        vec![x(), t(&[1, 3], vec![0f32, 0.0, 1.0]), t(&[1], vec![0i64])],
        vec![x(), t(&[2, 4], vec![0f32; 8]), t(&[1], vec![0i64])],
        vec![t(&[2, 4, 5], vec![0f32; 40]), t(&[1, 4], vec![0f32; 4]), t(&[1], vec![0i64])],
        vec![x(), t(&[1, 4], vec![0f64; 4]), t(&[1], vec![0i64])],
    ];
    for inputs in cases {
        let e = run_node("RoiAlign", 16, a(), inputs, 1, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        assert!(e.message.contains("RoiAlign"), "{e}");
    }
    for bad in [
        roi_attrs("mean", None, 2, 2, 0, 1.0),
        roi_attrs("avg", Some("align_corners"), 2, 2, 0, 1.0),
        roi_attrs("avg", None, 0, 2, 0, 1.0),
        roi_attrs("avg", None, 2, 2, -1, 1.0),
    ] {
        let e = run_node("RoiAlign", 16, bad, vec![x(), t(&[1, 4], vec![0f32; 4]), t(&[1], vec![0i64])], 1, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    }
}

// ---- MaxRoiPool ----

/// ((i * 37) % 101) / 10 - 5 over a (2, 3, 6, 7) map.
fn x252() -> Vec<f32> {
    (0..252).map(|i| (((i * 37) % 101) as f64 / 10.0 - 5.0) as f32).collect()
}

/// Whole map, fractional corners, a region past every edge, a single pixel, a region
/// wholly outside the map (bins of 0), and one taller than the map.
const MRP_ROIS: [f32; 30] = [
    0., 0., 0., 6., 5., 1., 1.4, 0.6, 4.5, 3.5, 0., -3., -2., 20., 30., 1., 5., 4., 5., 4., 0., 9., 9., 12., 12., 1., 2., 1., 8., 10.,
];

fn max_roi_pool<T: onnxrun_core::Element>(x: Vec<T>, rois: Vec<T>, pooled: [i64; 2], scale: f32, threads: usize) -> onnxrun_core::Result<Vec<Value>> {
    let attrs = vec![("pooled_shape", Attribute::Ints(pooled.to_vec())), ("spatial_scale", Attribute::Float(scale))];
    run_node("MaxRoiPool", 1, attrs, vec![t(&[2, 3, 6, 7], x), t(&[6, 5], rois)], 1, threads)
}

#[test]
fn max_roi_pool_matches_onnxruntime() {
    #[rustfmt::skip]
    let want_1x = [
        4.4, 3.7, 4.7, 5., 5., 4., 4.6, 4.9, 4.9, 4.5, 4.5, 4.2, 4.1, 3.8, 4.8, 4.7, 4.4, 4.4, 1.6, 3.3, 2.6, 2.9, 4.6, 3.9, 3.5,
        3.5, 4.5, 4.8, 4.8, 2.1, 3.7, 4.7, 4.7, 5., 4.3, 1.6, 5., 4.7, 0., 0., 0., 0., 4.9, 4.2, 0., 0., 0., 0., 4.7, 4.8, 0., 0.,
        0., 0., -2.5, -2.5, -2.5, -2.5, -2.5, -2.5, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, -4.8, -4.8, -4.8, -4.8, -4.8, -4.8, 0., 0., 0.,
        0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 4.6, 4.3, 4.3, 0., 0., 0., 4.8, 4.5, 3.8, 0., 0., 0., 4.7, 4.7,
        4.6, 0., 0., 0.,
    ];
    #[rustfmt::skip]
    let want_half = [
        4.4, 2.4, 4.4, 3.7, 2., 3.7, 4.6, 1.9, 4.6, 1.9, 3.9, 3.2, 2.8, 3.8, 4.1, 1.4, 4.1, 1.4, 0.3, 4., -4.1, -0.4, 1.6, -4.8,
        4.2, -2.2, -0.2, 3.5, -4.6, -0.9, -2., 1.7, 3.7, -2.7, -0.7, 3., 5., 4.7, 5., 2.3, 0., 0., 4.9, 4.9, 4.5, 3.5, 0., 0.,
        4.4, 4.8, 4.7, 3.7, 0., 0., -1.1, -1.1, -1.1, -1.1, -1.1, -1.1, 2.8, 2.8, 2.8, 2.8, 2.8, 2.8, -3.4, -3.4, -3.4, -3.4, -3.4,
        -3.4, 1.6, -4.8, 1.6, -4.8, 0., 0., -4.6, -0.9, -4.6, -0.9, 0., 0., -0.7, 3., -0.7, 3., 0., 0., 1.6, 3.3, 2.9, 4.6, 2.9,
        3.9, 3.5, 2.8, 4.8, 4.1, 2.4, 4.1, 3.7, 4.7, 5., 2.3, 4.3, 3.6,
    ];
    for threads in [1, 3] {
        let (shape, y) = f32_out(&max_roi_pool(x252(), MRP_ROIS.to_vec(), [2, 3], 1.0, threads).unwrap()[0]);
        assert_eq!(shape, [6, 3, 2, 3]);
        assert_eq!(y, want_1x);
        let (shape, y) = f32_out(&max_roi_pool(x252(), MRP_ROIS.to_vec(), [3, 2], 0.5, threads).unwrap()[0]);
        assert_eq!(shape, [6, 3, 3, 2]);
        assert_eq!(y, want_half);
    }
    // Max only moves values, so f64 and f16 give the f32 answer in their own type.
    let y = max_roi_pool(x252().iter().map(|&v| v as f64).collect(), MRP_ROIS.iter().map(|&v| v as f64).collect(), [2, 3], 1.0, 1).unwrap();
    let y64 = y[0].as_tensor().unwrap().data::<f64>().unwrap().to_vec();
    assert!(y64.iter().zip(want_1x).all(|(&g, w)| g as f32 == w), "{y64:?}");
    let y = max_roi_pool(x252().iter().map(|&v| f16::from_f32(v)).collect(), MRP_ROIS.iter().map(|&v| f16::from_f32(v)).collect(), [2, 3], 1.0, 1).unwrap();
    let yh = y[0].as_tensor().unwrap().data::<f16>().unwrap().to_vec();
    assert!(yh.iter().zip(want_1x).all(|(&g, w)| g == f16::from_f32(w)), "{yh:?}");
    // A NaN at (0, 0) of image 0, channel 0 makes NaN the first bin of each region that
    // covers it (regions 0 and 2, channel 0), and nothing else.
    let mut x = x252();
    x[0] = f32::NAN;
    let (_, y) = f32_out(&max_roi_pool(x, MRP_ROIS.to_vec(), [2, 3], 1.0, 1).unwrap()[0]);
    for (i, (g, w)) in y.iter().zip(want_1x).enumerate() {
        if i == 0 || i == 36 {
            assert!(g.is_nan(), "element {i}: {g}");
        } else {
            assert_eq!(*g, w, "element {i}");
        }
    }
}

#[test]
fn max_roi_pool_bad_inputs() {
    let x = || t(&[2, 3, 6, 7], x252());
    let attrs = || vec![("pooled_shape", Attribute::Ints(vec![2, 2]))];
    let cases: Vec<Vec<Option<Value>>> = vec![
        vec![x(), t(&[1, 5], vec![2f32, 0., 0., 1., 1.])],
        vec![x(), t(&[1, 5], vec![-1f32, 0., 0., 1., 1.])],
        vec![x(), t(&[1, 5], vec![0.5f32, 0., 0., 1., 1.])],
        vec![x(), t(&[1, 5], vec![0f32, f32::NAN, 0., 1., 1.])],
        vec![x(), t(&[1, 4], vec![0f32, 0., 1., 1.])],
        vec![t(&[3, 6, 7], vec![0f32; 126]), t(&[1, 5], vec![0f32; 5])],
        vec![x(), t(&[1, 5], vec![0f64; 5])],
    ];
    for inputs in cases {
        let e = run_node("MaxRoiPool", 1, attrs(), inputs, 1, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        assert!(e.message.contains("MaxRoiPool"), "{e}");
    }
    for bad in [vec![], vec![("pooled_shape", Attribute::Ints(vec![2]))], vec![("pooled_shape", Attribute::Ints(vec![0, 2]))]] {
        let e = run_node("MaxRoiPool", 1, bad, vec![x(), t(&[1, 5], vec![0f32; 5])], 1, 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGraph, "{e}");
    }
    // Huge coordinates saturate into empty bins instead of overflowing.
    let y = run_node("MaxRoiPool", 1, attrs(), vec![x(), t(&[1, 5], vec![0f32, 1e30, 1e30, 3e38, 3e38])], 1, 1).unwrap();
    assert_eq!(f32_out(&y[0]).1, vec![0f32; 12]);
}

// ---- NonMaxSuppression ----

fn nms(opset: i64, center: i64, inputs: Vec<Option<Value>>) -> onnxrun_core::Result<(Vec<usize>, Vec<i64>)> {
    let out = run_node("NonMaxSuppression", opset, vec![("center_point_box", Attribute::Int(center))], inputs, 1, 1)?;
    let t = out[0].as_tensor().unwrap();
    Ok((t.shape().to_vec(), t.data::<i64>().unwrap().to_vec()))
}

/// Six center-format boxes: 0-2 overlap heavily, 3/4 overlap, 5 has zero width.
fn center_boxes() -> (Option<Value>, Option<Value>) {
    let b = vec![
        0.5f32, 0.5, 1.0, 1.0, 0.6, 0.5, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 3.0, 3.0, 2.0, 2.0, 3.2, 3.1, 2.0, 2.0, 0.0, 0.0, 0.0, 1.0,
    ];
    let s = vec![0.9f32, 0.95, 0.9, 0.5, 0.6, 0.99, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    (t(&[1, 6, 4], b), t(&[1, 2, 6], s))
}

#[test]
fn nms_center_boxes_thresholds_and_degenerate() {
    let (b, s) = center_boxes();
    let got = nms(11, 1, vec![b, s, t(&[1], vec![3i64]), t(&[1], vec![0.3f32]), t(&[1], vec![0.15f32])]).unwrap();
    assert_eq!(got, (vec![6, 3], vec![0, 0, 5, 0, 0, 1, 0, 0, 4, 0, 1, 5, 0, 1, 4, 0, 1, 2]));
    // Scalar max count, IoU and score thresholds absent (0 and none).
    let (b, s) = center_boxes();
    let got = nms(11, 1, vec![b, s, Some(onnxrun_core::Tensor::scalar(10i64).into())]).unwrap();
    assert_eq!(got, (vec![6, 3], vec![0, 0, 5, 0, 0, 1, 0, 0, 4, 0, 1, 5, 0, 1, 4, 0, 1, 2]));
}

#[test]
fn nms_corner_boxes_flipped_two_batches() {
    let b = vec![
        1f32, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.5, 0.0, 1.5, 1.0, 0.0, 0.9, 1.0, 2.0, //
        0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 5.0, 5.0, 6.0, 6.0, 0.0, 0.0, 2.0, 2.0,
    ];
    let s = vec![0.5f32, 0.5, 0.4, 0.3, 0.2, 0.9, 0.8, 0.7];
    let run = |iou: f32| nms(10, 0, vec![t(&[2, 4, 4], b.clone()), t(&[2, 1, 4], s.clone()), t(&[1], vec![4i64]), t(&[1], vec![iou])]).unwrap();
    // Boxes 0 and 1 are the same square with flipped corners; equal scores keep the lower index.
    assert_eq!(run(0.2), (vec![4, 3], vec![0, 0, 0, 0, 0, 3, 1, 0, 1, 1, 0, 2]));
    // IoU exactly 1/3 (box 2 against 0) is not above a 1/3 threshold: kept.
    assert_eq!(run(1.0 / 3.0), (vec![6, 3], vec![0, 0, 0, 0, 0, 2, 0, 0, 3, 1, 0, 1, 1, 0, 2, 1, 0, 3]));
}

#[test]
fn nms_no_max_count_or_no_boxes_gives_empty() {
    let (b, s) = center_boxes();
    assert_eq!(nms(11, 1, vec![b, s]).unwrap(), (vec![0, 3], vec![]));
    let (b, s) = center_boxes();
    assert_eq!(nms(11, 1, vec![b, s, t(&[1], vec![-2i64])]).unwrap(), (vec![0, 3], vec![]));
    let got = nms(11, 0, vec![t(&[1, 0, 4], Vec::<f32>::new()), t(&[1, 3, 0], Vec::<f32>::new()), t(&[1], vec![5i64])]).unwrap();
    assert_eq!(got, (vec![0, 3], vec![]));
}

#[test]
fn nms_bad_inputs() {
    let cases: Vec<Vec<Option<Value>>> = vec![
        // boxes/scores box counts differ
        vec![t(&[1, 3, 4], vec![0f32; 12]), t(&[1, 1, 2], vec![0f32; 2]), t(&[1], vec![1i64])],
        // batch counts differ
        vec![t(&[2, 2, 4], vec![0f32; 16]), t(&[1, 1, 2], vec![0f32; 2]), t(&[1], vec![1i64])],
        // boxes last axis not 4
        vec![t(&[1, 2, 3], vec![0f32; 6]), t(&[1, 1, 2], vec![0f32; 2]), t(&[1], vec![1i64])],
        // scores rank 2
        vec![t(&[1, 2, 4], vec![0f32; 8]), t(&[1, 2], vec![0f32; 2]), t(&[1], vec![1i64])],
        // IoU threshold outside [0, 1]
        vec![t(&[1, 2, 4], vec![0f32; 8]), t(&[1, 1, 2], vec![0f32; 2]), t(&[1], vec![1i64]), t(&[1], vec![1.5f32])],
        // max count not a scalar
        vec![t(&[1, 2, 4], vec![0f32; 8]), t(&[1, 1, 2], vec![0f32; 2]), t(&[2], vec![1i64, 2])],
    ];
    for inputs in cases {
        let e = nms(11, 0, inputs).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        assert!(e.message.contains("NonMaxSuppression"), "{e}");
    }
    let e = run_node("NonMaxSuppression", 11, vec![("center_point_box", Attribute::Int(2))], vec![t(&[1, 1, 4], vec![0f32; 4]), t(&[1, 1, 1], vec![0f32])], 1, 1)
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidGraph);
}
