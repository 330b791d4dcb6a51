/** SessionOptions / RunOptions: defaults, validation, faithful storage, effects on sessions. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";
import { buildModel, ELEM, tensorValueInfo } from "./helpers/onnx_builder.ts";

test("SessionOptions defaults are ONNX Runtime's", () => {
  const so = new rt.SessionOptions();
  assertEquals(so.enableCpuMemArena, true);
  assertEquals(so.enableMemPattern, true);
  assertEquals(so.enableMemReuse, true);
  assertEquals(so.enableProfiling, false);
  assert(so.executionMode === rt.ExecutionMode.ORT_SEQUENTIAL);
  assert(so.executionOrder === rt.ExecutionOrder.DEFAULT);
  assert(so.graphOptimizationLevel === rt.GraphOptimizationLevel.ORT_ENABLE_ALL);
  assertEquals(so.interOpNumThreads, 0);
  assertEquals(so.intraOpNumThreads, 0);
  assertEquals(so.logSeverityLevel, 2);
  assertEquals(so.logVerbosityLevel, 0);
  assertEquals(so.logid, "");
  assertEquals(so.optimizedModelFilepath, "");
  assertEquals(so.profileFilePrefix, "onnxruntime_profile_");
  assertEquals(so.useDeterministicCompute, false);
  assertEquals(so.enableSequentialExecution, true);
  assertEquals(so.maxNumGraphTransformationSteps, 5);
  assertEquals(so.sessionThreadPoolSize, 0);
});

test("SessionOptions properties store what is set and reject bad values", () => {
  const so = new rt.SessionOptions();
  const bools = [
    "enableCpuMemArena",
    "enableMemPattern",
    "enableMemReuse",
    "enableProfiling",
    "useDeterministicCompute",
  ] as const;
  for (const k of bools) {
    so[k] = false;
    assertEquals(so[k], false, k);
    so[k] = true;
    assertEquals(so[k], true, k);
    assertThrows(() => ((so as unknown as Record<string, unknown>)[k] = 1), rt.InvalidArgument, k);
  }
  const ints: [keyof rt.SessionOptions, number, number, unknown[]][] = [
    ["interOpNumThreads", 0, 3, [-1, 1.5, "2"]],
    ["intraOpNumThreads", 0, 7, [-2, NaN, null]],
    ["logSeverityLevel", 0, 4, [5, -1, 2.5]],
    ["logVerbosityLevel", 0, 3, [-1, "x"]],
    ["maxNumGraphTransformationSteps", 0, 9, [-1]],
  ];
  for (const [k, lo, v, bad] of ints) {
    (so as unknown as Record<string, number>)[k] = lo;
    (so as unknown as Record<string, number>)[k] = v;
    assertEquals((so as unknown as Record<string, number>)[k], v, k);
    for (const b of bad) assertThrows(() => ((so as unknown as Record<string, unknown>)[k] = b), rt.InvalidArgument, k);
  }
  for (const k of ["logid", "optimizedModelFilepath", "profileFilePrefix"] as const) {
    so[k] = "abc";
    assertEquals(so[k], "abc");
    assertThrows(() => ((so as unknown as Record<string, unknown>)[k] = 3), rt.InvalidArgument, k);
  }
});

test("enum properties take members, numbers or names", () => {
  const so = new rt.SessionOptions();
  so.graphOptimizationLevel = rt.GraphOptimizationLevel.ORT_DISABLE_ALL;
  assert(so.graphOptimizationLevel === rt.GraphOptimizationLevel.ORT_DISABLE_ALL);
  so.graphOptimizationLevel = 2;
  assert(so.graphOptimizationLevel === rt.GraphOptimizationLevel.ORT_ENABLE_EXTENDED);
  so.graphOptimizationLevel = "ORT_ENABLE_BASIC";
  assertEquals(so.graphOptimizationLevel.name, "ORT_ENABLE_BASIC");
  assertEquals(+so.graphOptimizationLevel, 1);
  assertThrows(
    () => (so.graphOptimizationLevel = 3),
    rt.InvalidArgument,
    "graphOptimizationLevel",
    "ORT_ENABLE_ALL (99)",
  );
  so.executionMode = rt.ExecutionMode.ORT_PARALLEL;
  assertEquals(so.enableSequentialExecution, false);
  so.enableSequentialExecution = true;
  assert(so.executionMode === rt.ExecutionMode.ORT_SEQUENTIAL);
  assertThrows(() => (so.executionMode = 7), rt.InvalidArgument, "executionMode");
  so.executionOrder = rt.ExecutionOrder.PRIORITY_BASED;
  assertEquals(so.executionOrder.value, 1);
  assertThrows(() => (so.executionOrder = "RANDOM"), rt.InvalidArgument, "executionOrder");
  assertEquals(String(rt.GraphOptimizationLevel.ORT_ENABLE_ALL), "GraphOptimizationLevel.ORT_ENABLE_ALL");
  assertEquals(rt.OrtMemType.CPU.value, rt.OrtMemType.CPU_OUTPUT.value);
  assertEquals(rt.OrtAllocatorType.INVALID.value, -1);
});

test("old option names are aliases of the current ones", () => {
  const so = new rt.SessionOptions();
  so.sessionLogVerbosityLevel = 2;
  assertEquals(so.logVerbosityLevel, 2);
  so.sessionLogid = "sess-1";
  assertEquals(so.logid, "sess-1");
  so.sessionThreadPoolSize = 3;
  assertEquals(so.interOpNumThreads, 3);
  const ro = new rt.RunOptions();
  ro.runLogVerbosityLevel = 1;
  assertEquals(ro.logVerbosityLevel, 1);
  ro.runTag = "tag";
  assertEquals(ro.logid, "tag");
});

test("session config entries round-trip; unknown keys throw", () => {
  const so = new rt.SessionOptions();
  so.addSessionConfigEntry("session.load_model_format", "ONNX");
  assertEquals(so.getSessionConfigEntry("session.load_model_format"), "ONNX");
  so.addSessionConfigEntry("session.load_model_format", "ORT");
  assertEquals(so.getSessionConfigEntry("session.load_model_format"), "ORT");
  assertThrows(() => so.getSessionConfigEntry("no.such.key"), rt.RuntimeException, "no.such.key");
  assertThrows(() => so.addSessionConfigEntry("", "x"), rt.InvalidArgument);
  assertThrows(() => so.addSessionConfigEntry("k", 1 as unknown as string), rt.InvalidArgument, "k");
});

test("the options JSON sent to the core holds every setting", () => {
  const so = new rt.SessionOptions();
  so.intraOpNumThreads = 2;
  so.graphOptimizationLevel = rt.GraphOptimizationLevel.ORT_ENABLE_BASIC;
  so.addSessionConfigEntry("a.b", "c");
  so.addFreeDimensionOverrideByName("batch", 4);
  so.addFreeDimensionOverrideByDenotation("DATA_BATCH", 8);
  const j = so._toJson([]);
  assertEquals(j.intraOpNumThreads, 2);
  assertEquals(j.graphOptimizationLevel, 1);
  assertEquals(j.executionMode, 0);
  assertEquals(j.configEntries, { "a.b": "c" });
  assertEquals(j.freeDimensionOverrides, { byName: { batch: 4 }, byDenotation: { DATA_BATCH: 8 } });
  assertThrows(() => so.addFreeDimensionOverrideByName("batch", -1), rt.InvalidArgument, "batch");
});

test("free dimension override by name fixes the input's dimension", () => {
  const model = buildModel({
    nodes: [{ op: "Relu", inputs: ["X"], outputs: ["Y"] }],
    inputs: [tensorValueInfo("X", ELEM.FLOAT, ["batch", 3])],
    outputs: [tensorValueInfo("Y", ELEM.FLOAT, ["batch", 3])],
  });
  const so = new rt.SessionOptions();
  so.addFreeDimensionOverrideByName("batch", 2);
  using sess = new rt.InferenceSession(model, so);
  assertEquals(sess.getInputs()[0].shape, [2, 3]);
  const [y] = sess.run(null, { X: new Float32Array([-1, 1, -2, 2, -3, 3]) }) as rt.Tensor[];
  assertEquals(y.dims, [2, 3]);
  assertThrows(() => sess.run(null, { X: { data: new Float32Array(9), dims: [3, 3] } }), rt.InvalidArgument, "'X'");
});

test("addInitializer replaces an initializer's value", () => {
  const so = new rt.SessionOptions();
  const w = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", [2, 2, 2, 2, 2, 2], [3, 2]));
  so.addInitializer("W", w);
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), so);
  const [y] = sess.run(null, { X: new Float32Array([1, 2, 3, 4, 5, 6]) }) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [2, 4, 6, 8, 10, 12]);
  assertThrows(() => so.addInitializer("W", new Float32Array(6) as unknown as rt.OrtValue), rt.InvalidArgument, "W");
  assertThrows(() => so.addExternalInitializers(["a"], []), rt.InvalidArgument);
});

test("registerCustomOpsLibrary: NoSuchFile for a missing file, NotImplemented otherwise", () => {
  const so = new rt.SessionOptions();
  assertThrows(() => so.registerCustomOpsLibrary("/no/such/libcustom.so"), rt.NoSuchFile, "libcustom.so");
  assertThrows(() => so.registerCustomOpsLibrary(rt.datasets.getExample("mul_1.onnx")), rt.NotImplemented, "custom-op");
});

test("enableProfiling writes a Chrome trace named with profileFilePrefix", () => {
  const dir = mkdtempSync(join(tmpdir(), "onnxrun-prof-"));
  try {
    const so = new rt.SessionOptions();
    so.enableProfiling = true;
    so.profileFilePrefix = join(dir, "prof");
    using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), so);
    assert(sess.getProfilingStartTimeNs() > 0n, "profiling start time");
    sess.run(null, { X: new Float32Array(6).fill(1) });
    const path = sess.endProfiling();
    assert(path.startsWith(join(dir, "prof")), `profile path ${path} starts with the prefix`);
    const trace = JSON.parse(readFileSync(path, "utf8"));
    const events = Array.isArray(trace) ? trace : trace.traceEvents;
    assert(Array.isArray(events) && events.length > 0, "trace events");
    assert(
      events.every((e: { ph?: string; name?: string }) => typeof e.ph === "string" && typeof e.name === "string"),
      "Chrome trace events",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sessions with every optimization level and thread count agree", () => {
  const x = new Float32Array(60).map((_, i) => (i - 30) / 7);
  let first: number[] | null = null;
  for (const level of rt.GraphOptimizationLevel.members) {
    for (const threads of [0, 1, 2]) {
      const so = new rt.SessionOptions();
      so.graphOptimizationLevel = level;
      so.intraOpNumThreads = threads;
      using sess = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"), so);
      const y = Array.from((sess.run(null, { x })[0] as rt.Tensor).data as Float32Array);
      first ??= y;
      assertEquals(y, first, `${level} threads=${threads}`);
    }
  }
});

test("RunOptions defaults, validation, config entries", () => {
  const ro = new rt.RunOptions();
  assertEquals(ro.logSeverityLevel, 2);
  assertEquals(ro.logVerbosityLevel, 0);
  assertEquals(ro.logid, "");
  assertEquals(ro.onlyExecutePathToFetches, false);
  assertEquals(ro.terminate, false);
  assertEquals(ro.trainingMode, false);
  ro.logSeverityLevel = 3;
  ro.onlyExecutePathToFetches = true;
  ro.trainingMode = true;
  assertEquals([ro.logSeverityLevel, ro.onlyExecutePathToFetches, ro.trainingMode], [3, true, true]);
  assertThrows(() => (ro.logSeverityLevel = 9), rt.InvalidArgument, "logSeverityLevel");
  assertThrows(() => (ro.terminate = "yes" as unknown as boolean), rt.InvalidArgument, "terminate");
  ro.addRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
  assertEquals(ro.getRunConfigEntry("memory.enable_memory_arena_shrinkage"), "cpu:0");
  assertThrows(() => ro.getRunConfigEntry("nope"), rt.RuntimeException, "nope");
  const j = ro._toJson();
  assertEquals(j.logSeverityLevel, 3);
  assertEquals(j.configEntries, { "memory.enable_memory_arena_shrinkage": "cpu:0" });
});

test("RunOptions are used by runs; terminate stops a run with Fail", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"));
  const x = new Float32Array(6).fill(1);
  const ro = new rt.RunOptions();
  ro.logid = "r1";
  ro.onlyExecutePathToFetches = true;
  const [y] = sess.run(null, { X: x }, ro) as rt.Tensor[];
  assertEquals(Array.from(y.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  ro.terminate = true;
  assertThrows(() => sess.run(null, { X: x }, ro), rt.Fail);
  ro.terminate = false;
  assertEquals(Array.from((sess.run(null, { X: x }, ro)[0] as rt.Tensor).data as Float32Array), [1, 2, 3, 4, 5, 6]);
  ro.close();
});

test("a plain object of SessionOptions properties works where a SessionOptions does", () => {
  using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), {
    graphOptimizationLevel: rt.GraphOptimizationLevel.ORT_DISABLE_ALL,
    intraOpNumThreads: 1,
  });
  const so = sess.getSessionOptions();
  assert(so.graphOptimizationLevel === rt.GraphOptimizationLevel.ORT_DISABLE_ALL);
  assertEquals(so.intraOpNumThreads, 1);
  assertThrows(() => rt.SessionOptions.from({ intraOpNumThreads: -1 }), rt.InvalidArgument, "intraOpNumThreads");
  assertThrows(
    () => rt.SessionOptions.from({ noSuchOption: 1 } as unknown as rt.SessionOptionsInit),
    rt.InvalidArgument,
    "noSuchOption",
  );
});
