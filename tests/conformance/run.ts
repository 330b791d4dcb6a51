/**
 * ONNX backend node-test conformance runner.
 *
 *   deno run -A tests/conformance/run.ts [--provider cpu|cuda|wgpu] [--filter SUBSTR]
 *                                       [--update] [--report PATH] [--quiet]
 *
 * Cases come from `.cache/conformance/node` (made by scripts/gen_conformance.py from the
 * pinned onnx 1.23.1). Each case's model runs through the public API on the chosen
 * provider; inputs and expected outputs are the serialized protos, decoded by the core
 * (`onnxrun_value_from_proto`). Outputs are compared with the case's own rtol/atol.
 *
 * The cases listed in tests/conformance/passing.txt are the regression suite: each one is
 * a test that must pass. `--update` adds newly passing cases to the list (it never removes
 * one). The summary line is `conformance: N passed, M failed` where failures are listed
 * cases that stopped passing; the report (`{total, passed, failed, errored, byOp,
 * failures}`) goes to tests/conformance/report.json; a failure listed in known_failures.txt
 * carries that file's explanation as `why`.
 */
import { InferenceSession, SessionOptions } from "../../src/mod.ts";
import { OrtValue } from "../../src/ortvalue.ts";
import { Tensor } from "../../src/tensor.ts";
import { getNative, outHandle } from "../../src/ffi.ts";
import { type OutputValue, valueToJs } from "../../src/values.ts";

type FileRef = { file: string; kind: "tensor" | "sequence" | "map" | "optional"; name: string };
type Case = {
  name: string;
  model: string;
  op_type: string;
  domain: string;
  datasets: { inputs: FileRef[]; outputs: FileRef[] }[];
  rtol: number;
  atol: number;
};

const here = new URL(".", import.meta.url);
const root = new URL("../../", import.meta.url);
const cacheDir = new URL(".cache/conformance/node/", root);
const passingFile = new URL("passing.txt", here);

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}
const provider = arg("--provider") ?? "cpu";
const filter = arg("--filter") ?? "";
const update = Deno.args.includes("--update");
const quiet = Deno.args.includes("--quiet");
const reportPath = arg("--report") ?? new URL("report.json", here).pathname;
const PROVIDERS: Record<string, string[]> = {
  cpu: ["CPUExecutionProvider"],
  cuda: ["CUDAExecutionProvider", "CPUExecutionProvider"],
  wgpu: ["WebGpuExecutionProvider", "CPUExecutionProvider"],
};
if (!PROVIDERS[provider]) throw new Error(`unknown --provider ${provider} (cpu, cuda, wgpu)`);

const KIND = { tensor: 1, sequence: 2, map: 3, optional: 4 } as const;

function decode(ref: FileRef): bigint {
  const bytes = Deno.readFileSync(new URL(ref.file, cacheDir));
  const n = getNative();
  return outHandle((out) => n.symbols.onnxrun_value_from_proto(bytes, BigInt(bytes.length), KIND[ref.kind], out));
}

// ---- comparison -------------------------------------------------------------

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
function bf16ToF32(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, h << 16);
  return b.getFloat32(0);
}
function numbers(t: Tensor): number[] | null {
  const d = t.data as ArrayLike<number>;
  switch (t.type) {
    case "float32":
    case "float64":
      return Array.from(d);
    case "float16":
      return Array.from(d, f16ToF32);
    case "bfloat16":
      return Array.from(d, bf16ToF32);
    case "complex64":
    case "complex128":
      return Array.from(d);
    default:
      return null;
  }
}

function compareTensor(got: Tensor, want: Tensor, rtol: number, atol: number): string | null {
  if (got.type !== want.type) return `type ${got.type} != ${want.type}`;
  if (got.dims.join(",") !== want.dims.join(",")) return `shape [${got.dims}] != [${want.dims}]`;
  const g = numbers(got), w = numbers(want);
  if (g && w) {
    for (let i = 0; i < w.length; i++) {
      const a = g[i], b = w[i];
      if (Number.isNaN(a) && Number.isNaN(b)) continue;
      if (a === b) continue;
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) return `element ${i}: got ${a}, want ${b}`;
    }
    return null;
  }
  const gd = got.data as ArrayLike<unknown>, wd = want.data as ArrayLike<unknown>;
  if (gd.length !== wd.length) return `length ${gd.length} != ${wd.length}`;
  for (let i = 0; i < wd.length; i++) {
    if (gd[i] !== wd[i]) return `element ${i}: got ${String(gd[i])}, want ${String(wd[i])}`;
  }
  return null;
}

