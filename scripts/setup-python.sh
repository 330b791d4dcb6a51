#!/usr/bin/env bash
# setup-python.sh — create the repo's Python venv used to generate test data.
#
# Usage:  bash scripts/setup-python.sh        (from anywhere; paths are repo-relative)
#         PYTHON=/path/to/python3 bash scripts/setup-python.sh
#
# Creates <repo>/.venv (git-ignored) if missing and installs the pinned packages
# below. A stamp file inside the venv holds the hash of the pin list, so a second
# run with unchanged pins is a fast no-op. Prints nothing on success; on failure
# pip's output is shown and the exit status is non-zero.
#
# Afterwards run the generators with <repo>/.venv/bin/python:
#   .venv/bin/python scripts/make_examples.py
#   .venv/bin/python scripts/gen_conformance.py
#   .venv/bin/python scripts/ort_conformance_baseline.py
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.onnxrun-requirements.sha256"
PYTHON="${PYTHON:-python3}"

# Pins chosen to work together on CPython 3.11 (linux x86_64 wheels).
# scipy and protobuf are pinned too: scipy's solver decides the trained
# logistic-regression weights, protobuf writes the .onnx/.pb bytes.
REQUIREMENTS="onnx==1.23.1
onnxruntime==1.32.0
numpy==2.4.6
scikit-learn==1.9.1
skl2onnx==1.20.0
scipy==1.17.1
protobuf==7.36.2"

want="$(printf '%s\n' "$REQUIREMENTS" | sha256sum | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi

# Serialize concurrent setups (e.g. two test runners starting at once).
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/setup-python.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
# Another process may have finished the job while we waited for the lock.
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "setup-python.sh: $1" >&2; cat "$log" >&2; exit 1; }

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV" >"$log" 2>&1 || fail "could not create venv at $VENV with $PYTHON"
fi

req="$(mktemp)"
trap 'rm -f "$log" "$req"' EXIT
printf '%s\n' "$REQUIREMENTS" >"$req"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$req" >"$log" 2>&1 || fail "pip install failed"

printf '%s\n' "$want" >"$STAMP"
