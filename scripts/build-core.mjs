// npm run build: builds libonnxrun (release). Cargo itself skips work that is up to date.
import { buildCore, builtLibrary, log } from "./lib.mjs";

try {
  buildCore();
  log(`library: ${builtLibrary()}`);
} catch (e) {
  console.error(String(e.message ?? e));
  process.exit(1);
}
