/**
 * OrtValue: a value held by the library (tensor, sequence, map, optional) on a device, or a
 * SparseTensor. A CPU OrtValue made from a Tensor shares the Tensor's memory (no copy), as
 * ONNX Runtime shares a numpy array's; on other devices the data is copied there. Shared
 * memory stays under JS's control: every use first checks that the buffer was not
 * transferred, detached or resized (InvalidArgument if it was), and async runs and
 * session initializers take a copy. A SharedArrayBuffer is copied at creation.
 */
import { dtypeInfo, type ElementTypeLike, sizeOf, type TensorType, type TypedArray } from "./dtypes.ts";
import { InvalidArgument, NotImplemented } from "./errors.ts";
import { getNative } from "./ffi.ts";
import type { NodeArg } from "./nodearg.ts";
import type { SparseTensor } from "./sparse.ts";
import { asTensor, type Tensor, type TensorLike } from "./tensor.ts";
import {
  allocTensorValue,
  Borrow,
  checkBorrows,
  describe,
  type Description,
  DEVICE_NAMES,
  type DeviceName,
  deviceName,
  tensorCopyFromValue,
  tensorToValue,
  toDevice,
  VALUE_OPTIONAL,
  VALUE_SEQUENCE,
  VALUE_TENSOR,
  valueTypeString,
} from "./values.ts";

const registry = new FinalizationRegistry<bigint>((h) => {
  try {
    getNative().symbols.onnxrun_value_free(h);
  } catch { /* library gone at exit */ }
});

/** Device buffers created here, by address, so IOBinding.bindInput(buffer_ptr) can find their value. */
const deviceBuffers = new Map<string, WeakRef<OrtValue>>();
const bufferKey = (device: string, deviceId: number, ptr: bigint) => `${device}:${deviceId}:${ptr}`;

const INTERNAL = Symbol("onnxrun.ortvalue.internal");

export class OrtValue {
  #handle: bigint;
  #keep: unknown[];
  #sparse: SparseTensor | null;
  #closed = false;
  #bufferKey: string | null = null;

