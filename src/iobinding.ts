/**
 * IOBinding: inputs and outputs bound ahead of a run (to OrtValues, host buffers, device
 * buffers or devices), then InferenceSession.runWithIOBinding. SessionIOBinding is the
 * lower-level class with ONNX Runtime's overloads (OrtDevice arguments); IOBinding wraps it
 * with the Python signatures.
 */
import { OrtDevice } from "./device.ts";
import { dtypeInfo, type ElementTypeLike, sizeOf } from "./dtypes.ts";
import { InvalidArgument, NotImplemented } from "./errors.ts";
import { freeValueHandle, getNative, outHandle } from "./ffi.ts";
import { feedToValue, recheckFeeds } from "./feeds.ts";
import type { RunOptions } from "./options.ts";
import { OrtValue } from "./ortvalue.ts";
import { _registerIOBinding, type InferenceSession } from "./session.ts";
import type { Tensor } from "./tensor.ts";
import { type DeviceName, deviceName, toDevice } from "./values.ts";

interface BoundInput {
  index: number;
  handle: bigint;
  /** Handle created here (freed on rebind/clear), or one owned by an OrtValue. */
  owned: boolean;
  keep: unknown[];
}

interface BoundOutput {
  name: string;
  index: number;
  /** Pre-allocated value the run writes into, or null to let the library allocate. */
  value: OrtValue | null;
  device: DeviceName;
  deviceId: number;
}

/** Frees handles this binding created when it is collected without clear*(). */
const bindingRegistry = new FinalizationRegistry<bigint[]>((hs) => {
  try {
    for (const h of hs) getNative().symbols.onnxrun_value_free(h);
  } catch { /* library gone at exit */ }
});

