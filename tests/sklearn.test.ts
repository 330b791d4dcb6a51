/**
 * scikit-learn models (converted by skl2onnx) and single ai.onnx.ml nodes, run through the
 * public API and compared with onnxruntime's outputs, the same cases the Rust test
 * crates/cpu/tests/sklearn.rs runs in-process. Cases come from
 * scripts/make_sklearn_models.py (.cache/sklearn/, one .json per .onnx). Labels, integers
 * and strings match exactly, floats to 1e-5 (absolute, plus relative for large values).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as rt from "../src/mod.ts";
import { assert, ROOT, test } from "./harness.ts";

const DIR = `${ROOT}.cache/sklearn/`;
const TOL = 1e-5;

type Num = number | string | boolean;
type TensorJson = { name: string; kind: "tensor"; dtype: string; shape: number[]; data: Num[] };
type MapJson = { name: string; kind: "map"; key_dtype: string; value_dtype: string; keys: Num[]; values: Num[] };
type SeqMapJson = { name: string; kind: "seq_map"; key_dtype: string; maps: { keys: Num[]; values: Num[] }[] };
type Case = { model: string; inputs: (TensorJson | MapJson)[]; outputs: (TensorJson | SeqMapJson)[] };

function num(v: Num): number {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return Number(v);
}

function close(got: number, want: number): boolean {
  return (Number.isNaN(got) && Number.isNaN(want)) || got === want || Math.abs(got - want) <= TOL * (1 + Math.abs(want));
}

function feed(j: TensorJson | MapJson): rt.Tensor | Map<bigint | string, number> {
  if (j.kind === "map") {
    const key = (k: Num) => (j.key_dtype === "string" ? String(k) : BigInt(k as number));
    return new Map(j.keys.map((k, i) => [key(k), num(j.values[i])]));
  }
  const { dtype, shape, data } = j;
  switch (dtype) {
    case "float32":
      return new rt.Tensor("float32", Float32Array.from(data, num), shape);
    case "float64":
      return new rt.Tensor("float64", Float64Array.from(data, num), shape);
    case "int64":
      return new rt.Tensor("int64", BigInt64Array.from(data, (v) => BigInt(v as number)), shape);
    case "int32":
      return new rt.Tensor("int32", Int32Array.from(data, num), shape);
    case "string":
      return new rt.Tensor("string", data.map(String), shape);
  }
  throw new Error(`unknown input dtype ${dtype}`);
}

/** Why `got` differs from `want`, or null when it matches. */
function differs(got: rt.OutputValue, want: TensorJson | SeqMapJson): string | null {
  if (want.kind === "seq_map") {
    if (!Array.isArray(got) || got.length !== want.maps.length) return `want ${want.maps.length} maps`;
    for (let r = 0; r < want.maps.length; r++) {
      const m = got[r];
      if (!(m instanceof Map)) return `item ${r} is not a Map`;
      const w = want.maps[r];
      const keys = [...m.keys()].map(String);
      if (keys.join() !== w.keys.map(String).join()) return `map ${r}: keys ${keys}, want ${w.keys}`;
      const vals = [...m.values()] as number[];
      for (let k = 0; k < vals.length; k++) {
        if (!close(Number(vals[k]), num(w.values[k]))) return `map ${r} entry ${k}: ${vals[k]}, want ${w.values[k]}`;
      }
    }
    return null;
  }
  if (!(got instanceof rt.Tensor)) return "not a tensor";
  if (got.dims.join() !== want.shape.join()) return `dims [${got.dims}], want [${want.shape}]`;
  const data = got.data as ArrayLike<unknown>;
  for (let i = 0; i < want.data.length; i++) {
    const [g, w] = [data[i], want.data[i]];
    const ok = want.dtype === "string"
      ? g === w
      : want.dtype.startsWith("float")
      ? close(Number(g), num(w))
      : BigInt(g as number) === BigInt(w as number);
    if (!ok) return `element ${i}: ${g}, want ${w}`;
  }
  return null;
}

test("scikit-learn models and ai.onnx.ml nodes match onnxruntime through the public API", () => {
  assert(existsSync(DIR), `${DIR} missing: run .venv/bin/python scripts/make_sklearn_models.py`);
  const names = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();
  assert(names.length > 100, `only ${names.length} cases in ${DIR}`);
  const failures: string[] = [];
  for (const name of names) {
    const spec: Case = JSON.parse(readFileSync(`${DIR}${name}`, "utf8"));
    try {
      using sess = new rt.InferenceSession(`${DIR}${spec.model}`);
      const feeds = Object.fromEntries(spec.inputs.map((j) => [j.name, feed(j)]));
      const outs = sess.run(null, feeds);
      spec.outputs.forEach((want, i) => {
        const why = differs(outs[i], want);
        if (why) failures.push(`${name} output ${i} (${want.name}): ${why}`);
      });
      for (const o of outs) if (o instanceof rt.Tensor) o.close();
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  assert(failures.length === 0, `${failures.length} of ${names.length} differ:\n${failures.slice(0, 20).join("\n")}`);
});
