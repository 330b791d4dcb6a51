/**
 * Internal: moving values across the C ABI. JS → native borrows TypedArray memory in place
 * (checked before every later use, since JS can detach or resize it); native → JS copies
 * into JS-owned memory, so no JS object ever views memory the library may free.
 */
import { dtypeFromProto, dtypeInfo, sizeOf, type TensorType, type TypedArray } from "./dtypes.ts";
import { InvalidArgument, NotImplemented } from "./errors.ts";
import { check, cstr, freeValueHandle, getNative, outHandle, readString } from "./ffi.ts";
import { Tensor } from "./tensor.ts";

export const VALUE_TENSOR = 1;
export const VALUE_SEQUENCE = 2;
export const VALUE_MAP = 3;
export const VALUE_OPTIONAL = 4;

export const DEVICE_NAMES = ["cpu", "cuda", "webgpu"] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** "cpu" | "cuda" | "webgpu" from what users write ("CPU", "gpu" is not a device here). */
export function deviceName(d: string): DeviceName {
  const s = String(d).toLowerCase();
  if (s === "wgpu") return "webgpu";
  if ((DEVICE_NAMES as readonly string[]).includes(s)) return s as DeviceName;
  throw new InvalidArgument(`unknown device type ${JSON.stringify(d)}; expected "cpu", "cuda" or "webgpu"`);
}

export interface Description {
  kind: number;
  elemType: number;
  /** Tensor: rank; sequence: length. */
  count: number;
  dataPtr: bigint;
  byteLen: number;
  deviceKind: number;
  deviceId: number;
  hasValue: boolean;
  offsetsPtr: bigint;
  dims: number[];
}

let scratch = new BigInt64Array(9 + 8);
let scratch32 = new Int32Array(scratch.buffer);
const scratchLen = new BigUint64Array(1);

/** Slot i as a number; reads the low 32 bits directly when the value fits (no BigInt work). */
function slot(i: number): number {
  const lo = scratch32[2 * i], hi = scratch32[2 * i + 1];
  return (hi === 0 && lo >= 0) || (hi === -1 && lo < 0) ? lo : Number(scratch[i]);
}

export function describe(h: bigint): Description {
  const n = getNative();
  check(n.symbols.onnxrun_value_describe(h, scratch, scratch.length, scratchLen));
  const need = Number(scratchLen[0]);
  if (need > scratch.length) {
    scratch = new BigInt64Array(need + 8);
    scratch32 = new Int32Array(scratch.buffer);
    check(n.symbols.onnxrun_value_describe(h, scratch, scratch.length, scratchLen));
  }
  const kind = slot(0);
  const count = slot(2);
  const dims: number[] = [];
  if (kind === VALUE_TENSOR) { for (let i = 0; i < count; i++) dims.push(slot(9 + i)); }
  const offs = slot(8);
  return {
    kind,
    elemType: slot(1),
    count,
    dataPtr: BigInt.asUintN(64, scratch[3]),
    byteLen: slot(4),
    deviceKind: slot(5),
    deviceId: slot(6),
    hasValue: slot(7) !== 0,
    offsetsPtr: offs === 0 ? 0n : BigInt.asUintN(64, scratch[8]),
    dims,
  };
}

export function valueTypeString(h: bigint): string {
  return readString(getNative().symbols.onnxrun_value_type(h));
}

// ---------- JS → native ----------

/** dims as int64 for the C ABI; the few shapes a program uses are cached. */
const dimsCache = new Map<string, BigInt64Array>();
const dimsByArray = new WeakMap<readonly number[], BigInt64Array>();
function dimsArray(dims: readonly number[]): BigInt64Array {
  // Frozen dims (a tensor's, an input's static shape) are looked up by identity first.
  const known = dimsByArray.get(dims);
  if (known) return known;
  const key = dims.join(",");
  let a = dimsCache.get(key);
  if (!a) {
    a = BigInt64Array.from(dims, (d) => BigInt(d));
    if (dimsCache.size >= 256) dimsCache.clear();
    dimsCache.set(key, a);
  }
  if (Object.isFrozen(dims)) dimsByArray.set(dims, a);
  return a;
}

const encoder = new TextEncoder();

type Plain = { type: TensorType; dims: readonly number[]; data: TypedArray | string[] };

const isShared = (b: ArrayBufferLike) => typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer;
const detached = (b: ArrayBufferLike) => (b as { detached?: boolean }).detached === true;

/**
 * JS memory a native value reads in place. JavaScript can take it away at any moment
 * between calls (`transfer()`, `postMessage` transfer, `resize()`), and nothing pins it, so
 * every use of such a value first calls check(): the view must still cover the same bytes
 * at the same address. (Within one synchronous FFI call nothing else can run, so a check
 * right before the call is enough; async runs copy instead.)
 */