  /** Internal: use the static factories. */
  constructor(token: symbol, handle: bigint, keep: unknown[] = [], sparse: SparseTensor | null = null) {
    if (token !== INTERNAL) {
      throw new InvalidArgument(
        "use OrtValue.ortvalueFromTensor / ortvalueFromShapeAndType / ortValueFromSparseTensor",
      );
    }
    this.#handle = handle;
    this.#keep = keep;
    this.#sparse = sparse;
    if (handle !== 0n) {
      registry.register(this, handle, this);
      const d = describe(handle);
      if (d.kind === VALUE_TENSOR && d.deviceKind !== 0 && d.dataPtr !== 0n) {
        this.#bufferKey = bufferKey(DEVICE_NAMES[d.deviceKind] ?? "?", d.deviceId, d.dataPtr);
        deviceBuffers.set(this.#bufferKey, new WeakRef(this));
      }
    }
  }

  /** @internal Wraps a handle the caller owns (ownership passes to the OrtValue). */
  static _fromHandle(handle: bigint, keep: unknown[] = []): OrtValue {
    return new OrtValue(INTERNAL, handle, keep);
  }

  /** @internal The live OrtValue whose device buffer starts at `ptr`, if any. */
  static _byDeviceBuffer(device: string, deviceId: number, ptr: bigint): OrtValue | undefined {
    const key = bufferKey(device, deviceId, ptr);
    const v = deviceBuffers.get(key)?.deref();
    if (!v) deviceBuffers.delete(key);
    return v;
  }

  /**
   * An OrtValue holding `tensor` on a device. On "cpu" it shares the tensor's memory (keep
   * the Tensor unchanged while the value is in use); elsewhere the data is copied there.
   */
  static ortvalueFromTensor(
    tensor: Tensor | TensorLike | TypedArray | string[],
    deviceType: string = "cpu",
    deviceId = 0,
  ): OrtValue {
    const dev = deviceName(deviceType);
    checkDeviceId(deviceId);
    const t = asTensor(tensor, "ortvalueFromTensor");
    const keep: unknown[] = [];
    const host = tensorToValue(t, keep);
    if (dev === "cpu") return new OrtValue(INTERNAL, host, keep);
    try {
      return new OrtValue(INTERNAL, toDevice(host, dev, deviceId));
    } finally {
      getNative().symbols.onnxrun_value_free(host);
    }
  }

  /** A zero-filled tensor of `shape` and `elementType` ("float32", TensorProto number, Float32Array...). */
  static ortvalueFromShapeAndType(
    shape: readonly number[],
    elementType: ElementTypeLike,
    deviceType: string = "cpu",
    deviceId = 0,
  ): OrtValue {
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InvalidArgument(
        `ortvalueFromShapeAndType: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    const info = dtypeInfo(elementType);
    const dev = deviceName(deviceType);
    checkDeviceId(deviceId);
    const host = allocTensorValue(info.name, shape);
    if (dev === "cpu") return new OrtValue(INTERNAL, host);
    try {
      return new OrtValue(INTERNAL, toDevice(host, dev, deviceId));
    } finally {
      getNative().symbols.onnxrun_value_free(host);
    }
  }

  /** An OrtValue holding a SparseTensor (which it then owns). */
  static ortValueFromSparseTensor(sparseTensor: SparseTensor): OrtValue {
    if (!sparseTensor || typeof (sparseTensor as SparseTensor).format !== "function") {
      throw new InvalidArgument("ortValueFromSparseTensor: expected a SparseTensor");
    }
    return new OrtValue(INTERNAL, 0n, [], sparseTensor);
  }

  #h(where = "OrtValue"): bigint {
    if (this.#closed) throw new InvalidArgument(`${where}: OrtValue is closed`);
    checkBorrows(this.#keep, where);
    return this.#handle;
  }
  #describe(): Description {
    return describe(this.#h());
  }
  #tensorDesc(what: string): Description {
    const d = this.#describe();
    if (d.kind !== VALUE_TENSOR) throw new InvalidArgument(`${what}: OrtValue holds ${this.dataType()}, not a tensor`);
    return d;
  }

  /** Shape of the tensor (dense shape for a sparse tensor). */
  shape(): number[] {
    if (this.#sparse) return this.#sparse.denseShape();
    return this.#tensorDesc("shape()").dims;
  }
  /** Type string, e.g. "tensor(float)", "seq(tensor(int64))", "sparse_tensor(float)". */
  dataType(): string {
    if (this.#sparse) return this.#sparse.dataType();
    return valueTypeString(this.#h());
  }
  /** TensorProto element type number of a tensor (1 for float). */
  elementType(): number {
    if (this.#sparse) return dtypeInfo(this.#sparse.values().type).proto;
    return this.#tensorDesc("elementType()").elemType;
  }
  isTensor(): boolean {
    return !this.#sparse && this.#describe().kind === VALUE_TENSOR;
  }
  isSparseTensor(): boolean {
    if (this.#closed) throw new InvalidArgument("OrtValue is closed");
    return this.#sparse !== null;
  }
  isTensorSequence(): boolean {
    return !this.#sparse && this.#describe().kind === VALUE_SEQUENCE && this.dataType().startsWith("seq(tensor(");
  }
  /** False only for an empty optional. */
  hasValue(): boolean {
    if (this.#sparse) return true;
    const d = this.#describe();
    return d.kind !== VALUE_OPTIONAL || d.hasValue;
  }
  /** Address of the first element (host or device memory). */
  dataPtr(): bigint {
    if (this.#sparse) {
      throw new InvalidArgument("dataPtr(): not available for a SparseTensor; use asSparseTensor().values()");
    }
    return this.#tensorDesc("dataPtr()").dataPtr;
  }
  /** "cpu", "cuda" or "webgpu". */
  deviceName(): DeviceName {
    if (this.#sparse) return this.#sparse.deviceName();
    const d = this.#describe();
    return DEVICE_NAMES[d.deviceKind] ?? "cpu";
  }
  /** @internal Device id of a tensor. */
  _deviceId(): number {
    return this.#describe().deviceId;
  }
  /** A copy of the tensor on the host (Python: numpy()). */
  toTensor(): Tensor {
    if (this.#sparse) throw new InvalidArgument("toTensor(): the OrtValue holds a SparseTensor; use asSparseTensor()");
    this.#tensorDesc("toTensor()");
    return tensorCopyFromValue(this.#handle);
  }
  /** The SparseTensor held. */
  asSparseTensor(): SparseTensor {
    if (!this.#sparse) {
      throw new InvalidArgument(`asSparseTensor(): OrtValue holds ${this.dataType()}, not a sparse tensor`);
    }
    return this.#sparse;
  }
  /**
   * Copies `tensor`'s elements into this value's memory, keeping its address (inputs of
   * sessions replayed with fixed buffers). Type and element count must match.
   */
  updateInplace(tensor: Tensor | TensorLike | TypedArray): void {
    const d = this.#tensorDesc("updateInplace()");
    const t = asTensor(tensor, "updateInplace");
    const info = dtypeInfo(d.elemType);
    if (t.type !== info.name) {
      throw new InvalidArgument(
        `updateInplace(): type mismatch, value is tensor(${info.onnx}), got tensor(${dtypeInfo(t.type).onnx})`,
      );
    }
    if (t.size !== sizeOf(d.dims)) {
      throw new InvalidArgument(
        `updateInplace(): size mismatch, value has ${sizeOf(d.dims)} elements [${d.dims.join(", ")}], got ${t.size} [${
          t.dims.join(", ")
        }]`,
      );
    }
    if (info.name === "string") throw new InvalidArgument("updateInplace(): string tensors can't be updated in place");
    if (d.deviceKind !== 0) {
      throw new NotImplemented(
        `updateInplace(): the value lives on ${
          DEVICE_NAMES[d.deviceKind]
        }; the C ABI has no host-to-device copy into an existing value`,
      );
    }
    if (d.byteLen === 0) return;
    const n = getNative();
    const dst = new Uint8Array(n.view(n.pointer(d.dataPtr), d.byteLen));
    const src = t.data as TypedArray;
    dst.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }

  /** @internal The handle to feed into a synchronous call (its JS memory checked first). */
  _handleForFeed(where: string): bigint {
    if (this.#sparse && !this.#closed) {
      throw new NotImplemented(`${where}: sparse tensor values can't be passed to the library yet (no C ABI for them)`);
    }
    return this.#h(where);
  }

  /**
   * @internal The handle for a feed; with `copy`, a value of its own (owned: true) when this
   * one reads JS memory, which an async run or a session must not depend on.
   */
  _feedHandle(where: string, copy: boolean): { handle: bigint; owned: boolean } {
    const handle = this._handleForFeed(where);
    const borrow = copy ? this.#keep.find((k): k is Borrow => k instanceof Borrow) : undefined;
    return borrow ? { handle: borrow.copyValue(where), owned: true } : { handle, owned: false };
  }

  /** @internal Checks this value against a model input before a run. */
  _checkFeed(arg: NodeArg, where: string, checkShape: (a: NodeArg, dims: readonly number[], w: string) => void): void {
    if (!this.#sparse) this.#h(where);
    const have = this.dataType();
    // An empty optional holds nothing, so any optional input takes it.
    const emptyOptional = !this.hasValue() && arg.type.startsWith("optional(");
    if (have !== arg.type && !emptyOptional) {
      throw new InvalidArgument(`${where}: unexpected data type. Actual: (${have}), expected: (${arg.type})`);
    }
    if (!this.#sparse && this.isTensor()) checkShape(arg, this.shape(), where);
  }

  /** @internal Keeps `x` alive as long as this value. */
  _keep(x: unknown): void {
    this.#keep.push(x);
  }

  get closed(): boolean {
    return this.#closed;
  }
  /** Frees the native value now (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#bufferKey) deviceBuffers.delete(this.#bufferKey);
    if (this.#handle !== 0n) {
      registry.unregister(this);
      getNative().symbols.onnxrun_value_free(this.#handle);
    }
    this.#handle = 0n;
    this.#keep = [];
  }
  dispose(): void {
    this.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
  toString(): string {
    return this.#closed ? "OrtValue(closed)" : `OrtValue(${this.dataType()}, ${this.deviceName()})`;
  }
}

function checkDeviceId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new InvalidArgument(`device id must be a non-negative integer, got ${String(id)}`);
  }
}

export type { TensorType };
