/**
 * The ONNX backend API (onnx.backend): prepare a model, run it, ask about devices. Used to
 * check conformance the way onnx's backend test runner does.
 */
import { InvalidArgument } from "./errors.ts";
import type { Feed } from "./feeds.ts";
import { RunOptions, SessionOptions } from "./options.ts";
import { getAvailableProviders } from "./providers.ts";
import { InferenceSession } from "./session.ts";
import type { OutputValue } from "./values.ts";

const DEVICE_PROVIDERS: Record<string, string> = {
  CPU: "CPUExecutionProvider",
  CUDA: "CUDAExecutionProvider",
  GPU: "CUDAExecutionProvider",
  WEBGPU: "WebGpuExecutionProvider",
};

function providerFor(device?: string | null): string[] | undefined {
  if (device === undefined || device === null) return undefined;
  const key = String(device).split(":")[0].toUpperCase();
  const p = DEVICE_PROVIDERS[key];
  if (!p) throw new InvalidArgument(`unknown device '${device}'; expected CPU, CUDA (GPU) or WEBGPU`);
  return [p];
}

/** Whether the backend can run on `device` here ("CPU", "CUDA"/"GPU", "WEBGPU"). */
function supportsDevice(device: string): boolean {
  const key = String(device).split(":")[0].toUpperCase();
  const p = DEVICE_PROVIDERS[key];
  if (!p) return false;
  const available = getAvailableProviders();
  // The wgpu provider's exact name is the library's; match by prefix.
  return key === "WEBGPU" ? available.some((a) => /gpu/i.test(a) && !/cuda/i.test(a)) : available.includes(p);
}

/** Whether the model can be run by this backend (ONNX Runtime's answer: always, model unused). */
function isCompatible(_model?: unknown, device?: string | null): boolean {
  return device === undefined || device === null ? true : supportsDevice(device);
}

function applyKwargs<T extends object>(target: T, kwargs: Record<string, unknown> | undefined, what: string): T {
  for (const [k, v] of Object.entries(kwargs ?? {})) {
    const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(camel in target)) throw new InvalidArgument(`${what} has no option '${k}'`);
    (target as Record<string, unknown>)[camel] = v;
  }
  return target;
}

/** Loads a model (path or bytes) into an InferenceSession; kwargs set SessionOptions fields. */
function prepare(
  model: string | Uint8Array | ArrayBuffer | InferenceSession,
  device?: string | null,
  kwargs?: Record<string, unknown>,
): InferenceSession {
  if (model instanceof InferenceSession) return model;
  const so = applyKwargs(new SessionOptions(), kwargs, "SessionOptions");
  const providers = providerFor(device);
  if (providers && !supportsDevice(String(device))) {
    throw new InvalidArgument(`device '${device}' is not available here`);
  }
  return new InferenceSession(model, so, providers);
}

/**
 * Runs a prepared model. `inputs`: an array in getInputs() order, or { name: value }.
 * kwargs set RunOptions fields.
 */
function run(
  model: InferenceSession | string | Uint8Array,
  inputs: Feed[] | Record<string, Feed>,
  device?: string | null,
  kwargs?: Record<string, unknown>,
): OutputValue[] {
  const sess = model instanceof InferenceSession ? model : prepare(model, device);
  let feeds: Record<string, Feed>;
  if (Array.isArray(inputs)) {
    const names = sess.getInputs().map((a) => a.name);
    if (inputs.length > names.length) {
      throw new InvalidArgument(`backend.run: ${inputs.length} inputs given, the model has ${names.length}`);
    }
    feeds = Object.fromEntries(inputs.map((x, i) => [names[i], x]));
  } else feeds = inputs;
  const ro = kwargs && Object.keys(kwargs).length ? applyKwargs(new RunOptions(), kwargs, "RunOptions") : undefined;
  return sess.run(null, feeds, ro);
}

export const backend = Object.freeze({ isCompatible, prepare, run, supportsDevice });
