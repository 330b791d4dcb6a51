// npm start: npm deps → example data (only if missing) → core (only if stale) → the quickstart.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BIN, buildCore, coreIsStale, ensureNpmDeps, log, ROOT, runInherit } from "./lib.mjs";

try {
  ensureNpmDeps();
  const needed = [
    join(ROOT, "src", "datasets", "logreg_iris.onnx"),
    join(ROOT, "tests", "fixtures", "quickstart_reference.json"),
  ];
  if (!needed.every((p) => existsSync(p))) {
    // The example models ship with the repository; regenerate them only if they are gone.
    log("example data missing: generating it with Python (scripts/make_examples.py)");
    runInherit("bash", ["scripts/setup-python.sh"]);
    runInherit(join(ROOT, ".venv", "bin", "python"), ["scripts/make_examples.py"]);
  }
  // $ONNXRUN_LIB names a library built elsewhere; otherwise keep the in-tree one current.
  if (!process.env.ONNXRUN_LIB && coreIsStale()) buildCore();
  log("deno run -A examples/quickstart.ts");
  runInherit(BIN.deno, ["run", "-A", "examples/quickstart.ts"]);
} catch (e) {
  console.error(String(e.message ?? e));
  process.exit(1);
}
