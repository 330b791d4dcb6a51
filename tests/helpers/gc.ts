/** A full garbage collection in either runtime (Deno needs --v8-flags=--expose-gc, which scripts/test-all.mjs passes). */
const bun = (globalThis as { Bun?: { gc: (force: boolean) => void } }).Bun;
const v8gc = (globalThis as { gc?: () => void }).gc;

export function gc(): void {
  if (bun) bun.gc(true);
  else if (v8gc) v8gc();
  else throw new Error("no gc() here: run deno with --v8-flags=--expose-gc");
}

/** Several collections with event-loop turns between, so FinalizationRegistry callbacks run. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
