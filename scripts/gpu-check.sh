#!/usr/bin/env bash
# GPU check entry point (`npm run gpu-check -- OUT_DIR`, or `bash scripts/gpu-check.sh OUT_DIR`).
#
# Works on a bare Linux box holding only this repo, the built library
# (core-rs/target/release/libonnxrun.so, or $ONNXRUN_LIB) and a deno binary ($DENO, else
# `deno` on PATH, else node_modules/.bin/deno, else .device/deno.xz unpacked): no npm
# install, no network, no cargo. It
#   1. records the machine (nvidia-smi, driver, library build) in OUT_DIR/machine.txt,
#   2. times the first CUDA session of two fresh processes (the first compiles the
#      kernels with NVRTC into OUT_DIR/cuda-kernel-cache, the second reads that cache),
#   3. runs tests/gpu/check.ts: tests/fixtures/mlp.onnx on CUDA, WebGPU (if present) and
#      the CPU, compared to 1e-4 and timed, into OUT_DIR/gpu-check.json,
#   4. when the ONNX node-test cases are present (.cache/conformance/node, made by
#      scripts/gen_conformance.py; carry it to the GPU machine), runs the conformance
#      suite on each available GPU provider: OUT_DIR/conformance-<cuda|wgpu>.{json,txt}.
#      A case listed in tests/conformance/passing.txt that fails there is a failure.
#      GPU_CHECK_SKIP_CONFORMANCE=1 skips this step.
# Extra arguments go to check.ts (e.g. --allow-missing-cuda on a machine without a GPU,
# --runs 50). Exit status: 0 when step 3 and every step-4 run passed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: bash scripts/gpu-check.sh OUT_DIR [check.ts options]" >&2
  exit 2
fi
OUT="$1"
shift
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# --- deno -------------------------------------------------------------------------------
find_deno() {
  if [ -n "${DENO:-}" ] && [ -x "${DENO}" ]; then echo "$DENO"; return; fi
  if command -v deno >/dev/null 2>&1; then command -v deno; return; fi
  if [ -x "$ROOT/node_modules/.bin/deno" ]; then echo "$ROOT/node_modules/.bin/deno"; return; fi
  if [ -f "$ROOT/.device/deno.xz" ]; then
    local dir
    dir="$(mktemp -d)"
    if command -v xz >/dev/null 2>&1; then
      xz -dc "$ROOT/.device/deno.xz" >"$dir/deno"
    else
      python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$ROOT/.device/deno.xz" >"$dir/deno"
    fi
    chmod +x "$dir/deno"
    echo "$dir/deno"
    return
  fi
}
DENO_BIN="$(find_deno)"
if [ -z "$DENO_BIN" ]; then
  echo "gpu-check: no deno found (set DENO=/path/to/deno)" >&2
  exit 2
fi

# --- library ----------------------------------------------------------------------------
export ONNXRUN_LIB="${ONNXRUN_LIB:-$ROOT/core-rs/target/release/libonnxrun.so}"
if [ ! -f "$ONNXRUN_LIB" ]; then
  echo "gpu-check: $ONNXRUN_LIB not found; build it with: cd core-rs && cargo build --release -p onnxrun-capi" >&2
  exit 2
fi

# The CUDA provider finds libcuda and the toolkit's cuBLAS/NVRTC itself (see
# core-rs/crates/cuda/src/loader.rs); the usual folders go on the search path too.
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$d" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
# A cache of our own, so run 1 shows the NVRTC cost and run 2 the cached start.
export ONNXRUN_CUDA_CACHE_DIR="${ONNXRUN_CUDA_CACHE_DIR:-$OUT/cuda-kernel-cache}"
# Deno's compile cache outside OUT_DIR (it is not a result).
DENO_DIR="${DENO_DIR:-$(mktemp -d)}"
export DENO_DIR NO_COLOR=1
# The NVIDIA Vulkan driver for the WebGPU provider, where the machine has one.
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  echo "deno: $("$DENO_BIN" --version 2>&1 | head -1)"
  echo "library: $ONNXRUN_LIB"
  echo "LD_LIBRARY_PATH: $LD_LIBRARY_PATH"
  echo "kernel cache: $ONNXRUN_CUDA_CACHE_DIR"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1
  else
    echo "nvidia-smi: not found"
  fi
  ls -1 /usr/local/cuda/lib64 2>/dev/null | grep -E '^lib(cublas|cublasLt|nvrtc|nvrtc-builtins)\.so' || echo "no CUDA toolkit libraries in /usr/local/cuda/lib64"
} >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

cd "$ROOT"
CHECK=(run -A --no-lock "$ROOT/tests/gpu/check.ts" "$OUT")
rm -f "$OUT/gpu-check-startup.json"
echo "== startup (fresh kernel cache) =="
"$DENO_BIN" "${CHECK[@]}" --startup || echo "gpu-check: startup run 1 failed" >&2
echo "== startup (cached kernels) =="
"$DENO_BIN" "${CHECK[@]}" --startup || echo "gpu-check: startup run 2 failed" >&2
echo "== comparisons and timings =="
"$DENO_BIN" "${CHECK[@]}" "$@"
status=$?

if [ -n "${GPU_CHECK_SKIP_CONFORMANCE:-}" ]; then
  echo "== conformance skipped (GPU_CHECK_SKIP_CONFORMANCE) =="
elif [ ! -d "$ROOT/.cache/conformance/node" ]; then
  echo "== conformance skipped: no cases in .cache/conformance/node (make them with scripts/gen_conformance.py) =="
else
  for p in cuda wgpu; do
    case $p in cuda) name=CUDAExecutionProvider ;; wgpu) name=WebGpuExecutionProvider ;; esac
    if ! grep -qx "$name" "$OUT/available-providers.txt" 2>/dev/null; then
      echo "== conformance on $p skipped: $name is not available =="
      continue
    fi
    echo "== conformance on $p =="
    "$DENO_BIN" run -A --no-lock "$ROOT/tests/conformance/run.ts" --provider "$p" --quiet --report "$OUT/conformance-$p.json" >"$OUT/conformance-$p.txt" 2>&1
    c=$?
    tail -n 3 "$OUT/conformance-$p.txt"
    [ $c -ne 0 ] && status=1
  done
fi
echo "gpu-check: results in $OUT (exit $status)"
exit $status
