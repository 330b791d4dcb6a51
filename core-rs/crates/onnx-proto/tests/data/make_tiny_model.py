"""Writes tiny_model.onnx and optional_seq_map.pb, the real-bytes fixtures for
tests/decode_python.rs.

Run once with the `onnx` package (made with onnx 1.23.1); the test itself needs no
Python. Fields explicitly set to their default value are cleared before saving, so
that a prost re-encode must reproduce the file byte for byte.
"""
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as T


def strip_defaults(msg):
    for field, value in msg.ListFields():
        if field.message_type is not None:
            for m in (value if field.is_repeated else [value]):
                strip_defaults(m)
        elif not field.is_repeated and field.containing_oneof is None:
            if value == field.default_value:
                msg.ClearField(field.name)


b = numpy_helper.from_array(np.array([1, -2, 3], dtype=np.int64), name="B")
then_g = helper.make_graph(
    [helper.make_node("Identity", ["L"], ["t_out"])], "then_branch", [],
    [helper.make_tensor_value_info("t_out", T.FLOAT, ["N", 3])])
else_g = helper.make_graph(
    [helper.make_node("Neg", ["L"], ["e_out"])], "else_branch", [],
    [helper.make_tensor_value_info("e_out", T.FLOAT, ["N", 3])])
add_twice = helper.make_function(
    "local", "AddTwice", ["x", "y"], ["z"],
    [helper.make_node("Add", ["x", "y"], ["t"]), helper.make_node("Add", ["t", "y"], ["z"])],
    [helper.make_opsetid("", 21)])
nodes = [
    helper.make_node("Cast", ["B"], ["Bf"], name="cast", to=T.FLOAT),
    helper.make_node("Add", ["X", "Bf"], ["S"], name="add"),
    helper.make_node("LeakyRelu", ["S"], ["L"], name="leaky", alpha=0.25),
    helper.make_node("If", ["cond"], ["W"], name="if", then_branch=then_g, else_branch=else_g),
    helper.make_node("AddTwice", ["W", "Bf"], ["Y"], name="call", domain="local"),
]
graph = helper.make_graph(
    nodes, "tiny",
    [helper.make_tensor_value_info("X", T.FLOAT, ["N", 3]),
     helper.make_tensor_value_info("cond", T.BOOL, [])],
    [helper.make_tensor_value_info("Y", T.FLOAT, ["N", 3])],
    initializer=[b])
model = helper.make_model(
    graph, producer_name="onnxrun-test", ir_version=10, functions=[add_twice],
    opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("local", 1)])
helper.set_model_props(model, {"author": "onnxrun", "purpose": "decode test"})
onnx.checker.check_model(model, full_check=True)
strip_defaults(model)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_model.onnx")
onnx.save(model, out)
print(out, os.path.getsize(out), "bytes")

# onnx-data values: an optional holding a sequence of one map {3: [1.5, 2], 7: [-1]}
# of float tensors (typed float_data, not raw_data), and a string-keyed map.
m = numpy_helper.from_dict(
    {3: np.array([1.5, 2.0], np.float32), 7: np.array([-1.0], np.float32)}, name="m")
for t in m.values.tensor_values:
    t.float_data.extend(numpy_helper.to_array(t).tolist())
    t.ClearField("raw_data")
sm = onnx.MapProto(name="sm", key_type=T.STRING, string_keys=[b"a", b"b"])
sm.values.CopyFrom(numpy_helper.from_list(
    [np.array([10], np.int64), np.array([20], np.int64)], name="v"))
seq = onnx.SequenceProto(name="s", elem_type=onnx.SequenceProto.MAP)
seq.map_values.extend([m, sm])
opt = onnx.OptionalProto(name="o", elem_type=onnx.OptionalProto.SEQUENCE)
opt.sequence_value.CopyFrom(seq)
strip_defaults(opt)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optional_seq_map.pb")
with open(out, "wb") as f:
    f.write(opt.SerializeToString())
print(out, os.path.getsize(out), "bytes")
