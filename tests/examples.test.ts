/** examples/quickstart.ts runs in this runtime and prints onnxruntime's predictions. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { assert, assertEquals, ROOT, runtime, test } from "./harness.ts";

test(`examples/quickstart.ts prints the tutorial's predictions (${runtime})`, () => {
  const args = runtime === "deno" ? ["run", "-A", "examples/quickstart.ts"] : ["examples/quickstart.ts"];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: process.env });
  assertEquals(r.status, 0, `exit status; stderr: ${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  const ref = JSON.parse(readFileSync(`${ROOT}tests/fixtures/quickstart_reference.json`, "utf8"));
  const labels = `[${(ref.label_only.output_label as number[]).join(" ")}]`;
  assert(lines.some((l) => l.startsWith("input  name=float_input")), r.stdout);
  assertEquals(lines.filter((l) => l === labels).length, 3, `label lines in:\n${r.stdout}`);
  assert(lines.some((l) => l.startsWith("[{0: ")), "probabilities printed as maps");
});
