/**
 * Process-wide settings ONNX Runtime keeps in its environment: default logger severity and
 * verbosity, the random seed, telemetry. They apply to sessions created afterwards (sent
 * with each session's options).
 */
import { InvalidArgument } from "./errors.ts";

const env = {
  severity: 2,
  verbosity: 0,
  seed: null as number | null,
  telemetry: false,
};

function intIn(v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidArgument(`${what} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/** 0:Verbose, 1:Info, 2:Warning, 3:Error, 4:Fatal. */
export function setDefaultLoggerSeverity(severity: number): void {
  env.severity = intIn(severity, 0, 4, "logger severity");
}

/** VLOG level; only used when the severity is 0 (Verbose). */
export function setDefaultLoggerVerbosity(verbosity: number): void {
  env.verbosity = intIn(verbosity, 0, 2 ** 31 - 1, "logger verbosity");
}

/** Seed for random-number operators (RandomNormal, Multinomial, ...) without a seed attribute. */
export function setSeed(seed: number): void {
  env.seed = intIn(seed, -(2 ** 63), 2 ** 63, "seed");
}

/**
 * onnxrun collects no telemetry; these record the caller's preference (telemetryEnabled())
 * so that code written for ONNX Runtime runs unchanged.
 */
export function enableTelemetryEvents(): void {
  env.telemetry = true;
}
export function disableTelemetryEvents(): void {
  env.telemetry = false;
}
export function telemetryEnabled(): boolean {
  return env.telemetry;
}

/** @internal */
export function envDefaults(): Readonly<typeof env> {
  return env;
}
