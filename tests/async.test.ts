/** runAsync: Promise and callback forms, concurrency, terminate, under both runtimes. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertRejects, ROOT, runtime, test } from "./harness.ts";
import { collect } from "./helpers/gc.ts";
import { matmulChain, unaryModel } from "./helpers/onnx_builder.ts";

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

test("with interOpNumThreads: 1, concurrent runAsync calls queue on one worker and all resolve", async () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), { interOpNumThreads: 1 });
  const runs = Array.from({ length: 12 }, (_, k) =>
    sess.runAsync(null, { X: new Float32Array(6).fill(k) }).then((r) => Array.from((r[0] as rt.Tensor).data as Float32Array))
  );
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

test(`many sequential runAsync calls resolve with their own values and leave no handles (${runtime})`, async () => {
  using sess = new rt.InferenceSession(unaryModel("Identity", [1]));
  const once = async (v: number) => {
    const [y] = (await sess.runAsync(null, { X: new Float32Array([v]) })) as rt.Tensor[];
    const got = (y.data as Float32Array)[0];
    y.close();
    return got;
  };
  await once(0); // Bun starts its completion waiter here
  await collect(); // earlier tests' unclosed values go first
  const base = rt.liveHandles();
  for (let k = 1; k <= 300; k++) assertEquals(await once(k), k);
  assertEquals(rt.liveHandles(), base, "live handles after 300 async runs");
});

test(`a script exits by itself after runAsync: awaited, in a terminated Worker, left in flight (${runtime})`, () => {
  const dir = mkdtempSync(`${tmpdir()}/onnxrun-async-`);
  const imports = `import * as rt from ${JSON.stringify(`${ROOT}src/mod.ts`)};
import { matmulChain, unaryModel } from ${JSON.stringify(`${ROOT}tests/helpers/onnx_builder.ts`)};
const once = async (v: number) => {
  const tiny = new rt.InferenceSession(unaryModel("Identity", [1]));
  return ((await tiny.runAsync(null, { X: new Float32Array([v]) }))[0] as rt.Tensor).data[0];
};
`;
  try {
    writeFileSync(`${dir}/worker.ts`, `${imports}postMessage(await once(5));\n`);
    writeFileSync(
      `${dir}/exit.ts`,
      `${imports}console.log(\`awaited \${await once(7)}\`); // one string: no colours

const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
console.log(\`worker \${await new Promise((r) => (w.onmessage = (e) => r(e.data)))}\`);
w.terminate(); // Bun waits for the Worker's own waiter Worker here
const slow = new rt.InferenceSession(matmulChain(20, 128));
slow.runAsync(null, { X: new Float32Array(128 * 128).fill(3) })
  .then((r) => console.log(\`in flight \${((r[0] as rt.Tensor).data as Float32Array)[0]}\`));
`,
    );
    const script = `${dir}/exit.ts`;
    const args = runtime === "deno" ? ["run", "-A", script] : [script];
    // A generous limit: the failure this catches is a process kept alive by a waiter.
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: process.env, timeout: 30_000 });
    assertEquals(r.status, 0, `exit status (signal ${r.signal}); stderr: ${r.stderr}`);
    assertEquals(r.stdout.trim().split("\n"), ["awaited 7", "worker 5", "in flight 3"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
