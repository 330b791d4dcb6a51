/**
 * InferenceSession: loads a model and runs it. Feeds are checked here against the model's
 * inputs, then handed to the library as borrowed buffers (no copy); outputs come back as
 * Tensors viewing the library's memory.
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { registeredAllocators } from "./device.ts";
import { EPFail, InvalidArgument } from "./errors.ts";
import { check, cstr, freeValueHandle, getNative, outHandle, readJson, readString } from "./ffi.ts";
import { type Feed, feedToValue, recheckFeeds } from "./feeds.ts";
import type { IOBinding, SessionIOBinding } from "./iobinding.ts";
import { ModelMetadata, type ModelMetaJson } from "./metadata.ts";
import { NodeArg, type NodeArgJson } from "./nodearg.ts";
import { RunOptions, SessionOptions, type SessionOptionsInit } from "./options.ts";
import { OrtValue } from "./ortvalue.ts";
import { CPU_PROVIDER, getAllProviders, getAvailableProviders } from "./providers.ts";
import { type DeviceName, type OutputValue, toDevice, valueToJs } from "./values.ts";
import type { OrtDevice } from "./device.ts";

/** A provider name, or [name, options] as Python's (name, dict) tuples. */
export type ProviderSpec = string | [string, Record<string, unknown>];
export type Feeds = Record<string, Feed> | Map<string, Feed>;
export type RunAsyncCallback<U = unknown> = (results: OutputValue[], userData: U, err: string) => void;

interface SessionInfo {
  inputs: NodeArgJson[];
  outputs: NodeArgJson[];
  overridableInitializers: NodeArgJson[];
  modelMeta: ModelMetaJson;
  providers: string[];
  providerOptions: Record<string, Record<string, string>>;
  profilingStartTimeNs?: number | string;
}

interface ProviderEntry {
  name: string;
  options: Record<string, string>;
}

const sessionRegistry = new FinalizationRegistry<bigint>((h) => {
  try {
    getNative().symbols.onnxrun_session_free(h);
  } catch { /* library gone at exit */ }
});

function normalizeProviders(
  providers?: ProviderSpec[] | null,
  providerOptions?: Record<string, unknown>[] | null,
): ProviderEntry[] {
  if (providers === undefined || providers === null) {
    if (providerOptions) throw new InvalidArgument("providerOptions given without providers");
    return [{ name: CPU_PROVIDER, options: {} }];
  }
  if (!Array.isArray(providers)) {
    throw new InvalidArgument("providers must be an array of names or [name, options] pairs");
  }
  const withOptions = providers.some((p) => Array.isArray(p));
  if (withOptions && providerOptions) {
    throw new InvalidArgument(
      "'providers' already holds [name, options] pairs; 'providerOptions' must not be given too",
    );
  }
  if (providerOptions && (!Array.isArray(providerOptions) || providerOptions.length !== providers.length)) {
    throw new InvalidArgument(`providerOptions must be an array with one object per provider (${providers.length})`);
  }
  const all = getAllProviders();
  const available = getAvailableProviders();
  const out: ProviderEntry[] = [];
  providers.forEach((p, i) => {
    const [name, opts] = Array.isArray(p) ? p : [p, providerOptions?.[i] ?? {}];
    if (typeof name !== "string") throw new InvalidArgument(`providers[${i}] must be a provider name`);
    if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
      throw new InvalidArgument(`options of provider '${name}' must be an object`);
    }
    if (!all.includes(name)) {
      throw new InvalidArgument(`Unknown provider '${name}'. Known providers: ${all.join(", ")}`);
    }
    if (!available.includes(name)) {
      // As ONNX Runtime: warn and go on with the providers that are usable here.
      console.warn(
        `onnxrun: provider '${name}' is not available on this machine (available: ${
          available.join(", ")
        }); skipping it`,
      );
      return;
    }
    if (out.some((e) => e.name === name)) throw new InvalidArgument(`provider '${name}' is listed twice`);
    out.push({ name, options: Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, String(v)])) });
  });
  if (out.length === 0) out.push({ name: CPU_PROVIDER, options: {} });
  return out;
}

interface Prepared {
  feedIdx: Uint32Array;
  feeds: BigUint64Array;
  owned: bigint[];
  keep: unknown[];
  fetchIdx: Uint32Array;
}

