#!/usr/bin/env bash
# setup-python.sh — create the repo's Python venv used to generate test data.
#
# Usage:  bash scripts/setup-python.sh        (from anywhere; paths are repo-relative)
#         PYTHON=/path/to/python3 bash scripts/setup-python.sh
#
# Installs exactly scripts/python/requirements.lock (every package, transitive ones too,
# with hashes: `pip install --require-hashes --no-deps`) into <repo>/.venv (git-ignored),
# so every machine generates byte-identical data. A stamp holds the lock's hash; when the
# lock changes the venv is rebuilt from scratch, so nothing stale survives. Every run then
# checks the venv against the lock (scripts/python_lock.py) and fails naming each package
# that differs. To change a pin: edit requirements.in, then
#   pip-compile --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
#     -o scripts/python/requirements.lock scripts/python/requirements.in
# (pip-tools, CPython 3.11, linux x86_64).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
LOCK="$ROOT/scripts/python/requirements.lock"
STAMP="$VENV/.onnxrun-lock.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$LOCK" | cut -d' ' -f1)"
check() { "$VENV/bin/python" "$ROOT/scripts/python_lock.py"; }
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  check
  exit 0
fi

# Serialize concurrent setups (e.g. two test runners starting at once).
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/setup-python.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
# Another process may have finished the job while we waited for the lock.
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  check
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "setup-python.sh: $1" >&2; cat "$log" >&2; exit 1; }

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" >"$log" 2>&1 || fail "could not create venv at $VENV with $PYTHON"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --no-deps --only-binary=:all: -r "$LOCK" >"$log" 2>&1 || fail "pip install of $LOCK failed"
check
printf '%s\n' "$want" >"$STAMP"
