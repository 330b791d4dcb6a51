/**
 * What runAsync costs over run: both on a one-node float32[1] Identity model, in one
 * process, so the difference is the async machinery (job start, completion wake-up).
 *
 *   node_modules/.bin/bun bench/async_overhead.ts
 *   node_modules/.bin/deno run -A bench/async_overhead.ts
 *
 * Prints the median per-call time of each and the median overhead; then the process CPU
 * time per call of a ~10 ms single-threaded run both ways (more for runAsync would mean
 * someone spins while waiting). BENCH_ROUNDS (default 20) rounds of BENCH_CALLS (default
 * 200) calls each.
 */
import process from "node:process";
import * as rt from "../src/mod.ts";
import { matmulChain, unaryModel } from "../tests/helpers/onnx_builder.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";

const sess = new rt.InferenceSession(unaryModel("Identity", [1]));
const feeds = { X: new Float32Array([1.5]) };
const check = (r: rt.OutputValue[]) => {
  const t = r[0] as rt.Tensor;
  if ((t.data as Float32Array)[0] !== 1.5) throw new Error(`wrong output ${t.data}`);
  t.close();
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per-call times (µs) of `calls` sequential calls, and the process CPU µs per call. */
async function timeCalls(fn: () => unknown, calls: number): Promise<{ each: number[]; cpu: number }> {
  const each: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    each.push((performance.now() - t0) * 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  return { each, cpu: (cpu.user + cpu.system) / calls };
}

const sync = () => check(sess.run(null, feeds));
const async_ = async () => check(await sess.runAsync(null, feeds));

// Warm-up: JIT, the library's lazy state, the Bun waiter.
await timeCalls(sync, CALLS);
await timeCalls(async_, CALLS);

const syncTimes: number[] = [], asyncTimes: number[] = [], asyncCpu: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Interleaved rounds, so drift (frequency, other load) hits both sides alike.
  syncTimes.push(...(await timeCalls(sync, CALLS)).each);
  const a = await timeCalls(async_, CALLS);
  asyncTimes.push(...a.each);
  asyncCpu.push(a.cpu);
}
sess.close();

const ms = median(syncTimes), ma = median(asyncTimes);
console.log(`${runtime}: ${ROUNDS}×${CALLS} calls each on a float32[1] Identity model`);
console.log(`  run       median ${ms.toFixed(1)} µs`);
console.log(`  runAsync  median ${ma.toFixed(1)} µs, process CPU ${median(asyncCpu).toFixed(1)} µs per call`);
console.log(`  overhead  median ${(ma - ms).toFixed(1)} µs`);

const long = new rt.InferenceSession(matmulChain(30, 256), { intraOpNumThreads: 1 });
const longFeeds = { X: new Float32Array(256 * 256).fill(1) };
const longSync = () => long.run(null, longFeeds).forEach((t) => (t as rt.Tensor).close());
const longAsync = async () => (await long.runAsync(null, longFeeds)).forEach((t) => (t as rt.Tensor).close());
await timeCalls(longAsync, 3);
const ls = await timeCalls(longSync, 20), la = await timeCalls(longAsync, 20);
long.close();
const fmtMs = (us: number) => `${(us / 1000).toFixed(2)} ms`;
console.log(`CPU while waiting (one ${fmtMs(median(ls.each))} single-threaded run):`);
console.log(`  run ${fmtMs(ls.cpu)}, runAsync ${fmtMs(la.cpu)} of process CPU per call`);
