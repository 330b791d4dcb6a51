/**
 * Element types: the onnxruntime-common names ("float32", "int64", ...), ONNX TensorProto
 * numbers, ONNX Runtime type strings ("tensor(float)"), sizes and TypedArray classes.
 */
import { InvalidArgument } from "./errors.ts";

/** ONNX TensorProto.DataType numbers. */
export const TensorProto = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
  FLOAT8E8M0: 24,
  UINT2: 25,
  INT2: 26,
} as const;

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type ArrayCtor = {
  new (n: number): TypedArray;
  new (b: ArrayBuffer, off: number, len: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

export interface DTypeInfo {
  /** onnxruntime-common name, e.g. "float32". */
  readonly name: TensorType;
  /** TensorProto.DataType number. */
  readonly proto: number;
  /** The part inside "tensor(...)", e.g. "float". */
  readonly onnx: string;
  /** Bytes per element in memory (0 for strings). */
  readonly bytes: number;
  /** TypedArray class holding the data (null for strings). */
  readonly array: ArrayCtor | null;
  /** Array elements per tensor element (2 for complex types). */
  readonly lanes: number;
}

export type TensorType =
  | "float32"
  | "uint8"
  | "int8"
  | "uint16"
  | "int16"
  | "int32"
  | "int64"
  | "string"
  | "bool"
  | "float16"
  | "float64"
  | "uint32"
  | "uint64"
  | "complex64"
  | "complex128"
  | "bfloat16"
  | "float8e4m3fn"
  | "float8e4m3fnuz"
  | "float8e5m2"
  | "float8e5m2fnuz"
  | "uint4"
  | "int4"
  | "float4e2m1"
  | "float8e8m0"
  | "uint2"
  | "int2";

const T = (
  name: TensorType,
  proto: number,
  onnx: string,
  bytes: number,
  array: ArrayCtor | null,
  lanes = 1,
): DTypeInfo => ({
  name,
  proto,
  onnx,
  bytes,
  array,
  lanes,
});

const TABLE: DTypeInfo[] = [
  T("float32", 1, "float", 4, Float32Array),
  T("uint8", 2, "uint8", 1, Uint8Array),
  T("int8", 3, "int8", 1, Int8Array),
  T("uint16", 4, "uint16", 2, Uint16Array),
  T("int16", 5, "int16", 2, Int16Array),
  T("int32", 6, "int32", 4, Int32Array),
  T("int64", 7, "int64", 8, BigInt64Array),
  T("string", 8, "string", 0, null),
  T("bool", 9, "bool", 1, Uint8Array),
  T("float16", 10, "float16", 2, Uint16Array),
  T("float64", 11, "double", 8, Float64Array),
  T("uint32", 12, "uint32", 4, Uint32Array),
  T("uint64", 13, "uint64", 8, BigUint64Array),
  T("complex64", 14, "complex64", 8, Float32Array, 2),
  T("complex128", 15, "complex128", 16, Float64Array, 2),
  T("bfloat16", 16, "bfloat16", 2, Uint16Array),
  T("float8e4m3fn", 17, "float8e4m3fn", 1, Uint8Array),
  T("float8e4m3fnuz", 18, "float8e4m3fnuz", 1, Uint8Array),
  T("float8e5m2", 19, "float8e5m2", 1, Uint8Array),
  T("float8e5m2fnuz", 20, "float8e5m2fnuz", 1, Uint8Array),
  // 4-bit types: one element per byte (low nibble), as the C ABI expects.
  T("uint4", 21, "uint4", 1, Uint8Array),
  T("int4", 22, "int4", 1, Int8Array),
  T("float4e2m1", 23, "float4e2m1", 1, Uint8Array),
  T("float8e8m0", 24, "float8e8m0", 1, Uint8Array),
  // 2-bit types: one element per byte too.
  T("uint2", 25, "uint2", 1, Uint8Array),
  T("int2", 26, "int2", 1, Int8Array),
];

const BY_NAME = new Map<string, DTypeInfo>();
const BY_PROTO = new Map<number, DTypeInfo>();
for (const t of TABLE) {
  BY_NAME.set(t.name, t);
  BY_NAME.set(`tensor(${t.onnx})`, t);
  BY_PROTO.set(t.proto, t);
}
// Common aliases (numpy / ONNX spellings).
for (
  const [alias, name] of [["float", "float32"], ["double", "float64"], ["half", "float16"], [
    "boolean",
    "bool",
  ]] as const
) {
  BY_NAME.set(alias, BY_NAME.get(name)!);
}

/** Anything that names an element type: "float32", "tensor(float)", TensorProto number, or a TypedArray class. */
export type ElementTypeLike = TensorType | string | number | ArrayCtor | { BYTES_PER_ELEMENT: number; name: string };

const CTOR_DEFAULT = new Map<unknown, TensorType>([
  [Float32Array, "float32"],
  [Float64Array, "float64"],
  [Int8Array, "int8"],
  [Uint8Array, "uint8"],
  [Int16Array, "int16"],
  [Uint16Array, "uint16"],
  [Int32Array, "int32"],
  [Uint32Array, "uint32"],
  [BigInt64Array, "int64"],
  [BigUint64Array, "uint64"],
]);

export function dtypeInfo(t: ElementTypeLike, what = "element type"): DTypeInfo {
  let info: DTypeInfo | undefined;
  if (typeof t === "number") info = BY_PROTO.get(t);
  else if (typeof t === "string") info = BY_NAME.get(t);
  else if (typeof t === "function") {
    const n = CTOR_DEFAULT.get(t);
    info = n ? BY_NAME.get(n) : undefined;
  }
  if (!info) {
    const shown = typeof t === "function" ? (t as { name: string }).name : JSON.stringify(t);
    throw new InvalidArgument(
      `unsupported ${what} ${shown}; expected one of ${
        TABLE.map((x) => `"${x.name}"`).join(", ")
      } or a TensorProto number`,
    );
  }
  return info;
}

export function dtypeFromProto(proto: number): DTypeInfo {
  return dtypeInfo(proto);
}

/** The TensorType a TypedArray most naturally holds (Uint8Array → "uint8"). */
export function typeOfArray(data: unknown): TensorType | undefined {
  if (!ArrayBuffer.isView(data)) return undefined;
  for (const [ctor, name] of CTOR_DEFAULT) {
    if (data instanceof (ctor as ArrayCtor)) return name;
  }
  const f16 = (globalThis as { Float16Array?: unknown }).Float16Array;
  if (typeof f16 === "function" && data instanceof (f16 as ArrayCtor)) return "float16";
  return undefined;
}

/** Product of dims (1 for a scalar). */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
