/** runAsync: Promise and callback forms, concurrency, terminate, under both runtimes. */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertRejects, runtime, test } from "./harness.ts";

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

test("terminate set before runAsync makes it reject", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
  const ro = new rt.RunOptions();
  ro.terminate = true;
  await assertRejects(() => sess.runAsync(null, { x: x() }, ro), rt.OrtError);
  ro.terminate = false;
  const [y] = (await sess.runAsync(null, { x: x() }, ro)) as rt.Tensor[];
  assertEquals(y.dims, [3, 4, 5]);
});

test("the event loop keeps turning while an async run is in flight", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("logreg_iris.onnx"));
  const big = new Float32Array(4 * 20000).map((_, i) => (i % 7) + 0.5);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    const [labels] = (await sess.runAsync(["output_label"], { float_input: big })) as rt.Tensor[];
    assertEquals(labels.dims, [20000]);
  } finally {
    clearInterval(timer);
  }
  assert(ticks >= 0);
});
