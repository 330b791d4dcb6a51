/**
 * onnxrun: ONNX Runtime's Python API for Deno and Bun.
 *
 *   import * as rt from "@onnxrun/onnxrun";
 *   const sess = await rt.InferenceSession.create(rt.datasets.getExample("sigmoid.onnx"));
 *   const [y] = sess.run(null, { x: new rt.Tensor("float32", new Float32Array(60), [3, 4, 5]) });
 */
export { InferenceSession } from "./session.ts";
export type { Feeds, ProviderSpec, RunAsyncCallback } from "./session.ts";
export { RunOptions, SessionOptions } from "./options.ts";
export type { SessionOptionsInit } from "./options.ts";
export { Tensor } from "./tensor.ts";
export type { TensorData, TensorLike } from "./tensor.ts";
export { OrtValue } from "./ortvalue.ts";
export { SparseBlockSparseView, SparseCooView, SparseCsrView, SparseTensor } from "./sparse.ts";
export { IOBinding, SessionIOBinding } from "./iobinding.ts";
export { NodeArg } from "./nodearg.ts";
export type { Dim } from "./nodearg.ts";
export { ModelMetadata } from "./metadata.ts";
export {
  EnumMember,
  type EnumObject,
  ExecutionMode,
  ExecutionOrder,
  GraphOptimizationLevel,
  OrtAllocatorType,
  OrtMemType,
  OrtSparseFormat,
} from "./enums.ts";
export {
  EngineError,
  EPFail,
  Fail,
  InvalidArgument,
  InvalidGraph,
  InvalidProtobuf,
  ModelLoaded,
  NoModel,
  NoSuchFile,
  NotImplemented,
  OrtError,
  RuntimeException,
  StatusCode,
} from "./errors.ts";
export {
  createAndRegisterAllocator,
  createAndRegisterAllocatorV2,
  OrtArenaCfg,
  OrtDevice,
  OrtMemoryInfo,
} from "./device.ts";
export {
  getAllProviders,
  getAvailableProviders,
  getBuildInfo,
  getDevice,
  getProvidersStatus,
  getVersionString,
  hasCollectiveOps,
} from "./providers.ts";
export {
  disableTelemetryEvents,
  enableTelemetryEvents,
  setDefaultLoggerSeverity,
  setDefaultLoggerVerbosity,
  setSeed,
  telemetryEnabled,
} from "./environment.ts";
export { backend } from "./backend.ts";
export { datasets } from "./datasets.ts";
export { TensorProto } from "./dtypes.ts";
export type { ElementTypeLike, TensorType, TypedArray } from "./dtypes.ts";
export type { OutputValue } from "./values.ts";
export { liveHandles } from "./ffi.ts";
