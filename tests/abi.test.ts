/**
 * The C ABI on its own (below the TypeScript checks): the core validates again, stale
 * handles are errors rather than crashes, and the last error names what went wrong.
 */
import { getNative } from "../bindings/mod.ts";
import { assert, assertEquals, test } from "./harness.ts";
import { ELEM, unaryModel } from "./helpers/onnx_builder.ts";

const n = () => getNative();
const cstr = (s: string) => new TextEncoder().encode(s + "\0");
const lastError = () => n().cstring(n().symbols.onnxrun_last_error()) ?? "";

function session(): bigint {
  const model = unaryModel("Identity", [2, 3]);
  const out = new BigUint64Array(1);
  assertEquals(
    n().symbols.onnxrun_session_create_from_bytes(model, model.length, null, cstr("{}"), out),
    0,
    lastError(),
  );
  return out[0];
}

function tensor(elem: number, dims: number[], data: ArrayBufferView): bigint {
  const out = new BigUint64Array(1);
  const d = BigInt64Array.from(dims, BigInt);
  assertEquals(
    n().symbols.onnxrun_value_tensor_create(elem, d, d.length, data, data.byteLength, 0, out),
    0,
    lastError(),
  );
  return out[0];
}

test("the core rejects a feed of the wrong dtype or shape by itself", () => {
  const s = session();
  const f64 = new Float64Array(6);
  const bad = tensor(ELEM.DOUBLE, [2, 3], f64);
  const idx = new Uint32Array([0]);
  const fetch = new BigUint64Array(1);
  let st = n().symbols.onnxrun_session_run(s, 0n, idx, BigUint64Array.of(bad), 1, idx, fetch, 1);
  assertEquals(st, 2, "INVALID_ARGUMENT");
  assert(lastError().includes("X"), `names the input: ${lastError()}`);
  const f32 = new Float32Array(8);
  const wrongShape = tensor(ELEM.FLOAT, [2, 4], f32);
  st = n().symbols.onnxrun_session_run(s, 0n, idx, BigUint64Array.of(wrongShape), 1, idx, fetch, 1);
  assertEquals(st, 2, "INVALID_ARGUMENT");
  // A good run still works on the same session.
  const ok = new Float32Array([1, 2, 3, 4, 5, 6]);
  const good = tensor(ELEM.FLOAT, [2, 3], ok);
  assertEquals(n().symbols.onnxrun_session_run(s, 0n, idx, BigUint64Array.of(good), 1, idx, fetch, 1), 0, lastError());
  for (const h of [bad, wrongShape, good, fetch[0]]) assertEquals(n().symbols.onnxrun_value_free(h), 0);
  assertEquals(n().symbols.onnxrun_session_free(s), 0);
});

test("freed, foreign and zero handles are errors, not crashes", () => {
  const s = session();
  assertEquals(n().symbols.onnxrun_session_free(s), 0);
  assertEquals(n().symbols.onnxrun_session_free(s), 2, "double free");
  assertEquals(n().cstring(n().symbols.onnxrun_session_info(s)), null);
  assertEquals(n().symbols.onnxrun_last_error_code(), 2);
  const v = tensor(ELEM.FLOAT, [1], new Float32Array(1));
  assertEquals(n().symbols.onnxrun_session_free(v), 2, "a value handle is not a session");
  assertEquals(n().symbols.onnxrun_value_free(v), 0);
  assertEquals(n().symbols.onnxrun_value_free(v), 2);
  assertEquals(n().symbols.onnxrun_value_free(0n), 2);
  assertEquals(n().symbols.onnxrun_value_free(0xdeadbeefn), 2);
  const desc = new BigInt64Array(16);
  const len = new BigUint64Array(1);
  assertEquals(n().symbols.onnxrun_value_describe(v, desc, desc.length, len), 2);
});

test("a tensor whose byte length disagrees with its dims is refused", () => {
  const out = new BigUint64Array(1);
  const d = BigInt64Array.of(2n, 3n);
  const data = new Float32Array(5);
  assertEquals(n().symbols.onnxrun_value_tensor_create(ELEM.FLOAT, d, 2, data, data.byteLength, 0, out), 2);
  assert(/byte|size|len/i.test(lastError()), lastError());
});
