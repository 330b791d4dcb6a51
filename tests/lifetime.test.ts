/** Native memory behind outputs and values: freed by close(), or by GC once unreachable — never earlier. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, runtime, test } from "./harness.ts";

// Deno needs --v8-flags=--expose-gc (scripts/test-all.mjs passes it); Bun has Bun.gc.
const gc = (globalThis as { gc?: () => void }).gc ??
  ((globalThis as { Bun?: { gc: (force: boolean) => void } }).Bun
    ? () => (globalThis as unknown as { Bun: { gc: (f: boolean) => void } }).Bun.gc(true)
    : undefined);

async function collect() {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10));
  }
}

test(`unreferenced outputs are freed by GC; referenced ones stay readable (${runtime})`, async () => {
  if (!gc) {
    console.warn("no gc() here (run deno with --v8-flags=--expose-gc); skipping");
    return;
  }
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const x = new Float32Array([1, 1, 1, 1, 1, 1]);
  await collect();
  const base = rt.liveHandles();
  let kept: rt.Tensor | null = null;
  for (let i = 0; i < 3000; i++) {
    const [y] = sess.run(null, { X: x }) as rt.Tensor[];
    if (i === 7) kept = y;
  }
  await collect();
  assertEquals(rt.liveHandles(), base + 1n, "only the kept output is alive");
  const data = kept!.data as Float32Array;
  kept = null;
  await collect();
  // The TypedArray alone still keeps the memory.
  assertEquals(Array.from(data), [1, 2, 3, 4, 5, 6]);
  assert(rt.liveHandles() === base + 1n, "memory kept while the data is reachable");
  sess.getInputs();
});

test("OrtValues and sessions are freed by GC when forgotten", async () => {
  if (!gc) return;
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
  assertEquals(rt.liveHandles(), base + 2n);
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
  if (gc) await collect();
  junk.length = 0;
  const [y] = sess.run(null, { X: ov }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const pending = sess.runAsync(null, { X: new Float32Array([2, 2, 2, 2, 2, 2]) });
  for (let i = 0; i < 20000; i++) junk.push(new Float32Array(6));
  if (gc) gc();
  const [z] = (await pending) as rt.Tensor[];
  assertEquals(Array.from(z.data as Float32Array), [2, 4, 6, 8, 10, 12]);
});
