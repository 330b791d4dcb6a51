/** Providers, device, version and build information, from the library. */
import { getNative, readJson, readString } from "./ffi.ts";

export const CPU_PROVIDER = "CPUExecutionProvider";

/** Every provider this build of onnxrun knows, highest default priority first. */
export function getAllProviders(): string[] {
  return readJson<string[]>(getNative().symbols.onnxrun_providers(0));
}

/** The providers usable on this machine now (CUDA only with a usable GPU, wgpu with an adapter). */
export function getAvailableProviders(): string[] {
  return readJson<string[]>(getNative().symbols.onnxrun_providers(1));
}

/** Why each provider is or is not available: { name: null | "reason" }. */
export function getProvidersStatus(): Record<string, string | null> {
  return readJson<Record<string, string | null>>(getNative().symbols.onnxrun_providers_status());
}

/** "GPU" when a GPU provider is usable here, else "CPU" (as onnxruntime-gpu / onnxruntime report). */
export function getDevice(): string {
  return getAvailableProviders().some((p) => p !== CPU_PROVIDER) ? "GPU" : "CPU";
}

/** Library version, e.g. "0.1.0". */
export function getVersionString(): string {
  return readString(getNative().symbols.onnxrun_version());
}

/** One line describing the build (version, commit, profile, target, features, CPU tier). */
export function getBuildInfo(): string {
  const info = readJson<Record<string, unknown>>(getNative().symbols.onnxrun_build_info());
  const parts = Object.entries(info).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`);
  return `onnxrun build info: ${parts.join(", ")}`;
}

/** Whether collective (multi-device communication) ops are built in: never, in onnxrun. */
export function hasCollectiveOps(): boolean {
  return false;
}
