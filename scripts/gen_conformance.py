"""Write the ONNX backend node tests of the pinned onnx package to disk.

Usage (from the repo root, after `bash scripts/setup-python.sh`):

    .venv/bin/python scripts/gen_conformance.py [--force]

Source: onnx.backend.test.case.node.collect_testcases(None), i.e. the node
test cases the onnx package itself defines (1884 for onnx 1.23.1, ~15 s).

Output (git-ignored), under .cache/conformance/node/:
  <case>/model.onnx
  <case>/test_data_set_<N>/input_<K>.pb, output_<K>.pb
      Each .pb is one serialized proto chosen from the graph's declared type of
      that input/output: TensorProto ("tensor"), SequenceProto ("sequence"),
      MapProto ("map") or OptionalProto ("optional"). An empty optional is an
      OptionalProto with elem_type UNDEFINED and no value, as onnx writes it.
  manifest.json
      A list, sorted by name, of
        {name, model, op_type, domain, expanded, opset,
         datasets: [{inputs: [{file, kind, name}], outputs: [...]}],
         rtol, atol}
      Paths are relative to .cache/conformance/node/. op_type/domain name the
      op under test: the single node of a plain case; for a "<case>_expanded*"
      case (the op's function body inlined) the op of "<case>". rtol/atol are
      the TestCase's own.
  .stamp.json
      onnx/numpy versions, this script's hash and the Python lock's hash. When they match, a rerun
      only prints the count (use --force to regenerate anyway).

The tree is built in a sibling temp folder and swapped in at the end, so an
interrupted run never leaves a half-written node/ behind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from importlib.metadata import version

from python_lock import lock_sha256

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_PARENT = os.path.join(ROOT, ".cache", "conformance")
OUT = os.path.join(OUT_PARENT, "node")
STAMP = os.path.join(OUT, ".stamp.json")
EXPECTED_COUNT = 1884  # what onnx 1.23.1 defines; a different count is reported

KIND_OF_FIELD = {
    "tensor_type": "tensor",
    "sequence_type": "sequence",
    "map_type": "map",
    "optional_type": "optional",
}


def stamp_content() -> dict:
    with open(os.path.abspath(__file__), "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()
    # Package metadata, not imports: keeps the up-to-date check fast.
    return {"onnx": version("onnx"), "numpy": version("numpy"), "script_sha256": script_hash, "python_lock_sha256": lock_sha256()}


def type_kind(tp: onnx.TypeProto | None, value) -> str:
    """The kind named by the declared type; falls back to the Python value."""
    field = tp.WhichOneof("value") if tp is not None else None
    if field in KIND_OF_FIELD:
        return KIND_OF_FIELD[field]
    if field is not None:
        raise ValueError(f"unsupported value type {field}")
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "sequence"
    if value is None:
        return "optional"
    return "tensor"


def encode_tensor(value, tp: onnx.TypeProto | None, name: str) -> onnx.TensorProto:
    if isinstance(value, onnx.TensorProto):
        t = onnx.TensorProto()
        t.CopyFrom(value)
    else:
        t = numpy_helper.from_array(np.asarray(value))
    if name:
        t.name = name
    want = tp.tensor_type.elem_type if tp is not None and tp.HasField("tensor_type") else 0
    if want and t.data_type != want:
        raise ValueError(
            f"{name}: data has {onnx.TensorProto.DataType.Name(t.data_type)}, "
            f"graph declares {onnx.TensorProto.DataType.Name(want)}"
        )
    return t


def encode(value, tp: onnx.TypeProto | None, name: str = ""):
    """Encode value as the proto that matches its declared type; returns (proto, kind)."""
    kind = type_kind(tp, value)
    if kind == "tensor":
        return encode_tensor(value, tp, name), kind

    if kind == "sequence":
        elem_tp = tp.sequence_type.elem_type if tp is not None else None
        seq = onnx.SequenceProto()
        if name:  # proto2: an empty name would still be serialized
            seq.name = name
        first = value[0] if len(value) else None
        elem_kind = type_kind(elem_tp, first) if (elem_tp is not None or len(value)) else "tensor"
        seq.elem_type = {
            "tensor": onnx.SequenceProto.TENSOR,
            "sequence": onnx.SequenceProto.SEQUENCE,
            "map": onnx.SequenceProto.MAP,
            "optional": onnx.SequenceProto.OPTIONAL,
        }[elem_kind]
        target = {
            "tensor": seq.tensor_values,
            "sequence": seq.sequence_values,
            "map": seq.map_values,
            "optional": seq.optional_values,
        }[elem_kind]
        for item in value:
            proto, _ = encode(item, elem_tp)
            target.append(proto)
        return seq, kind

    if kind == "map":
        mp = onnx.MapProto()
        if name:  # proto2: an empty name would still be serialized
            mp.name = name
        key_type = tp.map_type.key_type if tp is not None else 0
        keys = list(value.keys())
        if not key_type:
            key_type = onnx.helper.np_dtype_to_tensor_dtype(np.asarray(keys).dtype)
        mp.key_type = key_type
        if key_type == onnx.TensorProto.STRING:
            mp.string_keys.extend(k if isinstance(k, bytes) else str(k).encode() for k in keys)
        else:
            mp.keys.extend(int(k) for k in keys)
        val_tp = onnx.TypeProto()
        if tp is not None:
            val_tp.sequence_type.elem_type.CopyFrom(tp.map_type.value_type)
        values, _ = encode([value[k] for k in keys], val_tp if tp is not None else None)
        mp.values.CopyFrom(values)
        return mp, kind

    # optional
    elem_tp = tp.optional_type.elem_type if tp is not None else None
    opt = onnx.OptionalProto()
    if name:  # proto2: an empty name would still be serialized
        opt.name = name
    if value is None:
        opt.elem_type = onnx.OptionalProto.UNDEFINED  # "no value"
        return opt, kind
    elem_kind = type_kind(elem_tp, value)
    inner, _ = encode(value, elem_tp)
    if elem_kind == "tensor":
        opt.elem_type = onnx.OptionalProto.TENSOR
        opt.tensor_value.CopyFrom(inner)
    elif elem_kind == "sequence":
        opt.elem_type = onnx.OptionalProto.SEQUENCE
        opt.sequence_value.CopyFrom(inner)
    elif elem_kind == "map":
        opt.elem_type = onnx.OptionalProto.MAP
        opt.map_value.CopyFrom(inner)
    else:
        opt.elem_type = onnx.OptionalProto.OPTIONAL
        opt.optional_value.CopyFrom(inner)
    return opt, kind


def write_proto(path: str, proto) -> None:
    with open(path, "wb") as f:
        f.write(proto.SerializeToString(deterministic=True))


def main_op(case, single_node_ops: dict) -> tuple[str, str]:
    """(op_type, domain) of the op a case tests."""
    if "_expanded" in case.name:
        base = case.name.split("_expanded")[0]
        if base in single_node_ops:
            return single_node_ops[base]
    node = case.model.graph.node[0]
    return node.op_type, node.domain


def write_case(case, case_dir: str, rel: str, op: tuple[str, str]) -> dict:
    os.makedirs(case_dir)
    write_proto(os.path.join(case_dir, "model.onnx"), case.model)
    graph = case.model.graph
    datasets = []
    for n, (inputs, outputs) in enumerate(case.data_sets):
        ds_name = f"test_data_set_{n}"
        os.makedirs(os.path.join(case_dir, ds_name))
        entry = {"inputs": [], "outputs": []}
        for role, values, decls in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            if len(values) > len(decls):
                raise ValueError(f"{case.name}: {len(values)} {role}s for {len(decls)} graph {role}s")
            for k, value in enumerate(values):
                decl = decls[k]
                proto, kind = encode(value, decl.type, decl.name)
                file = f"{ds_name}/{role}_{k}.pb"
                write_proto(os.path.join(case_dir, file), proto)
                entry[role + "s"].append({"file": f"{rel}/{file}", "kind": kind, "name": decl.name})
        datasets.append(entry)
    return {
        "name": case.name,
        "model": f"{rel}/model.onnx",
        "op_type": op[0],
        "domain": op[1] or "ai.onnx",
        "expanded": "_expanded" in case.name,
        "opset": {(o.domain or "ai.onnx"): o.version for o in case.model.opset_import},
        "datasets": datasets,
        "rtol": case.rtol,
        "atol": case.atol,
    }


def collect():
    from onnx.backend.test.case import node

    # The case modules compute reference outputs with numpy at import time and
    # some deliberately overflow / divide by zero; those warnings are noise here.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return list(node.collect_testcases(None))


def load_libs() -> None:
    """Import numpy/onnx only when generating, so the up-to-date path stays ~50 ms."""
    global np, onnx, numpy_helper  # noqa: PLW0603
    import numpy as np
    import onnx
    from onnx import numpy_helper


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = ap.parse_args()

    stamp = stamp_content()
    manifest_path = os.path.join(OUT, "manifest.json")
    if not args.force and os.path.exists(STAMP) and os.path.exists(manifest_path):
        with open(STAMP) as f:
            old = json.load(f)
        if {k: old.get(k) for k in stamp} == stamp:
            print(f"conformance node cases: {old['count']} (up to date)")
            return 0

    t0 = time.time()
    load_libs()
    cases = collect()
    t_collect = time.time() - t0
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate test case names")

    single_node_ops = {
        c.name: (c.model.graph.node[0].op_type, c.model.graph.node[0].domain)
        for c in cases
        if len(c.model.graph.node) == 1
    }

    os.makedirs(OUT_PARENT, exist_ok=True)
    tmp = os.path.join(OUT_PARENT, f".node.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    manifest = []
    try:
        for case in sorted(cases, key=lambda c: c.name):
            if case.kind != "node" or case.model is None:
                raise ValueError(f"{case.name}: not a node case with a model")
            manifest.append(
                write_case(case, os.path.join(tmp, case.name), case.name, main_op(case, single_node_ops))
            )
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        with open(os.path.join(tmp, ".stamp.json"), "w") as f:
            json.dump({**stamp, "count": len(manifest)}, f, indent=1)
            f.write("\n")
        old = os.path.join(OUT_PARENT, f".node.old-{os.getpid()}")
        if os.path.exists(OUT):
            os.rename(OUT, old)
        os.rename(tmp, OUT)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    total = time.time() - t0
    note = "" if len(manifest) == EXPECTED_COUNT else f" (expected {EXPECTED_COUNT})"
    print(
        f"conformance node cases: {len(manifest)}{note} -> "
        f"{os.path.relpath(OUT, ROOT)} (collect {t_collect:.1f}s, total {total:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
