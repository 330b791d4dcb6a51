/** Every element type through the ABI and back, non-tensor inputs, and no aliasing of feeds. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import {
  attr,
  buildModel,
  ELEM,
  optionalValueInfo,
  sequenceValueInfo,
  tensorValueInfo,
} from "./helpers/onnx_builder.ts";

const identity = (elem: number, dims: (number | string | null)[] = [2, 3]) =>
  buildModel({
    nodes: [{ op: "Identity", inputs: ["X"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("X", elem, dims)],
    outputs: [tensorValueInfo("Y", elem, dims)],
  });

const cases: [rt.TensorType, number, () => rt.TensorData][] = [
  ["float32", ELEM.FLOAT, () => new Float32Array([1.5, -2, 3, 4, 5, 6])],
  ["float64", ELEM.DOUBLE, () => new Float64Array([1.5, -2, 3, 4, 5, 1e300])],
  ["int8", ELEM.INT8, () => new Int8Array([-128, -1, 0, 1, 2, 127])],
  ["uint8", ELEM.UINT8, () => new Uint8Array([0, 1, 2, 3, 254, 255])],
  ["int16", ELEM.INT16, () => new Int16Array([-32768, -1, 0, 1, 2, 32767])],
  ["uint16", ELEM.UINT16, () => new Uint16Array([0, 1, 2, 3, 4, 65535])],
  ["int32", ELEM.INT32, () => new Int32Array([-(2 ** 31), -1, 0, 1, 2, 2 ** 31 - 1])],
  ["uint32", ELEM.UINT32, () => new Uint32Array([0, 1, 2, 3, 4, 2 ** 32 - 1])],
  ["int64", ELEM.INT64, () => new BigInt64Array([-(2n ** 63n), -1n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n])],
  ["uint64", ELEM.UINT64, () => new BigUint64Array([0n, 1n, 2n, 3n, 4n, 2n ** 64n - 1n])],
  ["bool", ELEM.BOOL, () => new Uint8Array([1, 0, 1, 1, 0, 0])],
  ["float16", ELEM.FLOAT16, () => new Uint16Array([0x3c00, 0xc000, 0x0000, 0x7c00, 0x3555, 0x0001])],
  ["bfloat16", ELEM.BFLOAT16, () => new Uint16Array([0x3f80, 0xc000, 0, 0x7f80, 0x3eab, 1])],
  ["string", ELEM.STRING, () => ["a", "", "héllo wörld", "∑", "x".repeat(100), "last"]],
];

for (const [type, elem, make] of cases) {
  test(`Identity round-trips ${type}; the output does not alias the feed`, () => {
    using sess = new rt.InferenceSession(identity(elem));
    assertEquals(
      sess.getInputs()[0].type,
      `tensor(${type === "float32" ? "float" : type === "float64" ? "double" : type})`,
    );
    const data = make();
    const [y] = sess.run(null, { X: new rt.Tensor(type, data as rt.TypedArray, [2, 3]) }) as rt.Tensor[];
    assertEquals(y.type, type);
    assertEquals(y.dims, [2, 3]);
    const expected = Array.isArray(data) ? [...data] : Array.from(data as ArrayLike<unknown>);
    assertEquals(Array.from(y.data as ArrayLike<unknown>), expected);
    if (!Array.isArray(data)) {
      if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(0n);
      else (data as Uint8Array).fill(0);
      assertEquals(
        Array.from(y.data as ArrayLike<unknown>),
        expected,
        "output unchanged after the feed is overwritten",
      );
    }
    y.close();
  });
}

test("scalars and empty tensors", () => {
  using s0 = new rt.InferenceSession(identity(ELEM.FLOAT, []));
  const [y0] = s0.run(null, { X: new rt.Tensor("float32", [42], []) }) as rt.Tensor[];
  assertEquals(y0.dims, []);
  assertEquals(Array.from(y0.data as Float32Array), [42]);
  using se = new rt.InferenceSession(identity(ELEM.FLOAT, ["n", 3]));
  const [ye] = se.run(null, { X: { data: new Float32Array(0), dims: [0, 3] } }) as rt.Tensor[];
  assertEquals(ye.dims, [0, 3]);
  assertEquals(ye.data.length, 0);
});

test("a feed that is a subarray view passes its own bytes", () => {
  using sess = new rt.InferenceSession(identity(ELEM.FLOAT));
  const big = new Float32Array([9, 9, 1, 2, 3, 4, 5, 6, 9]);
  const [y] = sess.run(null, { X: { data: big.subarray(2, 8), dims: [2, 3] } }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

test("a sequence input takes an array of tensors", () => {
  const model = buildModel({
    opset: 13,
    nodes: [{ op: "ConcatFromSequence", inputs: ["S"], outputs: ["Y"], attrs: [attr.int("axis", 0)] }],
    inputs: [sequenceValueInfo("S", ELEM.FLOAT, [null])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [null])],
  });
  using sess = new rt.InferenceSession(model);
  assertEquals(sess.getInputs()[0].type, "seq(tensor(float))");
  const [y] = sess.run(null, {
    S: [new rt.Tensor("float32", [1, 2]), { data: new Float32Array([3]), dims: [1] }, new Float32Array([4, 5])],
  }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5]);
  assertThrows(() => sess.run(null, { S: new Float32Array(2) }), rt.InvalidArgument, "'S'", "array");
  assertThrows(() => sess.run(null, { S: [new Int32Array(2)] }), rt.InvalidArgument, "'S'", "tensor(int32)");
});

test("an optional input takes a tensor or null", () => {
  const model = buildModel({
    opset: 18,
    nodes: [{ op: "OptionalHasElement", inputs: ["O"], outputs: ["Y"] }],
    inputs: [optionalValueInfo("O", ELEM.FLOAT, [2])],
    outputs: [tensorValueInfo("Y", ELEM.BOOL, [])],
  });
  using sess = new rt.InferenceSession(model);
  assertEquals(sess.getInputs()[0].type, "optional(tensor(float))");
  const has = sess.run(null, { O: new Float32Array([1, 2]) })[0] as rt.Tensor;
  assertEquals(Array.from(has.data as Uint8Array), [1]);
  const none = sess.run(null, { O: null })[0] as rt.Tensor;
  assertEquals(Array.from(none.data as Uint8Array), [0]);
});

test("optional outputs: an empty optional becomes null", () => {
  const model = buildModel({
    opset: 18,
    nodes: [{ op: "Optional", inputs: ["X"], outputs: ["O"] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [2])],
    outputs: [optionalValueInfo("O", ELEM.FLOAT, [2])],
  });
  using sess = new rt.InferenceSession(model);
  const [o] = sess.run(null, { X: new Float32Array([7, 8]) });
  assert(o instanceof rt.Tensor, "an optional with a value gives the value");
  assertEquals(Array.from(o.data as Float32Array), [7, 8]);
});
