/**
 * Device values (the seeds' "Data on device"): on machines with CUDA or a wgpu adapter the
 * full path runs; elsewhere asking for the device is a clear EPFail.
 */
import * as rt from "../src/mod.ts";
import { assert, assertEquals, assertThrows, test } from "./harness.ts";

const DEVICES: [string, string][] = [["cuda", "CUDAExecutionProvider"], ["webgpu", "WebGpuExecutionProvider"]];

for (const [device, provider] of DEVICES) {
  const available = rt.getAvailableProviders().includes(provider);

  if (!available) {
    test(`${device}: unavailable here, so device values raise EPFail naming the device`, () => {
      assertThrows(() => rt.OrtValue.ortvalueFromTensor(new Float32Array(4), device, 0), rt.EPFail, device);
      assertThrows(() => rt.OrtValue.ortvalueFromShapeAndType([2], "float32", device, 0), rt.EPFail, device);
    });
    continue;
  }

  test(`${device}: OrtValue on the device round-trips; dataPtr is a device address`, () => {
    const x = new rt.Tensor("float32", [1, 2, 3, 4, 5, 6], [3, 2]);
    using ov = rt.OrtValue.ortvalueFromTensor(x, device, 0);
    assertEquals(ov.deviceName(), device);
    assertEquals(ov.shape(), [3, 2]);
    assertEquals(ov.dataType(), "tensor(float)");
    assert(ov.dataPtr() !== 0n);
    assertEquals(Array.from(ov.toTensor().data as Float32Array), [1, 2, 3, 4, 5, 6]);
  });

  test(`${device}: IOBinding with device input and output buffers (seed example)`, () => {
    using sess = new rt.InferenceSession(rt.datasets.getExample("mul_1.onnx"), null, [
      provider,
      "CPUExecutionProvider",
    ]);
    using x = rt.OrtValue.ortvalueFromTensor(new rt.Tensor("float32", [1, 2, 3, 4, 5, 6], [3, 2]), device, 0);
    const io = sess.ioBinding();
    io.bindInput("X", x.deviceName(), 0, "float32", x.shape(), x.dataPtr());
    io.bindOutput("Y", device);
    sess.runWithIOBinding(io);
    const [out] = io.getOutputs();
    assertEquals(out.deviceName(), device);
    assertEquals(Array.from(io.copyOutputsToCpu()[0].data as Float32Array), [1, 4, 9, 16, 25, 36]);
  });

  test(`${device}: a session on ${provider} gives the CPU results`, () => {
    const x = new Float32Array(60).map((_, i) => (i - 30) / 4);
    using cpu = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"));
    using dev = new rt.InferenceSession(rt.datasets.getExample("sigmoid.onnx"), null, [
      provider,
      "CPUExecutionProvider",
    ]);
    assertEquals(dev.getProviders()[0], provider);
    const a = (cpu.run(null, { x })[0] as rt.Tensor).data as Float32Array;
    const b = (dev.run(null, { x })[0] as rt.Tensor).data as Float32Array;
    for (let i = 0; i < a.length; i++) assert(Math.abs(a[i] - b[i]) < 1e-5, `element ${i}: ${a[i]} vs ${b[i]}`);
  });
}
