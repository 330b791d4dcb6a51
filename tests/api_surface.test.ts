/**
 * Every name in the README's Python → TypeScript table exists in the API, and every name the
 * seed documents list appears in that table.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as rt from "../src/mod.ts";
import { assert, ROOT, test } from "./harness.ts";

const readme = readFileSync(`${ROOT}README.md`, "utf8");
const rows = readme.split("\n")
  .filter((l) => l.startsWith("| `") || l.startsWith("| ("))
  .map((l) => l.split(" | ").map((c) => c.replace(/^\| ?/, "").trim()));
const strip = (c: string) => (c.match(/`([^`]+)`/)?.[1] ?? "").trim();

function resolves(name: string): boolean {
  const [head, member] = name.split("#");
  let obj: unknown = rt;
  for (const part of head.split(".")) {
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function") || !(part in (obj as object))) {
      return false;
    }
    obj = (obj as Record<string, unknown>)[part];
  }
  if (member === undefined) return obj !== undefined;
  const proto = (obj as { prototype?: object }).prototype;
  return !!proto && member in proto;
}

test("the README table has the expected size", () => {
  assert(rows.length > 150, `only ${rows.length} rows parsed`);
});

test("every TypeScript name in the README table exists", () => {
  const missing = rows.map((r) => strip(r[1])).filter((n) => !resolves(n));
  assert(missing.length === 0, `missing: ${missing.join(", ")}`);
});

test("every name in the seed documents is in the README table", () => {
  const seedDir = "/work/shared/seeds/";
  let files: string[];
  try {
    files = readdirSync(seedDir).filter((f) => f.endsWith(".txt"));
  } catch {
    return; // the seeds live outside the repository; nothing to compare against elsewhere
  }
  const python = rows.map((r) => strip(r[0]));
  const pyText = python.join("\n");
  const names = new Set<string>();
  for (const f of files) {
    const text = readFileSync(seedDir + f, "utf8");
    for (const m of text.matchAll(/onnxrun+time\.([A-Za-z_][\w.]*[A-Za-z0-9_])/g)) {
      const n = m[1];
      if (n.startsWith("capi") || n === "ai" || /_v$/.test(n)) continue;
      names.add(n.replace(/^onnxruntime\./, ""));
    }
    for (const m of text.matchAll(/^(?:static )?`?([a-z_]+)`?\(/gm)) names.add(`.${m[1]}`);
    for (const m of text.matchAll(/^property `?([a-z_]+)`?/gm)) names.add(`.${m[1]}`);
    for (const m of text.matchAll(/^``([a-z_]+)``$/gm)) names.add(`.${m[1]}`);
  }
  const notApi = new Set([".print"]); // code samples call print()
  const missing = [...names].filter((n) =>
    !notApi.has(n) && (n.startsWith(".") ? !python.some((p) => p.endsWith(n)) : !pyText.includes(n))
  );
  assert(missing.length === 0, `seed names missing from the README table: ${missing.join(", ")}`);
});

test("enum members expose name and value", () => {
  for (
    const e of [rt.ExecutionMode, rt.ExecutionOrder, rt.GraphOptimizationLevel, rt.OrtAllocatorType, rt.OrtMemType]
  ) {
    for (const m of e.members) {
      assert(typeof m.name === "string" && typeof m.value === "number", String(m));
      assert(e.from(m.name) === m || m.name === "CPU", `${e.enumName}.from(${m.name})`);
    }
  }
});
