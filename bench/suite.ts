/**
 * The bench suite: each model in onnxrun and onnxruntime-node, in one process, on the same
 * inputs and thread count; one table row per model.
 *
 *   node_modules/.bin/deno run -A bench/suite.ts
 *   node_modules/.bin/bun bench/suite.ts
 *
 * Models: .cache/bench/ (scripts/bench/make_models.py, see bench/README.md) and the real
 * models of .cache/models/ (scripts/make_real_models.py). For each model it loads both
 * runtimes, runs every step of the case (a carried feed takes the runtime's own output of
 * the step before) and prints onnxrun's largest |error| against the saved onnxruntime
 * (Python) reference outputs (and onnxruntime-node's, for scale), then warms up and times
 * the first step, the two runtimes interleaved run by run: the median of the runs. A
 * model that onnxrun cannot load or run gets the error in its row, printed in full under
 * the table, and the suite goes on.
 *
 * Environment:
 *   BENCH_THREADS  comma-separated intra-op thread counts, one table each (default "2")
 *   BENCH_MODELS   comma-separated model names to run (default: all that exist)
 *   BENCH_RUNS     timed runs per runtime and model (default 10)
 *   BENCH_WARMUP   untimed runs first (default 2)
 *   BENCH_MAX_S    stop timing a model after this many seconds (both runtimes together),
 *                  with at least 3 runs done (default 30)
 *   ONNXRUN_LIB    the onnxrun library to load (see bindings/mod.ts)
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import * as ort from "onnxruntime-node";
import * as rt from "../src/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const env = (k: string, d: string) => process.env[k] ?? d;
const THREADS = env("BENCH_THREADS", "2").split(",").map((s) => Number(s.trim()));
const RUNS = Number(env("BENCH_RUNS", "10"));
const WARMUP = Number(env("BENCH_WARMUP", "2"));
const MAX_S = Number(env("BENCH_MAX_S", "30"));
const ONLY = process.env.BENCH_MODELS?.split(",").map((s) => s.trim()).filter(Boolean);

/** Bench models first (make_models.py), then the real ones (make_real_models.py). */
const MODELS: [string, string][] = [
  ...[
    "resnet50",
    "mobilenet_v2",
    "bert_base",
    "bert_base_dynamic",
    "bert_base_int8",
    "gpt2_small",
    "matmul_1024",
    "matmul_1024_inputs",
  ].map((n): [string, string] => [n, `${ROOT}.cache/bench/${n}/`]),
  ...["ppocr_v4_det", "silero_vad_v5", "wakeword_hello", "wakeword_namaste"]
    .map((n): [string, string] => [n, `${ROOT}.cache/models/${n}/`]),
];

type DType = "float32" | "int64" | "int32";
type TensorFile = { dtype: DType; shape: number[]; file: string };
type Feed = TensorFile | { from: string };
type Step = { feeds: Record<string, Feed>; outputs: Record<string, TensorFile> };
type Case = { model: string; steps: Step[] };
type Data = Float32Array | BigInt64Array | Int32Array;

function readData(dir: string, t: TensorFile): Data {
  const b = readFileSync(`${dir}${t.file}`);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (t.dtype === "float32") return new Float32Array(buf);
  if (t.dtype === "int64") return new BigInt64Array(buf);
  return new Int32Array(buf);
}

