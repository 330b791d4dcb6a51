/**
 * Bad input gets the error ONNX Runtime gives (same class), a message naming what is at
 * fault, and the session keeps working afterwards.
 */
import * as rt from "../src/mod.ts";
import { assertEquals, assertThrows, test } from "./harness.ts";
import { buildModel, ELEM, floatInitializer, tensorValueInfo, unaryModel } from "./helpers/onnx_builder.ts";

const relu = unaryModel("Relu", [2, 3]);
const X = () => new rt.Tensor("float32", [-1, 2, -3, 4, -5, 6], [2, 3]);

/** The session still answers correctly. */
function stillWorks(sess: rt.InferenceSession) {
  const [y] = sess.run(null, { X: X() }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [0, 2, 0, 4, 0, 6]);
  y.close();
}

test("the hand-built Relu model runs", () => {
  using sess = new rt.InferenceSession(relu);
  stillWorks(sess);
});

test("nonexistent file → NoSuchFile naming the path", () => {
  const path = "/nonexistent/dir/missing_model.onnx";
  assertThrows(() => new rt.InferenceSession(path), rt.NoSuchFile, "missing_model.onnx");
});

test("create() rejects with the same error", async () => {
  let err: unknown;
  await rt.InferenceSession.create("/nonexistent/x.onnx").catch((e) => (err = e));
  if (!(err instanceof rt.NoSuchFile)) throw new Error(`expected NoSuchFile, got ${err}`);
});

test("bytes that are not a model → InvalidProtobuf", () => {
  const junk = new TextEncoder().encode("this is not an onnx model at all, just text\n");
  assertThrows(() => new rt.InferenceSession(junk), rt.InvalidProtobuf);
});

test("a truncated model → InvalidProtobuf", () => {
  assertThrows(() => new rt.InferenceSession(relu.slice(0, Math.floor(relu.length / 2))), rt.InvalidProtobuf);
});

test("an unknown op → InvalidGraph naming the op", () => {
  assertThrows(() => new rt.InferenceSession(unaryModel("FrobnicateXYZ")), rt.InvalidGraph, "FrobnicateXYZ");
});

test("an initializer shorter than its shape → Fail naming the initializer", () => {
  const fixed = buildModel({
    nodes: [{ op: "Mul", inputs: ["X", "Wshort"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [2, 3])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [2, 3])],
    initializers: [floatInitializer("Wshort", [2, 3], [], new Uint8Array(new Float32Array([1, 2, 3]).buffer))],
  });
  assertThrows(() => new rt.InferenceSession(fixed), rt.Fail, "Wshort");
});

test("feed with a wrong name → InvalidArgument naming it and the real inputs", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(() => sess.run(null, { Z: X() }), rt.InvalidArgument, "'Z'", "'X'");
  stillWorks(sess);
});

test("missing feed → InvalidArgument naming the input, its type and shape", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(() => sess.run(null, {}), rt.InvalidArgument, "'X'", "tensor(float)", "[2, 3]");
  stillWorks(sess);
});

test("feed of the wrong dtype → InvalidArgument with actual and expected", () => {
  using sess = new rt.InferenceSession(relu);
  const e = assertThrows(
    () => sess.run(null, { X: new rt.Tensor("float64", [1, 2, 3, 4, 5, 6], [2, 3]) }),
    rt.InvalidArgument,
    "'X'",
    "tensor(double)",
    "tensor(float)",
  );
  assertEquals(e.code, rt.StatusCode.INVALID_ARGUMENT);
  // A bare TypedArray of the wrong class too.
  assertThrows(
    () => sess.run(null, { X: new Int32Array(6) }),
    rt.InvalidArgument,
    "'X'",
    "tensor(int32)",
    "tensor(float)",
  );
  stillWorks(sess);
});

test("wrong rank → InvalidArgument with got and expected", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(
    () => sess.run(null, { X: { data: new Float32Array(6), dims: [6] } }),
    rt.InvalidArgument,
    "'X'",
    "rank",
    "Got: 1",
    "expected: 2",
  );
  stillWorks(sess);
});

test("mismatching fixed dim → InvalidArgument naming index, got and expected", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(
    () => sess.run(null, { X: { data: new Float32Array(8), dims: [2, 4] } }),
    rt.InvalidArgument,
    "'X'",
    "index 1: got 4, expected 3",
  );
  stillWorks(sess);
});

test("data buffer shorter than dims → InvalidArgument naming the input and sizes", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(
    () => sess.run(null, { X: { data: new Float32Array(5), dims: [2, 3] } }),
    rt.InvalidArgument,
    "'X'",
    "5 elements",
    "need 6",
  );
  stillWorks(sess);
});

test("an output name that doesn't exist → InvalidArgument naming it and the outputs", () => {
  using sess = new rt.InferenceSession(relu);
  assertThrows(() => sess.run(["nope"], { X: X() }), rt.InvalidArgument, "'nope'", "'Y'");
  stillWorks(sess);
});

test("run on a closed session → InvalidArgument", () => {
  const sess = new rt.InferenceSession(relu);
  sess.close();
  assertThrows(() => sess.run(null, { X: X() }), rt.InvalidArgument, "closed");
  assertThrows(() => sess.getInputs(), rt.InvalidArgument, "closed");
});

test("overridable initializers can be fed; unknown initializers can't", () => {
  const model = buildModel({
    nodes: [{ op: "Mul", inputs: ["X", "W"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [2, 3]), tensorValueInfo("W", ELEM.FLOAT, [2, 3])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [2, 3])],
    initializers: [floatInitializer("W", [2, 3], [1, 2, 3, 4, 5, 6])],
    metadata: { author: "me", purpose: "test" },
    docString: "a doc",
  });
  using sess = new rt.InferenceSession(model);
  assertEquals(sess.getInputs().map((a) => a.name), ["X"]);
  assertEquals(sess.getOverridableInitializers().map((a) => a.name), ["W"]);
  const ones = new Float32Array(6).fill(1);
  assertEquals(Array.from((sess.run(null, { X: ones })[0] as rt.Tensor).data as Float32Array), [1, 2, 3, 4, 5, 6]);
  const twos = new Float32Array(6).fill(2);
  assertEquals(Array.from((sess.run(null, { X: ones, W: twos })[0] as rt.Tensor).data as Float32Array), [
    2,
    2,
    2,
    2,
    2,
    2,
  ]);
  const meta = sess.getModelmeta();
  assertEquals(meta.customMetadataMap, { author: "me", purpose: "test" });
  assertEquals(meta.description, "a doc");
  assertEquals(meta.producerName, "onnx_builder");
});

test("error classes carry ONNX Runtime's status codes", () => {
  const pairs: [new (m: string) => rt.OrtError, number][] = [
    [rt.Fail, 1],
    [rt.InvalidArgument, 2],
    [rt.NoSuchFile, 3],
    [rt.NoModel, 4],
    [rt.EngineError, 5],
    [rt.RuntimeException, 6],
    [rt.InvalidProtobuf, 7],
    [rt.ModelLoaded, 8],
    [rt.NotImplemented, 9],
    [rt.InvalidGraph, 10],
    [rt.EPFail, 11],
  ];
  for (const [C, code] of pairs) {
    const e = new C("m");
    assertEquals(e.code, code, C.name);
    assertEquals(e instanceof rt.OrtError && e instanceof Error, true);
    assertEquals(e.name, C.name);
  }
});
