/** bindings/symbols.ts agrees with the C header: same functions, same parameter counts and kinds. */
import { readFileSync } from "node:fs";
import { symbols } from "../bindings/symbols.ts";
import { assertEquals, ROOT, test } from "./harness.ts";

interface CFn {
  name: string;
  ret: string;
  params: string[];
}

function parseHeader(): CFn[] {
  const text = readFileSync(`${ROOT}core-rs/crates/capi/include/onnxrun.h`, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "")
    .replace(/^#.*$/gm, "");
  const out: CFn[] = [];
  const re = /([A-Za-z_][\w\s\*]*?)\b(onnxrun_\w+)\s*\(([^)]*)\)\s*;/g;
  for (const m of text.matchAll(re)) {
    const params = m[3].trim() === "void" || m[3].trim() === ""
      ? []
      : m[3].split(",").map((p) => p.trim().replace(/\s+/g, " "));
    out.push({ name: m[2], ret: m[1].trim().replace(/\s+/g, " "), params });
  }
  return out;
}

/** The kind our table must use for a C parameter type. */
function kindOf(cParam: string): string {
  const t = cParam.replace(/\b\w+$/, "").trim(); // drop the parameter name
  if (t.includes("*")) return "buffer|pointer";
  if (t === "onnxrun_handle" || t === "uint64_t") return "u64";
  if (t === "int32_t") return "i32";
  if (t === "uint32_t") return "u32";
  if (t === "size_t") return "usize";
  return `?${t}`;
}

function resultKind(ret: string): string {
  if (ret.includes("char") && ret.includes("*")) return "cstr";
  if (ret === "onnxrun_status" || ret === "int32_t") return "i32";
  if (ret === "uint64_t") return "u64";
  if (ret === "void") return "void";
  return `?${ret}`;
}

test("every header function is in the symbol table and vice versa", () => {
  const header = parseHeader().map((f) => f.name).sort();
  const table = [...new Set(Object.entries(symbols).map(([k, d]) => ("name" in d && d.name) ? d.name : k))].sort();
  assertEquals(table, header);
});

test("parameter counts, kinds and result kinds match the header", () => {
  const byName = new Map(parseHeader().map((f) => [f.name, f]));
  for (const [key, def] of Object.entries(symbols)) {
    const cname = ("name" in def && def.name) ? def.name : key;
    const f = byName.get(cname)!;
    assertEquals(def.parameters.length, f.params.length, `${key} parameter count`);
    def.parameters.forEach((kind, i) => {
      const want = kindOf(f.params[i]);
      const ok = want === "buffer|pointer" ? kind === "buffer" || kind === "pointer" : kind === want;
      if (!ok) throw new Error(`${key} parameter ${i} (${f.params[i]}): table says ${kind}, header wants ${want}`);
    });
    assertEquals(def.result, resultKind(f.ret), `${key} result`);
  }
});
