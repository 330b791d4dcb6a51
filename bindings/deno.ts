/** Deno loader: Deno.dlopen over the shared symbol table. */
import type { ParamKind, ResultKind } from "./symbols.ts";
import { symbols } from "./symbols.ts";
import type { Loader, Native, NativeSymbols, Pointer } from "./types.ts";

const PARAM: Record<ParamKind, Deno.NativeType> = {
  u64: "u64",
  i32: "i32",
  u32: "u32",
  usize: "usize",
  buffer: "buffer",
  pointer: "pointer",
};
const RESULT: Record<ResultKind, Deno.NativeResultType> = {
  i32: "i32",
  u64: "u64",
  cstr: "pointer",
  void: "void",
};

function denoInterface(): Deno.ForeignLibraryInterface {
  const out: Deno.ForeignLibraryInterface = {};
  for (const [key, def] of Object.entries(symbols)) {
    const d = def as { name?: string; parameters: readonly ParamKind[]; result: ResultKind; nonblocking?: boolean };
    out[key] = {
      ...(d.name ? { name: d.name } : {}),
      parameters: d.parameters.map((p) => PARAM[p]),
      result: RESULT[d.result],
      ...(d.nonblocking ? { nonblocking: true } : {}),
    };
  }
  return out;
}

type DenoPtr = Deno.PointerValue;
const asDeno = (p: Pointer) => p as unknown as DenoPtr;
const asOurs = (p: DenoPtr) => p as unknown as Pointer;

export const load: Loader = (path: string): Native => {
  const lib = Deno.dlopen(path, denoInterface());
  const sym = lib.symbols as unknown as NativeSymbols;
  return {
    runtime: "deno",
    path,
    symbols: sym,
    // job_wait is declared nonblocking: it blocks a Deno worker thread, not the event loop.
    waitJob: (job) => sym.onnxrun_job_wait(job),
    address: (p) => (p === null ? 0n : BigInt(Deno.UnsafePointer.value(asDeno(p)))),
    pointer: (a) => asOurs(Deno.UnsafePointer.create(a)),
    pointerOf: (view) => {
      // Touching .buffer moves a small on-heap typed array off the V8 heap, so its
      // address is stable for as long as the array is alive.
      void view.buffer;
      return asOurs(Deno.UnsafePointer.of(view as unknown as BufferSource));
    },
    cstring: (p) => (p === null ? null : Deno.UnsafePointerView.getCString(asDeno(p)!)),
    view: (p, len) => {
      if (len === 0 || p === null) return new ArrayBuffer(0);
      return Deno.UnsafePointerView.getArrayBuffer(asDeno(p)!, len);
    },
    close: () => lib.close(),
  };
};
