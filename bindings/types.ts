/** The one interface both loaders implement; src/ only ever talks to this. */
import type { ParamKind, ResultKind, SymbolDef, Symbols } from "./symbols.ts";

/** A native address. Deno: a pointer object (or null); Bun: a number. Never inspect it. */
export type Pointer = { readonly __nativePointer: unique symbol } | null;

type ParamType<K extends ParamKind> = K extends "u64" ? bigint
  : K extends "i32" | "u32" ? number
  : K extends "usize" ? number | bigint
  : K extends "buffer" ? ArrayBufferView | null
  : Pointer;

type ResultType<K extends ResultKind> = K extends "i32" ? number
  : K extends "u64" ? bigint
  : K extends "cstr" ? Pointer
  : void;

type Params<P extends readonly ParamKind[]> = { [I in keyof P]: ParamType<P[I]> };

type Fn<D extends SymbolDef> = (
  ...args: Params<D["parameters"]>
) => D extends { nonblocking: true } ? Promise<ResultType<D["result"]>> : ResultType<D["result"]>;

/** Typed functions for every declared symbol. */
export type NativeSymbols = { [K in keyof Symbols]: Fn<Symbols[K]> };

export interface Native {
  readonly runtime: "deno" | "bun";
  /** The library file that was opened. */
  readonly path: string;
  readonly symbols: NativeSymbols;
  /** Waits for an async job without blocking the event loop; resolves to its status. */
  waitJob(job: bigint): Promise<number>;
  /** Address of a native pointer as a bigint (0n for null). */
  address(p: Pointer): bigint;
  /** Pointer from an address; null for 0n. */
  pointer(address: bigint): Pointer;
  /** Pointer to the first byte of a typed array (the caller keeps the array alive). */
  pointerOf(view: ArrayBufferView): Pointer;
  /** Reads a NUL-terminated UTF-8 string; null for a null pointer. */
  cstring(p: Pointer): string | null;
  /** Native memory as an ArrayBuffer, without a copy. The memory must outlive the view. */
  view(p: Pointer, byteLength: number): ArrayBuffer;
  close(): void;
}

export type Loader = (path: string) => Native;
