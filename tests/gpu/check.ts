/**
 * GPU check: runs tests/fixtures/mlp.onnx through the public API on
 * ["CUDAExecutionProvider", "CPUExecutionProvider"], on the CPU alone and (when present)
 * on ["WebGpuExecutionProvider", "CPUExecutionProvider"]; checks each GPU result against
 * the CPU one to 1e-4, times every provider (median of 200 runs after warm-up) and
 * writes OUT_DIR/gpu-check.json. Needs only the built library, Deno and this repo.
 *
 *   deno run -A tests/gpu/check.ts OUT_DIR [--allow-missing-cuda] [--runs N]
 *   deno run -A tests/gpu/check.ts OUT_DIR --startup   (first-session timing only)
 *
 * Exit status: 0 when every comparison passed (and CUDA was there, unless
 * --allow-missing-cuda), 1 otherwise. Run through scripts/gpu-check.sh.
 */
import * as rt from "../../src/mod.ts";

const MODEL = new URL("../fixtures/mlp.onnx", import.meta.url);
const TOLERANCE = 1e-4;
const BATCHES = [1, 8, 64];
const TIMED_BATCHES = [1, 64];
const WARMUP = 20;
const CPU = "CPUExecutionProvider";
const CUDA = "CUDAExecutionProvider";
const WEBGPU = "WebGpuExecutionProvider";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const flag = (name: string) => Deno.args.includes(name);
const outDir = args[0];
if (!outDir) {
  console.error("usage: deno run -A tests/gpu/check.ts OUT_DIR [--allow-missing-cuda] [--runs N] [--startup]");
  Deno.exit(2);
}
const runsIdx = Deno.args.indexOf("--runs");
const RUNS = runsIdx >= 0 ? Number(Deno.args[runsIdx + 1]) : 200;
Deno.mkdirSync(outDir, { recursive: true });
const modelPath = decodeURIComponent(MODEL.pathname);

/** Deterministic inputs in [-2, 2): the same on every machine and run. */
function input(batch: number, seed: number): rt.Tensor {
  const data = new Float32Array(batch * 256);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = (s / 4294967296) * 4 - 2;
  }
  return new rt.Tensor("float32", data, [batch, 256]);
}

