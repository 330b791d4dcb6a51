/** Bun loader: bun:ffi dlopen over the shared symbol table. */
import type { ParamKind, ResultKind } from "./symbols.ts";
import { symbols } from "./symbols.ts";
import type { Loader, Native, NativeSymbols, Pointer } from "./types.ts";

/** The few parts of bun:ffi used here (typed locally so `deno check` needs no Bun types). */
interface BunFFI {
  dlopen(path: string, defs: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, ((...a: unknown[]) => unknown) & { ptr: number }>;
    close(): void;
  };
  CFunction(def: { ptr: number; args: string[]; returns: string }): (...a: unknown[]) => unknown;
  ptr(view: ArrayBufferView): number;
  toArrayBuffer(p: number, byteOffset?: number, byteLength?: number): ArrayBuffer;
  CString: new (p: number) => { toString(): string };
}

// A computed specifier keeps Deno's type checker from resolving "bun:ffi".
const BUN_FFI = ["bun", "ffi"].join(":");
export const ffi = (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? await import(BUN_FFI) : null) as
  | BunFFI
  | null;

// Typed arrays go straight into "ptr" arguments: Bun reads their address at call time.
const PARAM: Record<ParamKind, string> = {
  u64: "u64",
  i32: "i32",
  u32: "u32",
  usize: "usize",
  buffer: "ptr",
  pointer: "ptr",
};
const RESULT: Record<ResultKind, string> = { i32: "i32", u64: "u64", cstr: "ptr", void: "void" };

type Def = { name?: string; parameters: readonly ParamKind[]; result: ResultKind };

/** bun:ffi's declaration of one symbol of the table. */
export const bunDef = (def: Def) => ({ args: def.parameters.map((p) => PARAM[p]), returns: RESULT[def.result] });

const asBun = (p: Pointer) => p as unknown as number | null;
const asOurs = (p: number | null) => (p ? p : null) as unknown as Pointer;

/** The poll fallback, where the waiter Worker cannot run: every event-loop turn for the first 0.2 ms (tiny runs),
 * then timers of 1, 2, 4 ms (spinning longer would take a core from the library thread doing the run). */
const SPIN_MS = 0.2;
const POLL_DELAYS = [1, 1, 2, 2, 4];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** Bun's Worker, typed locally (Deno's Worker type has no ref/unref). */
interface BunWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  addEventListener(type: "close", fn: () => void): void;
  postMessage(m: unknown): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}
type BunWorkerCtor = new (url: URL) => BunWorker;

/** What bun_waiter.ts posts: ids of finished jobs, or why it stopped. */
export type WaiterMessage = BigUint64Array | { stopped: string };

/**
 * Wakes waitJob promptly: jobs started on this thread push their ids on the library's done queue
 * (onnxrun_jobs_notify_enable); a Worker blocks in onnxrun_jobs_wait_done and posts them here. Bun has no
 * nonblocking FFI call to await, and threadsafe JSCallbacks are unreliable under load.
 */
class Completions {
  readonly #pending = new Map<bigint, (status: number) => void>();
  readonly #done = new Int32Array(1);
  #worker: BunWorker | null = null;
  #queue = 0n;

  constructor(readonly s: NativeSymbols, readonly path: string) {
    // At load, before any job starts: jobs started earlier would never be announced.
    const q = new BigUint64Array(1);
    if (s.onnxrun_jobs_notify_enable(q) === 0) this.#queue = q[0];
  }

  /** The job's status once it finished (a job_poll error is returned as is). */
  wait(job: bigint): Promise<number> {
    // A job that already finished may have been announced before we listened: check first.
    const st = this.s.onnxrun_job_poll(job, this.#done);
    if (st !== 0 || this.#done[0] !== 0) return Promise.resolve(st);
    const worker = this.#queue ? this.#worker ?? this.#start() : null;
    if (!worker) return this.#poll(job);
    worker.ref(); // an awaited run keeps the process alive, as a timer would
    return new Promise((resolve) => this.#pending.set(job, resolve));
  }

  async #poll(job: bigint): Promise<number> {
    const start = performance.now();
    for (let waits = 0;;) {
      const st = this.s.onnxrun_job_poll(job, this.#done);
      if (st !== 0 || this.#done[0] !== 0) return st;
      if (performance.now() - start < SPIN_MS) await nextTurn();
      else await sleep(POLL_DELAYS[Math.min(waits++, POLL_DELAYS.length - 1)]);
    }
  }

  #start(): BunWorker | null {
    let w: BunWorker;
    try {
      w = new (globalThis as unknown as { Worker: BunWorkerCtor }).Worker(new URL("./bun_waiter.ts", import.meta.url));
    } catch {
      return this.#stop();
    }
    w.unref();
    w.onmessage = (e) => {
      const data = e.data as WaiterMessage;
      if (!(data instanceof BigUint64Array)) return void this.#stop();
      for (const id of data) {
        const resolve = this.#pending.get(id);
        if (!resolve) continue; // finished through the poll-first check, or not started here
        this.#pending.delete(id);
        resolve(0);
      }
      if (this.#pending.size === 0) w.unref();
    };
    w.onerror = () => void this.#stop();
    w.addEventListener("close", () => void this.#stop());
    w.postMessage({ path: this.path, queue: this.#queue });
    return (this.#worker = w);
  }

  /** No more notices: the waiter stops, and waits in flight go on by polling. */
  #stop(): null {
    if (this.#queue) this.s.onnxrun_jobs_notify_disable(this.#queue);
    this.#queue = 0n;
    this.#worker?.terminate();
    this.#worker = null;
    for (const [job, resolve] of this.#pending) this.#poll(job).then(resolve);
    this.#pending.clear();
    return null;
  }

  close() {
    this.#stop();
  }
}

export const load: Loader = (path: string): Native => {
  if (!ffi) throw new Error("bindings/bun.ts loaded outside Bun");
  const defs: Record<string, { args: string[]; returns: string }> = {};
  for (const [key, def] of Object.entries(symbols) as [string, Def][]) {
    if (def.name) continue; // aliases are bound below, from the primary symbol's address
    defs[key] = bunDef(def);
  }
  const lib = ffi.dlopen(path, defs);
  const sym: Record<string, unknown> = { ...lib.symbols };
  for (const [key, def] of Object.entries(symbols) as [string, Def][]) {
    if (!def.name) continue;
    sym[key] = ffi.CFunction({ ptr: lib.symbols[def.name].ptr, ...bunDef(def) });
  }
  const s = sym as unknown as NativeSymbols;
  const completions = new Completions(s, path);

  return {
    runtime: "bun",
    path,
    symbols: s,
    waitJob: (job) => completions.wait(job),
    address: (p) => BigInt(asBun(p) ?? 0),
    pointer: (a) => asOurs(Number(a)),
    pointerOf: (view) => asOurs(ffi.ptr(view)),
    cstring: (p) => {
      const n = asBun(p);
      return n ? new ffi.CString(n).toString() : null;
    },
    view: (p, len) => {
      const n = asBun(p);
      if (len === 0 || !n) return new ArrayBuffer(0);
      return ffi.toArrayBuffer(n, 0, len);
    },
    close: () => {
      completions.close();
      lib.close();
    },
  };
};
