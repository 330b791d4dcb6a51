"""Run every generated ONNX node test case through onnxruntime (Python, CPU).

Usage (from the repo root, after `bash scripts/setup-python.sh`):

    .venv/bin/python scripts/ort_conformance_baseline.py

Runs scripts/gen_conformance.py first (a no-op when its cache is current), then
loads each case of .cache/conformance/node/manifest.json into an
onnxruntime InferenceSession (CPUExecutionProvider, default graph
optimizations, one intra-op thread) and compares its outputs with the stored
expected outputs: same structure, shape and dtype; floating values within the
case's rtol/atol (NaN equals NaN); everything else exactly. Tensors of
ml_dtypes types (bfloat16, float8*, int4, float4, ...), which the Python
binding cannot turn into numpy, are fed and read back as raw bytes through
OrtValues so that ORT's kernels, not its numpy bridge, are what is measured.

Writes .cache/conformance/ort_baseline.json:
    {ort, onnx, total, passed, failed,
     byCase: {name: {ok: true} | {ok: false, stage, error}}}
where stage is "load" (session creation), "feed" (reading inputs), "run",
"compare" or "crash" (the process died in that case). The file is only a
yardstick for onnxrun's own conformance numbers; nothing asserts on it.

The cases run in a worker subprocess so that a native crash inside
onnxruntime costs one case, not the whole run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_DIR = os.path.join(ROOT, ".cache", "conformance", "node")
RESULT = os.path.join(ROOT, ".cache", "conformance", "ort_baseline.json")
MAX_ERROR = 300  # characters of an error message kept per case


def load_proto(path: str, kind: str):
    import onnx

    proto = {
        "tensor": onnx.TensorProto,
        "sequence": onnx.SequenceProto,
        "map": onnx.MapProto,
        "optional": onnx.OptionalProto,
    }[kind]()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return proto


def to_value(proto, kind: str):
    """The Python value onnxruntime takes or returns for a stored proto."""
    from onnx import numpy_helper

    return {
        "tensor": numpy_helper.to_array,
        "sequence": numpy_helper.to_list,
        "map": numpy_helper.to_dict,
        "optional": numpy_helper.to_optional,
    }[kind](proto)


def is_exotic(value) -> bool:
    """A tensor of an ml_dtypes type (bfloat16, float8*, int4, float4, ...):
    onnxruntime's Python binding cannot convert these to or from numpy."""
    import numpy as np

    return isinstance(value, np.ndarray) and type(value.dtype).__module__ != "numpy.dtypes" and value.dtype.kind not in "OUS"


def ortvalue_from_tensor(proto, ort):
    """An OrtValue holding exactly the bytes ONNX defines for this tensor."""
    import ctypes

    import onnx
    from onnx import numpy_helper

    raw = onnx.TensorProto()
    raw.CopyFrom(proto)
    if not raw.HasField("raw_data"):
        # Let onnx do the (packed) byte layout: round-trip through numpy.
        raw = numpy_helper.from_array(numpy_helper.to_array(proto))
    value = ort.OrtValue.ortvalue_from_shape_and_type(list(proto.dims), proto.data_type)
    if value.tensor_size_in_bytes() != len(raw.raw_data):
        raise ValueError(f"{proto.name}: {len(raw.raw_data)} bytes for a {value.tensor_size_in_bytes()}-byte tensor")
    ctypes.memmove(value.data_ptr(), raw.raw_data, len(raw.raw_data))
    return value


def tensor_from_ortvalue(value):
    """Read an OrtValue tensor back through its raw bytes, as onnx would decode them."""
    import ctypes

    import onnx
    from onnx import numpy_helper

    proto = onnx.TensorProto(
        dims=value.shape(),
        data_type=value.element_type(),
        raw_data=ctypes.string_at(value.data_ptr(), value.tensor_size_in_bytes()),
    )
    return numpy_helper.to_array(proto)


def compare(expected, actual, rtol: float, atol: float, where: str = "") -> str | None:
    """None when actual matches expected, else a short reason."""
    import numpy as np

    if expected is None or actual is None:
        return None if expected is None and actual is None else f"{where}: expected {expected!r:.60}, got {actual!r:.60}"
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected a sequence of {len(expected)}, got {type(actual).__name__} {len(actual) if isinstance(actual, list) else ''}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            if (why := compare(e, a, rtol, atol, f"{where}[{i}]")) is not None:
                return why
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or sorted(actual) != sorted(expected):
            return f"{where}: map keys differ"
        for k in expected:
            if (why := compare(expected[k], actual[k], rtol, atol, f"{where}[{k!r}]")) is not None:
                return why
        return None

    e = np.asarray(expected)
    a = np.asarray(actual)
    if e.shape != a.shape:
        return f"{where}: shape {a.shape} != expected {e.shape}"
    if e.dtype != a.dtype:
        return f"{where}: dtype {a.dtype} != expected {e.dtype}"
    if e.dtype.kind in "OUS":
        return None if np.array_equal(e, a) else f"{where}: values differ"
    if e.dtype.kind in "biu":
        return None if np.array_equal(e, a) else f"{where}: values differ"
    if e.dtype.kind not in "fc":
        # ml_dtypes (bfloat16, float8*, int4, float4): compare as float32.
        e, a = e.astype(np.float32), a.astype(np.float32)
    try:
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError as ex:
        lines = [ln.strip() for ln in str(ex).splitlines() if ln.strip()]
        return f"{where}: " + "; ".join(lines[1:4])
    return None


