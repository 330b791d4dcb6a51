// npm test: set-up, then every suite in order, each printing live; ends with "N passed, M failed".
//   cargo test (core-rs) → TS suite under Deno → the same files under Bun → conformance.
// `--conformance-only` (npm run conformance) runs just the conformance runner.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BIN, buildCore, ensureNpmDeps, log, ROOT, runCapture, runInherit } from "./lib.mjs";

const conformanceOnly = process.argv.includes("--conformance-only");
const CONFORMANCE = join(ROOT, "tests", "conformance", "run.ts");
// deno/bun/cargo colour codes would break the count parsing.
const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", CARGO_TERM_COLOR: "never" };
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

function setup() {
  ensureNpmDeps();
  log("python venv (scripts/setup-python.sh)");
  runInherit("bash", ["scripts/setup-python.sh"]);
  if (existsSync(CONFORMANCE) && existsSync(join(ROOT, "scripts", "gen_conformance.py"))) {
    log("conformance cases (scripts/gen_conformance.py)");
    runInherit(join(ROOT, ".venv", "bin", "python"), ["scripts/gen_conformance.py"]);
  }
  log("scikit-learn models and onnxruntime references (scripts/make_sklearn_models.py)");
  runInherit(join(ROOT, ".venv", "bin", "python"), ["scripts/make_sklearn_models.py"]);
  log("real models from npm packages and onnxruntime references (scripts/make_real_models.py)");
  runInherit(join(ROOT, ".venv", "bin", "python"), ["scripts/make_real_models.py"]);
  buildCore();
}

/** Each runner: how to start it and how to read its counts from the output. */
const runners = [
  {
    name: "cargo test",
    cmd: "cargo",
    args: ["test", "--release", "--locked", "--workspace"],
    cwd: join(ROOT, "core-rs"),
    parse: (out) => {
      let passed = 0, failed = 0, seen = false;
      for (const m of out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
        passed += Number(m[1]);
        failed += Number(m[2]);
        seen = true;
      }
      return seen ? { passed, failed } : null;
    },
  },
  {
    name: "deno test",
    cmd: BIN.deno,
    args: ["test", "-A", "--v8-flags=--expose-gc", "tests/"],
    parse: (out) => {
      const m = [...out.matchAll(/(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
    },
  },
  {
    name: "bun test",
    cmd: BIN.bun,
    args: ["test", "tests/"],
    parse: (out) => {
      const p = [...out.matchAll(/^\s*(\d+) pass\s*$/gm)].at(-1);
      const f = [...out.matchAll(/^\s*(\d+) fail\s*$/gm)].at(-1);
      return p || f ? { passed: Number(p?.[1] ?? 0), failed: Number(f?.[1] ?? 0) } : null;
    },
  },
  {
    name: "conformance",
    cmd: BIN.deno,
    args: ["run", "-A", "tests/conformance/run.ts"],
    optional: CONFORMANCE,
    parse: (out) => {
      const m = [...out.matchAll(/conformance: (\d+) passed, (\d+) failed/g)].at(-1);
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
    },
  },
];

async function main() {
  try {
    setup();
  } catch (e) {
    console.error(`set-up failed: ${e.message ?? e}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  let passed = 0, failed = 0;
  const summary = [];
  for (const r of runners) {
    if (conformanceOnly && r.name !== "conformance") continue;
    if (r.optional && !existsSync(r.optional)) {
      summary.push(`${r.name}: skipped (${r.optional} not present)`);
      continue;
    }
    log(`${r.name}: ${[r.cmd.replace(ROOT + "/", ""), ...r.args].join(" ")}`);
    const { code, output } = await runCapture(r.cmd, r.args, { cwd: r.cwd ?? ROOT, env });
    let counts = r.parse(strip(output));
    // A runner that dies without a summary counts as one failure, so it can't pass silently.
    if (!counts) counts = { passed: 0, failed: 1 };
    else if (code !== 0 && counts.failed === 0) counts.failed = 1;
    passed += counts.passed;
    failed += counts.failed;
    summary.push(`${r.name}: ${counts.passed} passed, ${counts.failed} failed${code !== 0 ? ` (exit ${code})` : ""}`);
  }
  log("summary");
  for (const s of summary) console.log(`  ${s}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
