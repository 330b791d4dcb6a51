"""Build the example models onnxrun ships, plus the quickstart reference outputs.

Usage (from the repo root, after `bash scripts/setup-python.sh`):

    .venv/bin/python scripts/make_examples.py

Writes:
  src/datasets/sigmoid.onnx     x: float[3,4,5] -> Sigmoid -> y: float[3,4,5]
                                (ai.onnx opset 13, IR 7)
  src/datasets/mul_1.onnx       X: float[3,2] * W (initializer [[1,2],[3,4],[5,6]])
                                -> Y: float[3,2]   (ai.onnx opset 13, IR 7)
  src/datasets/logreg_iris.onnx scikit-learn LogisticRegression on iris, converted
                                by skl2onnx with target_opset
                                {ai.onnx: 13, ai.onnx.ml: 1} (skl2onnx lowers it
                                to what the graph needs: ai.onnx 9, ai.onnx.ml 1,
                                IR 7); input float_input
                                float[N,4]; outputs output_label int64[N] and
                                output_probability seq(map(int64, float)) (ZipMap)
  tests/fixtures/quickstart_reference.json
                                X_test of the fixed split and onnxruntime's outputs
                                on logreg_iris.onnx (label only; label + probabilities)

The names and shapes of sigmoid/mul_1 mirror onnxruntime.datasets' examples of
the same name, but the graphs are built here with onnx.helper. Everything is
deterministic: fixed split seed, no timestamps or random graph names, so a
rerun with the pinned packages rewrites identical bytes.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS = os.path.join(ROOT, "src", "datasets")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# Modest opsets so the runtime needs no bleeding-edge op versions for examples.
OPSET = 13
IR_VERSION = 7  # the IR version that goes with opset 13
ML_OPSET = 1
SPLIT_SEED = 0  # random_state of train_test_split; fixes X_test and the weights
PRODUCER = "onnxrun-make_examples"


def _finish(model: onnx.ModelProto) -> onnx.ModelProto:
    onnx.checker.check_model(model, full_check=True)
    return model


def build_sigmoid() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 5])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4, 5])
    node = helper.make_node("Sigmoid", ["x"], ["y"], name="sigmoid")
    graph = helper.make_graph([node], "sigmoid", [x], [y])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
    )
    return _finish(model)


def build_mul_1() -> onnx.ModelProto:
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [3, 2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 2])
    # Same constant as onnxruntime's mul_1.onnx, so Y = X * [[1,2],[3,4],[5,6]].
    w = helper.make_tensor(
        "W", TensorProto.FLOAT, [3, 2], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    )
    node = helper.make_node("Mul", ["X", "W"], ["Y"], name="mul_1")
    graph = helper.make_graph([node], "mul_1", [x], [y], initializer=[w])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
    )
    return _finish(model)


def iris_split():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    return train_test_split(iris.data, iris.target, random_state=SPLIT_SEED)


def build_logreg_iris(x_train, y_train) -> onnx.ModelProto:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    # max_iter raised from the tutorial's default so lbfgs converges on the raw
    # (unscaled) features instead of stopping with a ConvergenceWarning.
    clr = LogisticRegression(max_iter=1000)
    clr.fit(x_train, y_train)
    model = convert_sklearn(
        clr,
        name="logreg_iris",
        initial_types=[("float_input", FloatTensorType([None, 4]))],
        target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
    )
    # skl2onnx names the graph from a random uuid and emits opset_import in set
    # order (varies with hash seed); pin both for stable bytes.
    model.graph.name = "logreg_iris"
    opsets = sorted(model.opset_import, key=lambda o: o.domain)
    del model.opset_import[:]
    model.opset_import.extend(opsets)
    return _finish(model)


def f32(v) -> float:
    """Shortest decimal that parses back to the same float32 (e.g. 5.8, not 5.800000190734863)."""
    return float(repr(np.float32(v)).removeprefix("np.float32(").removesuffix(")"))


def quickstart_reference(path: str, x_test, y_test) -> dict:
    import onnxruntime as rt

    sess = rt.InferenceSession(path, providers=["CPUExecutionProvider"])
    input_name = sess.get_inputs()[0].name
    label_name = sess.get_outputs()[0].name
    prob_name = sess.get_outputs()[1].name
    x = x_test.astype(np.float32)

    label_only = sess.run([label_name], {input_name: x})[0]
    labels, probs = sess.run(None, {input_name: x})
    assert np.array_equal(label_only, labels)
    return {
        "how": (
            "scripts/make_examples.py: iris train_test_split(random_state="
            f"{SPLIT_SEED}), LogisticRegression(max_iter=1000), skl2onnx "
            f"target_opset {{ai.onnx: {OPSET}, ai.onnx.ml: {ML_OPSET}}}; outputs "
            f"from onnxruntime {rt.__version__} (Python, CPUExecutionProvider): "
            "sess.run([label_name], {input: X_test}) and sess.run(None, "
            "{input: X_test}). Floats are float32 values written as their "
            "shortest round-trip decimal; probability map keys are the int64 "
            "class labels written as JSON strings."
        ),
        "model": "src/datasets/logreg_iris.onnx",
        "opset_import": {
            (o.domain or "ai.onnx"): o.version for o in onnx.load(path).opset_import
        },
        "input_name": input_name,
        "output_names": [label_name, prob_name],
        "X_test": [[f32(v) for v in row] for row in x],
        "y_test": [int(v) for v in y_test],
        "label_only": {label_name: [int(v) for v in label_only]},
        "label_and_probabilities": {
            label_name: [int(v) for v in labels],
            prob_name: [{str(int(k)): f32(p) for k, p in d.items()} for d in probs],
        },
    }


def dump_rows(value, indent: str = "") -> str:
    """JSON with one list row / dict entry per line, so the fixture diffs well."""
    inner = indent + "  "
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f"{inner}{json.dumps(k)}: {dump_rows(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" + ("" if indent else "\n")
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [inner + dump_rows(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value)


def write_model(model: onnx.ModelProto, name: str) -> str:
    path = os.path.join(DATASETS, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    return path


def main() -> int:
    os.makedirs(DATASETS, exist_ok=True)
    os.makedirs(FIXTURES, exist_ok=True)
    write_model(build_sigmoid(), "sigmoid.onnx")
    write_model(build_mul_1(), "mul_1.onnx")
    x_train, x_test, y_train, y_test = iris_split()
    path = write_model(build_logreg_iris(x_train, y_train), "logreg_iris.onnx")
    ref = quickstart_reference(path, x_test, y_test)
    with open(os.path.join(FIXTURES, "quickstart_reference.json"), "w") as f:
        f.write(dump_rows(ref))
    print(f"wrote 3 models to {os.path.relpath(DATASETS, ROOT)} and "
          f"quickstart_reference.json ({len(ref['X_test'])} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
