// Shared helpers for the npm scripts (plain Node, no dependencies).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CORE = join(ROOT, "core-rs");
export const BIN = {
  deno: join(ROOT, "node_modules", ".bin", "deno"),
  bun: join(ROOT, "node_modules", ".bin", "bun"),
};
export const LIB = ["libonnxrun.so", "libonnxrun.dylib", "onnxrun.dll"]
  .map((n) => join(CORE, "target", "release", n));

export function log(msg) {
  console.log(`\x1b[1m[onnxrun]\x1b[0m ${msg}`);
}

/** Runs a command with inherited stdio; throws on failure. */
export function runInherit(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

/** Runs a command, echoing its output live, and resolves to { code, output }. */
export function runCapture(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], ...opts });
    let output = "";
    child.stdout.on("data", (d) => {
      process.stdout.write(d);
      output += d;
    });
    child.stderr.on("data", (d) => {
      process.stderr.write(d);
      output += d;
    });
    child.on("error", (e) => resolve({ code: 127, output: output + String(e) }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

const NPM_STAMP = join(ROOT, "node_modules", ".onnxrun-lock.sha256");

/** npm dependencies (deno, bun, onnxruntime-node) exactly as package-lock.json says: `npm ci` when the lock changed. */
export function ensureNpmDeps() {
  const want = createHash("sha256").update(readFileSync(join(ROOT, "package-lock.json"))).digest("hex");
  const have = existsSync(NPM_STAMP) ? readFileSync(NPM_STAMP, "utf8").trim() : "";
  if (have === want && existsSync(BIN.deno) && existsSync(BIN.bun)) return;
  log("installing npm dependencies from package-lock.json (npm ci)");
  runInherit(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund"]);
  writeFileSync(NPM_STAMP, want + "\n");
}

function newestMtime(dir, skip) {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!skip(e.name)) walk(p);
      } else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** The built library, or null. */
export function builtLibrary() {
  return LIB.find((p) => existsSync(p)) ?? null;
}

/** True when the library is missing or older than any source, manifest or lock file of the core. */
export function coreIsStale() {
  const lib = builtLibrary();
  if (!lib) return true;
  const built = statSync(lib).mtimeMs;
  const sources = newestMtime(CORE, (name) => name === "target" || name.startsWith("."));
  return sources > built;
}

/** cargo build --release --locked -p onnxrun-capi (Cargo.lock is the only source of versions). */
export function buildCore() {
  log("building the Rust core (cargo build --release --locked -p onnxrun-capi)");
  runInherit("cargo", ["build", "--release", "--locked", "-p", "onnxrun-capi"], { cwd: CORE });
}
