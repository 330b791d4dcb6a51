/**
 * Enumerations with ONNX Runtime's member names and values. Members are objects with
 * `name` and `value` (as pybind11 enums have), compare by identity, and convert to their
 * number (`+GraphOptimizationLevel.ORT_ENABLE_ALL === 99`). Setters accept a member, its
 * number or its name.
 */
import { InvalidArgument } from "./errors.ts";

export class EnumMember<E extends string = string> {
  readonly #enumName: E;
  constructor(enumName: E, readonly name: string, readonly value: number) {
    this.#enumName = enumName;
    Object.freeze(this);
  }
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return `${this.#enumName}.${this.name}`;
  }
  get [Symbol.toStringTag](): string {
    return this.toString();
  }
}

export type EnumObject<E extends string, K extends string> =
  & { readonly [k in K]: EnumMember<E> }
  & {
    /** Name of the enumeration, e.g. "GraphOptimizationLevel". */
    readonly enumName: E;
    /** All members in declaration order. */
    readonly members: readonly EnumMember<E>[];
    /** The member for a value or name (throws InvalidArgument for anything else). */
    from(v: EnumMember<E> | number | string, what?: string): EnumMember<E>;
  };

function makeEnum<E extends string, K extends string>(enumName: E, values: Record<K, number>): EnumObject<E, K> {
  const members: EnumMember<E>[] = [];
  const out: Record<string, unknown> = { enumName, members };
  for (const [k, v] of Object.entries(values) as [K, number][]) {
    const m = new EnumMember(enumName, k, v);
    members.push(m);
    out[k] = m;
  }
  out.from = (v: EnumMember<E> | number | string, what = enumName) => {
    if (v instanceof EnumMember) {
      if (members.includes(v)) return v;
    } else if (typeof v === "number") {
      const m = members.find((x) => x.value === v);
      if (m) return m;
    } else if (typeof v === "string") {
      const m = members.find((x) => x.name === v);
      if (m) return m;
    }
    throw new InvalidArgument(
      `invalid ${what}: ${String(v)}; expected one of ${
        members.map((m) => `${enumName}.${m.name} (${m.value})`).join(", ")
      }`,
    );
  };
  return Object.freeze(out) as EnumObject<E, K>;
}

export const GraphOptimizationLevel: EnumObject<
  "GraphOptimizationLevel",
  "ORT_DISABLE_ALL" | "ORT_ENABLE_BASIC" | "ORT_ENABLE_EXTENDED" | "ORT_ENABLE_ALL"
> = makeEnum("GraphOptimizationLevel", {
  ORT_DISABLE_ALL: 0,
  ORT_ENABLE_BASIC: 1,
  ORT_ENABLE_EXTENDED: 2,
  ORT_ENABLE_ALL: 99,
});
export type GraphOptimizationLevel = EnumMember<"GraphOptimizationLevel">;

export const ExecutionMode: EnumObject<"ExecutionMode", "ORT_SEQUENTIAL" | "ORT_PARALLEL"> = makeEnum("ExecutionMode", {
  ORT_SEQUENTIAL: 0,
  ORT_PARALLEL: 1,
});
export type ExecutionMode = EnumMember<"ExecutionMode">;

export const ExecutionOrder: EnumObject<"ExecutionOrder", "DEFAULT" | "PRIORITY_BASED" | "MEMORY_EFFICIENT"> = makeEnum(
  "ExecutionOrder",
  {
    DEFAULT: 0,
    PRIORITY_BASED: 1,
    MEMORY_EFFICIENT: 2,
  },
);
export type ExecutionOrder = EnumMember<"ExecutionOrder">;

export const OrtAllocatorType: EnumObject<
  "OrtAllocatorType",
  "INVALID" | "ORT_DEVICE_ALLOCATOR" | "ORT_ARENA_ALLOCATOR"
> = makeEnum("OrtAllocatorType", {
  INVALID: -1,
  ORT_DEVICE_ALLOCATOR: 0,
  ORT_ARENA_ALLOCATOR: 1,
});
export type OrtAllocatorType = EnumMember<"OrtAllocatorType">;

// CPU is ONNX Runtime's alias of CPU_OUTPUT (both -1); `from(-1)` gives CPU_OUTPUT.
export const OrtMemType: EnumObject<"OrtMemType", "CPU_INPUT" | "CPU_OUTPUT" | "CPU" | "DEFAULT"> = makeEnum(
  "OrtMemType",
  {
    CPU_INPUT: -2,
    CPU_OUTPUT: -1,
    CPU: -1,
    DEFAULT: 0,
  },
);
export type OrtMemType = EnumMember<"OrtMemType">;

/** Sparse tensor formats (OrtSparseFormat). */
export const OrtSparseFormat: EnumObject<
  "OrtSparseFormat",
  "ORT_SPARSE_UNDEFINED" | "ORT_SPARSE_COO" | "ORT_SPARSE_CSRC" | "ORT_SPARSE_BLOCK_SPARSE"
> = makeEnum("OrtSparseFormat", {
  ORT_SPARSE_UNDEFINED: 0,
  ORT_SPARSE_COO: 1,
  ORT_SPARSE_CSRC: 2,
  ORT_SPARSE_BLOCK_SPARSE: 4,
});
export type OrtSparseFormat = EnumMember<"OrtSparseFormat">;
