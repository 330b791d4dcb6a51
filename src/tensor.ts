/**
 * Tensor: what ONNX Runtime's Python API returns as a numpy array. `data` is a TypedArray
 * (BigInt64Array for int64, Uint8Array for bool, Uint16Array for float16/bfloat16, string[]
 * for strings); `dims` its shape. A Tensor's data is always JS memory (run outputs are
 * copied out of the library as they are returned), so it lives as long as anything
 * references it; close() only ends this Tensor's use of it.
 */
import { type DTypeInfo, dtypeInfo, sizeOf, type TensorType, type TypedArray, typeOfArray } from "./dtypes.ts";
import { InvalidArgument } from "./errors.ts";

export type TensorData = TypedArray | string[];

/** Accepted as a feed besides Tensor and OrtValue. */
export interface TensorLike {
  data: TensorData | readonly number[] | readonly bigint[] | readonly boolean[];
  dims?: readonly number[];
  type?: TensorType;
}

function checkDims(dims: readonly number[], what: string): number[] {
  if (!Array.isArray(dims)) {
    throw new InvalidArgument(`${what}: dims must be an array of integers, got ${String(dims)}`);
  }
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgument(`${what}: dims must be non-negative integers, got [${dims.join(", ")}]`);
    }
  }
  return [...dims];
}

/** Converts plain JS arrays to the TypedArray of `info` (TypedArrays of the right class pass through). */
function toData(info: DTypeInfo, data: unknown, what: string): TensorData {
  if (info.name === "string") {
    if (Array.isArray(data) && data.every((x) => typeof x === "string")) return data as string[];
    throw new InvalidArgument(`${what}: a string tensor needs a string[] as data`);
  }
  const Ctor = info.array!;
  if (ArrayBuffer.isView(data)) {
    if (data instanceof Ctor) return data as TypedArray;
    const f16 = (globalThis as { Float16Array?: new (...a: unknown[]) => ArrayBufferView }).Float16Array;
    if (info.name === "float16" && f16 && data instanceof f16) {
      // Same bits, viewed as uint16 (no copy).
      return new Uint16Array(data.buffer, data.byteOffset, (data as unknown as { length: number }).length);
    }
    throw new InvalidArgument(
      `${what}: type "${info.name}" needs a ${Ctor.name}, got a ${(data as object).constructor.name}`,
    );
  }
  if (Array.isArray(data)) {
    const out = new Ctor(data.length);
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (big) {
        if (typeof v !== "bigint" && !Number.isSafeInteger(v)) {
          throw new InvalidArgument(`${what}: element ${i} (${String(v)}) is not an integer`);
        }
        (out as BigInt64Array)[i] = BigInt(v);
      } else if (typeof v === "boolean") {
        (out as Uint8Array)[i] = v ? 1 : 0;
      } else if (typeof v === "number" || typeof v === "bigint") {
        (out as Float64Array)[i] = Number(v);
      } else {
        throw new InvalidArgument(`${what}: element ${i} (${String(v)}) is not a number`);
      }
    }
    return out;
  }
  throw new InvalidArgument(`${what}: data must be a TypedArray or an array, got ${typeof data}`);
}

/** Lets run outputs skip the public constructor's checks. */
const INTERNAL = Symbol("onnxrun.tensor.internal");
interface InternalInit {
  type: TensorType;
  dims: readonly number[];
  data: TensorData;
}

export class Tensor {
  readonly #type: TensorType;
  readonly #dims: readonly number[];
  #data: TensorData | null;

  /**
   * new Tensor(type, data, dims?) or new Tensor(data, dims?) (type from the TypedArray class).
   * dims default to [data.length].
   */
  constructor(type: TensorType, data: TensorLike["data"], dims?: readonly number[]);
  constructor(data: TypedArray | string[], dims?: readonly number[]);
  constructor(a: unknown, b?: unknown, c?: unknown) {
    if (a === INTERNAL) {
      const init = b as InternalInit;
      this.#type = init.type;
      this.#dims = Object.freeze([...init.dims]);
      this.#data = init.data;
      return;
    }
    let type: TensorType;
    let data: unknown;
    let dims: readonly number[] | undefined;
    if (typeof a === "string") {
      type = dtypeInfo(a, "tensor type").name;
      data = b;
      dims = c as readonly number[] | undefined;
    } else {
      data = a;
      dims = b as readonly number[] | undefined;
      const t = Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === "string") ? "string" : typeOfArray(a);
      if (!t) {
        throw new InvalidArgument(
          'new Tensor(data, dims): pass the type first for this data (e.g. new Tensor("bool", data, dims))',
        );
      }
      type = t;
    }
    const info = dtypeInfo(type);
    const d = toData(info, data, `Tensor(${type})`);
    const shape = dims === undefined ? [d.length / info.lanes] : checkDims(dims, `Tensor(${type})`);
    const need = sizeOf(shape) * info.lanes;
    if (d.length !== need) {
      throw new InvalidArgument(
        `Tensor(${type}): data has ${d.length} elements but dims [${shape.join(", ")}] need ${need}`,
      );
    }
    this.#type = info.name;
    this.#dims = Object.freeze(shape);
    this.#data = d;
  }

  /** @internal A tensor around validated data. */
  static _internal(type: TensorType, dims: readonly number[], data: TensorData): Tensor {
    return new (Tensor as unknown as new (t: symbol, i: InternalInit) => Tensor)(INTERNAL, { type, dims, data });
  }

  get type(): TensorType {
    return this.#type;
  }
  get dims(): readonly number[] {
    return this.#dims;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.#dims);
  }
  /** Where the data lives ("cpu": run() always returns host tensors). */
  get location(): "cpu" {
    return "cpu";
  }
  get data(): TensorData {
    if (this.#data === null) throw new InvalidArgument("Tensor is closed: its data was freed by close()");
    return this.#data;
  }
  /** True after close(). */
  get closed(): boolean {
    return this.#data === null;
  }
  /** Ends this Tensor's use of its data (idempotent): later `data` access throws. Views taken earlier stay valid JS memory. */
  close(): void {
    this.#data = null;
  }
  dispose(): void {
    this.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
  toString(): string {
    return `Tensor(${this.#type}, [${this.#dims.join(", ")}])`;
  }
}

/** Normalizes Tensor / {data, dims, type} / TypedArray / string[] into a Tensor (no copy of TypedArrays). */
export function asTensor(x: unknown, what: string, type?: TensorType, dims?: readonly number[]): Tensor {
  if (x instanceof Tensor) return x;
  if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    return type ? new Tensor(type, x as TensorLike["data"], dims) : new Tensor(x as TypedArray, dims);
  }
  if (x !== null && typeof x === "object" && "data" in x) {
    const t = x as TensorLike;
    const ty = t.type ?? type;
    return ty ? new Tensor(ty, t.data, t.dims ?? dims) : new Tensor(t.data as TypedArray, t.dims ?? dims);
  }
  throw new InvalidArgument(
    `${what}: expected a Tensor, {data, dims} or a TypedArray, got ${x === null ? "null" : typeof x}`,
  );
}
