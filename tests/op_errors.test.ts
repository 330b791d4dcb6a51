/**
 * Bad values inside ops, through the whole stack: out-of-range indices, shapes that cannot
 * hold or overflow, allocations past the runtime's limit, attributes the spec forbids.
 * Each is an error of ONNX Runtime's class naming the node, and the session keeps working.
 */
import * as rt from "../src/mod.ts";
import { assertEquals, assertThrows, test } from "./harness.ts";
import { attr, buildModel, ELEM, tensorValueInfo } from "./helpers/onnx_builder.ts";

const i64 = (v: number[]) => new rt.Tensor("int64", BigInt64Array.from(v.map(BigInt)), [v.length]);
const f32 = (v: number[], dims: number[]) => new rt.Tensor("float32", Float32Array.from(v), dims);

/** Y = op(X: float[dims], I: int64[n]) */
function twoInputModel(op: string, name: string, dims: (number | string)[], attrs = [] as Uint8Array[]) {
  return buildModel({
    nodes: [{ op, inputs: ["X", "I"], outputs: ["Y"], name, attrs }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, dims), tensorValueInfo("I", ELEM.INT64, ["n"])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [])],
  });
}

function values(sess: rt.InferenceSession, feeds: rt.Feeds): number[] {
  const [y] = sess.run(null, feeds) as rt.Tensor[];
  const out = Array.from(y.data as Float32Array);
  y.close();
  return out;
}

test("Gather with an index past the axis → InvalidArgument naming the node; the session still works", () => {
  using sess = new rt.InferenceSession(twoInputModel("Gather", "pick_rows", [3, 2], [attr.int("axis", 0)]));
  const X = f32([1, 2, 3, 4, 5, 6], [3, 2]);
  assertThrows(() => sess.run(null, { X, I: i64([0, 3]) }), rt.InvalidArgument, "pick_rows");
  assertThrows(() => sess.run(null, { X, I: i64([-4]) }), rt.InvalidArgument, "pick_rows");
  assertEquals(values(sess, { X, I: i64([2, -3]) }), [5, 6, 1, 2]);
});

test("Reshape that cannot hold the data, or with a negative dim → InvalidArgument", () => {
  using sess = new rt.InferenceSession(twoInputModel("Reshape", "reshape_x", [2, 3]));
  const X = f32([1, 2, 3, 4, 5, 6], [2, 3]);
  assertThrows(() => sess.run(null, { X, I: i64([4, 2]) }), rt.InvalidArgument, "reshape_x");
  assertThrows(() => sess.run(null, { X, I: i64([-2, 3]) }), rt.InvalidArgument, "reshape_x");
  assertThrows(() => sess.run(null, { X, I: i64([-1, -1]) }), rt.InvalidArgument, "reshape_x");
  assertEquals(values(sess, { X, I: i64([3, -1]) }), [1, 2, 3, 4, 5, 6]);
});

test("Expand to a shape whose size overflows, or past the memory limit → InvalidArgument", () => {
  using sess = new rt.InferenceSession(twoInputModel("Expand", "expand_x", [1]));
  const X = f32([7], [1]);
  assertThrows(() => sess.run(null, { X, I: i64([2 ** 62, 2 ** 62]) }), rt.InvalidArgument, "expand_x");
  assertThrows(() => sess.run(null, { X, I: i64([1 << 20, 1 << 20, 1 << 10]) }), rt.InvalidArgument, "expand_x");
  assertEquals(values(sess, { X, I: i64([3]) }), [7, 7, 7]);
});

test("ConstantOfShape asking for more memory than allowed, or a negative dim → InvalidArgument", () => {
  const model = buildModel({
    nodes: [{ op: "ConstantOfShape", inputs: ["S"], outputs: ["Y"], name: "fill" }],
    inputs: [tensorValueInfo("S", ELEM.INT64, [null])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [])],
    opset: 20,
  });
  using sess = new rt.InferenceSession(model);
  assertThrows(() => sess.run(null, { S: i64([1 << 30, 1 << 30]) }), rt.InvalidArgument, "fill");
  assertThrows(() => sess.run(null, { S: i64([4, -1]) }), rt.InvalidArgument, "fill");
  assertEquals(values(sess, { S: i64([2, 2]) }), [0, 0, 0, 0]);
});

test("a session's own tensor limit (session.max_tensor_bytes) applies to it alone", () => {
  const model = buildModel({
    nodes: [{ op: "ConstantOfShape", inputs: ["S"], outputs: ["Y"], name: "fill" }],
    inputs: [tensorValueInfo("S", ELEM.INT64, [null])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [])],
    opset: 20,
  });
  const opts = new rt.SessionOptions();
  opts.addSessionConfigEntry("session.max_tensor_bytes", String(1 << 20));
  using small = new rt.InferenceSession(model, opts);
  using big = new rt.InferenceSession(model);
  // 4 MiB of float32: over the 1 MiB limit of one session, fine in the other.
  assertThrows(() => small.run(null, { S: i64([1024, 1024]) }), rt.InvalidArgument, "session.max_tensor_bytes");
  assertEquals((big.run(null, { S: i64([1024, 1024]) })[0] as rt.Tensor).dims, [1024, 1024]);
  assertEquals(values(small, { S: i64([2, 2]) }), [0, 0, 0, 0]);
  const bad = new rt.SessionOptions();
  bad.addSessionConfigEntry("session.max_tensor_bytes", "lots");
  assertThrows(() => new rt.InferenceSession(model, bad), rt.InvalidArgument, "session.max_tensor_bytes");
});

test("attributes the spec forbids fail at load, naming the node: Concat without axis, Cast to no type", () => {
  const concat = buildModel({
    nodes: [{ op: "Concat", inputs: ["X", "X"], outputs: ["Y"], name: "join_no_axis" }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [2])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [4])],
  });
  assertThrows(() => new rt.InferenceSession(concat), rt.InvalidGraph, "join_no_axis");
  const cast = buildModel({
    nodes: [{ op: "Cast", inputs: ["X"], outputs: ["Y"], name: "cast_bogus", attrs: [attr.int("to", 99)] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [2])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [2])],
  });
  // (onnxruntime says FAIL from its type inference here; ours is the kernel's argument check.)
  assertThrows(() => new rt.InferenceSession(cast), rt.InvalidArgument, "cast_bogus", "99");
});
