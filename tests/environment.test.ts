/** Module functions: providers, device, version, logging, seed, telemetry, allocators, backend, datasets. */
import { existsSync } from "node:fs";
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import { unaryModel } from "./helpers/onnx_builder.ts";

test("providers: CPU always available, available ⊆ all", () => {
  const all = rt.getAllProviders();
  const avail = rt.getAvailableProviders();
  assert(all.includes("CPUExecutionProvider"), `all: ${all}`);
  assert(avail.includes("CPUExecutionProvider"), `available: ${avail}`);
  for (const p of avail) assert(all.includes(p), `${p} in all`);
  assertEquals(rt.getDevice(), avail.some((p) => p !== "CPUExecutionProvider") ? "GPU" : "CPU");
  const status = rt.getProvidersStatus();
  assertEquals(status.CPUExecutionProvider ?? null, null);
});

test("version and build info", () => {
  assert(/^\d+\.\d+\.\d+/.test(rt.getVersionString()), rt.getVersionString());
  const info = rt.getBuildInfo();
  assert(info.includes(rt.getVersionString()), info);
  assertEquals(rt.hasCollectiveOps(), false);
});

test("unknown providers are rejected; unavailable ones are skipped like onnxruntime", () => {
  const model = rt.datasets.getExample("mul_1.onnx");
  assertThrows(
    () => new rt.InferenceSession(model, null, ["NoSuchExecutionProvider"]),
    rt.InvalidArgument,
    "NoSuchExecutionProvider",
  );
  assertThrows(
    () => new rt.InferenceSession(model, null, [["CPUExecutionProvider", {}]], [{}]),
    rt.InvalidArgument,
    "providerOptions",
  );
  const unavailable = rt.getAllProviders().filter((p) => !rt.getAvailableProviders().includes(p));
  const warn = console.warn;
  console.warn = () => {};
  try {
    using sess = new rt.InferenceSession(model, null, [...unavailable, "CPUExecutionProvider"]);
    assertEquals(sess.getProviders(), ["CPUExecutionProvider"]);
  } finally {
    console.warn = warn;
  }
});

