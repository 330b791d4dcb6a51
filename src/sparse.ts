/**
 * SparseTensor in COO or CSR(C) format, held on the TypeScript side (the C ABI has no sparse
 * values yet, so these can't be fed to a session: that raises NotImplemented). Buffers are
 * used as given, without a copy, like ONNX Runtime maps numpy arrays.
 */
import { sizeOf } from "./dtypes.ts";
import { OrtDevice } from "./device.ts";
import { OrtSparseFormat } from "./enums.ts";
import { EPFail, InvalidArgument, NotImplemented } from "./errors.ts";
import { asTensor, Tensor, type TensorLike } from "./tensor.ts";
import type { TypedArray } from "./dtypes.ts";
import { dtypeInfo } from "./dtypes.ts";
import { getAvailableProviders } from "./providers.ts";

type Values = Tensor | TensorLike | TypedArray | string[];
type Indices = Tensor | BigInt64Array | readonly number[];

function int64Tensor(x: Indices, what: string): Tensor {
  if (x instanceof Tensor) {
    if (x.type !== "int64") throw new InvalidArgument(`${what} must be int64, got ${x.type}`);
    return x;
  }
  if (x instanceof BigInt64Array) return new Tensor("int64", x);
  if (Array.isArray(x)) return new Tensor("int64", x as number[]);
  throw new InvalidArgument(`${what} must be a BigInt64Array, an int64 Tensor or an array of integers`);
}

function shapeOf(denseShape: readonly number[] | BigInt64Array | Tensor): number[] {
  const raw = denseShape instanceof Tensor
    ? Array.from(denseShape.data as BigInt64Array, Number)
    : Array.from(denseShape as ArrayLike<number | bigint>, Number);
  if (!raw.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidArgument(`dense_shape must hold non-negative integers, got [${raw.join(", ")}]`);
  }
  return raw;
}

/** COO indices view. */
export class SparseCooView {
  constructor(readonly _indices: Tensor) {}
  /** int64 indices: linear (nnz) or coordinate pairs ([nnz, 2]). */
  indices(): Tensor {
    return this._indices;
  }
}

/** CSR(C) indices view. */
export class SparseCsrView {
  constructor(readonly _inner: Tensor, readonly _outer: Tensor) {}
  /** Column index of each value. */
  inner(): Tensor {
    return this._inner;
  }
  /** Row start offsets (rows + 1 entries). */
  outer(): Tensor {
    return this._outer;
  }
}

/** Block-sparse indices view. */
export class SparseBlockSparseView {
  constructor(readonly _indices: Tensor) {}
  indices(): Tensor {
    return this._indices;
  }
}

const INTERNAL = Symbol("onnxrun.sparse.internal");

export class SparseTensor {
  readonly #format: OrtSparseFormat;
  readonly #shape: number[];
  readonly #values: Tensor;
  readonly #indices: Tensor[];
  readonly #device: OrtDevice;

  /** Internal: use sparseCooFromTensor / sparseCsrFromTensor. */
  constructor(
    token: symbol,
    format: OrtSparseFormat,
    shape: number[],
    values: Tensor,
    indices: Tensor[],
    device: OrtDevice,
  ) {
    if (token !== INTERNAL) {
      throw new InvalidArgument("use SparseTensor.sparseCooFromTensor or SparseTensor.sparseCsrFromTensor");
    }
    this.#format = format;
    this.#shape = shape;
    this.#values = values;
    this.#indices = indices;
    this.#device = device;
  }