def run_case(entry: dict, ort) -> dict:
    so = ort.SessionOptions()
    so.log_severity_level = 4  # fatal only: failures are recorded, not logged
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(
            os.path.join(NODE_DIR, entry["model"]), so, providers=["CPUExecutionProvider"]
        )
    except Exception as ex:
        return {"ok": False, "stage": "load", "error": str(ex)[:MAX_ERROR]}
    for n, ds in enumerate(entry["datasets"]):
        try:
            in_protos = [load_proto(os.path.join(NODE_DIR, i["file"]), i["kind"]) for i in ds["inputs"]]
            feed = {i["name"]: to_value(p, i["kind"]) for i, p in zip(ds["inputs"], in_protos)}
            expected = [to_value(load_proto(os.path.join(NODE_DIR, o["file"]), o["kind"]), o["kind"]) for o in ds["outputs"]]
            names = [o["name"] for o in ds["outputs"]]
            # ml_dtypes tensors go in and out as raw bytes through OrtValues,
            # so the baseline measures ORT's kernels, not its numpy bridge.
            raw_io = any(map(is_exotic, [*feed.values(), *expected]))
            if raw_io:
                if not all(i["kind"] == "tensor" for i in ds["inputs"] + ds["outputs"]):
                    raise ValueError("raw-byte path handles tensors only")
                feed = {i["name"]: ortvalue_from_tensor(p, ort) for i, p in zip(ds["inputs"], in_protos)}
        except Exception as ex:
            return {"ok": False, "stage": "feed", "error": str(ex)[:MAX_ERROR]}
        try:
            if raw_io:
                actual = [tensor_from_ortvalue(v) for v in sess.run_with_ort_values(names, feed)]
            else:
                actual = sess.run(names, feed)
        except Exception as ex:
            return {"ok": False, "stage": "run", "error": str(ex)[:MAX_ERROR]}
        for name, e, a in zip(names, expected, actual):
            why = compare(e, a, entry["rtol"], entry["atol"], f"data set {n} output {name}")
            if why is not None:
                return {"ok": False, "stage": "compare", "error": why[:MAX_ERROR]}
    return {"ok": True}


def worker(start: int, log_path: str) -> int:
    """Run cases from index start on, appending one JSON line per event to log_path."""
    import warnings

    import onnxruntime as ort

    warnings.simplefilter("ignore")
    with open(os.path.join(NODE_DIR, "manifest.json")) as f:
        manifest = json.load(f)
    with open(log_path, "a") as log:
        for i in range(start, len(manifest)):
            entry = manifest[i]
            # The "begin" line lets the parent blame a crash on this case.
            log.write(json.dumps({"begin": i}) + "\n")
            log.flush()
            result = run_case(entry, ort)
            log.write(json.dumps({"index": i, "name": entry["name"], **result}) + "\n")
            log.flush()
    return 0


def main() -> int:
    t0 = time.time()
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_conformance.py")], check=True)
    with open(os.path.join(NODE_DIR, "manifest.json")) as f:
        manifest = json.load(f)

    log_path = RESULT + ".log"
    if os.path.exists(log_path):
        os.remove(log_path)
    by_case: dict[str, dict] = {}
    start = 0
    while start < len(manifest):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", str(start), log_path])
        begun = None
        with open(log_path) as f:
            for line in f:
                rec = json.loads(line)
                if "begin" in rec:
                    begun = rec["begin"]
                else:
                    by_case[rec["name"]] = {k: v for k, v in rec.items() if k not in ("index", "name")}
                    begun = None
        if proc.returncode == 0 and begun is None:
            break
        if begun is None:
            raise SystemExit(f"worker failed (exit {proc.returncode}) outside any case")
        # The worker died inside case `begun`: record it and go on after it.
        name = manifest[begun]["name"]
        by_case[name] = {"ok": False, "stage": "crash", "error": f"worker exited with {proc.returncode}"}
        with open(log_path, "a") as f:
            f.write(json.dumps({"index": begun, "name": name, **by_case[name]}) + "\n")
        start = begun + 1
    os.remove(log_path)

    import onnx
    import onnxruntime as ort

    by_case = {e["name"]: by_case[e["name"]] for e in manifest}
    passed = sum(1 for r in by_case.values() if r["ok"])
    result = {
        "ort": ort.__version__,
        "onnx": onnx.__version__,
        "how": "scripts/ort_conformance_baseline.py: onnxruntime Python, CPUExecutionProvider, default optimizations",
        "total": len(by_case),
        "passed": passed,
        "failed": len(by_case) - passed,
        "byCase": by_case,
    }
    with open(RESULT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    stages: dict[str, int] = {}
    for r in by_case.values():
        if not r["ok"]:
            stages[r["stage"]] = stages.get(r["stage"], 0) + 1
    print(
        f"onnxruntime {ort.__version__}: {passed} passed, {len(by_case) - passed} failed "
        f"of {len(by_case)} (failures by stage: {stages}) in {time.time() - t0:.1f}s -> "
        f"{os.path.relpath(RESULT, ROOT)}"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        sys.exit(worker(int(sys.argv[2]), sys.argv[3]))
    sys.exit(main())
