/**
 * Internal: checks feeds against the model's declared inputs (name, kind, dtype, rank,
 * fixed dims, buffer size) and turns them into native values before any core call, so
 * that errors name the input, the expected and the received.
 */
import { type DTypeInfo, dtypeInfo, sizeOf, type TensorType, type TypedArray, typeOfArray } from "./dtypes.ts";
import { InvalidArgument, NotImplemented } from "./errors.ts";
import { cstr, freeValueHandle, getNative, outHandle } from "./ffi.ts";
import type { NodeArg } from "./nodearg.ts";
import { OrtValue } from "./ortvalue.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { Borrow, tensorToValue } from "./values.ts";

/** What a feed may be. */
export type Feed =
  | Tensor
  | OrtValue
  | TensorLike
  | ArrayBufferView
  | string[]
  | Feed[]
  | Map<unknown, unknown>
  | Record<string, unknown>
  | null;

export type TypeNode =
  | { kind: "tensor"; elem: string }
  | { kind: "sparse_tensor"; elem: string }
  | { kind: "seq"; elem: TypeNode }
  | { kind: "map"; key: string; value: TypeNode }
  | { kind: "optional"; elem: TypeNode }
  | { kind: "unknown"; text: string };

/** Parses ONNX Runtime type strings such as "seq(map(int64,tensor(float)))". */
export function parseType(text: string): TypeNode {
  let i = 0;
  const ident = () => {
    const m = /^[a-z0-9_]+/i.exec(text.slice(i));
    if (!m) throw new Error();
    i += m[0].length;
    return m[0];
  };
  const eat = (c: string) => {
    if (text[i] !== c) throw new Error();
    i++;
  };
  const node = (): TypeNode => {
    const name = ident();
    eat("(");
    let out: TypeNode;
    if (name === "tensor" || name === "sparse_tensor") out = { kind: name, elem: ident() };
    else if (name === "seq") out = { kind: "seq", elem: node() };
    else if (name === "optional") out = { kind: "optional", elem: node() };
    else if (name === "map") {
      const key = ident();
      eat(",");
      while (text[i] === " ") i++;
      out = { kind: "map", key, value: node() };
    } else throw new Error();
    eat(")");
    return out;
  };
  try {
    const t = node();
    if (i !== text.length) throw new Error();
    return t;
  } catch {
    return { kind: "unknown", text };
  }
}

export function typeToString(t: TypeNode): string {
  switch (t.kind) {
    case "tensor":
    case "sparse_tensor":
      return `${t.kind}(${t.elem})`;
    case "seq":
    case "optional":
      return `${t.kind}(${typeToString(t.elem)})`;
    case "map":
      return `map(${t.key},${typeToString(t.value)})`;
    default:
      return t.text;
  }
}

const fmtShape = (s: readonly (number | string | null)[] | null) =>
  s === null ? "unknown" : `[${s.map((d) => (d === null ? "?" : typeof d === "string" ? d : String(d))).join(", ")}]`;

/** Shape for a bare TypedArray feed: the declared one, with at most one free dim inferred. */
function dimsForBareArray(arg: NodeArg, length: number, lanes: number): number[] {
  const shape = arg.shape;
  if (shape === null) return [length / lanes];
  const free = shape.map((d, i) => (typeof d === "number" ? -1 : i)).filter((i) => i >= 0);
  const known = sizeOf(shape.filter((d): d is number => typeof d === "number"));
  if (free.length === 0) return shape as number[];
  if (free.length === 1 && known > 0 && (length / lanes) % known === 0) {
    const dims = shape.map((d) => (typeof d === "number" ? d : 0));
    dims[free[0]] = length / lanes / known;
    return dims;
  }
  throw new InvalidArgument(
    `input '${arg.name}' has shape ${fmtShape(shape)} with ${free.length} free dimension(s); ` +
      `pass { data, dims } (or a Tensor) instead of a bare array`,
  );
}

/** What a tensor feed becomes after checks: its type, dims and (unchanged) data. */
interface Plain {
  type: TensorType;
  dims: readonly number[];
  data: TypedArray | string[];
}

/** Per-input facts computed once: parsed type, element type, fully static shape. */
interface ArgFacts {
  type: TypeNode;
  want: DTypeInfo | null;
  staticDims: readonly number[] | null;
}
const argFacts = new WeakMap<NodeArg, ArgFacts>();
function factsOf(arg: NodeArg): ArgFacts {
  let f = argFacts.get(arg);
  if (!f) {
    const type = parseType(arg.type);
    const want = type.kind === "tensor" ? dtypeInfo(`tensor(${type.elem})`, `type of input '${arg.name}'`) : null;
    const s = arg.shape;
    const staticDims = s !== null && s.every((d) => typeof d === "number") ? Object.freeze([...(s as number[])]) : null;
    f = { type, want, staticDims };
    argFacts.set(arg, f);
  }
  return f;
}

