#!/usr/bin/env bash
# Long fuzz pass on demand: `bash scripts/fuzz.sh [seconds] [seed]` (default 600 s, a random
# seed, printed). It runs the cargo test core-rs/crates/capi/tests/fuzz (model load and runs
# with fuzzed feeds through the C ABI) for that long. Afterwards:
#   - if the test process died (a crash, or the fuzzer's own abort on a hang or memory
#     blow-up), the input it was running, .cache/fuzz/current.{onnx,case}, is filed as a
#     regression case in core-rs/crates/capi/tests/fuzz_regressions/;
#   - so is every finding the fuzzer saved (caught panics, leaks, ...: .cache/fuzz/findings/).
# Filed cases are replayed by every later run of the test (npm test included), so fix the
# cause, then commit them. Exit status: 0 when the pass found nothing.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-600}"
SEED="${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
DIR="$ROOT/.cache/fuzz"
REG="$ROOT/core-rs/crates/capi/tests/fuzz_regressions"

rm -rf "$DIR/findings" "$DIR"/current.*
mkdir -p "$DIR" "$REG"
echo "fuzz: ${SECS} s with seed ${SEED} (replay one input: ONNXRUN_FUZZ_SEED=${SEED} ONNXRUN_FUZZ_ONLY=<iteration>)"
# Built first and run directly: cargo's lock on the shared target dir is not held for the
# whole pass, and the exit status is the test process's own (128 + signal on a crash).
BUILD=(cargo test --release --locked -p onnxrun-capi --test fuzz --no-run)
BIN="$(cd "$ROOT/core-rs" && "${BUILD[@]}" --message-format=json 2>/dev/null | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)"
if [ -z "$BIN" ]; then
  (cd "$ROOT/core-rs" && "${BUILD[@]}")
  echo "fuzz: the test did not build" >&2
  exit 2
fi
(
  cd "$ROOT/core-rs/crates/capi" &&
    ONNXRUN_FUZZ_SECONDS="$SECS" ONNXRUN_FUZZ_SEED="$SEED" ONNXRUN_FUZZ_DIR="$DIR" "$BIN" --nocapture
)
status=$?

filed=()
# The case id is the first word after "case: " on the header line ("<seed>-<iteration>").
case_id() { sed -n 's/^# onnxrun fuzz case: \([^ ]*\).*/\1/p' "$1" | head -n 1; }

if [ -f "$DIR/current.onnx" ]; then
  kind=crash
  grep -q '^# hang' "$DIR/current.case" 2>/dev/null && kind=hang
  grep -q '^# memory' "$DIR/current.case" 2>/dev/null && kind=memory
  name="$kind-$(case_id "$DIR/current.case")"
  cp "$DIR/current.onnx" "$REG/$name.onnx"
  cp "$DIR/current.case" "$REG/$name.case"
  filed+=("$name")
fi
for f in "$DIR"/findings/*.onnx; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .onnx)"
  cp "$f" "$REG/$name.onnx"
  cp "${f%.onnx}.case" "$REG/$name.case"
  filed+=("$name")
done

if [ ${#filed[@]} -eq 0 ]; then
  [ "$status" -eq 0 ] && echo "fuzz: nothing found" || echo "fuzz: the test failed (exit $status) without leaving an input; see its output"
  exit "$status"
fi
echo "fuzz: filed ${#filed[@]} regression case(s) in ${REG#"$ROOT"/}/:"
for n in "${filed[@]}"; do echo "  $n.onnx + $n.case"; done
echo "fix the cause (the test replays them first), then commit:"
echo "  git add ${REG#"$ROOT"/}/"
exit 1
