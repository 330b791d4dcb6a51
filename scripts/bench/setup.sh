#!/usr/bin/env bash
# setup.sh — create the bench suite's Python venv (.venv-bench/, git-ignored).
#
# Usage:  bash scripts/bench/setup.sh        (from anywhere; paths are repo-relative)
#         PYTHON=/path/to/python3 bash scripts/bench/setup.sh
#
# Bench-only: torch, torchvision, transformers, onnxscript, onnxruntime (for the exporters,
# the int8 quantizer and reference outputs) used by scripts/bench/make_models.py. Not the
# test venv (.venv, scripts/setup-python.sh) and not part of `npm test`. Mirrors
# scripts/setup-python.sh: installs exactly scripts/bench/requirements.lock (every package,
# transitive ones too, with hashes: `pip install --require-hashes --no-deps`). A stamp
# holds the lock's hash; when the lock changes the venv is rebuilt from scratch. Every run
# then checks the venv against the lock and fails naming each package that differs.
# torch from PyPI on linux pulls the nvidia-* CUDA wheels: the venv is several GB and the
# first install takes minutes. To change a pin: edit requirements.in, then
#   pip-compile --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
#     -o scripts/bench/requirements.lock scripts/bench/requirements.in
# (pip-tools, CPython 3.11, linux x86_64).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv-bench"
LOCK="$ROOT/scripts/bench/requirements.lock"
STAMP="$VENV/.onnxrun-bench-lock.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
check() { "$VENV/bin/python" "$ROOT/scripts/python_lock.py" scripts/bench/requirements.lock "rm -rf .venv-bench && bash scripts/bench/setup.sh"; }
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  check
  exit 0
fi

# Serialize concurrent setups.
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/setup-bench.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
# Another process may have finished the job while we waited for the lock.
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  check
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "setup.sh: $1" >&2; cat "$log" >&2; exit 1; }

echo "setup.sh: building $VENV from $LOCK (first time: several GB, minutes)" >&2
start=$(date +%s)
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >"$log" 2>&1 || fail "could not create venv at $VENV with $PYTHON"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
  --require-hashes --no-deps --only-binary=:all: -r "$LOCK" >"$log" 2>&1 || fail "pip install of $LOCK failed"
check
printf '%s\n' "$want" >"$STAMP"
echo "setup.sh: done in $(( $(date +%s) - start ))s, $(du -sh "$VENV" | cut -f1)" >&2
