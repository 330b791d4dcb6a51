/** runAsync: Promise and callback forms, concurrency, terminate, under both runtimes. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertRejects, runtime, test } from "./harness.ts";
import { matmulChain } from "./helpers/onnx_builder.ts";

const x = () => new Float32Array(60).map((_, i) => (i - 30) / 5);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

test(`runAsync resolves with the same outputs as run (${runtime})`, async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const input = x();
  const [sync] = sess.run(null, { x: input }) as rt.Tensor[];
  const [asy] = (await sess.runAsync(null, { x: input })) as rt.Tensor[];
  assertEquals(Array.from(asy.data as Float32Array), Array.from(sync.data as Float32Array));
  assert(Math.abs((asy.data as Float32Array)[0] - sigmoid(input[0])) < 1e-6);
});

test("runAsync callback form gets (results, userData, err)", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const user = { calls: 0 };
  const got = await new Promise<{ r: rt.OutputValue[]; u: typeof user; err: string }>((resolve) => {
    sess.runAsync(["Y"], { X: new Float32Array([1, 2, 3, 4, 5, 6]) }, (r, u: typeof user, err) => {
      u.calls++;
      resolve({ r, u, err });
    }, user);
  });
  assertEquals(got.err, "");
  assert(got.u === user && user.calls === 1);
  assertEquals(Array.from((got.r[0] as rt.Tensor).data as Float32Array), [1, 4, 9, 16, 25, 36]);
  const failed = await new Promise<string>((resolve) => {
    sess.runAsync(["nope"], { X: new Float32Array(6) }, (_r, _u, err) => resolve(err));
  });
  assert(failed.includes("nope"), `error string names the output: ${failed}`);
});

test("many runAsync calls in flight at once all complete correctly", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const runs = Array.from({ length: 32 }, (_, k) => {
    const input = new Float32Array(6).fill(k);
    return sess.runAsync(null, { X: input }).then((r) => Array.from((r[0] as rt.Tensor).data as Float32Array));
  });
  const results = await Promise.all(runs);
  results.forEach((r, k) => assertEquals(r, [1, 2, 3, 4, 5, 6].map((w) => w * k)));
});

test("runAsync rejects with the right error class and the session goes on", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  await assertRejects(() => sess.runAsync(null, { X: new Float64Array(6) }), rt.InvalidArgument, "'X'");
  const r = await sess.runAsync(null, { X: new Float32Array(6).fill(1) });
  assertEquals(Array.from((r[0] as rt.Tensor).data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

test("terminate set before runAsync makes it reject with Fail", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const ro = new rt.RunOptions();
  ro.terminate = true;
  await assertRejects(() => sess.runAsync(null, { X: new Float32Array(6) }, ro), rt.Fail);
  ro.terminate = false;
  const [y] = (await sess.runAsync(null, { X: new Float32Array(6).fill(1) }, ro)) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

test("the event loop keeps turning while an async run is in flight", async () => {
  // Identity weights keep the values exact whatever the depth: Y == X.
  using sess = new rt.InferenceSession(matmulChain(60, 256));
  const input = new Float32Array(256 * 256).map((_, i) => i % 13);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  try {
    const [y] = (await sess.runAsync(null, { X: input })) as rt.Tensor[];
    assertEquals((y.data as Float32Array).slice(0, 26), input.slice(0, 26));
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  if (ms > 30) assert(ticks > 0, `no timer ran during a ${ms.toFixed(0)} ms async run`);
});

test("terminate stops a run that is already going", async () => {
  using sess = new rt.InferenceSession(matmulChain(400, 256));
  const ro = new rt.RunOptions();
  const input = new Float32Array(256 * 256).fill(1);
  const p = sess.runAsync(null, { X: input }, ro);
  ro.terminate = true; // the run is on a library thread now
  await assertRejects(() => p, rt.Fail);
  ro.terminate = false;
  using quick = new rt.InferenceSession(matmulChain(2, 4));
  const [y] = (await quick.runAsync(null, { X: new Float32Array(16).fill(2) }, ro)) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), new Array(16).fill(2));
});
