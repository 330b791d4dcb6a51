"""Writes tests/fixtures/mlp.onnx: the small MLP the CUDA checks run on every provider.

    X[batch, 256] -> MatMul W1[256, 512] -> Add b1[512] -> Relu
                  -> Gemm(W2[512, 10], b2[10]) -> Sigmoid -> Y[batch, 10]

Opset 13, float32, fixed seed: rerunning gives the same bytes. About 545 KB.
Usage: .venv/bin/python scripts/make_mlp.py [out_path]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "mlp.onnx")


def main() -> None:
    rng = np.random.default_rng(20250611)
    # Scaled so activations stay O(1): the Sigmoid outputs spread over (0, 1) instead of
    # saturating, which keeps the CUDA-vs-CPU comparison meaningful.
    w1 = (rng.standard_normal((256, 512)) / np.sqrt(256)).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(512)).astype(np.float32)
    w2 = (rng.standard_normal((512, 10)) / np.sqrt(512) * 2.0).astype(np.float32)
    b2 = (0.1 * rng.standard_normal(10)).astype(np.float32)

    nodes = [
        helper.make_node("MatMul", ["X", "W1"], ["h0"], name="fc1_matmul"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu"),
        helper.make_node("Gemm", ["h2", "W2", "b2"], ["logits"], name="fc2", alpha=1.0, beta=1.0),
        helper.make_node("Sigmoid", ["logits"], ["Y"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 256])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 10])],
        initializer=[
            numpy_helper.from_array(w1, "W1"),
            numpy_helper.from_array(b1, "b1"),
            numpy_helper.from_array(w2, "W2"),
            numpy_helper.from_array(b2, "b2"),
        ],
    )
    model = helper.make_model(graph, producer_name="onnxrun-make_mlp", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