export class InferenceSession {
  #handle = 0n;
  #source: { path: string } | { bytes: Uint8Array };
  #options: SessionOptions;
  #providers: ProviderEntry[];
  #fallback = true;
  #info!: SessionInfo;
  #inputs: NodeArg[] = [];
  #outputs: NodeArg[] = [];
  #overridable: NodeArg[] = [];
  #feedIndex = new Map<string, { index: number; arg: NodeArg }>();
  #outputIndex = new Map<string, number>();
  #keepAlive: OrtValue[] = [];
  #profilingStartNs = 0n;
  #modelMeta: ModelMetadata | null = null;

  /** Loads the model now (synchronously). `await InferenceSession.create(...)` is the same, as a Promise. */
  constructor(
    pathOrBytes: string | URL | Uint8Array | ArrayBuffer,
    sessOptions?: SessionOptions | SessionOptionsInit | null,
    providers?: ProviderSpec[] | null,
    providerOptions?: Record<string, unknown>[] | null,
  ) {
    if (typeof pathOrBytes === "string") this.#source = { path: pathOrBytes };
    else if (pathOrBytes instanceof URL) this.#source = { path: fileURLToPath(pathOrBytes) };
    else if (pathOrBytes instanceof Uint8Array) {
      // Another thread may write a SharedArrayBuffer while the library parses it: copy those.
      this.#source = { bytes: pathOrBytes.buffer instanceof ArrayBuffer ? pathOrBytes : pathOrBytes.slice() };
    } else if (pathOrBytes instanceof ArrayBuffer) this.#source = { bytes: new Uint8Array(pathOrBytes) };
    else throw new InvalidArgument("InferenceSession: pathOrBytes must be a file path, URL, Uint8Array or ArrayBuffer");
    this.#options = SessionOptions.from(sessOptions ?? new SessionOptions()).clone();
    this.#providers = normalizeProviders(providers, providerOptions);
    this.#createWithFallback();
  }

  /** Loads a model: path, URL or serialized ONNX / ORT-format bytes. */
  static create(
    pathOrBytes: string | URL | Uint8Array | ArrayBuffer,
    sessOptions?: SessionOptions | SessionOptionsInit | null,
    providers?: ProviderSpec[] | null,
    providerOptions?: Record<string, unknown>[] | null,
  ): Promise<InferenceSession> {
    try {
      return Promise.resolve(new InferenceSession(pathOrBytes, sessOptions, providers, providerOptions));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #createWithFallback(): void {
    try {
      this.#createNative();
    } catch (e) {
      if (e instanceof EPFail && this.#fallback && this.#providers.some((p) => p.name !== CPU_PROVIDER)) {
        console.warn(
          `onnxrun: EP error ${e.message} when using [${
            this.#providers.map((p) => p.name).join(", ")
          }]; falling back to CPUExecutionProvider`,
        );
        this.#providers = [{ name: CPU_PROVIDER, options: {} }];
        this.#createNative();
      } else throw e;
    }
  }

  #createNative(): void {
    const temps: bigint[] = [];
    try {
      this.#createNativeWith(temps);
    } finally {
      temps.forEach(freeValueHandle);
    }
  }

  #createNativeWith(temps: bigint[]): void {
    const n = getNative();
    const json: Record<string, unknown> = {
      ...this.#options._toJson(temps),
      providers: this.#providers,
      disableFallback: !this.#fallback,
    };
    let useEnv = false;
    try {
      useEnv = this.#options.getSessionConfigEntry("session.use_env_allocators") === "1";
    } catch { /* not set */ }
    if (useEnv && registeredAllocators().length) json.envAllocators = registeredAllocators();
    const opts = cstr(JSON.stringify(json));
    const started = process.hrtime.bigint();
    let h: bigint;
    if ("path" in this.#source) {
      const path = this.#source.path;
      h = outHandle((out) => n.symbols.onnxrun_session_create_from_path(cstr(path), opts, out));
    } else {
      const bytes = this.#source.bytes;
      h = outHandle((out) => n.symbols.onnxrun_session_create_from_bytes(bytes, bytes.byteLength, null, opts, out));
    }
    this.#keepAlive = this.#options._initializerValues();
    this.#setHandle(h);
    this.#profilingStartNs = this.#info.profilingStartTimeNs !== undefined
      ? BigInt(this.#info.profilingStartTimeNs)
      : this.#options.enableProfiling
      ? started
      : 0n;
  }

