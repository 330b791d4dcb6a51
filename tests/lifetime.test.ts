/** Native memory behind values: freed by close(), or by GC once unreachable — never earlier. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, test } from "./harness.ts";
import { collect, gc } from "./helpers/gc.ts";

test("OrtValues and sessions are freed by GC when forgotten", async () => {
  await collect();
  const base = rt.liveHandles();
  (() => {
    for (let i = 0; i < 50; i++) rt.OrtValue.ortvalueFromShapeAndType([4], "float32");
    new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  })();
  await collect();
  assertEquals(rt.liveHandles(), base);
});

test("close() frees at once and is idempotent", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const base = rt.liveHandles();
  const ov = rt.OrtValue.ortvalueFromShapeAndType([2], "float32");
  const [y] = sess.run(null, { X: new Float32Array(6) }) as rt.Tensor[];
  assertEquals(rt.liveHandles(), base + 1n, "the OrtValue; the output holds no native value");
  ov.close();
  y.close();
  ov.close();
  y.close();
  assertEquals(rt.liveHandles(), base);
  assert(ov.closed && y.closed);
});

test("small borrowed buffers stay put through GC (OrtValue feeds, async runs)", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  // 24 bytes: small enough to start life inside V8's moving heap.
  using ov = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", [1, 2, 3, 4, 5, 6], [3, 2]));
  const junk: unknown[] = [];
  for (let i = 0; i < 20000; i++) junk.push(new Float32Array(6), { i });
  await collect();
  junk.length = 0;
  const [y] = sess.run(null, { X: ov }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const pending = sess.runAsync(null, { X: new Float32Array([2, 2, 2, 2, 2, 2]) });
  for (let i = 0; i < 20000; i++) junk.push(new Float32Array(6));
  gc();
  const [z] = (await pending) as rt.Tensor[];
  assertEquals(Array.from(z.data as Float32Array), [2, 4, 6, 8, 10, 12]);
});
