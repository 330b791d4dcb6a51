/** Internal glue between src/ and bindings/: status checks, strings, handle out-params. */
import { getNative, type Native, type Pointer } from "../bindings/mod.ts";
import { errorForCode, type OrtError, StatusCode } from "./errors.ts";

export { getNative };
export type { Native, Pointer };

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `s` for `const char*` parameters. */
export function cstr(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  if (bytes.includes(0)) {
    throw errorForCode(StatusCode.INVALID_ARGUMENT, `string contains a NUL character: ${JSON.stringify(s)}`);
  }
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The last error on this thread, as the matching OrtError subclass. */
export function lastError(fallbackCode: number = StatusCode.FAIL): OrtError {
  const n = getNative();
  const code = n.symbols.onnxrun_last_error_code();
  const msg = n.cstring(n.symbols.onnxrun_last_error()) ?? "unknown error";
  return errorForCode(code !== 0 ? code : fallbackCode, msg);
}

/** Throws the matching OrtError when a call did not return ONNXRUN_OK. */
export function check(status: number): void {
  if (status === 0) return;
  const n = getNative();
  const msg = n.cstring(n.symbols.onnxrun_last_error()) ?? `status ${status}`;
  throw errorForCode(status, msg);
}

/** Reads a `const char*` result; NULL means failure (see onnxrun_last_error). */
export function readString(p: Pointer): string {
  const s = getNative().cstring(p);
  if (s === null) throw lastError();
  return s;
}

export function readJson<T>(p: Pointer): T {
  return JSON.parse(readString(p)) as T;
}

// One reusable out-slot: calls are synchronous, so it is never shared by two at once.
const slot = new BigUint64Array(1);

/** Calls `fn` with a one-slot handle out-parameter and returns the handle. */
export function outHandle(fn: (out: BigUint64Array) => number): bigint {
  slot[0] = 0n;
  check(fn(slot));
  return slot[0];
}

export function freeValueHandle(h: bigint): void {
  if (h !== 0n) getNative().symbols.onnxrun_value_free(h);
}

/** Number of live native handles of every kind (for leak checks). */
export function liveHandles(): bigint {
  return getNative().symbols.onnxrun_live_handles();
}