  #setHandle(h: bigint): void {
    if (this.#handle !== 0n) this.#freeNative();
    this.#handle = h;
    sessionRegistry.register(this, h, this);
    const info = readJson<SessionInfo>(getNative().symbols.onnxrun_session_info(h));
    this.#info = info;
    this.#inputs = info.inputs.map((j) => new NodeArg(j));
    this.#outputs = info.outputs.map((j) => new NodeArg(j));
    this.#overridable = (info.overridableInitializers ?? []).map((j) => new NodeArg(j));
    this.#feedIndex.clear();
    [...this.#inputs, ...this.#overridable].forEach((arg, index) => this.#feedIndex.set(arg.name, { index, arg }));
    this.#outputIndex.clear();
    this.#outputs.forEach((arg, i) => this.#outputIndex.set(arg.name, i));
    this.#modelMeta = null;
    this.#allFetches = null;
  }

  #freeNative(): void {
    sessionRegistry.unregister(this);
    getNative().symbols.onnxrun_session_free(this.#handle);
    this.#handle = 0n;
  }

  #h(): bigint {
    if (this.#handle === 0n) throw new InvalidArgument("InferenceSession is closed");
    return this.#handle;
  }

  // ---- metadata ----

  /** Inputs (without initializers) as NodeArgs. */
  getInputs(): NodeArg[] {
    this.#h();
    return [...this.#inputs];
  }
  getOutputs(): NodeArg[] {
    this.#h();
    return [...this.#outputs];
  }
  /** Initializers that may be fed to override their stored value. */
  getOverridableInitializers(): NodeArg[] {
    this.#h();
    return [...this.#overridable];
  }
  getModelmeta(): ModelMetadata {
    this.#h();
    return this.#modelMeta ??= new ModelMetadata(this.#info.modelMeta ?? {});
  }
  /** Providers the session uses, in priority order. */
  getProviders(): string[] {
    this.#h();
    return [...this.#info.providers];
  }
  /** Options of each provider in use: { name: { key: value } }. */
  getProviderOptions(): Record<string, Record<string, string>> {
    this.#h();
    return structuredClone(this.#info.providerOptions ?? {});
  }
  /** A copy of the options the session was created with. */
  getSessionOptions(): SessionOptions {
    this.#h();
    return this.#options.clone();
  }
  /** Names of the inputs (convenience, as onnxruntime-common sessions have). */
  get inputNames(): string[] {
    return this.getInputs().map((a) => a.name);
  }
  get outputNames(): string[] {
    return this.getOutputs().map((a) => a.name);
  }

  // ---- profiling ----

  /** Ends profiling and returns the Chrome-trace JSON file's path. */
  endProfiling(): string {
    return readString(getNative().symbols.onnxrun_session_end_profiling(this.#h()));
  }
  /** Monotonic time (ns, as process.hrtime.bigint()) when profiling started; 0n without profiling. */
  getProfilingStartTimeNs(): bigint {
    this.#h();
    return this.#profilingStartNs;
  }

  // ---- providers ----

  /** Re-creates the session with other providers. */
  setProviders(providers?: ProviderSpec[] | null, providerOptions?: Record<string, unknown>[] | null): void {
    this.#h();
    this.#providers = normalizeProviders(providers, providerOptions);
    this.#createWithFallback();
  }
  /** Don't fall back to CPUExecutionProvider when a provider fails. */
  disableFallback(): void {
    this.#fallback = false;
  }
  /** Fall back to CPUExecutionProvider (once) when a provider fails (the default). */
  enableFallback(): void {
    this.#fallback = true;
  }

  // ---- runs ----

  #allFetches: Uint32Array | null = null;
  #feedScratch: [Uint32Array, BigUint64Array][] = [];

  #fetchIndices(outputNames: readonly string[] | null | undefined): Uint32Array {
    if (outputNames === null || outputNames === undefined || (Array.isArray(outputNames) && outputNames.length === 0)) {
      // All outputs, in order: the same indices every time.
      return this.#allFetches ??= Uint32Array.from(this.#outputs, (_, i) => i);
    }
    if (!Array.isArray(outputNames)) {
      throw new InvalidArgument("outputNames must be an array of output names, or null for all outputs");
    }
    const fetchIdx = new Uint32Array(outputNames.length);
    for (let i = 0; i < outputNames.length; i++) {
      const idx = this.#outputIndex.get(outputNames[i]);
      if (idx === undefined) {
        throw new InvalidArgument(
          `Invalid output name: '${outputNames[i]}'. The model's outputs are: ${
            this.#outputs.map((o) => `'${o.name}'`).join(", ")
          }`,
        );
      }
      fetchIdx[i] = idx;
    }
    return fetchIdx;
  }

  /** `copy` (async runs): the library gets its own copy of every JS buffer (see feedToValue). */
  #prepare(outputNames: readonly string[] | null | undefined, feeds: Feeds, copy = false): Prepared {
    this.#h();
    const fetchIdx = this.#fetchIndices(outputNames);
    if (feeds === null || typeof feeds !== "object") {
      throw new InvalidArgument("feeds must be an object { inputName: value }");
    }
    const isMap = feeds instanceof Map;
    const names: string[] = isMap ? [...feeds.keys()] : Object.keys(feeds);
    let required = 0;
    for (const name of names) {
      const f = this.#feedIndex.get(name);
      if (f === undefined) {
        throw new InvalidArgument(`Invalid input name: '${name}'. The model's inputs are: ${this.#describeInputs()}`);
      }
      if (f.index < this.#inputs.length) required++;
    }
    if (required < this.#inputs.length) {
      const given = new Set(names);
      const arg = this.#inputs.find((a) => !given.has(a.name))!;
      throw new InvalidArgument(
        `Missing input: '${arg.name}' (expected ${arg.type} with shape ${fmtShape(arg.shape)})`,
      );
    }
    // The index/handle arrays are only read during the call that takes them (run_start
    // copies them), so one pair per feed count is reused.
    let scratch = this.#feedScratch[names.length];
    if (!scratch) {
      scratch = this.#feedScratch[names.length] = [new Uint32Array(names.length), new BigUint64Array(names.length)];
    }
    const prep: Prepared = { feedIdx: scratch[0], feeds: scratch[1], owned: [], keep: [], fetchIdx };
    try {
      for (let i = 0; i < names.length; i++) {
        const { index, arg } = this.#feedIndex.get(names[i])!;
        const value = isMap ? (feeds as Map<string, Feed>).get(names[i]) : (feeds as Record<string, Feed>)[names[i]];
        const { handle, owned } = feedToValue(value, arg, prep.keep, copy);
        if (owned) prep.owned.push(handle);
        else prep.keep.push(value);
        prep.feedIdx[i] = index;
        prep.feeds[i] = handle;
      }
    } catch (e) {
      release(prep);
      throw e;
    }
    return prep;
  }

  #describeInputs(): string {
    return this.#inputs.map((a) => `'${a.name}' (${a.type} ${fmtShape(a.shape)})`).join(", ") || "(none)";
  }

  #runPrepared(prep: Prepared, runOptions?: RunOptions | null): BigUint64Array {
    const ro = runOptionsHandle(runOptions);
    const fetches = new BigUint64Array(prep.fetchIdx.length);
    recheckFeeds(prep.keep, "input");
    check(
      getNative().symbols.onnxrun_session_run(
        this.#h(),
        ro,
        prep.feedIdx,
        prep.feeds,
        prep.feeds.length,
        prep.fetchIdx,
        fetches,
        fetches.length,
      ),
    );
    return fetches;
  }

  #withFallback<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof EPFail && this.#fallback && this.#providers.some((p) => p.name !== CPU_PROVIDER)) {
        console.warn(`onnxrun: EP error ${e.message}; falling back to CPUExecutionProvider and retrying`);
        this.setProviders([CPU_PROVIDER]);
        this.disableFallback(); // once, as ONNX Runtime does
        return fn();
      }
      throw e;
    }
  }

  /**
   * Runs the model. `outputNames` null (or []) means all outputs. Returns the outputs in
   * that order: Tensor for tensors, arrays for sequences, Map for maps, null for empty optionals.
   */
  run(outputNames: readonly string[] | null | undefined, feeds: Feeds, runOptions?: RunOptions | null): OutputValue[] {
    return this.#withFallback(() => {
      const prep = this.#prepare(outputNames, feeds);
      try {
        return convertAll(this.#runPrepared(prep, runOptions));
      } finally {
        release(prep);
      }
    });
  }

  /**
   * Runs on a library thread without blocking the event loop. Returns a Promise of the
   * outputs; with a callback (Python's form) it calls callback(results, userData, err) instead.
   * Keep the feed buffers unchanged until it settles.
   */
  runAsync(
    outputNames: readonly string[] | null | undefined,
    feeds: Feeds,
    runOptions?: RunOptions | null,
  ): Promise<OutputValue[]>;
  runAsync<U>(
    outputNames: readonly string[] | null | undefined,
    feeds: Feeds,
    callback: RunAsyncCallback<U>,
    userData?: U,
    runOptions?: RunOptions | null,
  ): void;
  runAsync<U>(
    outputNames: readonly string[] | null | undefined,
    feeds: Feeds,
    a?: RunOptions | RunAsyncCallback<U> | null,
    userData?: U,
    runOptions?: RunOptions | null,
  ): Promise<OutputValue[]> | void {
    if (typeof a === "function") {
      const cb = a;
      this.#runAsync(outputNames, feeds, runOptions).then(
        (r) => cb(r, userData as U, ""),
        (e) => cb([], userData as U, e instanceof Error ? e.message : String(e)),
      );
      return;
    }
    return this.#runAsync(outputNames, feeds, a);
  }