/** Largest |got - want| (NaN or a length mismatch is Infinity). */
function maxAbs(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(Number(got[i]) - Number(want[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function maxOf(want: ArrayLike<number | bigint>): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(Number(want[i])));
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times each of `fns`: WARMUP untimed calls each, then up to RUNS rounds calling each once
 * (at least 3, within MAX_S for all together); the median of each one's times. */
async function timeInterleaved(fns: (() => unknown)[]): Promise<{ ms: number[]; n: number }> {
  for (const fn of fns) for (let i = 0; i < WARMUP; i++) await fn();
  const ts: number[][] = fns.map(() => []);
  const t0 = performance.now();
  let n = 0;
  while (fns.length && n < RUNS && (n < 3 || performance.now() - t0 < MAX_S * 1000)) {
    for (const [i, fn] of fns.entries()) {
      const s = performance.now();
      await fn();
      ts[i].push(performance.now() - s);
    }
    n++;
  }
  return { ms: ts.map(median), n };
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

type Row = {
  model: string;
  ortMs?: number;
  oursMs?: number;
  runs?: string;
  err?: string; // onnxrun vs reference
  ortErr?: string; // onnxruntime-node vs reference
  failure?: string;
};

/** Runs every step in one runtime, comparing with the references; returns "out: err, ..." per output. */
async function check(
  dir: string,
  spec: Case,
  run: (feeds: Record<string, { dtype: DType; data: Data; shape: number[] }>) => Promise<Map<string, Data>>,
): Promise<string> {
  let previous = new Map<string, Data>();
  const worst = new Map<string, { e: number; scale: number }>();
  for (const [i, step] of spec.steps.entries()) {
    const feeds: Record<string, { dtype: DType; data: Data; shape: number[] }> = {};
    for (const [k, f] of Object.entries(step.feeds)) {
      if ("from" in f) {
        const carried = previous.get(f.from);
        const ref = spec.steps[i - 1].outputs[f.from];
        if (!carried || !ref) throw new Error(`step ${i}: no output ${f.from} from the step before`);
        feeds[k] = { dtype: ref.dtype, data: carried, shape: ref.shape };
      } else feeds[k] = { dtype: f.dtype, data: readData(dir, f), shape: f.shape };
    }
    const got = await run(feeds);
    for (const [n, ref] of Object.entries(step.outputs)) {
      const g = got.get(n);
      if (!g) throw new Error(`step ${i}: no output ${n}`);
      const want = readData(dir, ref);
      const e = maxAbs(g, want);
      const w = worst.get(n) ?? { e: 0, scale: 0 };
      worst.set(n, { e: Math.max(w.e, e), scale: Math.max(w.scale, maxOf(want)) });
    }
    previous = got;
  }
  return [...worst.entries()].map(([n, { e, scale }]) => `${n} ${e.toExponential(1)} (/${scale.toPrecision(2)})`)
    .join(", ");
}

async function benchOne(name: string, dir: string, threads: number): Promise<Row> {
  const row: Row = { model: name };
  if (!existsSync(`${dir}case.json`)) {
    row.failure = dir.includes("/.cache/bench/")
      ? "missing: run .venv-bench/bin/python scripts/bench/make_models.py"
      : "missing: run .venv/bin/python scripts/make_real_models.py";
    return row;
  }
  const spec: Case = JSON.parse(readFileSync(`${dir}case.json`, "utf8"));
  const model = `${dir}${spec.model}`;
  const first = spec.steps[0].feeds as Record<string, TensorFile>;
  let theirs: ort.InferenceSession | undefined;
  let ours: rt.InferenceSession | undefined;
  const timed: { who: "ort" | "ours"; fn: () => unknown }[] = [];
  try {
    // onnxruntime-node: load, check against the references, prepare the timed call.
    try {
      const s = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
      theirs = s;
      row.ortErr = await check(dir, spec, async (feeds) => {
        const f = Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.dtype, v.data, v.shape)]),
        );
        const r = await s.run(f);
        return new Map(Object.entries(r).map(([k, t]) => [k, t.data as Data]));
      });
      const feeds = Object.fromEntries(
        Object.entries(first).map(([k, f]) => [k, new ort.Tensor(f.dtype, readData(dir, f), f.shape)]),
      );
      timed.push({
        who: "ort",
        fn: async () => {
          const r = await s.run(feeds);
          for (const v of Object.values(r)) v.dispose();
        },
      });
    } catch (e) {
      row.ortErr = `onnxruntime-node failed: ${message(e)}`;
    }

    // onnxrun: the same.
    let stage = "load";
    try {
      const s = new rt.InferenceSession(model, { intraOpNumThreads: threads });
      ours = s;
      stage = "run";
      row.err = await check(dir, spec, (feeds) => {
        const f = Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [k, new rt.Tensor(v.dtype, v.data, v.shape)]),
        );
        const names = s.outputNames;
        const outs = s.run(names, f) as rt.Tensor[];
        // Copy out: the outputs are closed right away.
        const m = new Map(names.map((n, j) => [n, (outs[j].data as Data).slice()]));
        for (const o of outs) o.close();
        return Promise.resolve(m);
      });
      const feeds = Object.fromEntries(
        Object.entries(first).map(([k, f]) => [k, new rt.Tensor(f.dtype, readData(dir, f), f.shape)]),
      );
      timed.push({
        who: "ours",
        fn: () => {
          for (const v of s.run(null, feeds) as rt.Tensor[]) v.close();
        },
      });
    } catch (e) {
      row.failure = `onnxrun ${stage} failed: ${message(e)}`;
    }

    // Timing, the runtimes interleaved run by run so that load from other processes on
    // the machine falls on both alike.
    stage = "timed run";
    try {
      const t = await timeInterleaved(timed.map((x) => x.fn));
      timed.forEach((x, i) => {
        if (x.who === "ort") row.ortMs = t.ms[i];
        else row.oursMs = t.ms[i];
      });
      row.runs = `${t.n}`;
    } catch (e) {
      row.failure = `${stage} failed: ${message(e)}`;
    }
  } finally {
    await theirs?.release();
    ours?.close();
  }
  return row;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