  /**
   * COO: `values` holds the nnz non-zero elements; `cooIndices` either nnz linear indices or
   * nnz coordinate pairs (2·nnz entries, shape [nnz, 2]) into a 2-D dense shape.
   */
  static sparseCooFromTensor(
    denseShape: readonly number[] | BigInt64Array | Tensor,
    values: Values,
    cooIndices: Indices,
    ortDevice: OrtDevice = new OrtDevice("cpu", 0),
  ): SparseTensor {
    const shape = shapeOf(denseShape);
    const v = asTensor(values, "sparseCooFromTensor values");
    if (v.dims.length !== 1) {
      throw new InvalidArgument(`sparseCooFromTensor: values must be 1-D, got dims [${v.dims.join(", ")}]`);
    }
    let idx = int64Tensor(cooIndices, "sparseCooFromTensor coo_indices");
    const nnz = v.size;
    const total = sizeOf(shape);
    const raw = idx.data as BigInt64Array;
    if (raw.length === nnz && idx.dims.length <= 1) {
      raw.forEach((x, i) => {
        if (x < 0n || x >= BigInt(total)) {
          throw new InvalidArgument(`sparseCooFromTensor: linear index ${x} at ${i} is outside dense size ${total}`);
        }
      });
      idx = new Tensor("int64", raw, [nnz]);
    } else if (raw.length === 2 * nnz) {
      if (shape.length !== 2) {
        throw new InvalidArgument(
          `sparseCooFromTensor: coordinate indices need a 2-D dense shape, got [${shape.join(", ")}]`,
        );
      }
      for (let i = 0; i < nnz; i++) {
        const r = raw[2 * i], c = raw[2 * i + 1];
        if (r < 0n || r >= BigInt(shape[0]) || c < 0n || c >= BigInt(shape[1])) {
          throw new InvalidArgument(
            `sparseCooFromTensor: coordinate (${r}, ${c}) at ${i} is outside [${shape.join(", ")}]`,
          );
        }
      }
      idx = new Tensor("int64", raw, [nnz, 2]);
    } else {
      throw new InvalidArgument(
        `sparseCooFromTensor: coo_indices must have nnz (${nnz}) or 2*nnz (${2 * nnz}) entries, got ${raw.length}`,
      );
    }
    checkDevice(v, ortDevice);
    return new SparseTensor(INTERNAL, OrtSparseFormat.ORT_SPARSE_COO, shape, v, [idx], ortDevice);
  }

  /** CSR: `innerIndices` (nnz column indices) and `outerIndices` (rows + 1 row offsets) into a 2-D shape. */
  static sparseCsrFromTensor(
    denseShape: readonly number[] | BigInt64Array | Tensor,
    values: Values,
    innerIndices: Indices,
    outerIndices: Indices,
    ortDevice: OrtDevice = new OrtDevice("cpu", 0),
  ): SparseTensor {
    const shape = shapeOf(denseShape);
    if (shape.length !== 2) {
      throw new InvalidArgument(`sparseCsrFromTensor: dense shape must be 2-D (rows, cols), got [${shape.join(", ")}]`);
    }
    const v = asTensor(values, "sparseCsrFromTensor values");
    if (v.dims.length !== 1) {
      throw new InvalidArgument(`sparseCsrFromTensor: values must be 1-D, got dims [${v.dims.join(", ")}]`);
    }
    const inner = int64Tensor(innerIndices, "sparseCsrFromTensor inner_indices");
    const outer = int64Tensor(outerIndices, "sparseCsrFromTensor outer_indices");
    const nnz = v.size;
    if (inner.size !== nnz) {
      throw new InvalidArgument(`sparseCsrFromTensor: inner_indices has ${inner.size} entries, values has ${nnz}`);
    }
    if (outer.size !== shape[0] + 1) {
      throw new InvalidArgument(
        `sparseCsrFromTensor: outer_indices must have rows + 1 = ${shape[0] + 1} entries, got ${outer.size}`,
      );
    }
    const o = outer.data as BigInt64Array;
    if (o[0] !== 0n || o[o.length - 1] !== BigInt(nnz)) {
      throw new InvalidArgument(`sparseCsrFromTensor: outer_indices must start at 0 and end at nnz (${nnz})`);
    }
    for (let i = 1; i < o.length; i++) {
      if (o[i] < o[i - 1]) throw new InvalidArgument(`sparseCsrFromTensor: outer_indices must not decrease (at ${i})`);
    }
    (inner.data as BigInt64Array).forEach((c, i) => {
      if (c < 0n || c >= BigInt(shape[1])) {
        throw new InvalidArgument(`sparseCsrFromTensor: column ${c} at ${i} is outside ${shape[1]} columns`);
      }
    });
    checkDevice(v, ortDevice);
    return new SparseTensor(INTERNAL, OrtSparseFormat.ORT_SPARSE_CSRC, shape, v, [inner, outer], ortDevice);
  }

