/** Example models shipped with the package (src/datasets/*.onnx), as onnxruntime.datasets. */
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NoSuchFile } from "./errors.ts";

const DIR = new URL("./datasets/", import.meta.url);

/** Names of the shipped examples. */
function listExamples(): string[] {
  try {
    return readdirSync(fileURLToPath(DIR)).filter((f) => f.endsWith(".onnx")).sort();
  } catch {
    return [];
  }
}

/** Absolute path of an example model, e.g. getExample("logreg_iris.onnx"). */
function getExample(name: string): string {
  const ok = typeof name === "string" && /^[\w.-]+$/.test(name) && !name.startsWith(".");
  const path = ok ? fileURLToPath(new URL(name, DIR)) : "";
  if (!ok || !existsSync(path)) {
    throw new NoSuchFile(
      `Unable to find example '${name}'. Available examples: ${listExamples().join(", ") || "(none)"}`,
    );
  }
  return path;
}

export const datasets = Object.freeze({ getExample, listExamples });
