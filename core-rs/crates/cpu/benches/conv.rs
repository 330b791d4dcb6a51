//! Times Conv and ConvTranspose on common shapes (fastest of BENCH_RUNS runs, default 25, wall and process CPU time, 1 and 2 threads): `cargo bench -p onnxrun-cpu --bench conv [-- NAME_SUBSTRING]`.

use onnxrun_core::{Attribute, Graph, Model, Node, RunState, Session, SessionOptions, Tensor, Value, ValueInfo};
use onnxrun_cpu::CpuProvider;
use std::sync::Arc;

fn ints(v: &[i64]) -> Attribute {
    Attribute::Ints(v.to_vec())
}

/// The input pattern of tests/conv.rs: element i = ((i * a + b) % p - p / 2) * s.
fn pat(shape: &[usize], a: usize, b: usize, p: usize, s: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|i| ((((i * a + b) % p) as f64 - (p / 2) as f64) * s) as f32).collect();
    Tensor::from_vec(shape.to_vec(), v).unwrap()
}

/// Process CPU time in ms (Linux): on a shared machine wall time mostly measures the
/// neighbours, CPU time much less so.
fn cpu_ms() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: CLOCK_PROCESS_CPUTIME_ID (2) fills the struct we pass.
    unsafe { clock_gettime(2, &mut ts) };
    ts.sec as f64 * 1e3 + ts.nsec as f64 / 1e6
}

/// (fastest wall ms, fastest CPU ms) over 25 runs of one node on `threads` threads.
fn time_node(op: &str, attrs: Vec<(&str, Attribute)>, inputs: Vec<Tensor>, threads: usize) -> (f64, f64) {
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("in{i}")).collect();
    let node = Node {
        op_type: op.into(),
        inputs: names.clone(),
        outputs: vec!["out".into()],
        attrs: attrs.into_iter().map(|(n, a)| (n.to_string(), a)).collect(),
        ..Default::default()
    };
    let graph = Graph {
        name: "bench".into(),
        nodes: vec![node],
        inputs: names.iter().map(|n| ValueInfo { name: n.clone(), ty: None, doc: String::new() }).collect(),
        outputs: vec![ValueInfo { name: "out".into(), ty: None, doc: String::new() }],
        ..Default::default()
    };
    let mut model = Model { ir_version: 10, graph, ..Default::default() };
    model.opsets.insert(String::new(), 22);
    let sess = Session::new(model, SessionOptions { providers: vec![Arc::new(CpuProvider::new(threads))], ..Default::default() }).unwrap();
    let feeds = || inputs.iter().cloned().map(Value::from).enumerate().collect::<Vec<_>>();
    sess.run(feeds(), &[0], &RunState::default()).unwrap();
    let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    for _ in 0..runs {
        let (t, c) = (std::time::Instant::now(), cpu_ms());
        sess.run(feeds(), &[0], &RunState::default()).unwrap();
        wall = wall.min(t.elapsed().as_secs_f64() * 1e3);
        cpu = cpu.min(cpu_ms() - c);
    }
    (wall, cpu)
}

