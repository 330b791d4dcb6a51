/**
 * One test API for both runtimes: `test(name, fn)` maps to Deno.test or bun:test's test,
 * plus the few assertions the suite uses.
 */
type Fn = () => void | Promise<void>;

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
// A computed specifier keeps Deno's type checker away from "bun:test".
const BUN_TEST = ["bun", "test"].join(":");
const bunTest = isBun ? (await import(BUN_TEST)) as { test: (name: string, fn: Fn, timeout?: number) => void } : null;

export const runtime: "deno" | "bun" = isBun ? "bun" : "deno";

export function test(name: string, fn: Fn): void {
  if (bunTest) bunTest.test(name, fn, 60_000);
  // FFI runs complete before the test ends; Deno's op sanitizer would flag nonblocking FFI calls.
  else Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false });
}

export class AssertionError extends Error {}

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

function fmt(x: unknown): string {
  try {
    return JSON.stringify(
      x,
      (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v),
    );
  } catch {
    return String(x);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const x = a as unknown as ArrayLike<unknown>, y = b as unknown as ArrayLike<unknown>;
    if (!(ArrayBuffer.isView(b) || Array.isArray(b)) || x.length !== y.length) return false;
    if (a.constructor !== b.constructor) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function assertEquals(actual: unknown, expected: unknown, msg?: string): void {
  if (!deepEqual(actual, expected)) {
    throw new AssertionError(`${msg ? msg + ": " : ""}expected ${fmt(expected)}, got ${fmt(actual)}`);
  }
}

/** Element-wise |a - b| <= atol + rtol·|b|. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-6,
  rtol = 1e-5,
  msg = "",
): void {
  if (actual.length !== expected.length) {
    throw new AssertionError(`${msg} length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new AssertionError(`${msg} element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

type Ctor<E> = abstract new (...a: never[]) => E;

function checkError<E extends Error>(e: unknown, cls: Ctor<E>, includes: string[]): E {
  if (!(e instanceof cls)) {
    throw new AssertionError(
      `expected ${cls.name}, got ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`,
    );
  }
  for (const s of includes) {
    if (!e.message.includes(s)) {
      throw new AssertionError(`${cls.name} message should mention ${JSON.stringify(s)}: ${e.message}`);
    }
  }
  return e;
}

/** Asserts fn throws an instance of cls whose message contains every string in `includes`. */
export function assertThrows<E extends Error>(fn: () => unknown, cls: Ctor<E>, ...includes: string[]): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError(`expected ${cls.name} to be thrown`);
}

export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: Ctor<E>,
  ...includes: string[]
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError(`expected ${cls.name} to be thrown`);
}

/** Repository root (absolute path, with a trailing slash). */
export const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
