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
const ffi = (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? await import(BUN_FFI) : null) as
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

const asBun = (p: Pointer) => p as unknown as number | null;
const asOurs = (p: number | null) => (p ? p : null) as unknown as Pointer;

/** Completion checks of an async job: every event-loop turn for the first 0.2 ms (tiny runs), then timers of 1, 2, 4 ms
 * (spinning longer would take a core from the library thread doing the run). */
const SPIN_MS = 0.2;
const POLL_DELAYS = [1, 1, 2, 2, 4];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

export const load: Loader = (path: string): Native => {
  if (!ffi) throw new Error("bindings/bun.ts loaded outside Bun");
  const defs: Record<string, { args: string[]; returns: string }> = {};
  for (const [key, def] of Object.entries(symbols) as [string, Def][]) {
    if (def.name) continue; // aliases are bound below, from the primary symbol's address
    defs[key] = { args: def.parameters.map((p) => PARAM[p]), returns: RESULT[def.result] };
  }
  const lib = ffi.dlopen(path, defs);
  const sym: Record<string, unknown> = { ...lib.symbols };
  for (const [key, def] of Object.entries(symbols) as [string, Def][]) {
    if (!def.name) continue;
    sym[key] = ffi.CFunction({
      ptr: lib.symbols[def.name].ptr,
      args: def.parameters.map((p) => PARAM[p]),
      returns: RESULT[def.result],
    });
  }
  const s = sym as unknown as NativeSymbols;
  const done = new Int32Array(1);

  return {
    runtime: "bun",
    path,
    symbols: s,
    // Bun has no nonblocking FFI calls: a library thread runs the job, we poll for it.
    async waitJob(job) {
      const start = performance.now();
      for (let waits = 0;;) {
        const st = s.onnxrun_job_poll(job, done);
        if (st !== 0) return st;
        if (done[0] !== 0) return 0;
        if (performance.now() - start < SPIN_MS) await nextTurn();
        else await sleep(POLL_DELAYS[Math.min(waits++, POLL_DELAYS.length - 1)]);
      }
    },
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
    close: () => lib.close(),
  };
};