test("setProviders re-creates the session; fallback switches", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  sess.setProviders(["CPUExecutionProvider"], [{}]);
  assertEquals(sess.getProviders(), ["CPUExecutionProvider"]);
  sess.disableFallback();
  sess.enableFallback();
  const [y] = sess.run(null, { X: new Float32Array(6).fill(1) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

test("logging defaults, seed and telemetry settings validate their arguments", () => {
  rt.setDefaultLoggerSeverity(3);
  assertEquals(new rt.SessionOptions().logSeverityLevel, 3);
  rt.setDefaultLoggerSeverity(2);
  assertThrows(() => rt.setDefaultLoggerSeverity(5), rt.InvalidArgument, "severity");
  rt.setDefaultLoggerVerbosity(1);
  assertEquals(new rt.SessionOptions().logVerbosityLevel, 1);
  rt.setDefaultLoggerVerbosity(0);
  assertThrows(() => rt.setDefaultLoggerVerbosity(-1), rt.InvalidArgument, "verbosity");
  rt.setSeed(42);
  assertEquals(new rt.SessionOptions()._toJson([]).seed, 42);
  assertThrows(() => rt.setSeed(1.5), rt.InvalidArgument, "seed");
  rt.enableTelemetryEvents();
  assertEquals(rt.telemetryEnabled(), true);
  rt.disableTelemetryEvents();
  assertEquals(rt.telemetryEnabled(), false);
});

test("OrtMemoryInfo, OrtArenaCfg, OrtDevice and allocator registration", () => {
  const mi = new rt.OrtMemoryInfo("Cpu", rt.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, rt.OrtMemType.DEFAULT);
  assertEquals([mi.name, mi.allocatorType.name, mi.deviceId, mi.memType.name], [
    "Cpu",
    "ORT_ARENA_ALLOCATOR",
    0,
    "DEFAULT",
  ]);
  assertThrows(() => new rt.OrtMemoryInfo("Cpu", 7, 0, 0), rt.InvalidArgument, "allocator type");
  const a = new rt.OrtArenaCfg(0, -1, -1, -1);
  assertEquals([a.maxMem, a.arenaExtendStrategy], [0, -1]);
  const b = new rt.OrtArenaCfg({ max_mem: 1 << 20, arena_extend_strategy: 1, initial_chunk_size_bytes: 4096 });
  assertEquals([b.maxMem, b.arenaExtendStrategy, b.initialChunkSizeBytes, b.maxDeadBytesPerChunk], [
    1 << 20,
    1,
    4096,
    -1,
  ]);
  assertThrows(() => new rt.OrtArenaCfg({ bogus: 1 }), rt.InvalidArgument, "bogus");
  assertThrows(() => new rt.OrtArenaCfg(0, 5, -1, -1), rt.InvalidArgument, "arenaExtendStrategy");
  const d = rt.OrtDevice.make("cpu", 0);
  assertEquals([d.deviceType(), d.deviceId(), d.deviceName()], [rt.OrtDevice.cpu(), 0, "cpu"]);
  assertThrows(() => rt.OrtDevice.make("quantum", 0), rt.InvalidArgument, "quantum");

  rt.createAndRegisterAllocator(mi, b);
  assertThrows(() => rt.createAndRegisterAllocator(mi, null), rt.InvalidArgument, "already registered");
  const mi2 = new rt.OrtMemoryInfo("Cpu", rt.OrtAllocatorType.ORT_DEVICE_ALLOCATOR, 1, rt.OrtMemType.DEFAULT);
  rt.createAndRegisterAllocatorV2("CPUExecutionProvider", mi2, { arena: 1 }, null);
  const so = new rt.SessionOptions();
  so.addSessionConfigEntry("session.use_env_allocators", "1");
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), so);
  const [y] = sess.run(null, { X: new Float32Array(6).fill(2) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [2, 4, 6, 8, 10, 12]);
});

test("backend: prepare, run, isCompatible, supportsDevice", () => {
  assertEquals(rt.backend.supportsDevice("CPU"), true);
  assertEquals(rt.backend.supportsDevice("CUDA"), rt.getAvailableProviders().includes("CUDAExecutionProvider"));
  assertEquals(rt.backend.supportsDevice("TPU"), false);
  assertEquals(rt.backend.isCompatible(null), true);
  const sess = rt.backend.prepare(rt.datasets.getExample("mul_1.onnx"), "CPU", { intra_op_num_threads: 1 });
  assert(sess instanceof rt.InferenceSession);
  assertEquals(sess.getSessionOptions().intraOpNumThreads, 1);
  const [y] = rt.backend.run(sess, [new Float32Array([1, 1, 1, 1, 1, 1])], null, { logid: "b" }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  assertThrows(
    () => rt.backend.prepare(rt.datasets.getExample("mul_1.onnx"), "CPU", { no_such_option: 1 }),
    rt.InvalidArgument,
    "no_such_option",
  );
  sess.close();
});

test("datasets.getExample returns absolute paths of shipped models", () => {
  for (const name of ["sigmoid.onnx", "mul_1.onnx", "logreg_iris.onnx"]) {
    const p = rt.datasets.getExample(name);
    assert(p.startsWith("/") || /^[A-Za-z]:\\/.test(p), p);
    assert(p.endsWith(name) && existsSync(p), p);
  }
  assertThrows(() => rt.datasets.getExample("nope.onnx"), rt.NoSuchFile, "nope.onnx", "logreg_iris.onnx");
  assertThrows(() => rt.datasets.getExample("../mod.ts"), rt.NoSuchFile);
});

test("setSeed seeds the random ops without a seed attribute of sessions created after it", () => {
  const model = unaryModel("RandomUniformLike", [6]);
  const x = new rt.Tensor("float32", new Float32Array(6), [6]);
  const draw = (s: rt.InferenceSession) => Array.from((s.run(null, { X: x })[0] as rt.Tensor).data as Float32Array);
  rt.setSeed(1234);
  using a = new rt.InferenceSession(model);
  using b = new rt.InferenceSession(model);
  const [a1, a2] = [draw(a), draw(a)];
  assertEquals(draw(b), a1);
  assert(a1.join() !== a2.join(), "the generator advances from run to run");
  assert(a1.every((v) => v >= 0 && v < 1) && new Set(a1).size === 6, `uniform draws: ${a1}`);
  rt.setSeed(99);
  using c = new rt.InferenceSession(model);
  assert(draw(c).join() !== a1.join(), "another seed, other draws");
});
