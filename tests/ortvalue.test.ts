/** OrtValue, IOBinding and SparseTensor, as the seeds' "Data inputs and outputs" section uses them. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

const X = () => new rt.Tensor("float32", [1, 2, 3, 4, 5, 6], [3, 2]);
const mul1 = () => new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));

test("OrtValue from a tensor: deviceName, shape, dataType, isTensor, toTensor", () => {
  const x = X();
  using ov = rt.OrtValue.ortvalueFromTensor(x);
  assertEquals(ov.deviceName(), "cpu");
  assertEquals(ov.shape(), [3, 2]);
  assertEquals(ov.dataType(), "tensor(float)");
  assertEquals(ov.elementType(), rt.TensorProto.FLOAT);
  assertEquals(ov.isTensor(), true);
  assertEquals(ov.isSparseTensor(), false);
  assertEquals(ov.isTensorSequence(), false);
  assertEquals(ov.hasValue(), true);
  const back = ov.toTensor();
  assertEquals(back.dims, [3, 2]);
  assertEquals(Array.from(back.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  assert(ov.dataPtr() !== 0n, "dataPtr is an address");
});

test("a CPU OrtValue shares the tensor's memory; updateInplace writes into it", () => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor(data, [3, 2]));
  ov.updateInplace(new Float32Array([6, 5, 4, 3, 2, 1]));
  assertEquals(Array.from(data), [6, 5, 4, 3, 2, 1], "same memory");
  assertEquals(Array.from(ov.toTensor().data as Float32Array), [6, 5, 4, 3, 2, 1]);
  assertThrows(() => ov.updateInplace(new Float64Array(6)), rt.InvalidArgument, "type");
  assertThrows(() => ov.updateInplace(new Float32Array(5)), rt.InvalidArgument, "size");
});

test("ortvalueFromShapeAndType allocates zeros of any element type spelling", () => {
  for (const t of ["float32", rt.TensorProto.FLOAT, Float32Array, "tensor(float)"] as const) {
    using ov = rt.OrtValue.ortvalueFromShapeAndType([3, 2], t);
    assertEquals(ov.dataType(), "tensor(float)");
    assertEquals(Array.from(ov.toTensor().data as Float32Array), [0, 0, 0, 0, 0, 0]);
  }
  using i64 = rt.OrtValue.ortvalueFromShapeAndType([2], "int64");
  assertEquals(i64.dataType(), "tensor(int64)");
  assertEquals(i64.toTensor().data, new BigInt64Array(2));
  assertThrows(() => rt.OrtValue.ortvalueFromShapeAndType([2], "complex256"), rt.InvalidArgument, "complex256");
  assertThrows(() => rt.OrtValue.ortvalueFromShapeAndType([-1], "float32"), rt.InvalidArgument, "shape");
  assertThrows(() => rt.OrtValue.ortvalueFromShapeAndType([1], "float32", "tpu"), rt.InvalidArgument, "tpu");
});

test("string, bool and int64 tensors go through OrtValues", () => {
  using s = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("string", ["a", "héllo", ""], [3]));
  assertEquals(s.dataType(), "tensor(string)");
  assertEquals(s.toTensor().data, ["a", "héllo", ""]);
  using b = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("bool", [true, false, true]));
  assertEquals(b.dataType(), "tensor(bool)");
  assertEquals(Array.from(b.toTensor().data as Uint8Array), [1, 0, 1]);
  using i = rt.OrtValue.ortvalueFromTensor(new BigInt64Array([1n, -2n, 2n ** 40n]));
  assertEquals(i.toTensor().data, new BigInt64Array([1n, -2n, 2n ** 40n]));
});

test("OrtValues as feeds; runWithOrtValues and runWithOrtValueVector return OrtValues", () => {
  using sess = mul1();
  using x = rt.OrtValue.ortvalueFromTensor(X());
  const [y] = sess.run(["Y"], { X: x }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const [yv] = sess.runWithOrtValues(["Y"], { X: x });
  assert(yv instanceof rt.OrtValue);
  assertEquals(Array.from(yv.toTensor().data as Float32Array), [1, 4, 9, 16, 25, 36]);
  yv.close();
  const fetches: rt.OrtValue[] = [];
  sess.runWithOrtValueVector(new rt.RunOptions(), ["X"], [x], ["Y"], fetches, [rt.OrtDevice.make("cpu", 0)]);
  assertEquals(fetches.length, 1);
  assertEquals(Array.from(fetches[0].toTensor().data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const wrong = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float64", [1, 2, 3, 4, 5, 6], [3, 2]));
  assertThrows(() => sess.run(null, { X: wrong }), rt.InvalidArgument, "'X'", "tensor(double)", "tensor(float)");
});

test("IOBinding: bindCpuInput + bindOutput + copyOutputsToCpu", () => {
  using sess = mul1();
  const io = sess.ioBinding();
  io.bindCpuInput("X", X());
  io.bindOutput("Y");
  sess.runWithIOBinding(io);
  const [y] = io.copyOutputsToCpu();
  assertEquals(Array.from(y.data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const [yv] = io.getOutputs();
  assertEquals(yv.deviceName(), "cpu");
  assertEquals(yv.shape(), [3, 2]);
  io.synchronizeInputs();
  io.synchronizeOutputs();
});

test("IOBinding: bindInput/bindOutput by pointer write into the bound buffer", () => {
  using sess = mul1();
  using x = rt.OrtValue.ortvalueFromTensor(X());
  using y = rt.OrtValue.ortvalueFromShapeAndType([3, 2], "float32");
  const io = sess.ioBinding();
  io.bindInput({
    name: "X",
    deviceType: x.deviceName(),
    deviceId: 0,
    elementType: "float32",
    shape: x.shape(),
    bufferPtr: x.dataPtr(),
  });
  io.bindOutput("Y", y.deviceName(), 0, rt.TensorProto.FLOAT, y.shape(), y.dataPtr());
  sess.runWithIOBinding(io);
  assertEquals(Array.from(y.toTensor().data as Float32Array), [1, 4, 9, 16, 25, 36]);
});

test("IOBinding: bindOrtvalueInput / bindOrtvalueOutput; clear bindings", () => {
  using sess = mul1();
  using x = rt.OrtValue.ortvalueFromTensor(X());
  using y = rt.OrtValue.ortvalueFromShapeAndType([3, 2], "float32");
  const io = sess.ioBinding();
  io.bindOrtvalueInput("X", x);
  io.bindOrtvalueOutput("Y", y);
  sess.runWithIOBinding(io);
  assertEquals(Array.from(y.toTensor().data as Float32Array), [1, 4, 9, 16, 25, 36]);
  assert(io.getOutputs()[0] === y, "the bound OrtValue is the output");
  io.clearBindingInputs();
  assertThrows(() => sess.runWithIOBinding(io), rt.InvalidArgument, "'X'");
  io.clearBindingOutputs();
  io.bindCpuInput("X", X());
  assertThrows(() => sess.runWithIOBinding(io), rt.InvalidArgument, "no outputs");
  assertThrows(() => io.bindCpuInput("nope", X()), rt.InvalidArgument, "'nope'");
  assertThrows(() => io.bindOutput("nope"), rt.InvalidArgument, "'nope'");
});

test("SessionIOBinding with OrtDevice overloads", () => {
  using sess = mul1();
  const b = new rt.SessionIOBinding(sess);
  b.bindInput("X", X());
  b.bindOutput("Y", rt.OrtDevice.make("cpu", 0));
  sess.runWithIOBinding(b);
  assertEquals(Array.from(b.copyOutputsToCpu()[0].data as Float32Array), [1, 4, 9, 16, 25, 36]);
});

test("SparseTensor COO and CSR: views, dense shape, type, format", () => {
  const values = new Float32Array([1, 2, 3]);
  const coo = rt.SparseTensor.sparseCooFromTensor(
    [3, 4],
    values,
    new BigInt64Array([1n, 6n, 11n]),
    rt.OrtDevice.make("cpu", 0),
  );
  assert(coo.format() === rt.OrtSparseFormat.ORT_SPARSE_COO);
  assertEquals(coo.denseShape(), [3, 4]);
  assertEquals(coo.dataType(), "sparse_tensor(float)");
  assertEquals(coo.deviceName(), "cpu");
  assert(coo.values().data === values, "values are shared, not copied");
  assertEquals(coo.asCooView().indices().data, new BigInt64Array([1n, 6n, 11n]));
  assertEquals(Array.from(coo.toDense().data as Float32Array), [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3]);
  assertThrows(() => coo.asCsrcView(), rt.InvalidArgument, "COO");
  assertThrows(() => coo.asBlocksparseView(), rt.InvalidArgument, "BlockSparse");

  const coo2 = rt.SparseTensor.sparseCooFromTensor(
    [3, 4],
    values,
    new BigInt64Array([0n, 1n, 1n, 2n, 2n, 3n]),
    rt.OrtDevice.make("cpu", 0),
  );
  assertEquals(coo2.asCooView().indices().dims, [3, 2]);
  assertEquals(Array.from(coo2.toDense().data as Float32Array), Array.from(coo.toDense().data as Float32Array));

  const csr = rt.SparseTensor.sparseCsrFromTensor(
    [3, 4],
    values,
    new BigInt64Array([1n, 2n, 3n]),
    new BigInt64Array([0n, 1n, 2n, 3n]),
    rt.OrtDevice.make("cpu", 0),
  );
  assert(csr.format() === rt.OrtSparseFormat.ORT_SPARSE_CSRC);
  assertEquals(csr.asCsrcView().inner().data, new BigInt64Array([1n, 2n, 3n]));
  assertEquals(csr.asCsrcView().outer().data, new BigInt64Array([0n, 1n, 2n, 3n]));
  assertEquals(Array.from(csr.toDense().data as Float32Array), [0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3]);

  assertThrows(
    () => rt.SparseTensor.sparseCooFromTensor([3, 4], values, new BigInt64Array([1n, 2n])),
    rt.InvalidArgument,
    "coo_indices",
  );
  assertThrows(
    () => rt.SparseTensor.sparseCooFromTensor([3, 4], values, new BigInt64Array([1n, 2n, 12n])),
    rt.InvalidArgument,
    "12",
  );
  assertThrows(
    () =>
      rt.SparseTensor.sparseCsrFromTensor(
        [3, 4],
        values,
        new BigInt64Array([1n, 2n, 3n]),
        new BigInt64Array([0n, 2n, 1n, 3n]),
      ),
    rt.InvalidArgument,
    "outer_indices",
  );

  using ov = rt.OrtValue.ortValueFromSparseTensor(coo);
  assertEquals(ov.isSparseTensor(), true);
  assertEquals(ov.isTensor(), false);
  assertEquals(ov.dataType(), "sparse_tensor(float)");
  assertEquals(ov.shape(), [3, 4]);
  assert(ov.asSparseTensor() === coo);
  using dense = rt.OrtValue.ortvalueFromTensor(X());
  assertThrows(() => dense.asSparseTensor(), rt.InvalidArgument, "tensor(float)");
});

test("Tensor constructor validates type, data and dims", () => {
  const t = new rt.Tensor("float32", new Float32Array(6), [2, 3]);
  assertEquals([t.type, t.dims, t.size, t.location], ["float32", [2, 3], 6, "cpu"]);
  assertEquals(new rt.Tensor(new Int32Array(4)).dims, [4]);
  assertEquals(new rt.Tensor("int64", [1, 2]).data, new BigInt64Array([1n, 2n]));
  assertEquals(new rt.Tensor("bool", [true, false]).data, new Uint8Array([1, 0]));
  assertEquals(new rt.Tensor(["a", "b"]).type, "string");
  assertThrows(() => new rt.Tensor("float32", new Float32Array(5), [2, 3]), rt.InvalidArgument, "5 elements", "need 6");
  assertThrows(() => new rt.Tensor("float32", new Float64Array(6), [2, 3]), rt.InvalidArgument, "Float32Array");
  assertThrows(() => new rt.Tensor("float32", new Float32Array(6), [2, -3]), rt.InvalidArgument, "dims");
  assertThrows(() => new rt.Tensor("float33" as rt.TensorType, new Float32Array(1)), rt.InvalidArgument, "float33");
});