function checkSize(where: string, data: { length: number }, dims: readonly number[], lanes: number): void {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InvalidArgument(`${where}: dims must be non-negative integers, got [${dims.join(", ")}]`);
    }
  }
  const need = sizeOf(dims) * lanes;
  if (data.length !== need) {
    throw new InvalidArgument(`${where}: data has ${data.length} elements but dims [${dims.join(", ")}] need ${need}`);
  }
}

/** `x` checked against the declared tensor type and shape of `arg` (TypedArrays are used as they are). */
function checkedTensor(x: unknown, elem: string, arg: NodeArg, where: string, declared: boolean): Plain {
  const facts = declared ? factsOf(arg) : null;
  const want = facts?.want ?? dtypeInfo(`tensor(${elem})`, `type of ${where}`);
  // Fast path: a TypedArray of the declared type for an input of fixed shape.
  if (facts?.staticDims && want.array !== null && x instanceof want.array && typeOfArray(x) === want.name) {
    checkSize(where, x, facts.staticDims, want.lanes);
    return { type: want.name, dims: facts.staticDims, data: x };
  }
  let t: Plain;
  if (x instanceof Tensor) t = x;
  else if (ArrayBuffer.isView(x) || Array.isArray(x)) {
    const natural = Array.isArray(x)
      ? (x.length > 0 && typeof x[0] === "string" ? "string" : undefined)
      : typeOfArray(x);
    // A TypedArray of the class the declared type uses (Uint8Array for bool, Uint16Array for float16) is accepted.
    const ok = natural === want.name || (ArrayBuffer.isView(x) && want.array !== null && x instanceof want.array) ||
      (Array.isArray(x) && natural === undefined);
    if (!ok) {
      throw new InvalidArgument(
        `${where}: unexpected data type. Actual: (tensor(${
          natural ? dtypeInfo(natural).onnx : (x as object).constructor.name
        })), expected: (tensor(${elem}))`,
      );
    }
    const len = (x as { length: number }).length;
    const dims = declared ? dimsForBareArray(arg, len, want.lanes) : [len / want.lanes];
    if (!Number.isInteger(dims[0] ?? 0)) {
      throw new InvalidArgument(`${where}: ${len} elements do not fit type ${want.name}`);
    }
    t = ArrayBuffer.isView(x)
      ? { type: want.name, dims, data: x as TypedArray }
      : new Tensor(want.name, x as TensorLike["data"], dims);
    checkSize(where, t.data, t.dims, want.lanes);
  } else if (x !== null && typeof x === "object" && "data" in (x as object)) {
    const tl = x as TensorLike;
    const ty = tl.type ?? (Array.isArray(tl.data) ? want.name : typeOfArray(tl.data)) ?? want.name;
    if (
      ty !== want.name &&
      !(tl.type === undefined && ArrayBuffer.isView(tl.data) && want.array && tl.data instanceof want.array)
    ) {
      throw new InvalidArgument(
        `${where}: unexpected data type. Actual: (tensor(${dtypeInfo(ty).onnx})), expected: (tensor(${elem}))`,
      );
    }
    const dims = tl.dims ??
      (declared ? dimsForBareArray(arg, (tl.data as { length: number }).length, want.lanes) : undefined);
    if (ArrayBuffer.isView(tl.data) && want.array !== null && tl.data instanceof want.array && Array.isArray(dims)) {
      checkSize(where, tl.data, dims, want.lanes);
      t = { type: want.name, dims, data: tl.data as TypedArray };
    } else t = new Tensor(tl.type ?? want.name, tl.data, dims);
  } else {
    throw new InvalidArgument(
      `${where}: expected a Tensor, OrtValue, { data, dims } or TypedArray for type tensor(${elem}), got ${
        x === null ? "null" : typeof x
      }`,
    );
  }
  if (t.type !== want.name) {
    throw new InvalidArgument(
      `${where}: unexpected data type. Actual: (tensor(${dtypeInfo(t.type).onnx})), expected: (tensor(${elem}))`,
    );
  }
  if (declared) checkShape(arg, t.dims, where);
  return t;
}

function checkShape(arg: NodeArg, dims: readonly number[], where: string): void {
  const shape = arg.shape;
  if (shape === null) return;
  if (shape.length !== dims.length) {
    throw new InvalidArgument(
      `${where}: invalid rank. Got: ${dims.length} (dims [${dims.join(", ")}]), expected: ${shape.length} (shape ${
        fmtShape(shape)
      })`,
    );
  }
  const bad: string[] = [];
  shape.forEach((d, i) => {
    if (typeof d === "number" && d !== dims[i]) bad.push(`index ${i}: got ${dims[i]}, expected ${d}`);
  });
  if (bad.length) {
    throw new InvalidArgument(
      `${where}: invalid dimensions (${bad.join("; ")}); got [${dims.join(", ")}], expected ${fmtShape(shape)}`,
    );
  }
}