export class Borrow {
  readonly tensor: Plain & { data: TypedArray };
  readonly #bytes: number;
  readonly #address: bigint;
  constructor(tensor: Plain & { data: TypedArray }) {
    const n = getNative();
    this.tensor = tensor;
    this.#bytes = tensor.data.byteLength;
    this.#address = n.address(n.pointerOf(tensor.data));
  }
  check(where: string): void {
    const a = this.tensor.data;
    const resizable = (a.buffer as { resizable?: boolean }).resizable === true;
    if (detached(a.buffer) || (!resizable && a.byteLength !== this.#bytes)) {
      throw new InvalidArgument(
        `${where}: the ArrayBuffer behind this value was transferred or detached; the library will not read it`,
      );
    }
    if (a.byteLength !== this.#bytes) {
      throw new InvalidArgument(
        `${where}: the ArrayBuffer behind this value was resized (the view covered ${this.#bytes} bytes, now ${a.byteLength})`,
      );
    }
    const n = getNative();
    if (n.address(n.pointerOf(a)) !== this.#address) {
      throw new InvalidArgument(`${where}: the ArrayBuffer behind this value moved; the library will not read it`);
    }
  }
  /** A native value with its own copy of the bytes (checked first). */
  copyValue(where: string): bigint {
    this.check(where);
    return tensorToValue(this.tensor, [], true);
  }
}

/** check() of every Borrow in `keep`. */
export function checkBorrows(keep: readonly unknown[], where: string): void {
  for (const k of keep) if (k instanceof Borrow) k.check(where);
}

/**
 * A native tensor value for `t`. Numeric data is borrowed in place (a Borrow goes into
 * `keep`, to hold the array and to check it before later uses) unless `copy` is set or the
 * memory is a SharedArrayBuffer, which another thread may write while the library reads
 * it: those are copied. Strings are always copied.
 */
export function tensorToValue(t: Plain, keep: unknown[], copy = false): bigint {
  const n = getNative();
  const dims = dimsArray(t.dims);
  if (t.type === "string") {
    const strs = t.data as string[];
    const parts = strs.map((s) => encoder.encode(s));
    const offsets = new BigUint64Array(parts.length + 1);
    let total = 0;
    for (let i = 0; i < parts.length; i++) {
      offsets[i] = BigInt(total);
      total += parts[i].length;
    }
    offsets[parts.length] = BigInt(total);
    const utf8 = new Uint8Array(Math.max(total, 1));
    let at = 0;
    for (const p of parts) {
      utf8.set(p, at);
      at += p.length;
    }
    return outHandle((out) =>
      n.symbols.onnxrun_value_tensor_create_strings(dims, dims.length, utf8, total, offsets, out)
    );
  }
  const info = dtypeInfo(t.type);
  const data = t.data as TypedArray;
  if (detached(data.buffer)) throw new InvalidArgument("tensor data: its ArrayBuffer was transferred or detached");
  const borrow = !copy && data.byteLength > 0 && !isShared(data.buffer);
  // V8 keeps arrays under 64 bytes inside its moving heap; .buffer moves them to a stable
  // backing store, so the address the library borrows stays valid (JSC's heap doesn't move).
  if (borrow) {
    void data.buffer;
    keep.push(new Borrow(t as Plain & { data: TypedArray }));
  }
  return outHandle((out) =>
    n.symbols.onnxrun_value_tensor_create(info.proto, dims, dims.length, data, data.byteLength, borrow ? 0 : 1, out)
  );
}

/** A zero-filled (library-allocated) tensor. */
export function allocTensorValue(type: TensorType, dims: readonly number[]): bigint {
  const info = dtypeInfo(type);
  if (info.name === "string") {
    return tensorToValue(new Tensor("string", new Array(sizeOf(dims)).fill(""), dims), []);
  }
  const d = BigInt64Array.from(dims, (x) => BigInt(x));
  const bytes = sizeOf(dims) * info.bytes;
  return outHandle((out) =>
    getNative().symbols.onnxrun_value_tensor_create(info.proto, d, d.length, null, bytes, 1, out)
  );
}

export function toDevice(h: bigint, device: DeviceName, deviceId: number): bigint {
  return outHandle((out) => getNative().symbols.onnxrun_value_to_device(h, cstr(device), deviceId, out));
}

// ---------- native → JS ----------

/** Value kinds as TypeScript values: Tensor, arrays (sequences), Map (maps), null (empty optional). */
export type OutputValue = Tensor | OutputValue[] | Map<number | bigint | string, unknown> | null;

const decoder = new TextDecoder();

function readStrings(d: Description): string[] {
  const n = getNative();
  const count = sizeOf(d.dims);
  if (count === 0) return [];
  const offs = new BigUint64Array(n.view(n.pointer(d.offsetsPtr), (count + 1) * 8));
  const bytes = new Uint8Array(n.view(n.pointer(d.dataPtr), Math.max(Number(offs[count]), 0)));
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = decoder.decode(bytes.subarray(Number(offs[i]), Number(offs[i + 1])));
  return out;
}

/**
 * Takes ownership of tensor value `h` and returns a Tensor over a JS-owned copy of its
 * elements; `h` is freed at once. Outputs then live exactly as long as the JS GC says:
 * no view of library memory outlives it, close() frees nothing anyone can still see,
 * and an unclosed output in a synchronous loop holds no native memory. Device tensors
 * are first copied to the host.
 */
export function tensorFromValue(h: bigint, d: Description = describe(h)): Tensor {
  try {
    return tensorCopy(h, d);
  } finally {
    freeValueHandle(h);
  }
}

/** A JS-owned copy of tensor value `h` (not consumed). Device tensors are copied via the host. */
function tensorCopy(h: bigint, d: Description): Tensor {
  if (d.deviceKind !== 0) {
    const host = toDevice(h, "cpu", 0);
    try {
      return tensorCopy(host, describe(host));
    } finally {
      freeValueHandle(host);
    }
  }
  const info = dtypeFromProto(d.elemType);
  if (info.name === "string") return Tensor._internal("string", d.dims, readStrings(d));
  const count = sizeOf(d.dims) * info.lanes;
  const Ctor = info.array!;
  if (count === 0 || d.byteLen === 0) return Tensor._internal(info.name, d.dims, new Ctor(0));
  const n = getNative();
  // slice() copies the library's bytes into a new JS-owned ArrayBuffer; the view is dropped.
  const copy = n.view(n.pointer(d.dataPtr), d.byteLen).slice(0);
  return Tensor._internal(info.name, d.dims, new Ctor(copy, 0, count));
}

/** A copy of a tensor value's elements as JS values (used for map keys and values). */
function elementsOf(h: bigint): (number | bigint | string | boolean)[] {
  const d = describe(h);
  const t = tensorFromValue(h, d);
  try {
    const out = Array.from(t.data as ArrayLike<number | bigint | string>);
    return t.type === "bool" ? out.map((x) => x !== 0) : out;
  } finally {
    t.close();
  }
}

/** Takes ownership of `h` and converts it (recursively) to a JS value. */
export function valueToJs(h: bigint): OutputValue {
  let d: Description;
  try {
    d = describe(h);
  } catch (e) {
    freeValueHandle(h);
    throw e;
  }
  const n = getNative();
  switch (d.kind) {
    case VALUE_TENSOR:
      return tensorFromValue(h, d);
    case VALUE_SEQUENCE: {
      const items: OutputValue[] = [];
      try {
        for (let i = 0; i < d.count; i++) {
          items.push(valueToJs(outHandle((out) => n.symbols.onnxrun_value_sequence_get(h, i, out))));
        }
      } finally {
        freeValueHandle(h);
      }
      return items;
    }
    case VALUE_MAP: {
      try {
        const keys = elementsOf(outHandle((out) => n.symbols.onnxrun_value_map_keys(h, out)));
        const vals = elementsOf(outHandle((out) => n.symbols.onnxrun_value_map_values(h, out)));
        // int64 keys become numbers when exact (class labels, ids), as Python ints read naturally.
        const m = new Map<number | bigint | string, unknown>();
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i];
          const key =
            typeof k === "bigint" && k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER)
              ? Number(k)
              : k as number | bigint | string;
          m.set(key, vals[i]);
        }
        return m;
      } finally {
        freeValueHandle(h);
      }
    }
    case VALUE_OPTIONAL: {
      try {
        if (!d.hasValue) return null;
        return valueToJs(outHandle((out) => n.symbols.onnxrun_value_optional_get(h, out)));
      } finally {
        freeValueHandle(h);
      }
    }
    default:
      freeValueHandle(h);
      throw new NotImplemented(`value kind ${d.kind} is not supported by this binding`);
  }
}

/** A JS-owned copy of tensor value `h` (not consumed). */
export function tensorCopyFromValue(h: bigint): Tensor {
  const d = describe(h);
  if (d.kind !== VALUE_TENSOR) throw new InvalidArgument(`value is not a tensor (it is ${valueTypeString(h)})`);
  return tensorCopy(h, d);
}