  /** The non-zero values (shares the given buffer). */
  values(): Tensor {
    return this.#values;
  }
  asCooView(): SparseCooView {
    if (this.#format !== OrtSparseFormat.ORT_SPARSE_COO) {
      throw new InvalidArgument(`asCooView(): the tensor is ${this.#format.name}, not COO`);
    }
    return new SparseCooView(this.#indices[0]);
  }
  asCsrcView(): SparseCsrView {
    if (this.#format !== OrtSparseFormat.ORT_SPARSE_CSRC) {
      throw new InvalidArgument(`asCsrcView(): the tensor is ${this.#format.name}, not CSR(C)`);
    }
    return new SparseCsrView(this.#indices[0], this.#indices[1]);
  }
  asBlocksparseView(): SparseBlockSparseView {
    if (this.#format !== OrtSparseFormat.ORT_SPARSE_BLOCK_SPARSE) {
      throw new InvalidArgument(`asBlocksparseView(): the tensor is ${this.#format.name}, not BlockSparse`);
    }
    return new SparseBlockSparseView(this.#indices[0]);
  }
  /** The dense shape. */
  denseShape(): number[] {
    return [...this.#shape];
  }
  /** e.g. "sparse_tensor(float)". */
  dataType(): string {
    return `sparse_tensor(${dtypeInfo(this.#values.type).onnx})`;
  }
  deviceName(): "cpu" | "cuda" | "webgpu" {
    return this.#device.deviceName();
  }
  format(): OrtSparseFormat {
    return this.#format;
  }
  /**
   * A copy on a CUDA device. Throws for strings, for a tensor already on a GPU, when CUDA
   * is not usable here, and otherwise (the C ABI has no device sparse tensors) NotImplemented.
   */
  toCuda(ortDevice: OrtDevice): SparseTensor {
    if (!(ortDevice instanceof OrtDevice) || ortDevice.deviceName() !== "cuda") {
      throw new InvalidArgument("toCuda(): expected an OrtDevice named 'cuda'");
    }
    if (this.#values.type === "string") {
      throw new InvalidArgument("toCuda(): string sparse tensors can't be moved to CUDA");
    }
    if (this.#device.deviceName() !== "cpu") {
      throw new InvalidArgument("toCuda(): the tensor is already on a GPU; cross-GPU copy is not supported");
    }
    if (!getAvailableProviders().includes("CUDAExecutionProvider")) {
      throw new EPFail("toCuda(): CUDA is not available on this machine");
    }
    throw new NotImplemented("toCuda(): the C ABI has no device sparse tensors yet");
  }
  /** The dense tensor (zeros elsewhere); handy for checks. */
  toDense(): Tensor {
    const info = dtypeInfo(this.#values.type);
    if (info.name === "string") {
      const out = new Array<string>(sizeOf(this.#shape)).fill("");
      this.#scatter((lin, i) => (out[lin] = (this.#values.data as string[])[i]));
      return new Tensor("string", out, this.#shape);
    }
    const out = new info.array!(sizeOf(this.#shape) * info.lanes);
    const src = this.#values.data as TypedArray;
    this.#scatter((lin, i) => {
      for (let l = 0; l < info.lanes; l++) {
        (out as Float64Array)[lin * info.lanes + l] = (src as Float64Array)[i * info.lanes + l];
      }
    });
    return new Tensor(info.name, out, this.#shape);
  }
  #scatter(put: (linear: number, i: number) => void): void {
    if (this.#format === OrtSparseFormat.ORT_SPARSE_COO) {
      const idx = this.#indices[0];
      const raw = idx.data as BigInt64Array;
      if (idx.dims.length === 2) {
        for (let i = 0; i < idx.dims[0]; i++) put(Number(raw[2 * i]) * this.#shape[1] + Number(raw[2 * i + 1]), i);
      } else raw.forEach((x, i) => put(Number(x), i));
    } else {
      const inner = this.#indices[0].data as BigInt64Array;
      const outer = this.#indices[1].data as BigInt64Array;
      for (let r = 0; r + 1 < outer.length; r++) {
        for (let i = Number(outer[r]); i < Number(outer[r + 1]); i++) put(r * this.#shape[1] + Number(inner[i]), i);
      }
    }
  }
}

function checkDevice(values: Tensor, d: OrtDevice): void {
  if (!(d instanceof OrtDevice)) throw new InvalidArgument("ort_device must be an OrtDevice");
  // Values given here live in host memory; only a CPU device describes them truthfully.
  if (d.deviceName() !== "cpu") {
    throw new InvalidArgument(
      `the given buffers are host memory; ort_device must be cpu, got ${d.deviceName()} (use toCuda() to copy)`,
    );
  }
  void values;
}