/**
 * Converts feed `x` for input `arg` into a native value. Returns the handle and whether
 * the caller owns it (OrtValues stay owned by their object). Borrowed buffers go into `keep`.
 * `copy` (async runs) gives the library its own copy of every JS buffer: during an async
 * run JS keeps running and could transfer or resize a borrowed one under the library.
 */
export function feedToValue(
  x: unknown,
  arg: NodeArg,
  keep: unknown[],
  copy = false,
): { handle: bigint; owned: boolean } {
  const where = `input '${arg.name}'`;
  if (x instanceof OrtValue) {
    x._checkFeed(arg, where, checkShape);
    return x._feedHandle(where, copy);
  }
  return { handle: build(x, factsOf(arg).type, arg, where, keep, true, copy), owned: true };
}

/**
 * Re-checks the JS memory behind prepared feeds (the `keep` of feedToValue, and bound
 * OrtValues) right before a synchronous call: user code may have run since they were
 * wrapped (a getter in the feeds object, say) and transferred or resized a buffer;
 * nothing can run during the call itself.
 */
export function recheckFeeds(keep: readonly unknown[], where: string): void {
  for (const k of keep) {
    if (k instanceof Borrow) k.check(where);
    else if (k instanceof OrtValue) k._handleForFeed(where);
  }
}

function build(
  x: unknown,
  t: TypeNode,
  arg: NodeArg,
  where: string,
  keep: unknown[],
  top: boolean,
  copy: boolean,
): bigint {
  const n = getNative();
  switch (t.kind) {
    case "tensor": {
      let tensor: Plain;
      try {
        tensor = checkedTensor(x, t.elem, arg, where, top);
      } catch (e) {
        // Tensor's own checks (e.g. data shorter than dims) get the input's name in front.
        if (e instanceof InvalidArgument && !e.message.startsWith(where)) {
          throw new InvalidArgument(`${where}: ${e.message}`);
        }
        throw e;
      }
      return tensorToValue(tensor, keep, copy);
    }
    case "optional": {
      if (x === null || x === undefined) {
        return outHandle((out) => n.symbols.onnxrun_value_optional_create(0n, cstr(typeToString(t.elem)), out));
      }
      // The declared shape describes the optional, not its element: check the element's type only.
      const inner = build(x, t.elem, arg, where, keep, false, copy);
      try {
        return outHandle((out) => n.symbols.onnxrun_value_optional_create(inner, null, out));
      } finally {
        freeValueHandle(inner);
      }
    }
    case "seq": {
      if (!Array.isArray(x)) {
        throw new InvalidArgument(
          `${where}: expected an array for type ${typeToString(t)}, got ${x === null ? "null" : typeof x}`,
        );
      }
      const items: bigint[] = [];
      try {
        x.forEach((item, i) => items.push(build(item, t.elem, arg, `${where}[${i}]`, keep, false, copy)));
        const arr = BigUint64Array.from(items);
        return outHandle((out) => n.symbols.onnxrun_value_sequence_create(arr, arr.length, out));
      } finally {
        items.forEach(freeValueHandle);
      }
    }
    case "map": {
      const entries: [unknown, unknown][] = x instanceof Map
        ? [...x.entries()]
        : x !== null && typeof x === "object" && !Array.isArray(x) && !ArrayBuffer.isView(x)
        ? Object.entries(x as Record<string, unknown>)
        : (() => {
          throw new InvalidArgument(`${where}: expected a Map for type ${typeToString(t)}`);
        })();
      if (t.value.kind !== "tensor") {
        throw new NotImplemented(`${where}: maps with ${typeToString(t.value)} values are not supported`);
      }
      const keyInfo = dtypeInfo(`tensor(${t.key})`);
      const keys = keyInfo.name === "string"
        ? new Tensor("string", entries.map(([k]) => String(k)))
        : new Tensor(keyInfo.name, entries.map(([k]) => (typeof k === "string" ? Number(k) : k)) as number[]);
      const valInfo = dtypeInfo(`tensor(${t.value.elem})`);
      const values = new Tensor(valInfo.name, entries.map(([, v]) => v) as number[]);
      const kh = tensorToValue(keys, keep, copy);
      let vh = 0n;
      try {
        vh = tensorToValue(values, keep, copy);
        return outHandle((out) => n.symbols.onnxrun_value_map_create(kh, vh, out));
      } finally {
        freeValueHandle(kh);
        freeValueHandle(vh);
      }
    }
    case "sparse_tensor":
      throw new NotImplemented(`${where}: sparse tensor inputs are not supported by the C ABI yet`);
    default:
      throw new NotImplemented(`${where}: inputs of type ${typeToString(t)} are not supported`);
  }
}
