/**
 * Picks the loader for the running runtime and finds libonnxrun:
 *   1. $ONNXRUN_LIB
 *   2. core-rs/target/release/libonnxrun.{so,dylib,dll} relative to this package
 * The library is opened on first use, so importing the API never fails by itself.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import type { Loader, Native } from "./types.ts";

export type { Native, NativeSymbols, Pointer } from "./types.ts";
export { symbols } from "./symbols.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

export const runtime: "deno" | "bun" = isBun ? "bun" : "deno";

const loader: Loader = isBun ? (await import("./bun.ts")).load : isDeno ? (await import("./deno.ts")).load : () => {
  throw new Error("onnxrun runs on Deno or Bun (no FFI available in this runtime)");
};

const LIB_NAMES = ["libonnxrun.so", "libonnxrun.dylib", "onnxrun.dll", "libonnxrun.dll"];

/** Where the library is looked for, in order. */
export function candidatePaths(): string[] {
  const out: string[] = [];
  const env = process.env.ONNXRUN_LIB;
  if (env) out.push(env);
  const release = new URL("../core-rs/target/release/", import.meta.url);
  for (const name of LIB_NAMES) out.push(fileURLToPath(new URL(name, release)));
  return out;
}

let native: Native | undefined;

/** The opened library (opened on the first call). */
export function getNative(): Native {
  if (native) return native;
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    tried.push(path);
    if (!existsSync(path)) continue;
    native = loader(path);
    return native;
  }
  throw new Error(
    "libonnxrun not found. Tried:\n  " + tried.join("\n  ") +
      "\nBuild it with `npm run build` (cargo build --release -p onnxrun-capi in core-rs/), " +
      "or set ONNXRUN_LIB to the library's path.",
  );
}
