/**
 * Internal: moving values across the C ABI. JS → native borrows TypedArray memory (copy=0);
 * native → JS views tensor memory without a copy (strings and map entries are copied,
 * they have no TypedArray form).
 */
import { dtypeFromProto, dtypeInfo, sizeOf, type TensorType, type TypedArray } from "./dtypes.ts";
import { InvalidArgument, NotImplemented } from "./errors.ts";
import { check, cstr, freeValueHandle, getNative, outHandle, readString } from "./ffi.ts";
import { NativeHold, Tensor } from "./tensor.ts";

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

/**
 * A native tensor value over `t`'s memory (borrowed: push `t.data` to `keep` and hold it
 * until the value is freed). Strings are copied by the library.
 */
export function tensorToValue(
  t: { type: TensorType; dims: readonly number[]; data: TypedArray | string[] },
  keep: unknown[],
  copy = false,
): bigint {
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
  // V8 keeps arrays under 64 bytes inside its moving heap; .buffer moves them to a stable
  // backing store, so the address the library borrows stays valid (JSC's heap doesn't move).
  void data.buffer;
  keep.push(data);
  return outHandle((out) =>
    n.symbols.onnxrun_value_tensor_create(info.proto, dims, dims.length, data, data.byteLength, copy ? 1 : 0, out)
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
 * Takes ownership of tensor value `h` and returns a Tensor viewing its memory (strings:
 * copied, then `h` is freed). Device tensors are first copied to the host. Outputs are
 * values the library owns (never the borrowed feed memory; tests/values.test.ts checks).
 */
export function tensorFromValue(h: bigint, d: Description = describe(h)): Tensor {
  if (d.deviceKind !== 0) {
    const host = toDevice(h, "cpu", 0);
    freeValueHandle(h);
    return tensorFromValue(host);
  }
  const info = dtypeFromProto(d.elemType);
  if (info.name === "string") {
    try {
      return Tensor._internal("string", d.dims, readStrings(d), null);
    } finally {
      freeValueHandle(h);
    }
  }
  const n = getNative();
  const count = sizeOf(d.dims) * info.lanes;
  const Ctor = info.array!;
  if (count === 0 || d.byteLen === 0) {
    freeValueHandle(h);
    return Tensor._internal(info.name, d.dims, new Ctor(0), null);
  }
  const buf = n.view(n.pointer(d.dataPtr), d.byteLen);
  const array = new Ctor(buf, 0, count);
  return Tensor._internal(info.name, d.dims, array, new NativeHold(h, buf, array));
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

/** A JS-owned copy of tensor value `h` (not consumed). Device tensors are copied via the host. */
export function tensorCopyFromValue(h: bigint): Tensor {
  const d = describe(h);
  if (d.kind !== VALUE_TENSOR) throw new InvalidArgument(`value is not a tensor (it is ${valueTypeString(h)})`);
  if (d.deviceKind !== 0) {
    const view = tensorFromValue(toDevice(h, "cpu", 0));
    try {
      return Tensor._internal(
        view.type,
        view.dims,
        view.type === "string" ? view.data : (view.data as TypedArray).slice(),
        null,
      );
    } finally {
      view.close();
    }
  }
  const info = dtypeFromProto(d.elemType);
  if (info.name === "string") return Tensor._internal("string", d.dims, readStrings(d), null);
  const count = sizeOf(d.dims) * info.lanes;
  const Ctor = info.array!;
  if (count === 0 || d.byteLen === 0) return Tensor._internal(info.name, d.dims, new Ctor(0), null);
  const n = getNative();
  const view = new Ctor(n.view(n.pointer(d.dataPtr), d.byteLen), 0, count);
  return Tensor._internal(info.name, d.dims, view.slice(), null);
}
