/**
 * The ONNX Runtime tutorial ("Load and run the model using ONNX Runtime"), in TypeScript.
 * Run: deno run -A examples/quickstart.ts   or   bun examples/quickstart.ts
 *
 * The tutorial trains a scikit-learn LogisticRegression on iris and converts it to ONNX;
 * that model ships as datasets.getExample("logreg_iris.onnx"), and its X_test rows are in
 * tests/fixtures/quickstart_reference.json (written by scripts/make_examples.py).
 */
import { readFileSync } from "node:fs";
import * as rt from "../src/mod.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../tests/fixtures/quickstart_reference.json", import.meta.url), "utf8"),
);
const rows = fixture.X_test as number[][];
const xTest = new Float32Array(rows.flat()); // X_test.astype(numpy.float32)

/** numpy-style print of a 1-D array: [1 2 1 0 ...]. */
const fmtArray = (a: ArrayLike<number | bigint>) => `[${Array.from(a, String).join(" ")}]`;
const fmtShape = (s: readonly (number | string | null)[] | null) => JSON.stringify(s).replaceAll('"', "'");
/** A float32 the way numpy prints it: the shortest decimal that reads back as the same float32. */
function fmtFloat32(v: number): string {
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}
/** Python-style print of a dict: {0: 0.001, 1: 0.95, 2: 0.04}. */
const fmtMap = (m: Map<unknown, unknown>) => `{${[...m].map(([k, v]) => `${k}: ${fmtFloat32(Number(v))}`).join(", ")}}`;

const sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"), null, rt.getAvailableProviders());

for (const i of sess.getInputs()) console.log(`input  name=${i.name} shape=${fmtShape(i.shape)} type=${i.type}`);
for (const o of sess.getOutputs()) console.log(`output name=${o.name} shape=${fmtShape(o.shape)} type=${o.type}`);

const inputName = sess.getInputs()[0].name;
const feed = { [inputName]: { data: xTest, dims: [rows.length, 4] } };

// pred_onx = sess.run(None, {input_name: X_test.astype(numpy.float32)})[0]
const predOnx = sess.run(null, feed)[0] as rt.Tensor;
console.log(fmtArray(predOnx.data as BigInt64Array));

// One output only, by name.
const labelName = sess.getOutputs()[0].name;
const [labels] = sess.run([labelName], feed) as rt.Tensor[];
console.log(fmtArray(labels.data as BigInt64Array));

// Label and probabilities (ZipMap: one Map per row, class label → probability).
const probName = sess.getOutputs()[1].name;
const [labels2, probs] = sess.run([labelName, probName], feed) as [rt.Tensor, Map<number, number>[]];
console.log(fmtArray(labels2.data as BigInt64Array));
console.log(`[${probs.slice(0, 3).map(fmtMap).join(", ")}, ...]  (${probs.length} rows)`);

sess.close();