function output(sess: rt.InferenceSession, x: rt.Tensor): Float32Array {
  const [y] = sess.run(null, { X: x });
  if (!(y instanceof rt.Tensor)) throw new Error("output Y is not a tensor");
  // Copy: output tensors may view library memory that the next run replaces.
  return Float32Array.from(y.data as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function stats(ms: number[]) {
  const s = [...ms].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median_ms: q(0.5), p10_ms: q(0.1), p90_ms: q(0.9), min_ms: s[0], runs: s.length };
}

function timeRuns(sess: rt.InferenceSession, x: rt.Tensor) {
  for (let i = 0; i < WARMUP; i++) sess.run(null, { X: x });
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    sess.run(null, { X: x });
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

function create(providers: string[], opts?: rt.SessionOptions) {
  const t0 = performance.now();
  const sess = new rt.InferenceSession(modelPath, opts ?? null, providers);
  return { sess, createMs: performance.now() - t0 };
}

/** Which provider ran each op, read from a one-run profile. */
function assignment(providers: string[]): Record<string, string> {
  const so = new rt.SessionOptions();
  so.enableProfiling = true;
  so.profileFilePrefix = `${outDir}/profile_${providers[0]}`;
  const { sess } = create(providers, so);
  sess.run(null, { X: input(1, 99) });
  const path = sess.endProfiling();
  const events = JSON.parse(Deno.readTextFileSync(path)) as {
    cat: string;
    args?: { op_name?: string; provider?: string };
  }[];
  const out: Record<string, string> = {};
  for (const e of events) {
    if (e.cat === "Node" && e.args?.op_name && e.args.op_name !== "MemcpyTransfer") {
      out[e.args.op_name] = e.args.provider ?? "?";
    }
  }
  return out;
}

const status = rt.getProvidersStatus();
const available = rt.getAvailableProviders();
// For scripts/gpu-check.sh, which picks the conformance runs from it.
Deno.writeTextFileSync(`${outDir}/available-providers.txt`, available.join("\n") + "\n");

if (flag("--startup")) {
  // A fresh process's first CUDA session: pays NVRTC (first run on a machine) or reads
  // the kernel cache (every later run).
  const rec: Record<string, unknown> = { time: new Date().toISOString() };
  if (available.includes(CUDA)) {
    const { sess, createMs } = create([CUDA, CPU]);
    rec.cudaSessionCreateMs = createMs;
    rec.providers = sess.getProviders();
  } else rec.skipped = status[CUDA] ?? "CUDAExecutionProvider is not available";
  const runs = (() => {
    try {
      return JSON.parse(Deno.readTextFileSync(`${outDir}/gpu-check-startup.json`)) as unknown[];
    } catch {
      return [];
    }
  })();
  runs.push(rec);
  Deno.writeTextFileSync(`${outDir}/gpu-check-startup.json`, JSON.stringify(runs, null, 2));
  console.log(`startup: ${JSON.stringify(rec)}`);
  Deno.exit(0);
}

const failures: string[] = [];
let passed = 0;
const report: Record<string, unknown> = {
  schema: "onnxrun-gpu-check/1",
  time: new Date().toISOString(),
  host: Deno.hostname(),
  deno: Deno.version.deno,
  version: rt.getVersionString(),
  build: rt.getBuildInfo(),
  providers: { all: rt.getAllProviders(), available, status },
  model: { path: modelPath, bytes: Deno.statSync(modelPath).size },
  tolerance: TOLERANCE,
  timing: { warmup: WARMUP, runs: RUNS, batches: TIMED_BATCHES },
};
const results: Record<string, unknown> = {};
report.results = results;

// The reference: the CPU provider.
const cpu = create([CPU]);
const reference = new Map(BATCHES.map((b) => [b, output(cpu.sess, input(b, b))]));
results[CPU] = {
  providers: cpu.sess.getProviders(),
  sessionCreateMs: cpu.createMs,
  timings: Object.fromEntries(TIMED_BATCHES.map((b) => [b, timeRuns(cpu.sess, input(b, b))])),
};

for (const gpu of [CUDA, WEBGPU]) {
  if (!available.includes(gpu)) {
    results[gpu] = { skipped: status[gpu] ?? `${gpu} is not available` };
    if (gpu === CUDA && !flag("--allow-missing-cuda")) failures.push(`${CUDA} is not available: ${status[gpu]}`);
    continue;
  }
  const rec: Record<string, unknown> = {};
  results[gpu] = rec;
  try {
    const providers = [...new Set([gpu, CPU])];
    const { sess, createMs } = create(providers);
    rec.providers = sess.getProviders();
    rec.sessionCreateMs = createMs;
    if (!sess.getProviders().includes(gpu)) failures.push(`${gpu}: the session fell back to ${sess.getProviders()}`);
    const placed = assignment(providers);
    rec.assignment = placed;
    // Every op of the MLP has a CUDA kernel: all of them must run there.
    const elsewhere = Object.entries(placed).filter(([, p]) => p !== gpu);
    if (gpu === CUDA && elsewhere.length) {
      failures.push(`${CUDA}: ops not on CUDA: ${JSON.stringify(Object.fromEntries(elsewhere))}`);
    }
    const diffs: Record<number, number> = {};
    for (const b of BATCHES) {
      const d = maxAbsDiff(output(sess, input(b, b)), reference.get(b)!);
      diffs[b] = d;
      if (d <= TOLERANCE) passed++;
      else failures.push(`${gpu} batch ${b}: max |gpu - cpu| = ${d} > ${TOLERANCE}`);
    }
    rec.maxAbsDiff = diffs;
    rec.timings = Object.fromEntries(TIMED_BATCHES.map((b) => [b, timeRuns(sess, input(b, b))]));
    rec.pass = Object.values(diffs).every((d) => d <= TOLERANCE);
  } catch (e) {
    rec.error = String((e as Error)?.message ?? e);
    failures.push(`${gpu}: ${rec.error}`);
  }
}

try {
  report.startup = JSON.parse(Deno.readTextFileSync(`${outDir}/gpu-check-startup.json`));
} catch { /* not run through gpu-check.sh */ }
report.failures = failures;
report.pass = failures.length === 0;
Deno.writeTextFileSync(`${outDir}/gpu-check.json`, JSON.stringify(report, null, 2) + "\n");

for (const [name, r] of Object.entries(results)) {
  const rec = r as {
    skipped?: string;
    error?: string;
    maxAbsDiff?: Record<string, number>;
    timings?: Record<string, { median_ms: number }>;
  };
  if (rec.skipped) console.log(`${name}: skipped (${rec.skipped})`);
  else if (rec.error) console.log(`${name}: error: ${rec.error}`);
  else {
    const t = Object.entries(rec.timings ?? {}).map(([b, s]) => `batch ${b} ${s.median_ms.toFixed(3)} ms`).join(", ");
    const d = rec.maxAbsDiff ? `, max diff vs CPU ${JSON.stringify(rec.maxAbsDiff)}` : "";
    console.log(`${name}: median ${t}${d}`);
  }
}
console.log(`wrote ${outDir}/gpu-check.json`);
console.log(`gpu-check: ${passed} passed, ${failures.length} failed`);
for (const f of failures) console.error(`FAIL: ${f}`);
Deno.exit(failures.length === 0 ? 0 : 1);
