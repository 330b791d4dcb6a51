/**
 * Bun Worker started by bun.ts: blocks in onnxrun_jobs_wait_done (no JS event loop to stall here) and
 * posts the ids of finished jobs to the thread that started them. dlopen of the same path shares the
 * loaded library, so this is that thread's queue.
 */
import { bunDef, ffi, type WaiterMessage } from "./bun.ts";
import { symbols } from "./symbols.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: { data: { path: string; queue: bigint } }) => void) | null;
  postMessage(m: WaiterMessage): void;
};

const BATCH = 64;
/** Back in JS this often even when idle: a Worker blocked in native code cannot be terminated, and Bun
 * terminates this one (and waits for it) when the thread that started it ends, if that is itself a Worker. */
const WAIT_MS = 100;

scope.onmessage = ({ data: { path, queue } }) => {
  scope.onmessage = null;
  let why = "";
  try {
    const lib = ffi!.dlopen(path, { onnxrun_jobs_wait_done: bunDef(symbols.onnxrun_jobs_wait_done) });
    const wait = lib.symbols.onnxrun_jobs_wait_done;
    const ids = new BigUint64Array(BATCH), n = new BigUint64Array(1);
    // Returns non-zero once bun.ts closes the queue.
    while (wait(queue, ids, BATCH, n, WAIT_MS) === 0) {
      if (n[0] > 0n) scope.postMessage(ids.slice(0, Number(n[0])));
    }
    why = "queue closed";
    lib.close();
  } catch (e) {
    why = String(e);
  }
  scope.postMessage({ stopped: why });
};
