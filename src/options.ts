/**
 * SessionOptions and RunOptions: every property of ONNX Runtime's Python classes, camelCase,
 * validated on assignment, stored as given, and sent to the core as JSON.
 */
import { existsSync } from "node:fs";
import { ExecutionMode, ExecutionOrder, GraphOptimizationLevel } from "./enums.ts";
import { InvalidArgument, NoSuchFile, NotImplemented, RuntimeException } from "./errors.ts";
import { envDefaults } from "./environment.ts";
import { check, cstr, getNative, outHandle } from "./ffi.ts";
import { OrtValue } from "./ortvalue.ts";

const bool = (v: unknown, what: string): boolean => {
  if (typeof v !== "boolean") throw new InvalidArgument(`${what} must be a boolean, got ${typeof v} ${String(v)}`);
  return v;
};
const int = (v: unknown, what: string, lo: number, hi = 2 ** 31 - 1): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidArgument(`${what} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== "string") throw new InvalidArgument(`${what} must be a string, got ${typeof v}`);
  return v;
};
const configKey = (k: unknown, what: string): string => {
  if (typeof k !== "string" || k.length === 0 || k.length > 1024) {
    throw new InvalidArgument(`${what}: config key must be a non-empty string of at most 1024 characters`);
  }
  return k;
};
const configValue = (v: unknown, what: string): string => {
  if (typeof v !== "string" || v.length > 4096) {
    throw new InvalidArgument(`${what}: config value must be a string of at most 4096 characters`);
  }
  return v;
};

/** SessionOptions' settable properties, for passing a plain object instead of an instance. */
export type SessionOptionsInit =
  & Partial<
    Pick<
      SessionOptions,
      | "enableCpuMemArena"
      | "enableMemPattern"
      | "enableMemReuse"
      | "enableProfiling"
      | "interOpNumThreads"
      | "intraOpNumThreads"
      | "logSeverityLevel"
      | "logVerbosityLevel"
      | "logid"
      | "optimizedModelFilepath"
      | "profileFilePrefix"
      | "useDeterministicCompute"
      | "enableSequentialExecution"
      | "maxNumGraphTransformationSteps"
    >
  >
  & {
    executionMode?: ExecutionMode | number | string;
    executionOrder?: ExecutionOrder | number | string;
    graphOptimizationLevel?: GraphOptimizationLevel | number | string;
  };

/** Configuration of a session. */
export class SessionOptions {
  /** A SessionOptions from a plain object of its properties ({ intraOpNumThreads: 2, ... }). */
  static from(init: SessionOptions | SessionOptionsInit): SessionOptions {
    if (init instanceof SessionOptions) return init;
    if (init === null || typeof init !== "object" || Array.isArray(init)) {
      throw new InvalidArgument("session options must be a SessionOptions or an object of its properties");
    }
    const so = new SessionOptions();
    for (const [k, v] of Object.entries(init)) {
      const d = Object.getOwnPropertyDescriptor(SessionOptions.prototype, k);
      if (!d?.set) throw new InvalidArgument(`SessionOptions has no property '${k}'`);
      d.set.call(so, v);
    }
    return so;
  }

  #enableCpuMemArena = true;
  #enableMemPattern = true;
  #enableMemReuse = true;
  #enableProfiling = false;
  #executionMode: ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
  #executionOrder: ExecutionOrder = ExecutionOrder.DEFAULT;
  #graphOptimizationLevel: GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
  #interOpNumThreads = 0;
  #intraOpNumThreads = 0;
  #logSeverityLevel: number | null = null; // null: the environment default (setDefaultLoggerSeverity)
  #logVerbosityLevel: number | null = null;
  #logid = "";
  #optimizedModelFilepath = "";
  #profileFilePrefix = "onnxruntime_profile_";
  #useDeterministicCompute = false;
  #maxNumGraphTransformationSteps = 5;
  readonly #config = new Map<string, string>();
  readonly #dimsByName = new Map<string, number>();
  readonly #dimsByDenotation = new Map<string, number>();
  readonly #initializers = new Map<string, OrtValue>();
  readonly #externalInitializers = new Map<string, OrtValue>();

  /** Enables the memory arena on CPU. Default true. */
  get enableCpuMemArena(): boolean {
    return this.#enableCpuMemArena;
  }
  set enableCpuMemArena(v: boolean) {
    this.#enableCpuMemArena = bool(v, "enableCpuMemArena");
  }
  /** Enables the memory pattern optimization. Default true. */
  get enableMemPattern(): boolean {
    return this.#enableMemPattern;
  }
  set enableMemPattern(v: boolean) {
    this.#enableMemPattern = bool(v, "enableMemPattern");
  }
  /** Enables memory reuse. Default true. */
  get enableMemReuse(): boolean {
    return this.#enableMemReuse;
  }
  set enableMemReuse(v: boolean) {
    this.#enableMemReuse = bool(v, "enableMemReuse");
  }
  /** Writes a Chrome-trace profile (see InferenceSession.endProfiling). Default false. */
  get enableProfiling(): boolean {
    return this.#enableProfiling;
  }
  set enableProfiling(v: boolean) {
    this.#enableProfiling = bool(v, "enableProfiling");
  }
  /** Sequential or parallel execution of the graph. Default ORT_SEQUENTIAL. */
  get executionMode(): ExecutionMode {
    return this.#executionMode;
  }
  set executionMode(v: ExecutionMode | number | string) {
    this.#executionMode = ExecutionMode.from(v, "executionMode");
  }
  /** Node execution order. Default DEFAULT (topological). */
  get executionOrder(): ExecutionOrder {
    return this.#executionOrder;
  }
  set executionOrder(v: ExecutionOrder | number | string) {
    this.#executionOrder = ExecutionOrder.from(v, "executionOrder");
  }
  /** Graph optimization level. Default ORT_ENABLE_ALL. */
  get graphOptimizationLevel(): GraphOptimizationLevel {
    return this.#graphOptimizationLevel;
  }
  set graphOptimizationLevel(v: GraphOptimizationLevel | number | string) {
    this.#graphOptimizationLevel = GraphOptimizationLevel.from(v, "graphOptimizationLevel");
  }
  /** Worker threads for this session's runAsync calls (more calls wait in order). 0: one per core. */
  get interOpNumThreads(): number {
    return this.#interOpNumThreads;
  }
  set interOpNumThreads(v: number) {
    this.#interOpNumThreads = int(v, "interOpNumThreads", 0);
  }
  /** Threads used inside a node. 0 lets onnxrun choose. */
  get intraOpNumThreads(): number {
    return this.#intraOpNumThreads;
  }
  set intraOpNumThreads(v: number) {
    this.#intraOpNumThreads = int(v, "intraOpNumThreads", 0);
  }
  /** 0:Verbose, 1:Info, 2:Warning, 3:Error, 4:Fatal. Default 2 (or setDefaultLoggerSeverity's). */
  get logSeverityLevel(): number {
    return this.#logSeverityLevel ?? envDefaults().severity;
  }
  set logSeverityLevel(v: number) {
    this.#logSeverityLevel = int(v, "logSeverityLevel", 0, 4);
  }
  /** VLOG level when logSeverityLevel is 0. Default 0. */
  get logVerbosityLevel(): number {
    return this.#logVerbosityLevel ?? envDefaults().verbosity;
  }
  set logVerbosityLevel(v: number) {
    this.#logVerbosityLevel = int(v, "logVerbosityLevel", 0);
  }
  /** Logger id for this session's messages. */
  get logid(): string {
    return this.#logid;
  }
  set logid(v: string) {
    this.#logid = str(v, "logid");
  }
  /** Where to write the optimized model ("" = don't). ".ort" suffix writes ORT format. */
  get optimizedModelFilepath(): string {
    return this.#optimizedModelFilepath;
  }
  set optimizedModelFilepath(v: string) {
    this.#optimizedModelFilepath = str(v, "optimizedModelFilepath");
  }
  /** Prefix of the profile file name; the start time is appended. */
  get profileFilePrefix(): string {
    return this.#profileFilePrefix;
  }
  set profileFilePrefix(v: string) {
    this.#profileFilePrefix = str(v, "profileFilePrefix");
  }
  /** Use deterministic kernels where a faster non-deterministic one exists. Default false. */
  get useDeterministicCompute(): boolean {
    return this.#useDeterministicCompute;
  }
  set useDeterministicCompute(v: boolean) {
    this.#useDeterministicCompute = bool(v, "useDeterministicCompute");
  }

  // ---- older names (ONNX Runtime's first API summary), kept working ----

  /** True when executionMode is ORT_SEQUENTIAL. */
  get enableSequentialExecution(): boolean {
    return this.#executionMode === ExecutionMode.ORT_SEQUENTIAL;
  }
  set enableSequentialExecution(v: boolean) {
    this.#executionMode = bool(v, "enableSequentialExecution")
      ? ExecutionMode.ORT_SEQUENTIAL
      : ExecutionMode.ORT_PARALLEL;
  }
  /** Upper bound on graph-transformation passes. Default 5. */
  get maxNumGraphTransformationSteps(): number {
    return this.#maxNumGraphTransformationSteps;
  }
  set maxNumGraphTransformationSteps(v: number) {
    this.#maxNumGraphTransformationSteps = int(v, "maxNumGraphTransformationSteps", 0);
  }
  /** Alias of logVerbosityLevel. */
  get sessionLogVerbosityLevel(): number {
    return this.logVerbosityLevel;
  }
  set sessionLogVerbosityLevel(v: number) {
    this.logVerbosityLevel = v;
  }
  /** Alias of logid. */
  get sessionLogid(): string {
    return this.logid;
  }
  set sessionLogid(v: string) {
    this.logid = v;
  }
  /** Alias of interOpNumThreads (the pool used when execution is parallel). */
  get sessionThreadPoolSize(): number {
    return this.interOpNumThreads;
  }
  set sessionThreadPoolSize(v: number) {
    this.interOpNumThreads = v;
  }

  // ---- methods ----

  /** Sets a session configuration entry (e.g. "session.load_model_format" = "ORT"). */
  addSessionConfigEntry(key: string, value: string): void {
    this.#config.set(configKey(key, "addSessionConfigEntry"), configValue(value, `addSessionConfigEntry('${key}')`));
  }
  /** Reads a session configuration entry; throws when it was never set. */
  getSessionConfigEntry(key: string): string {
    const v = this.#config.get(configKey(key, "getSessionConfigEntry"));
    if (v === undefined) throw new RuntimeException(`SessionOptions does not have configuration with key: ${key}`);
    return v;
  }
  /** Fixes the size of free dimensions named `dimName` in the model's inputs. */
  addFreeDimensionOverrideByName(dimName: string, dimValue: number): void {
    if (typeof dimName !== "string" || dimName === "") {
      throw new InvalidArgument("addFreeDimensionOverrideByName: name must be a non-empty string");
    }
    this.#dimsByName.set(
      dimName,
      int(dimValue, `addFreeDimensionOverrideByName('${dimName}') value`, 0, Number.MAX_SAFE_INTEGER),
    );
  }
  /** Fixes the size of free dimensions with this denotation (e.g. "DATA_BATCH"). */
  addFreeDimensionOverrideByDenotation(dimDenotation: string, dimValue: number): void {
    if (typeof dimDenotation !== "string" || dimDenotation === "") {
      throw new InvalidArgument("addFreeDimensionOverrideByDenotation: denotation must be a non-empty string");
    }
    this.#dimsByDenotation.set(
      dimDenotation,
      int(dimValue, `addFreeDimensionOverrideByDenotation('${dimDenotation}') value`, 0, Number.MAX_SAFE_INTEGER),
    );
  }
  /**
   * Replaces the model initializer `name` with `value` (an OrtValue the caller keeps alive
   * while sessions using these options exist, as in ONNX Runtime).
   */
  addInitializer(name: string, value: OrtValue): void {
    if (typeof name !== "string" || name === "") {
      throw new InvalidArgument("addInitializer: name must be a non-empty string");
    }
    if (!(value instanceof OrtValue)) throw new InvalidArgument(`addInitializer('${name}'): value must be an OrtValue`);
    if (!value.isTensor()) throw new InvalidArgument(`addInitializer('${name}'): value must hold a tensor`);
    this.#initializers.set(name, value);
  }
  /** Supplies data for initializers the model stores externally: names[i] gets values[i]. */
  addExternalInitializers(names: string[], values: OrtValue[]): void {
    if (!Array.isArray(names) || !Array.isArray(values) || names.length !== values.length) {
      throw new InvalidArgument("addExternalInitializers: names and values must be arrays of the same length");
    }
    names.forEach((n, i) => {
      if (typeof n !== "string" || n === "") {
        throw new InvalidArgument(`addExternalInitializers: names[${i}] must be a non-empty string`);
      }
      if (!(values[i] instanceof OrtValue) || !values[i].isTensor()) {
        throw new InvalidArgument(
          `addExternalInitializers: values[${i}] ('${n}') must be an OrtValue holding a tensor`,
        );
      }
    });
    names.forEach((n, i) => this.#externalInitializers.set(n, values[i]));
  }
  /**
   * Custom-op libraries are shared objects written against ONNX Runtime's C++ kernel API,
   * which onnxrun does not host: this checks the path and raises NotImplemented.
   */
  registerCustomOpsLibrary(libraryPath: string): void {
    str(libraryPath, "registerCustomOpsLibrary path");
    if (!existsSync(libraryPath)) throw new NoSuchFile(`registerCustomOpsLibrary: no such file: ${libraryPath}`);
    throw new NotImplemented(
      `registerCustomOpsLibrary('${libraryPath}'): onnxrun cannot load ONNX Runtime custom-op libraries (they link against ONNX Runtime's C++ kernel API)`,
    );
  }

  /** A copy (sessions keep the options they were created with). */
  clone(): SessionOptions {
    const c = new SessionOptions();
    c._copyFrom(this);
    return c;
  }
  /** @internal */
  _copyFrom(o: SessionOptions): void {
    this.#enableCpuMemArena = o.#enableCpuMemArena;
    this.#enableMemPattern = o.#enableMemPattern;
    this.#enableMemReuse = o.#enableMemReuse;
    this.#enableProfiling = o.#enableProfiling;
    this.#executionMode = o.#executionMode;
    this.#executionOrder = o.#executionOrder;
    this.#graphOptimizationLevel = o.#graphOptimizationLevel;
    this.#interOpNumThreads = o.#interOpNumThreads;
    this.#intraOpNumThreads = o.#intraOpNumThreads;
    this.#logSeverityLevel = o.#logSeverityLevel;
    this.#logVerbosityLevel = o.#logVerbosityLevel;
    this.#logid = o.#logid;
    this.#optimizedModelFilepath = o.#optimizedModelFilepath;
    this.#profileFilePrefix = o.#profileFilePrefix;
    this.#useDeterministicCompute = o.#useDeterministicCompute;
    this.#maxNumGraphTransformationSteps = o.#maxNumGraphTransformationSteps;
    for (
      const [a, b] of [[this.#config, o.#config], [this.#dimsByName, o.#dimsByName], [
        this.#dimsByDenotation,
        o.#dimsByDenotation,
      ]] as [
        Map<string, unknown>,
        Map<string, unknown>,
      ][]
    ) {
      a.clear();
      for (const [k, v] of b) a.set(k, v);
    }
    this.#initializers.clear();
    for (const [k, v] of o.#initializers) this.#initializers.set(k, v);
    this.#externalInitializers.clear();
    for (const [k, v] of o.#externalInitializers) this.#externalInitializers.set(k, v);
  }

  /** @internal OrtValues the session must keep alive. */
  _initializerValues(): OrtValue[] {
    return [...this.#initializers.values(), ...this.#externalInitializers.values()];
  }

  /**
   * @internal The JSON the core reads (onnxrun_session_create_*: options_json). An
   * initializer over a JS buffer goes in as a copy (the session outlives any check we could
   * make on the buffer); those copies are pushed to `temps` for the caller to free.
   */
  _toJson(temps: bigint[]): Record<string, unknown> {
    const env = envDefaults();
    const initializers: Record<string, string> = {};
    for (const [k, v] of [...this.#externalInitializers, ...this.#initializers]) {
      const { handle, owned } = v._feedHandle(`initializer '${k}'`, true);
      if (owned) temps.push(handle);
      initializers[k] = handle.toString();
    }
    const out: Record<string, unknown> = {
      enableCpuMemArena: this.#enableCpuMemArena,
      enableMemPattern: this.#enableMemPattern,
      enableMemReuse: this.#enableMemReuse,
      enableProfiling: this.#enableProfiling,
      executionMode: this.#executionMode.value,
      executionOrder: this.#executionOrder.value,
      graphOptimizationLevel: this.#graphOptimizationLevel.value,
      interOpNumThreads: this.#interOpNumThreads,
      intraOpNumThreads: this.#intraOpNumThreads,
      logSeverityLevel: this.logSeverityLevel,
      logVerbosityLevel: this.logVerbosityLevel,
      logid: this.#logid,
      optimizedModelFilepath: this.#optimizedModelFilepath,
      profileFilePrefix: this.#profileFilePrefix,
      useDeterministicCompute: this.#useDeterministicCompute,
      configEntries: Object.fromEntries(this.#config),
      freeDimensionOverrides: {
        byName: Object.fromEntries(this.#dimsByName),
        byDenotation: Object.fromEntries(this.#dimsByDenotation),
      },
      initializers,
    };
    if (this.#maxNumGraphTransformationSteps !== 5) {
      out.maxNumGraphTransformationSteps = this.#maxNumGraphTransformationSteps;
    }
    if (env.seed !== null) out.seed = env.seed;
    return out;
  }
}

/** Configuration of a single run. */
export class RunOptions {
  #logSeverityLevel = 2;
  #logVerbosityLevel = 0;
  #logid = "";
  #onlyExecutePathToFetches = false;
  #terminate = false;
  #trainingMode = false;
  readonly #config = new Map<string, string>();
  #handle = 0n;
  #dirty = true;

  /** 0:Verbose, 1:Info, 2:Warning, 3:Error, 4:Fatal. Default 2. */
  get logSeverityLevel(): number {
    return this.#logSeverityLevel;
  }
  set logSeverityLevel(v: number) {
    this.#logSeverityLevel = int(v, "logSeverityLevel", 0, 4);
    this.#dirty = true;
  }
  /** VLOG level when logSeverityLevel is 0. Default 0. */
  get logVerbosityLevel(): number {
    return this.#logVerbosityLevel;
  }
  set logVerbosityLevel(v: number) {
    this.#logVerbosityLevel = int(v, "logVerbosityLevel", 0);
    this.#dirty = true;
  }
  /** Tag for this run's log messages. */
  get logid(): string {
    return this.#logid;
  }
  set logid(v: string) {
    this.#logid = str(v, "logid");
    this.#dirty = true;
  }
  /** Run only the nodes the requested outputs depend on. Default false. */
  get onlyExecutePathToFetches(): boolean {
    return this.#onlyExecutePathToFetches;
  }
  set onlyExecutePathToFetches(v: boolean) {
    this.#onlyExecutePathToFetches = bool(v, "onlyExecutePathToFetches");
    this.#dirty = true;
  }
  /**
   * Set to true to stop every run using these options (between nodes, with an error);
   * takes effect at once, also for runs already going (runAsync).
   */
  get terminate(): boolean {
    return this.#terminate;
  }
  set terminate(v: boolean) {
    this.#terminate = bool(v, "terminate");
    if (this.#handle !== 0n) check(getNative().symbols.onnxrun_run_options_set_terminate(this.#handle, v ? 1 : 0));
  }
  /** Training or inference mode (onnxrun runs inference; stored and sent as given). */
  get trainingMode(): boolean {
    return this.#trainingMode;
  }
  set trainingMode(v: boolean) {
    this.#trainingMode = bool(v, "trainingMode");
    this.#dirty = true;
  }
  /** Alias of logVerbosityLevel (older name). */
  get runLogVerbosityLevel(): number {
    return this.logVerbosityLevel;
  }
  set runLogVerbosityLevel(v: number) {
    this.logVerbosityLevel = v;
  }
  /** Alias of logid (older name). */
  get runTag(): string {
    return this.logid;
  }
  set runTag(v: string) {
    this.logid = v;
  }

  addRunConfigEntry(key: string, value: string): void {
    this.#config.set(configKey(key, "addRunConfigEntry"), configValue(value, `addRunConfigEntry('${key}')`));
    this.#dirty = true;
  }
  getRunConfigEntry(key: string): string {
    const v = this.#config.get(configKey(key, "getRunConfigEntry"));
    if (v === undefined) throw new RuntimeException(`RunOptions does not have configuration with key: ${key}`);
    return v;
  }

  /** @internal */
  _toJson(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      logSeverityLevel: this.#logSeverityLevel,
      logVerbosityLevel: this.#logVerbosityLevel,
      logid: this.#logid,
      terminate: this.#terminate,
      onlyExecutePathToFetches: this.#onlyExecutePathToFetches,
      configEntries: Object.fromEntries(this.#config),
    };
    if (this.#trainingMode) out.trainingMode = true;
    return out;
  }

  /** @internal The native run-options handle, created or brought up to date. */
  _native(): bigint {
    const n = getNative();
    if (this.#handle === 0n) {
      this.#handle = outHandle((out) =>
        n.symbols.onnxrun_run_options_create(cstr(JSON.stringify(this._toJson())), out)
      );
      runOptionsRegistry.register(this, this.#handle, this);
      this.#dirty = false;
    } else if (this.#dirty) {
      check(n.symbols.onnxrun_run_options_update(this.#handle, cstr(JSON.stringify(this._toJson()))));
      this.#dirty = false;
    }
    return this.#handle;
  }

  /** Frees the native options now (idempotent); they are re-created if used again. */
  close(): void {
    if (this.#handle === 0n) return;
    runOptionsRegistry.unregister(this);
    getNative().symbols.onnxrun_run_options_free(this.#handle);
    this.#handle = 0n;
    this.#dirty = true;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

const runOptionsRegistry = new FinalizationRegistry<bigint>((h) => {
  try {
    getNative().symbols.onnxrun_run_options_free(h);
  } catch { /* library gone at exit */ }
});
