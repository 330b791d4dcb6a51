/**
 * A minimal protobuf writer for ONNX models, enough to build tiny (also deliberately
 * malformed) models inside tests without Python. Field numbers follow onnx.proto.
 */

type Field = Uint8Array;
const enc = new TextEncoder();

function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const concat = (parts: (Uint8Array | number[])[]): Uint8Array => {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);

/** Field builders: varint (0), length-delimited (2), packed repeated. */
export const pb = {
  int: (f: number, v: number | bigint): Field => concat([key(f, 0), varint(v)]),
  bytes: (f: number, b: Uint8Array): Field => concat([key(f, 2), varint(b.length), b]),
  str: (f: number, s: string): Field => pb.bytes(f, enc.encode(s)),
  msg: (f: number, ...fields: Field[]): Field => pb.bytes(f, concat(fields)),
  packedInts: (f: number, vs: (number | bigint)[]): Field => pb.bytes(f, concat(vs.map((v) => varint(v)))),
  packedFloats: (f: number, vs: number[]): Field => pb.bytes(f, new Uint8Array(new Float32Array(vs).buffer)),
  cat: (...fields: Field[]): Uint8Array => concat(fields),
};

export const ELEM = {
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
  BFLOAT16: 16,
} as const;

/** ValueInfoProto of a tensor: dims are numbers (fixed), strings (named) or null (unknown). */
export function tensorValueInfo(name: string, elemType: number, dims: (number | string | null)[]): Field {
  const dimFields = dims.map((d) =>
    pb.msg(1, ...(typeof d === "number" ? [pb.int(1, d)] : typeof d === "string" ? [pb.str(2, d)] : []))
  );
  const shape = pb.msg(2, ...dimFields);
  const tensorType = pb.msg(1, pb.int(1, elemType), shape);
  return pb.cat(pb.str(1, name), pb.msg(2, tensorType));
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  name?: string;
  attrs?: Field[];
}

/** TensorProto with float data in raw_data (`rawBytes` overrides the bytes, e.g. to truncate). */
export function floatInitializer(name: string, dims: number[], values: number[], rawBytes?: Uint8Array): Field {
  const raw = rawBytes ?? new Uint8Array(new Float32Array(values).buffer);
  return pb.cat(pb.packedInts(1, dims), pb.int(2, ELEM.FLOAT), pb.str(8, name), pb.bytes(9, raw));
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: Field[];
  outputs: Field[];
  initializers?: Field[];
  opset?: number;
  irVersion?: number;
  graphName?: string;
  producer?: string;
  metadata?: Record<string, string>;
  docString?: string;
}

/** Serialized ModelProto. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const nodes = spec.nodes.map((n) =>
    pb.msg(
      1,
      ...n.inputs.map((i) => pb.str(1, i)),
      ...n.outputs.map((o) => pb.str(2, o)),
      pb.str(3, n.name ?? `${n.op}_node`),
      pb.str(4, n.op),
      ...(n.attrs ?? []).map((a) => pb.bytes(5, a)),
      ...(n.domain ? [pb.str(7, n.domain)] : []),
    )
  );
  const graph = pb.msg(
    7,
    ...nodes,
    pb.str(2, spec.graphName ?? "g"),
    ...(spec.initializers ?? []).map((t) => pb.bytes(5, t)),
    ...spec.inputs.map((v) => pb.bytes(11, v)),
    ...spec.outputs.map((v) => pb.bytes(12, v)),
  );
  return pb.cat(
    pb.int(1, spec.irVersion ?? 8),
    pb.str(2, spec.producer ?? "onnx_builder"),
    ...(spec.docString ? [pb.str(6, spec.docString)] : []),
    graph,
    pb.msg(8, pb.str(1, ""), pb.int(2, spec.opset ?? 13)),
    ...Object.entries(spec.metadata ?? {}).map(([k, v]) => pb.msg(14, pb.str(1, k), pb.str(2, v))),
  );
}

/** AttributeProto helpers. */
export const attr = {
  int: (name: string, v: number): Field => pb.cat(pb.str(1, name), pb.int(3, v), pb.int(20, 2)),
  float: (name: string, v: number): Field => {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return pb.cat(pb.str(1, name), concat([key(2, 5), b]), pb.int(20, 1));
  },
};

/** Y = op(X) over one float tensor of `dims`. */
export function unaryModel(
  op: string,
  dims: (number | string | null)[] = [2, 3],
  extra: Partial<ModelSpec> = {},
): Uint8Array {
  return buildModel({
    nodes: [{ op, inputs: ["X"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, dims)],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, dims)],
    ...extra,
  });
}

/** TypeProto of a tensor (for nesting in sequence/optional types). */
export function tensorType(elemType: number, dims: (number | string | null)[] | null): Field {
  const shape = dims === null ? [] : [pb.msg(
    2,
    ...dims.map((d) =>
      pb.msg(1, ...(typeof d === "number" ? [pb.int(1, d)] : typeof d === "string" ? [pb.str(2, d)] : []))
    ),
  )];
  return pb.msg(1, pb.int(1, elemType), ...shape);
}

/** ValueInfoProto of a sequence of tensors. */
export function sequenceValueInfo(
  name: string,
  elemType: number,
  dims: (number | string | null)[] | null = null,
): Field {
  return pb.cat(pb.str(1, name), pb.msg(2, pb.msg(4, pb.bytes(1, tensorType(elemType, dims)))));
}

/** ValueInfoProto of an optional tensor. */
export function optionalValueInfo(
  name: string,
  elemType: number,
  dims: (number | string | null)[] | null = null,
): Field {
  return pb.cat(pb.str(1, name), pb.msg(2, pb.msg(9, pb.bytes(1, tensorType(elemType, dims)))));
}

/** Y = X·W·W·…·W (`depth` MatMuls, W = I·scale): slow enough to observe while it runs. */
export function matmulChain(depth: number, size: number, scale = 1): Uint8Array {
  const w = new Float32Array(size * size);
  for (let i = 0; i < size; i++) w[i * size + i] = scale;
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < depth; i++) {
    nodes.push({
      op: "MatMul",
      inputs: [i === 0 ? "X" : `h${i}`, "W"],
      outputs: [i === depth - 1 ? "Y" : `h${i + 1}`],
      name: `mm${i}`,
    });
  }
  return buildModel({
    nodes,
    inputs: [tensorValueInfo("X", ELEM.FLOAT, [size, size])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, [size, size])],
    initializers: [floatInitializer("W", [size, size], [], new Uint8Array(w.buffer))],
  });
}
