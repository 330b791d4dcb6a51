/** Sessions and runs on the shipped example models, against Math and onnxruntime's outputs. */
import { readFileSync } from "node:fs";
import * as rt from "../src/mod.ts";
import { assert, assertClose, assertEquals, ROOT, test } from "./harness.ts";

const ref = JSON.parse(readFileSync(`${ROOT}tests/fixtures/quickstart_reference.json`, "utf8"));
const xTest = new Float32Array((ref.X_test as number[][]).flat());

function sigmoidInput(): Float32Array {
  const x = new Float32Array(60);
  for (let i = 0; i < 60; i++) x[i] = (i - 30) / 4;
  return x;
}

test("sigmoid.onnx matches 1/(1+e^-x)", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const [inp] = sess.getInputs();
  assertEquals(inp.name, "x");
  assertEquals(inp.type, "tensor(float)");
  assertEquals(inp.shape, [3, 4, 5]);
  const x = sigmoidInput();
  const [y] = sess.run(null, { x: new rt.Tensor("float32", x, [3, 4, 5]) }) as rt.Tensor[];
  assertEquals(y.type, "float32");
  assertEquals(y.dims, [3, 4, 5]);
  const want = Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
  assertClose(y.data as Float32Array, want, 1e-6, 1e-5);
  y.close();
});

test("feeds accept Tensor, {data, dims}, a bare TypedArray and an OrtValue alike", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const x = sigmoidInput();
  const forms: rt.Feeds[] = [
    { x: new rt.Tensor(x, [3, 4, 5]) },
    { x: { data: x, dims: [3, 4, 5] } },
    { x }, // declared shape is fully fixed
    new Map([["x", x]]),
  ];
  const results = forms.map((f) => Array.from((sess.run(["y"], f)[0] as rt.Tensor).data as Float32Array));
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor(x, [3, 4, 5]));
  results.push(Array.from((sess.run(["y"], { x: ov })[0] as rt.Tensor).data as Float32Array));
  for (const r of results) assertEquals(r, results[0]);
});

test("mul_1.onnx multiplies by its initializer", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  assertEquals(sess.getInputs().map((a) => [a.name, a.type, a.shape]), [["X", "tensor(float)", [3, 2]]]);
  assertEquals(sess.getOutputs().map((a) => [a.name, a.type, a.shape]), [["Y", "tensor(float)", [3, 2]]]);
  const [y] = sess.run(["Y"], { X: new rt.Tensor("float32", [1, 2, 3, 4, 5, 6], [3, 2]) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 4, 9, 16, 25, 36]);
  assertEquals(y.dims, [3, 2]);
});

test("logreg_iris.onnx: labels and probabilities equal onnxruntime's", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"), null, rt.getAvailableProviders());
  const inputName = sess.getInputs()[0].name;
  assertEquals(inputName, ref.input_name);
  assertEquals(sess.getInputs()[0].shape, [null, 4]);
  assertEquals(sess.getOutputs().map((o) => o.name), ref.output_names);
  assertEquals(sess.getOutputs().map((o) => o.type), ["tensor(int64)", "seq(map(int64,tensor(float)))"]);
  const feed = { [inputName]: { data: xTest, dims: [xTest.length / 4, 4] } };

  const labelName = sess.getOutputs()[0].name;
  const [labelOnly] = sess.run([labelName], feed) as rt.Tensor[];
  assertEquals(labelOnly.type, "int64");
  assertEquals(Array.from(labelOnly.data as BigInt64Array, Number), ref.label_only.output_label);

  const [labels, probs] = sess.run(null, feed) as [rt.Tensor, Map<number, number>[]];
  assertEquals(Array.from(labels.data as BigInt64Array, Number), ref.label_and_probabilities.output_label);
  assert(Array.isArray(probs) && probs.length === xTest.length / 4, "ZipMap output is an array of Maps");
  probs.forEach((m, i) => {
    assert(m instanceof Map, "each row is a Map");
    const want = ref.label_and_probabilities.output_probability[i] as Record<string, number>;
    assertEquals([...m.keys()], Object.keys(want).map(Number), `row ${i} keys`);
    assertClose([...m.values()], Object.values(want), 1e-6, 1e-5, `row ${i}`);
  });
});

test("a bare TypedArray fills the one free dimension", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"));
  const [labels] = sess.run(["output_label"], { float_input: xTest }) as rt.Tensor[];
  assertEquals(labels.dims, [xTest.length / 4]);
  assertEquals(Array.from(labels.data as BigInt64Array, Number), ref.label_only.output_label);
});

test("getModelmeta, getProviders, getProviderOptions, getSessionOptions", () => {
  const so = new rt.SessionOptions();
  so.intraOpNumThreads = 1;
  using sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"), so);
  const meta = sess.getModelmeta();
  assertEquals(meta.producerName, "skl2onnx");
  assertEquals(meta.graphName, "logreg_iris");
  assertEquals(meta.domain, "ai.onnx");
  assertEquals(meta.version, 0);
  assertEquals(meta.customMetadataMap, {});
  assertEquals(typeof meta.description, "string");
  assertEquals(typeof meta.graphDescription, "string");
  assertEquals(sess.getProviders(), ["CPUExecutionProvider"]);
  assert(typeof sess.getProviderOptions() === "object");
  const got = sess.getSessionOptions();
  assertEquals(got.intraOpNumThreads, 1);
  assert(got !== so, "a copy, not the caller's object");
  assertEquals(sess.getOverridableInitializers().length, 0);
});

test("InferenceSession.create (async) and model bytes", async () => {
  const bytes = new Uint8Array(readFileSync(rt.datasets.getExample("mul_1.onnx")));
  const sess = await rt.InferenceSession.create(bytes);
  const [y] = sess.run(null, { X: new Float32Array([1, 1, 1, 1, 1, 1]) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  sess.close();
  sess.close(); // idempotent
  assert(sess.closed);
});

test("outputs own JS memory: no native handle outlives run(); close() ends data access", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const x = sigmoidInput();
  const before = rt.liveHandles();
  for (let i = 0; i < 20; i++) {
    const [y] = sess.run(null, { x }) as rt.Tensor[];
    y.close();
  }
  const [y] = sess.run(null, { x }) as rt.Tensor[];
  assertEquals(rt.liveHandles(), before, "an unclosed output holds no native value");
  y.close();
  assertEquals(rt.liveHandles(), before);
  let threw = false;
  try {
    y.data;
  } catch (e) {
    threw = e instanceof rt.InvalidArgument;
  }
  assert(threw, "data of a closed tensor throws");
});

test("sequence/map outputs free their native values", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"));
  const before = rt.liveHandles();
  const [labels, probs] = sess.run(null, { float_input: xTest }) as [rt.Tensor, Map<number, number>[]];
  assertEquals(probs.length, 38);
  labels.close();
  assertEquals(rt.liveHandles(), before);
});

test("feeds given as a Map", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const x = new Float32Array([6, 5, 4, 3, 2, 1]);
  const a = sess.run(null, new Map([["X", x]]))[0] as rt.Tensor;
  assertEquals(Array.from(a.data as Float32Array), [6, 10, 12, 12, 10, 6]);
});

test("a session survives many runs with the same feeds (no copies, no drift)", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const x = sigmoidInput();
  const first = Array.from((sess.run(null, { x })[0] as rt.Tensor).data as Float32Array);
  for (let i = 0; i < 200; i++) sess.run(null, { x }).forEach((t) => (t as rt.Tensor).close());
  assertEquals(Array.from((sess.run(null, { x })[0] as rt.Tensor).data as Float32Array), first);
  assertEquals(x[0], -7.5, "input untouched");
});