function compare(got: OutputValue, want: OutputValue, rtol: number, atol: number): string | null {
  if (want instanceof Tensor) {
    return got instanceof Tensor ? compareTensor(got, want, rtol, atol) : `got ${describeKind(got)}, want a tensor`;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `got ${describeKind(got)}, want a sequence`;
    if (got.length !== want.length) return `sequence length ${got.length} != ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const r = compare(got[i], want[i], rtol, atol);
      if (r) return `item ${i}: ${r}`;
    }
    return null;
  }
  if (want instanceof Map) {
    if (!(got instanceof Map)) return `got ${describeKind(got)}, want a map`;
    if (got.size !== want.size) return `map size ${got.size} != ${want.size}`;
    for (const [k, v] of want) {
      const gv = got.get(k);
      if (typeof v === "number" ? Math.abs((gv as number) - v) > atol + rtol * Math.abs(v) : gv !== v) return `map[${String(k)}]`;
    }
    return null;
  }
  return got === null ? null : `got ${describeKind(got)}, want an empty optional`;
}

function describeKind(v: OutputValue): string {
  return v === null ? "none" : v instanceof Tensor ? `tensor(${v.type})` : Array.isArray(v) ? "sequence" : "map";
}

// ---- running ----------------------------------------------------------------

async function runCase(c: Case): Promise<string | null> {
  // Every kernel's outputs are checked against what load-time inference said.
  const opts = new SessionOptions();
  opts.graphOptimizationLevel = 0 as never;
  opts.addSessionConfigEntry("session.verify_inferred_shapes", "1");
  const sess = await InferenceSession.create(new URL(c.model, cacheDir).pathname, opts, PROVIDERS[provider]);
  try {
    const outNames = sess.getOutputs().map((o) => o.name);
    for (const ds of c.datasets) {
      const feeds: Record<string, OrtValue> = {};
      const owned: OrtValue[] = [];
      for (const inp of ds.inputs) {
        const v = OrtValue._fromHandle(decode(inp));
        feeds[inp.name] = v;
        owned.push(v);
      }
      const fetch = ds.outputs.map((o) => o.name).filter((n) => outNames.includes(n));
      const outs = sess.run(fetch, feeds);
      for (let i = 0; i < ds.outputs.length; i++) {
        const ref = ds.outputs[i];
        const j = fetch.indexOf(ref.name);
        if (j < 0) return `model has no output '${ref.name}'`;
        const h = decode(ref);
        try {
          const r = compare(outs[j] as OutputValue, valueToJs(h), c.rtol, c.atol);
          if (r) return `output '${ref.name}': ${r}`;
        } finally {
          getNative().symbols.onnxrun_value_free(h);
        }
      }
      for (const v of owned) v.close();
    }
    return null;
  } finally {
    sess.close();
  }
}

const manifest: Case[] = JSON.parse(Deno.readTextFileSync(new URL("manifest.json", cacheDir)));
const listed = new Set(
  (() => {
    try {
      return Deno.readTextFileSync(passingFile).split("\n").map((s) => s.trim()).filter((s) => s && !s.startsWith("#"));
    } catch {
      return [];
    }
  })(),
);

// Why the cases that still fail cannot pass: `name: explanation` lines (a name ending in
// `*` covers every case it prefixes). Each failure in the report carries its explanation.
const explained: [string, string][] = (() => {
  try {
    return Deno.readTextFileSync(new URL("known_failures.txt", here)).split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"))
      .map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
      });
  } catch {
    return [];
  }
})();
const explain = (name: string) =>
  explained.find(([k]) => (k.endsWith("*") ? name.startsWith(k.slice(0, -1)) : name === k))?.[1];

const byOp: Record<string, { passed: number; failed: number; errored: number }> = {};
const failures: { name: string; op: string; stage: string; reason: string; why?: string }[] = [];
const passed: string[] = [];
let failed = 0, errored = 0, total = 0;
const regressions: string[] = [];
for (const c of manifest) {
  if (!c.name.includes(filter)) continue;
  total++;
  const op = byOp[c.op_type] ??= { passed: 0, failed: 0, errored: 0 };
  let reason: string | null;
  let stage = "compare";
  try {
    reason = await runCase(c);
  } catch (e) {
    stage = "error";
    reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  if (reason === null) {
    passed.push(c.name);
    op.passed++;
  } else {
    reason = reason.split("\n")[0].slice(0, 300);
    const why = explain(c.name);
    failures.push({ name: c.name, op: c.op_type, stage, reason, ...(why ? { why } : {}) });
    if (stage === "error") {
      errored++;
      op.errored++;
    } else {
      failed++;
      op.failed++;
    }
    if (listed.has(c.name)) regressions.push(`${c.name}: ${reason}`);
    if (!quiet) console.log(`FAIL ${c.name}: ${reason}`);
  }
}

const report = { provider, total, passed: passed.length, failed, errored, byOp, failures };
if (!filter) Deno.writeTextFileSync(reportPath, JSON.stringify(report, null, 1) + "\n");
if (update && provider === "cpu") {
  const all = [...new Set([...listed, ...passed])].sort();
  Deno.writeTextFileSync(passingFile, "# ONNX node tests that pass on the CPU provider; a regression fails npm test.\n" + all.join("\n") + "\n");
}
const newlyPassing = passed.filter((n) => !listed.has(n)).length;
const unexplained = failures.filter((f) => !f.why).length;
for (const r of regressions) console.log(`REGRESSION ${r}`);
console.log(
  `conformance (${provider}): ${passed.length}/${total} node tests pass (${failed} wrong results, ${errored} errors; ` +
    `${newlyPassing} passing cases not yet in passing.txt; ${failures.length - unexplained} failures explained in ` +
    `known_failures.txt, ${unexplained} not)`,
);
const checked = provider === "cpu" ? [...listed].filter((n) => n.includes(filter)).length : passed.length + regressions.length;
console.log(`conformance: ${checked - regressions.length} passed, ${regressions.length} failed`);
if (regressions.length) Deno.exit(1);
