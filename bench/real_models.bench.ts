/**
 * Real models, onnxrun against onnxruntime-node in one process on the same inputs:
 *
 *   deno bench -A bench/real_models.bench.ts
 *
 * Each group's summary line is the ratio. Both runtimes get the same thread count
 * (BENCH_THREADS, default 2) and their full graph optimizations. The cases are those of
 * tests/real_models.test.ts (`.venv/bin/python scripts/make_real_models.py` makes them).
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import * as rt from "../src/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const THREADS = Number(Deno.env.get("BENCH_THREADS") ?? 2);

type TensorFile = { dtype: "float32" | "int64"; shape: number[]; file: string };
type Step = { feeds: Record<string, TensorFile | { from: string }>; outputs: Record<string, TensorFile> };

function typed(dir: string, t: TensorFile): Float32Array | BigInt64Array {
  const b = readFileSync(`${dir}${t.file}`);
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return t.dtype === "float32" ? new Float32Array(buf) : new BigInt64Array(buf);
}

/** The first step's feeds (a carried feed takes the previous step's reference output). */
function firstFeeds(dir: string, steps: Step[]) {
  const out: Record<string, TensorFile> = {};
  for (const [k, f] of Object.entries(steps[0].feeds)) if (!("from" in f)) out[k] = f;
  return out;
}

for (const name of ["silero_vad_v5", "ppocr_v4_det", "wakeword_hello"]) {
  const dir = `${ROOT}.cache/models/${name}/`;
  const spec = JSON.parse(readFileSync(`${dir}case.json`, "utf8"));
  const feeds = firstFeeds(dir, spec.steps);
  const model = `${dir}${spec.model}`;

  const ours = new rt.InferenceSession(model, { intraOpNumThreads: THREADS });
  const ourFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, f]) => [k, new rt.Tensor(f.dtype, typed(dir, f), f.shape)]),
  );
  const theirs = await ort.InferenceSession.create(model, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const theirFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(f.dtype, typed(dir, f), f.shape)]),
  );

  Deno.bench({ name: `onnxruntime-node ${name}`, group: name, baseline: true }, async () => {
    const r = await theirs.run(theirFeeds);
    for (const v of Object.values(r)) v.dispose();
  });
  Deno.bench({ name: `onnxrun ${name}`, group: name }, () => {
    for (const v of ours.run(null, ourFeeds) as rt.Tensor[]) v.close();
  });
}
