/**
 * Devices and allocator configuration: OrtDevice, OrtMemoryInfo, OrtArenaCfg and the
 * environment's shared allocators (createAndRegisterAllocator*). Sessions whose options set
 * "session.use_env_allocators" to "1" send the registered allocators to the core.
 */
import { OrtAllocatorType, OrtMemType } from "./enums.ts";
import { InvalidArgument } from "./errors.ts";
import { type DeviceName, deviceName } from "./values.ts";

const nonNegInt = (v: unknown, what: string): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgument(`${what} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
};

/** A device: type (cpu, cuda, webgpu) and id. */
export class OrtDevice {
  static readonly #TYPES: Record<DeviceName, number> = { cpu: 0, cuda: 1, webgpu: 1 };
  readonly #name: DeviceName;
  readonly #id: number;
  readonly #memType: number;

  /** new OrtDevice("cuda", 0) — Python builds these with OrtDevice.make(name, id). */
  constructor(deviceType: string = "cpu", deviceId = 0, memType = 0) {
    this.#name = deviceName(deviceType);
    this.#id = nonNegInt(deviceId, "device id");
    this.#memType = memType;
  }
  static make(ortDeviceName: string, deviceId = 0): OrtDevice {
    return new OrtDevice(ortDeviceName, deviceId);
  }
  /** Device type codes as ONNX Runtime numbers them. */
  static cpu(): number {
    return 0;
  }
  static cuda(): number {
    return 1;
  }
  static gpu(): number {
    return 1;
  }
  static defaultMemory(): number {
    return 0;
  }
  /** 0 for CPU, 1 for GPUs. */
  deviceType(): number {
    return OrtDevice.#TYPES[this.#name];
  }
  /** "cpu", "cuda" or "webgpu". */
  deviceName(): DeviceName {
    return this.#name;
  }
  deviceId(): number {
    return this.#id;
  }
  deviceMemType(): number {
    return this.#memType;
  }
  toJSON(): { device: string; deviceId: number } {
    return { device: this.#name, deviceId: this.#id };
  }
}

/** Describes memory: allocator name ("Cpu", "Cuda", ...), allocator type, device id, memory type. */
export class OrtMemoryInfo {
  readonly #name: string;
  readonly #allocType: OrtAllocatorType;
  readonly #deviceId: number;
  readonly #memType: OrtMemType;
  constructor(
    name: string,
    allocatorType: OrtAllocatorType | number | string,
    deviceId: number,
    memType: OrtMemType | number | string,
  ) {
    if (typeof name !== "string" || name === "") {
      throw new InvalidArgument("OrtMemoryInfo: name must be a non-empty string");
    }
    this.#name = name;
    this.#allocType = OrtAllocatorType.from(allocatorType, "OrtMemoryInfo allocator type");
    this.#deviceId = nonNegInt(deviceId, "OrtMemoryInfo device id");
    this.#memType = OrtMemType.from(memType, "OrtMemoryInfo memory type");
  }
  get name(): string {
    return this.#name;
  }
  get allocatorType(): OrtAllocatorType {
    return this.#allocType;
  }
  get deviceId(): number {
    return this.#deviceId;
  }
  get memType(): OrtMemType {
    return this.#memType;
  }
  toJSON(): Record<string, unknown> {
    return {
      name: this.#name,
      allocatorType: this.#allocType.value,
      deviceId: this.#deviceId,
      memType: this.#memType.value,
    };
  }
}

const ARENA_KEYS = {
  max_mem: "maxMem",
  arena_extend_strategy: "arenaExtendStrategy",
  initial_chunk_size_bytes: "initialChunkSizeBytes",
  max_dead_bytes_per_chunk: "maxDeadBytesPerChunk",
  initial_growth_chunk_size_bytes: "initialGrowthChunkSizeBytes",
  max_power_of_two_extend_bytes: "maxPowerOfTwoExtendBytes",
} as const;
type ArenaKey = (typeof ARENA_KEYS)[keyof typeof ARENA_KEYS];

/**
 * Arena allocator settings: new OrtArenaCfg(maxMem, arenaExtendStrategy,
 * initialChunkSizeBytes, maxDeadBytesPerChunk) or new OrtArenaCfg({ max_mem: ..., ... })
 * (snake_case keys as in Python, or camelCase). -1 leaves a field at the default.
 */
export class OrtArenaCfg {
  readonly #v: Record<ArenaKey, number> = {
    maxMem: 0,
    arenaExtendStrategy: -1,
    initialChunkSizeBytes: -1,
    maxDeadBytesPerChunk: -1,
    initialGrowthChunkSizeBytes: -1,
    maxPowerOfTwoExtendBytes: -1,
  };
  constructor(maxMem: number, arenaExtendStrategy: number, initialChunkSizeBytes: number, maxDeadBytesPerChunk: number);
  constructor(cfg: Record<string, number>);
  constructor(a: number | Record<string, number>, b?: number, c?: number, d?: number) {
    const set = (k: ArenaKey, v: unknown) => {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < -1) {
        throw new InvalidArgument(`OrtArenaCfg.${k} must be an integer >= -1, got ${String(v)}`);
      }
      if (k === "arenaExtendStrategy" && v > 1) {
        throw new InvalidArgument(
          `OrtArenaCfg.arenaExtendStrategy must be -1, 0 (kNextPowerOfTwo) or 1 (kSameAsRequested), got ${v}`,
        );
      }
      this.#v[k] = v;
    };
    if (typeof a === "object" && a !== null) {
      for (const [key, v] of Object.entries(a)) {
        const k = (ARENA_KEYS as Record<string, ArenaKey>)[key] ??
          (Object.values(ARENA_KEYS) as string[]).find((x) => x === key) as ArenaKey | undefined;
        if (!k) {
          throw new InvalidArgument(`OrtArenaCfg: unknown key '${key}'; known: ${Object.keys(ARENA_KEYS).join(", ")}`);
        }
        set(k, v);
      }
    } else {
      set("maxMem", a);
      set("arenaExtendStrategy", b);
      set("initialChunkSizeBytes", c);
      set("maxDeadBytesPerChunk", d);
    }
  }
  get maxMem(): number {
    return this.#v.maxMem;
  }
  get arenaExtendStrategy(): number {
    return this.#v.arenaExtendStrategy;
  }
  get initialChunkSizeBytes(): number {
    return this.#v.initialChunkSizeBytes;
  }
  get maxDeadBytesPerChunk(): number {
    return this.#v.maxDeadBytesPerChunk;
  }
  get initialGrowthChunkSizeBytes(): number {
    return this.#v.initialGrowthChunkSizeBytes;
  }
  get maxPowerOfTwoExtendBytes(): number {
    return this.#v.maxPowerOfTwoExtendBytes;
  }
  toJSON(): Record<string, number> {
    return { ...this.#v };
  }
}

export interface EnvAllocator {
  providerType: string;
  memoryInfo: Record<string, unknown>;
  providerOptions: Record<string, string>;
  arenaCfg: Record<string, number> | null;
}

const envAllocators: EnvAllocator[] = [];

/** Allocators registered in the environment, as sent to sessions that opt in. */
export function registeredAllocators(): readonly EnvAllocator[] {
  return envAllocators;
}

function register(
  providerType: string,
  memInfo: OrtMemoryInfo,
  options: Record<string, string>,
  arenaCfg: OrtArenaCfg | null,
) {
  if (!(memInfo instanceof OrtMemoryInfo)) {
    throw new InvalidArgument("createAndRegisterAllocator: memInfo must be an OrtMemoryInfo");
  }
  if (arenaCfg !== null && !(arenaCfg instanceof OrtArenaCfg)) {
    throw new InvalidArgument("createAndRegisterAllocator: arenaCfg must be an OrtArenaCfg or null");
  }
  const key = JSON.stringify([memInfo.name, memInfo.deviceId, memInfo.memType.value]);
  if (
    envAllocators.some((a) => JSON.stringify([a.memoryInfo.name, a.memoryInfo.deviceId, a.memoryInfo.memType]) === key)
  ) {
    throw new InvalidArgument(`an allocator for ${memInfo.name} device ${memInfo.deviceId} is already registered`);
  }
  envAllocators.push({
    providerType,
    memoryInfo: memInfo.toJSON(),
    providerOptions: options,
    arenaCfg: arenaCfg?.toJSON() ?? null,
  });
}

/** Registers a shared allocator for sessions that set session.use_env_allocators = "1". */
export function createAndRegisterAllocator(memInfo: OrtMemoryInfo, arenaCfg: OrtArenaCfg | null = null): void {
  register("CPUExecutionProvider", memInfo, {}, arenaCfg);
}

/** Same, for a named provider's allocator with provider options. */
export function createAndRegisterAllocatorV2(
  providerType: string,
  memInfo: OrtMemoryInfo,
  providerOptions: Record<string, unknown>,
  arenaCfg: OrtArenaCfg | null = null,
): void {
  if (typeof providerType !== "string" || providerType === "") {
    throw new InvalidArgument("providerType must be a provider name");
  }
  const opts = Object.fromEntries(Object.entries(providerOptions ?? {}).map(([k, v]) => [k, String(v)]));
  register(providerType, memInfo, opts, arenaCfg);
}