const fmtMs = (x?: number) => (x === undefined ? "-" : x < 10 ? x.toFixed(3) : x.toFixed(1));

function printTable(threads: number, rows: Row[]): void {
  const head = ["model", "ORT ms", "onnxrun ms", "onnxrun/ORT", "runs", "onnxrun max|err| vs ref (/max|ref|)"];
  const body = rows.map((r) => [
    r.model,
    fmtMs(r.ortMs),
    fmtMs(r.oursMs),
    r.ortMs !== undefined && r.oursMs !== undefined ? `${(r.oursMs / r.ortMs).toFixed(2)}x` : "-",
    r.runs ?? "-",
    r.failure ? `FAILED: ${r.failure.split("\n")[0].slice(0, 160)}` : r.err ?? "-",
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 5 ? 0 : b[i].length))));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (i === 5 ? c : pad(c, w[i], i > 0 && i < 5))).join(" | ") + " |";
  console.log(
    `\n## ${threads} thread${
      threads === 1 ? "" : "s"
    } (intraOpNumThreads; median of the timed runs, the runtimes interleaved)\n`,
  );
  console.log(line(head));
  console.log("|" + w.map((x, i) => "-".repeat(i === 5 ? head[5].length + 2 : x + 2)).join("|") + "|");
  for (const b of body) console.log(line(b));
  console.log("\nonnxruntime-node max|err| vs the same references (onnxruntime Python, 1 thread):");
  for (const r of rows) console.log(`  ${r.model}: ${r.ortErr ?? "-"}`);
  const failed = rows.filter((r) => r.failure);
  if (failed.length) {
    console.log("\nonnxrun failures (full messages):");
    for (const r of failed) console.log(`  ${r.model}: ${r.failure}`);
  }
}

const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun ? `bun ${g.Bun.version}` : `deno ${g.Deno?.version.deno}`;
console.log(
  `onnxrun bench suite — ${runtime}, onnxruntime-node ${ort.env.versions?.common ?? "?"}, ` +
    `ONNXRUN_LIB=${process.env.ONNXRUN_LIB ?? "(default lookup)"}, runs=${RUNS} warmup=${WARMUP} max_s=${MAX_S}`,
);
for (const threads of THREADS) {
  const rows: Row[] = [];
  for (const [name, dir] of MODELS) {
    if (ONLY && !ONLY.includes(name)) continue;
    const t0 = performance.now();
    const row = await benchOne(name, dir, threads);
    rows.push(row);
    console.error(
      `[${threads}t] ${name}: ORT ${fmtMs(row.ortMs)} ms, onnxrun ${fmtMs(row.oursMs)} ms` +
        `${row.failure ? ` — ${row.failure.split("\n")[0]}` : ""} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  printTable(threads, rows);
}
