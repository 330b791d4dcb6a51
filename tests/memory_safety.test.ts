/**
 * No sequence of safe JavaScript calls (resize, transfer, gc, close, in any order, sync or
 * async) makes the library read or write memory it does not own, or return a result
 * computed from memory that changed under it. Each case is one of issue 9's reproductions;
 * after each misuse the tests keep allocating same-size buffers full of a sentinel and
 * run again, so that a use-after-free would show as changed values (or a crash).
 */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertRejects, assertThrows, test } from "./harness.ts";
import { collect, gc } from "./helpers/gc.ts";
import { buildModel, ELEM, type NodeSpec, tensorValueInfo } from "./helpers/onnx_builder.ts";

const SHAPE = [1, 3, 224, 224];
const N = 3 * 224 * 224;
const BYTES = N * 4;

/** Y = |X| through `depth` rounds of Sqrt(X·X): an image-sized input, slow enough to be in flight. */
function absModel(depth = 12): Uint8Array {
  const nodes: NodeSpec[] = [];
  let h = "X";
  for (let i = 0; i < depth; i++) {
    const sq = `sq${i}`, out = i === depth - 1 ? "Y" : `h${i}`;
    nodes.push({ op: "Mul", inputs: [h, h], outputs: [sq], name: `mul${i}` });
    nodes.push({ op: "Sqrt", inputs: [sq], outputs: [out], name: `sqrt${i}` });
    h = out;
  }
  return buildModel({
    nodes,
    inputs: [tensorValueInfo("X", ELEM.FLOAT, SHAPE)],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, SHAPE)],
  });
}

const addModel = () =>
  buildModel({
    nodes: [{ op: "Add", inputs: ["A", "B"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("A", ELEM.FLOAT, [4]), tensorValueInfo("B", ELEM.FLOAT, [4])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [4])],
  });

/** Values whose |x| is exact through Sqrt(x·x) in float32: small integers, signed. */
function fill(a: Float32Array, seed: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7 + seed) % 61) - 30;
  return a;
}
const expectedAbs = (seed: number) => Array.from(fill(new Float32Array(N), seed), Math.abs);

/** Allocates and fills many image-sized buffers, so freed memory gets reused and scribbled. */
function churn(count = 50): void {
  const junk: Float32Array[] = [];
  for (let i = 0; i < count; i++) junk.push(new Float32Array(N).fill(-12345));
  gc();
  void junk;
}

