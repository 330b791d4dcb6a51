//! Times the signal kernels (STFT over 30 s of audio, real and complex DFT; single-threaded, like the OpTest session): `cargo bench -p onnxrun-cpu --bench signal`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{f32s, OpTest};
use onnxrun_core::{Attribute, Tensor, Value};

fn shape(v: &Value) -> Vec<usize> {
    v.as_tensor().unwrap().shape().to_vec()
}

fn main() {
    let time = |name: &str, t: OpTest| {
        let t0 = std::time::Instant::now();
        let out = t.run().unwrap();
        println!("{name}: {:.2} ms, output {:?}", t0.elapsed().as_secs_f64() * 1e3, shape(&out[0]));
    };
    let audio: Vec<f32> = (0..480_000).map(|i| (i as f32 * 0.01).sin()).collect();
    let hann: Vec<f32> = (0..400).map(|k| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / 400.0).cos()) as f32).collect();
    for _ in 0..2 {
        let t = OpTest::new("STFT", 17).input(f32s(&[1, 480_000, 1], &audio)).input(Tensor::scalar(160i64)).input(f32s(&[400], &hann));
        time("STFT 30 s audio, n=400 hop=160", t);
        let x = f32s(&[256, 1024, 1], &audio[..256 * 1024]);
        time("DFT rfft [256,1024,1]", OpTest::new("DFT", 20).attr("onesided", Attribute::Int(1)).input(x));
        let x = f32s(&[64, 1000, 2], &audio[..128_000]);
        time("DFT complex [64,1000,2]", OpTest::new("DFT", 20).input(x));
    }
}