  async #runAsync(
    outputNames: readonly string[] | null | undefined,
    feeds: Feeds,
    runOptions?: RunOptions | null,
  ): Promise<OutputValue[]> {
    const n = getNative();
    const prep = this.#prepare(outputNames, feeds, true);
    const fetches = new BigUint64Array(prep.fetchIdx.length);
    let job: bigint;
    try {
      job = outHandle((out) =>
        n.symbols.onnxrun_session_run_start(
          this.#h(),
          runOptionsHandle(runOptions),
          prep.feedIdx,
          prep.feeds,
          prep.feeds.length,
          prep.fetchIdx,
          fetches,
          fetches.length,
          out,
        )
      );
    } catch (e) {
      release(prep);
      throw e;
    }
    // The borrowed feed buffers (prep.keep) and runOptions stay referenced until the job is done.
    try {
      // job_finish reports the run's own status (and frees the job) whatever the wait said.
      await n.waitJob(job);
      check(n.symbols.onnxrun_job_finish(job, fetches, fetches.length));
      return convertAll(fetches);
    } finally {
      release(prep);
      void runOptions;
    }
  }

  /** Runs with OrtValue feeds and returns OrtValues (no conversion to Tensors). */
  runWithOrtValues(
    outputNames: readonly string[] | null | undefined,
    inputDictOrtValues: Record<string, OrtValue> | Map<string, OrtValue>,
    runOptions?: RunOptions | null,
  ): OrtValue[] {
    const entries = inputDictOrtValues instanceof Map
      ? [...inputDictOrtValues.entries()]
      : Object.entries(inputDictOrtValues ?? {});
    entries.forEach(([name, v]) => {
      if (!(v instanceof OrtValue)) throw new InvalidArgument(`input '${name}': runWithOrtValues takes OrtValues`);
    });
    return this.#withFallback(() => {
      const prep = this.#prepare(outputNames, inputDictOrtValues as Feeds);
      let fetches: BigUint64Array;
      try {
        fetches = this.#runPrepared(prep, runOptions);
      } finally {
        release(prep);
      }
      return Array.from(fetches, (h) => OrtValue._fromHandle(h));
    });
  }

  /**
   * The lowest-overhead form: feeds by name, outputs pushed into `fetches` (cleared first),
   * each moved to fetchDevices[i] when given.
   */
  runWithOrtValueVector(
    runOptions: RunOptions | null | undefined,
    feedNames: readonly string[],
    feeds: readonly OrtValue[],
    fetchNames: readonly string[],
    fetches: OrtValue[],
    fetchDevices?: readonly (OrtDevice | null | undefined)[],
  ): void {
    if (!Array.isArray(feedNames) || !Array.isArray(feeds) || feedNames.length !== feeds.length) {
      throw new InvalidArgument("runWithOrtValueVector: feedNames and feeds must be arrays of the same length");
    }
    if (!Array.isArray(fetches)) throw new InvalidArgument("runWithOrtValueVector: fetches must be an array to fill");
    const dict = new Map<string, OrtValue>();
    feedNames.forEach((n, i) => dict.set(n, feeds[i]));
    const out = this.runWithOrtValues(fetchNames, dict, runOptions);
    fetches.length = 0;
    out.forEach((v, i) => {
      const dev = fetchDevices?.[i];
      if (dev && dev.deviceName() !== v.deviceName()) {
        const moved = OrtValue._fromHandle(
          toDevice(v._handleForFeed("fetch"), dev.deviceName() as DeviceName, dev.deviceId()),
        );
        v.close();
        fetches.push(moved);
      } else fetches.push(v);
    });
  }

  /** An IOBinding for this session. */
  ioBinding(): IOBinding {
    this.#h();
    return new IOBindingCtor!(this);
  }

  /** Runs with the inputs and outputs bound in `iobinding`. */
  runWithIOBinding(iobinding: IOBinding | SessionIOBinding, runOptions?: RunOptions | null): void {
    if (!iobinding || typeof (iobinding as IOBinding)._run !== "function") {
      throw new InvalidArgument("runWithIOBinding: expected an IOBinding from session.ioBinding()");
    }
    iobinding._run(this, runOptions ?? null);
  }

  /** @internal Used by IOBinding. */
  _feedArg(name: string): { index: number; arg: NodeArg } {
    this.#h();
    const f = this.#feedIndex.get(name);
    if (!f) {
      throw new InvalidArgument(`Invalid input name: '${name}'. The model's inputs are: ${this.#describeInputs()}`);
    }
    return f;
  }
  /** @internal */
  _outputIndex(name: string): number {
    this.#h();
    const i = this.#outputIndex.get(name);
    if (i === undefined) {
      throw new InvalidArgument(
        `Invalid output name: '${name}'. The model's outputs are: ${
          this.#outputs.map((o) => `'${o.name}'`).join(", ")
        }`,
      );
    }
    return i;
  }
  /** @internal Checks that every model input is in `names`. */
  _checkAllInputs(names: Set<string>): void {
    for (const arg of this.#inputs) {
      if (!names.has(arg.name)) {
        throw new InvalidArgument(
          `Missing input: '${arg.name}' (expected ${arg.type} with shape ${fmtShape(arg.shape)})`,
        );
      }
    }
  }
  /** @internal Raw run over handles; `fetches` holds bound values (or 0) and receives the outputs. */
  _runHandles(
    feedIdx: Uint32Array,
    feeds: BigUint64Array,
    fetchIdx: Uint32Array,
    fetches: BigUint64Array,
    runOptions: RunOptions | null,
  ): void {
    check(
      getNative().symbols.onnxrun_session_run(
        this.#h(),
        runOptionsHandle(runOptions),
        feedIdx,
        feeds,
        feeds.length,
        fetchIdx,
        fetches,
        fetches.length,
      ),
    );
  }

  // ---- lifetime ----

  get closed(): boolean {
    return this.#handle === 0n;
  }
  /** Frees the session now (idempotent). Using it afterwards throws. */
  close(): void {
    if (this.#handle === 0n) return;
    this.#freeNative();
    this.#keepAlive = [];
  }
  /** Alias of close(), as onnxruntime-common names it. */
  release(): Promise<void> {
    this.close();
    return Promise.resolve();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

// IOBinding imports session.ts; it registers its constructor here to avoid an import cycle at load.
let IOBindingCtor: (new (s: InferenceSession) => IOBinding) | null = null;
export function _registerIOBinding(c: new (s: InferenceSession) => IOBinding): void {
  IOBindingCtor = c;
}

function runOptionsHandle(ro: RunOptions | null | undefined): bigint {
  if (ro === undefined || ro === null) return 0n;
  if (!(ro instanceof RunOptions)) throw new InvalidArgument("runOptions must be a RunOptions");
  return ro._native();
}

function release(prep: Prepared): void {
  for (const h of prep.owned) freeValueHandle(h);
  prep.owned.length = 0;
  prep.keep.length = 0; // the borrowed buffers were referenced until here
}

function convertAll(fetches: BigUint64Array): OutputValue[] {
  const out: OutputValue[] = [];
  let i = 0;
  try {
    for (; i < fetches.length; i++) out.push(valueToJs(fetches[i]));
  } catch (e) {
    for (let j = i + 1; j < fetches.length; j++) freeValueHandle(fetches[j]);
    for (const v of out) closeOutput(v);
    throw e;
  }
  return out;
}

function closeOutput(v: OutputValue): void {
  if (v === null) return;
  if (Array.isArray(v)) v.forEach(closeOutput);
  else if (!(v instanceof Map)) v.close();
}

function fmtShape(s: readonly (number | string | null)[] | null): string {
  return s === null ? "unknown" : `[${s.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