function assertAbs(y: rt.Tensor, seed: number, what: string) {
  const want = expectedAbs(seed), got = y.data as Float32Array;
  assertEquals(got.length, N, `${what}: length`);
  for (let i = 0; i < N; i++) {
    if (got[i] !== want[i]) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

function resizable(): Float32Array {
  const ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(
    BYTES,
    { maxByteLength: BYTES },
  );
  return new Float32Array(ab, 0, N);
}
type Resizable = ArrayBuffer & { resize(n: number): void };
type Transferable = ArrayBuffer & { transfer(): ArrayBuffer };

test("a resizable feed resized to 0 while runAsync is in flight: the run uses its own copy", async () => {
  using sess = new rt.InferenceSession(absModel());
  for (let k = 0; k < 5; k++) {
    const x = fill(resizable(), k);
    const pending = sess.runAsync(null, { X: { data: x, dims: SHAPE } });
    (x.buffer as Resizable).resize(0);
    churn(10);
    const [y] = (await pending) as rt.Tensor[];
    assertAbs(y, k, `async run ${k}`);
  }
});

test("an OrtValue over a resizable buffer resized to 0: run and toTensor() refuse it", () => {
  using sess = new rt.InferenceSession(absModel(1));
  const x = fill(resizable(), 3);
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", x, SHAPE));
  assertAbs(sess.run(null, { X: ov })[0] as rt.Tensor, 3, "before the resize");
  (x.buffer as Resizable).resize(0);
  churn();
  assertThrows(() => sess.run(null, { X: ov }), rt.InvalidArgument, "'X'", "resized");
  assertThrows(() => ov.toTensor(), rt.InvalidArgument, "resized");
  assertThrows(() => ov.dataPtr(), rt.InvalidArgument);
  // Grown back to its size, it is the same memory again and usable.
  (x.buffer as Resizable).resize(BYTES);
  fill(x, 4);
  assertAbs(sess.run(null, { X: ov })[0] as rt.Tensor, 4, "after growing back");
  assertAbs(sess.run(null, { X: fill(new Float32Array(N), 5) })[0] as rt.Tensor, 5, "the session goes on");
});

test("an OrtValue whose buffer was transferred away is refused, not read", async () => {
  using sess = new rt.InferenceSession(absModel(1));
  const d = fill(new Float32Array(N), 6);
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", d, SHAPE));
  let moved: ArrayBuffer | null = (d.buffer as Transferable).transfer();
  moved = null;
  void moved;
  await collect();
  churn();
  for (let i = 0; i < 3; i++) {
    assertThrows(() => sess.run(null, { X: ov }), rt.InvalidArgument, "transferred");
    assertThrows(() => sess.runWithOrtValues(null, { X: ov }), rt.InvalidArgument, "transferred");
    await assertRejects(() => sess.runAsync(null, { X: ov }), rt.InvalidArgument, "transferred");
    churn(10);
  }
  assertThrows(() => ov.toTensor(), rt.InvalidArgument, "transferred");
  assertThrows(() => ov.updateInplace(new Float32Array(N)), rt.InvalidArgument, "transferred");
  assertAbs(sess.run(null, { X: fill(new Float32Array(N), 7) })[0] as rt.Tensor, 7, "the session goes on");
});

test("runAsync, then the feed's buffer is transferred and collected: the result is still right", async () => {
  using sess = new rt.InferenceSession(absModel());
  for (let k = 0; k < 20; k++) {
    const x = fill(new Float32Array(N), k);
    const pending = sess.runAsync(null, { X: x });
    let moved: ArrayBuffer | null = (x.buffer as Transferable).transfer();
    moved = null;
    void moved;
    churn(8);
    const [y] = (await pending) as rt.Tensor[];
    assertAbs(y, k, `run ${k}`);
  }
});

test("an OrtValue feed to runAsync, transferred while in flight: the run used a copy", async () => {
  using sess = new rt.InferenceSession(absModel());
  const d = fill(new Float32Array(N), 9);
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", d, SHAPE));
  const pending = sess.runAsync(null, { X: ov });
  (d.buffer as Transferable).transfer();
  churn(10);
  assertAbs(((await pending) as rt.Tensor[])[0], 9, "async run over the OrtValue");
});

test("output data read after close() stays what the run returned; writing it changes nothing else", () => {
  using sess = new rt.InferenceSession(absModel(1));
  const y = sess.run(null, { X: fill(new Float32Array(N), 1) })[0] as rt.Tensor;
  const d = y.data as Float32Array;
  y.close();
  assertThrows(() => y.data, rt.InvalidArgument, "closed");
  for (let k = 0; k < 5; k++) {
    const z = sess.run(null, { X: fill(new Float32Array(N), 100 + k) })[0] as rt.Tensor;
    assertAbs(z, 100 + k, `run ${k} after close`);
    churn(5);
  }
  const want = expectedAbs(1);
  let changed = 0;
  for (let i = 0; i < N; i++) if (d[i] !== want[i]) changed++;
  assertEquals(changed, 0, "elements of the closed output's view that changed");
  d.fill(777); // writes JS memory the view owns, nothing of the library's
  assertAbs(sess.run(null, { X: fill(new Float32Array(N), 2) })[0] as rt.Tensor, 2, "after writing the old view");
});

test("only a view of an output kept, the Tensor dropped and collected: the view keeps its values", async () => {
  using sess = new rt.InferenceSession(absModel(1));
  const keep = (() => {
    const y = sess.run(null, { X: fill(new Float32Array(N), 11) })[0] as rt.Tensor;
    const a = y.data as Float32Array;
    return { sub: a.subarray(0), buf: a.buffer };
  })();
  await collect();
  for (let k = 0; k < 5; k++) {
    sess.run(null, { X: fill(new Float32Array(N), 200 + k) });
    churn(5);
  }
  await collect();
  const want = expectedAbs(11);
  const asBuf = new Float32Array(keep.buf, 0, N);
  for (let i = 0; i < N; i++) {
    if (keep.sub[i] !== want[i] || asBuf[i] !== want[i]) throw new Error(`element ${i} changed`);
  }
});

test("unclosed outputs in a synchronous loop hold no native memory", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const base = rt.liveHandles();
  let last: rt.Tensor | null = null;
  for (let i = 0; i < 20000; i++) last = sess.run(null, { X: x })[0] as rt.Tensor;
  // No event-loop turn has happened, so no finalizer ran: nothing native was left to free.
  assertEquals(rt.liveHandles(), base, "live handles after 20000 unclosed runs");
  assertEquals(Array.from(last!.data as Float32Array), [1, 4, 9, 16, 25, 36]);
});

test("a feed getter that transfers another feed's buffer: the run refuses instead of reading it", () => {
  using sess = new rt.InferenceSession(addModel());
  const a = new Float32Array([1, 2, 3, 4]);
  const b = new Float32Array([10, 20, 30, 40]);
  const feeds = {
    A: a,
    get B() {
      (a.buffer as Transferable).transfer();
      return b;
    },
  };
  assertThrows(() => sess.run(null, feeds), rt.InvalidArgument, "transferred");
  const [y] = sess.run(null, { A: new Float32Array([1, 1, 1, 1]), B: b }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [11, 21, 31, 41]);
});

test("IOBinding: a bound host buffer transferred or resized before the run is refused", () => {
  using sess = new rt.InferenceSession(absModel(1));
  const io = sess.ioBinding();
  const x = fill(new Float32Array(N), 12);
  io.bindCpuInput("X", { data: x, dims: SHAPE });
  io.bindOutput("Y");
  sess.runWithIOBinding(io);
  assertAbs(io.copyOutputsToCpu()[0], 12, "bound run");
  (x.buffer as Transferable).transfer();
  churn();
  assertThrows(() => sess.runWithIOBinding(io), rt.InvalidArgument, "'X'", "transferred");
  const r = fill(resizable(), 13);
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", r, SHAPE));
  io.bindOrtvalueInput("X", ov);
  (r.buffer as Resizable).resize(BYTES - 4);
  assertThrows(() => sess.runWithIOBinding(io), rt.InvalidArgument, "'X'", "resized");
  io.bindCpuInput("X", { data: fill(new Float32Array(N), 14), dims: SHAPE });
  sess.runWithIOBinding(io);
  assertAbs(io.copyOutputsToCpu()[0], 14, "rebound");
});

test("SharedArrayBuffer feeds and OrtValues are copied: other threads' writes can't race the run", () => {
  using sess = new rt.InferenceSession(absModel(1));
  const x = fill(new Float32Array(new SharedArrayBuffer(BYTES)), 15);
  assertAbs(sess.run(null, { X: { data: x, dims: SHAPE } })[0] as rt.Tensor, 15, "shared feed");
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", x, SHAPE));
  x.fill(5);
  assertAbs(sess.run(null, { X: ov })[0] as rt.Tensor, 15, "the OrtValue holds the values it was made from");
});

test("an initializer over a JS buffer: the session keeps its own copy", () => {
  const w = new Float32Array([2, 2, 2, 2, 2, 2]);
  const so = new rt.SessionOptions();
  so.addInitializer("W", rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", w, [3, 2])));
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), so);
  (w.buffer as Transferable).transfer();
  const junk: Float32Array[] = [];
  for (let i = 0; i < 1000; i++) junk.push(new Float32Array(6).fill(-1));
  gc();
  const [y] = sess.run(null, { X: new Float32Array([1, 2, 3, 4, 5, 6]) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [2, 4, 6, 8, 10, 12]);
  assert(junk.length === 1000);
});