function rawTensorValue(
  where: string,
  device: DeviceName,
  deviceId: number,
  elementType: ElementTypeLike,
  shape: readonly number[],
  bufferPtr: bigint | number,
): { value: OrtValue | null; handle: bigint } {
  const info = dtypeInfo(elementType, `element type of ${where}`);
  if (info.name === "string") throw new InvalidArgument(`${where}: string tensors can't be bound by pointer`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidArgument(
      `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  const ptr = BigInt(bufferPtr);
  if (ptr === 0n) throw new InvalidArgument(`${where}: buffer_ptr is null`);
  if (device !== "cpu") {
    // A device buffer can only be wrapped when it belongs to a live OrtValue made here.
    const v = OrtValue._byDeviceBuffer(device, deviceId, ptr);
    if (!v) {
      throw new NotImplemented(
        `${where}: ${device} buffer 0x${ptr.toString(16)} is not an OrtValue created by onnxrun; ` +
          `wrapping foreign device memory is not in the C ABI yet (bind an OrtValue instead)`,
      );
    }
    const vs = v.shape();
    if (v.elementType() !== info.proto || vs.length !== shape.length || vs.some((d, i) => d !== shape[i])) {
      throw new InvalidArgument(
        `${where}: the buffer holds ${v.dataType()} [${vs.join(", ")}], not tensor(${info.onnx}) [${shape.join(", ")}]`,
      );
    }
    return { value: v, handle: v._handleForFeed(where) };
  }
  const n = getNative();
  const dims = BigInt64Array.from(shape, (d) => BigInt(d));
  const h = outHandle((out) =>
    n.symbols.onnxrun_value_tensor_create_at(
      info.proto,
      dims,
      dims.length,
      n.pointer(ptr),
      sizeOf(shape) * info.bytes,
      0,
      out,
    )
  );
  return { value: null, handle: h };
}

/** ONNX Runtime's SessionIOBinding: the binding itself, with OrtDevice-based overloads. */
export class SessionIOBinding {
  readonly #session: InferenceSession;
  readonly #inputs = new Map<string, BoundInput>();
  readonly #outputs: BoundOutput[] = [];
  #results: OrtValue[] = [];
  readonly #created: bigint[] = [];

  constructor(session: InferenceSession) {
    if (!session || typeof (session as InferenceSession)._feedArg !== "function") {
      throw new InvalidArgument("SessionIOBinding needs an InferenceSession");
    }
    this.#session = session;
    bindingRegistry.register(this, this.#created, this);
  }

  #setInput(name: string, b: Omit<BoundInput, "index">): void {
    const { index } = this.#session._feedArg(name);
    this.#dropInput(name);
    if (b.owned) this.#created.push(b.handle);
    this.#inputs.set(name, { ...b, index });
  }
  #dropInput(name: string): void {
    const old = this.#inputs.get(name);
    if (!old) return;
    this.#inputs.delete(name);
    if (old.owned) {
      const i = this.#created.indexOf(old.handle);
      if (i >= 0) this.#created.splice(i, 1);
      freeValueHandle(old.handle);
    }
  }

  /**
   * bindInput(name, value): value is a Tensor / TypedArray / {data, dims} on the host, or an OrtValue.
   * bindInput(name, ortDevice, elementType, shape, bufferPtr): memory at bufferPtr on that device.
   */
  bindInput(name: string, value: unknown): void;
  bindInput(
    name: string,
    device: OrtDevice,
    elementType: ElementTypeLike,
    shape: readonly number[],
    bufferPtr: bigint | number,
  ): void;
  bindInput(
    name: string,
    a: unknown,
    elementType?: ElementTypeLike,
    shape?: readonly number[],
    bufferPtr?: bigint | number,
  ): void {
    const where = `input '${name}'`;
    if (a instanceof OrtDevice) {
      if (elementType === undefined || shape === undefined || bufferPtr === undefined) {
        throw new InvalidArgument(`${where}: bindInput with a device needs elementType, shape and bufferPtr`);
      }
      const { arg } = this.#session._feedArg(name);
      const { value, handle } = rawTensorValue(where, a.deviceName(), a.deviceId(), elementType, shape, bufferPtr);
      try {
        if (value) value._checkFeed(arg, where, () => {});
      } catch (e) {
        if (!value) freeValueHandle(handle);
        throw e;
      }
      this.#setInput(name, { handle, owned: value === null, keep: value ? [value] : [] });
      return;
    }
    if (a instanceof OrtValue) {
      this.bindOrtvalueInput(name, a);
      return;
    }
    const { arg } = this.#session._feedArg(name);
    const keep: unknown[] = [];
    const { handle, owned } = feedToValue(a, arg, keep);
    this.#setInput(name, { handle, owned, keep: owned ? keep : [a] });
  }

  bindOrtvalueInput(name: string, ortvalue: OrtValue): void {
    if (!(ortvalue instanceof OrtValue)) {
      throw new InvalidArgument(`input '${name}': bindOrtvalueInput needs an OrtValue`);
    }
    const { arg } = this.#session._feedArg(name);
    const { handle } = feedToValue(ortvalue, arg, []);
    this.#setInput(name, { handle, owned: false, keep: [ortvalue] });
  }

  /** Binds an output to a pre-allocated OrtValue the run writes into. */
  bindOrtvalueOutput(name: string, ortvalue: OrtValue): void {
    if (!(ortvalue instanceof OrtValue)) {
      throw new InvalidArgument(`output '${name}': bindOrtvalueOutput needs an OrtValue`);
    }
    const index = this.#session._outputIndex(name);
    ortvalue._handleForFeed(`output '${name}'`);
    this.#putOutput({
      name,
      index,
      value: ortvalue,
      device: ortvalue.deviceName(),
      deviceId: ortvalue.isTensor() ? ortvalue._deviceId() : 0,
    });
  }

  /**
   * bindOutput(name, ortDevice): the library allocates the output, on that device.
   * bindOutput(name, ortDevice, elementType, shape, bufferPtr): written into memory at bufferPtr.
   */
  bindOutput(
    name: string,
    device?: OrtDevice,
    elementType?: ElementTypeLike,
    shape?: readonly number[],
    bufferPtr?: bigint | number,
  ): void {
    const index = this.#session._outputIndex(name);
    const dev = device ?? new OrtDevice("cpu", 0);
    if (!(dev instanceof OrtDevice)) throw new InvalidArgument(`output '${name}': device must be an OrtDevice`);
    if (bufferPtr === undefined || bufferPtr === null) {
      this.#putOutput({ name, index, value: null, device: dev.deviceName(), deviceId: dev.deviceId() });
      return;
    }
    if (elementType === undefined || shape === undefined) {
      throw new InvalidArgument(`output '${name}': binding a buffer needs elementType and shape`);
    }
    const { value, handle } = rawTensorValue(
      `output '${name}'`,
      dev.deviceName(),
      dev.deviceId(),
      elementType,
      shape,
      bufferPtr,
    );
    const v = value ?? OrtValue._fromHandle(handle);
    this.#putOutput({ name, index, value: v, device: dev.deviceName(), deviceId: dev.deviceId() });
  }

  #putOutput(o: BoundOutput): void {
    const i = this.#outputs.findIndex((x) => x.name === o.name);
    if (i >= 0) this.#outputs[i] = o;
    else this.#outputs.push(o);
  }

  clearBindingInputs(): void {
    for (const name of [...this.#inputs.keys()]) this.#dropInput(name);
  }
  clearBindingOutputs(): void {
    this.#outputs.length = 0;
    this.#results = [];
  }

  /** Runs complete before run returns (no pending device work to wait for). */
  synchronizeInputs(): void {}
  synchronizeOutputs(): void {}

  /** Outputs of the last run as OrtValues (bound values are returned as themselves). */
  getOutputs(): OrtValue[] {
    return [...this.#results];
  }
  /** Outputs of the last run as host Tensors (copies). */
  copyOutputsToCpu(): Tensor[] {
    return this.#results.map((v) => v.toTensor());
  }

  /** @internal */
  _run(session: InferenceSession, runOptions: RunOptions | null): void {
    if (session !== this.#session) {
      throw new InvalidArgument("runWithIOBinding: the IOBinding belongs to another session");
    }
    session._checkAllInputs(new Set(this.#inputs.keys()));
    if (this.#outputs.length === 0) {
      throw new InvalidArgument("runWithIOBinding: no outputs are bound (use bindOutput)");
    }
    const ins = [...this.#inputs.values()];
    // Bound host buffers are JS memory that may have been transferred or resized since binding.
    for (const [name, b] of this.#inputs) recheckFeeds(b.keep, `input '${name}'`);
    const feedIdx = Uint32Array.from(ins, (b) => b.index);
    const feeds = BigUint64Array.from(ins, (b) => b.handle);
    const fetchIdx = Uint32Array.from(this.#outputs, (o) => o.index);
    const fetches = BigUint64Array.from(
      this.#outputs,
      (o) => (o.value ? o.value._handleForFeed(`output '${o.name}'`) : 0n),
    );
    session._runHandles(feedIdx, feeds, fetchIdx, fetches, runOptions);
    const results: OrtValue[] = [];
    this.#outputs.forEach((o, i) => {
      if (o.value) {
        results.push(o.value);
        if (fetches[i] !== o.value._handleForFeed("output")) freeValueHandle(fetches[i]);
        return;
      }
      const v = OrtValue._fromHandle(fetches[i]);
      if (v.isTensor() && v.deviceName() !== o.device) {
        try {
          results.push(OrtValue._fromHandle(toDevice(fetches[i], o.device, o.deviceId)));
        } finally {
          v.close();
        }
      } else results.push(v);
    });
    void ins; // bound buffers stay referenced through the run
    this.#results = results;
  }
}

/** ONNX Runtime's IOBinding, with Python's signatures. */
export class IOBinding {
  readonly _iobinding: SessionIOBinding;

  constructor(session: InferenceSession) {
    this._iobinding = new SessionIOBinding(session);
  }

  /** Binds an input to host data (Tensor, TypedArray, {data, dims}); the memory is used, not copied. */
  bindCpuInput(name: string, arrOnCpu: unknown): void {
    this._iobinding.bindInput(name, arrOnCpu);
  }

  /**
   * bindInput(name, deviceType, deviceId, elementType, shape, bufferPtr), or one object with
   * those keys ({ name, deviceType, deviceId, elementType, shape, bufferPtr }).
   */
  bindInput(
    name: string | {
      name: string;
      deviceType: string;
      deviceId?: number;
      elementType: ElementTypeLike;
      shape: readonly number[];
      bufferPtr: bigint | number;
    },
    deviceType?: string,
    deviceId?: number,
    elementType?: ElementTypeLike,
    shape?: readonly number[],
    bufferPtr?: bigint | number,
  ): void {
    if (typeof name === "object" && name !== null) {
      ({ name, deviceType, deviceId, elementType, shape, bufferPtr } = name);
    }
    if (deviceType === undefined || elementType === undefined || shape === undefined || bufferPtr === undefined) {
      throw new InvalidArgument(
        `input '${name}': bindInput needs deviceType, deviceId, elementType, shape and bufferPtr`,
      );
    }
    this._iobinding.bindInput(
      name as string,
      new OrtDevice(deviceName(deviceType), deviceId ?? 0),
      elementType,
      shape,
      bufferPtr,
    );
  }

  bindOrtvalueInput(name: string, ortvalue: OrtValue): void {
    this._iobinding.bindOrtvalueInput(name, ortvalue);
  }
  bindOrtvalueOutput(name: string, ortvalue: OrtValue): void {
    this._iobinding.bindOrtvalueOutput(name, ortvalue);
  }

  /**
   * bindOutput(name, deviceType = "cpu", deviceId = 0, elementType?, shape?, bufferPtr?), or
   * one object with those keys. Without a buffer the library allocates the output on the device.
   */
  bindOutput(
    name: string | {
      name: string;
      deviceType?: string;
      deviceId?: number;
      elementType?: ElementTypeLike;
      shape?: readonly number[];
      bufferPtr?: bigint | number;
    },
    deviceType: string = "cpu",
    deviceId = 0,
    elementType?: ElementTypeLike,
    shape?: readonly number[],
    bufferPtr?: bigint | number,
  ): void {
    if (typeof name === "object" && name !== null) {
      ({ name, deviceType = "cpu", deviceId = 0, elementType, shape, bufferPtr } = name);
    }
    const dev = new OrtDevice(deviceName(deviceType), deviceId);
    if (elementType === undefined || shape === undefined || bufferPtr === undefined || bufferPtr === null) {
      this._iobinding.bindOutput(name as string, dev);
    } else {
      this._iobinding.bindOutput(name as string, dev, elementType, shape, bufferPtr);
    }
  }

  /** Outputs of the last run as host Tensors (copies). */
  copyOutputsToCpu(): Tensor[] {
    return this._iobinding.copyOutputsToCpu();
  }
  /** Outputs of the last run as OrtValues (they may live on a device). */
  getOutputs(): OrtValue[] {
    return this._iobinding.getOutputs();
  }
  clearBindingInputs(): void {
    this._iobinding.clearBindingInputs();
  }
  clearBindingOutputs(): void {
    this._iobinding.clearBindingOutputs();
  }
  synchronizeInputs(): void {
    this._iobinding.synchronizeInputs();
  }
  synchronizeOutputs(): void {
    this._iobinding.synchronizeOutputs();
  }

  /** @internal */
  _run(session: InferenceSession, runOptions: RunOptions | null): void {
    this._iobinding._run(session, runOptions);
  }
}

_registerIOBinding(IOBinding);