fn main() {
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, Attribute)>, Vec<Tensor>);
    let cases: Vec<Case> = vec![
        (
            "Conv 1x32x160x160 3x3 32->32 pad 1",
            "Conv",
            vec![("pads", ints(&[1, 1, 1, 1]))],
            vec![pat(&[1, 32, 160, 160], 7, 3, 17, 0.1), pat(&[32, 32, 3, 3], 5, 1, 11, 0.1), pat(&[32], 3, 2, 7, 0.1)],
        ),
        (
            "Conv 1x3x640x640 3x3 3->16 stride 2",
            "Conv",
            vec![("pads", ints(&[1, 1, 1, 1])), ("strides", ints(&[2, 2]))],
            vec![pat(&[1, 3, 640, 640], 7, 3, 17, 0.1), pat(&[16, 3, 3, 3], 5, 1, 11, 0.1), pat(&[16], 3, 2, 7, 0.1)],
        ),
        (
            "Conv depthwise 1x64x160x160 3x3",
            "Conv",
            vec![("pads", ints(&[1, 1, 1, 1])), ("group", Attribute::Int(64))],
            vec![pat(&[1, 64, 160, 160], 7, 3, 17, 0.1), pat(&[64, 1, 3, 3], 5, 1, 11, 0.1), pat(&[64], 3, 2, 7, 0.1)],
        ),
        (
            "Conv depthwise 1x64x160x160 5x5 stride 2",
            "Conv",
            vec![("pads", ints(&[2, 2, 2, 2])), ("group", Attribute::Int(64)), ("strides", ints(&[2, 2]))],
            vec![pat(&[1, 64, 160, 160], 7, 3, 17, 0.1), pat(&[64, 1, 5, 5], 5, 1, 11, 0.1), pat(&[64], 3, 2, 7, 0.1)],
        ),
        (
            "Conv pointwise 1x288x160x160 288->32 (the GEMM of the first case)",
            "Conv",
            vec![],
            vec![pat(&[1, 288, 160, 160], 7, 3, 17, 0.1), pat(&[32, 288, 1, 1], 5, 1, 11, 0.1), pat(&[32], 3, 2, 7, 0.1)],
        ),
        (
            "Conv pointwise 1x64x80x80 64->128",
            "Conv",
            vec![],
            vec![pat(&[1, 64, 80, 80], 7, 3, 17, 0.1), pat(&[128, 64, 1, 1], 5, 1, 11, 0.1), pat(&[128], 3, 2, 7, 0.1)],
        ),
        (
            "Conv 1-D 1x128x512 k3 128->128",
            "Conv",
            vec![("pads", ints(&[1, 1]))],
            vec![pat(&[1, 128, 512], 7, 3, 17, 0.1), pat(&[128, 128, 3], 5, 1, 11, 0.1)],
        ),
        // Silero VAD v5's convs: a handful of output positions, so the GEMMs are thin.
        (
            "Conv 1-D STFT 1x1x640 k256 s128 1->258 (Silero)",
            "Conv",
            vec![("strides", ints(&[128]))],
            vec![pat(&[1, 1, 640], 7, 3, 17, 0.1), pat(&[258, 1, 256], 5, 1, 11, 0.1)],
        ),
        (
            "Conv 1-D 1x129x4 k3 129->128 pad 1 (Silero)",
            "Conv",
            vec![("pads", ints(&[1, 1]))],
            vec![pat(&[1, 129, 4], 7, 3, 17, 0.1), pat(&[128, 129, 3], 5, 1, 11, 0.1), pat(&[128], 3, 2, 7, 0.1)],
        ),
        (
            "Conv 1-D 1x128x4 k3 s2 128->64 pad 1 (Silero)",
            "Conv",
            vec![("pads", ints(&[1, 1])), ("strides", ints(&[2]))],
            vec![pat(&[1, 128, 4], 7, 3, 17, 0.1), pat(&[64, 128, 3], 5, 1, 11, 0.1), pat(&[64], 3, 2, 7, 0.1)],
        ),
        (
            "ConvTranspose 1x64x80x80 2x2 s2 64->64",
            "ConvTranspose",
            vec![("strides", ints(&[2, 2]))],
            vec![pat(&[1, 64, 80, 80], 7, 3, 17, 0.1), pat(&[64, 64, 2, 2], 5, 1, 11, 0.1), pat(&[64], 3, 2, 7, 0.1)],
        ),
    ];
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
    for (name, op, attrs, ins) in cases.into_iter().filter(|c| c.0.contains(filter.as_str())) {
        let (w1, c1) = time_node(op, attrs.clone(), ins.clone(), 1);
        let (w2, c2) = time_node(op, attrs, ins, 2);
        println!("{name}: 1 thread {w1:.3} ms (cpu {c1:.3}), 2 threads {w2:.3} ms (cpu {c2:.3})");
    }
}
