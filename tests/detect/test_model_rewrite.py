"""The maintainer script that builds the shipped text detector keeps the network's function."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[2] / "models" / "make_ppocrv4_det.py"


def load_script():
    spec = importlib.util.spec_from_file_location("make_ppocrv4_det", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def const(name: str, value) -> onnx.NodeProto:
    """A ``Constant`` node, as paddle2onnx writes every scalar."""
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, np.float32), name))


def paddle_like_model() -> onnx.ModelProto:
    """conv -> affine -> hard-swish -> affine -> {1x1 conv, padded 3x3 conv}, as in PP-LCNetV3."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(8, 3, 3, 3)).astype(np.float32)
    b1 = rng.normal(size=8).astype(np.float32)
    w2 = rng.normal(size=(4, 8, 1, 1)).astype(np.float32)
    w3 = rng.normal(size=(4, 1, 3, 3)).astype(np.float32)  # depthwise on the 1x1 conv's output
    nodes = [
        const("a1", [1.7]),
        const("b1s", [-0.4]),
        const("three", 3.0),
        const("zero", 0.0),
        const("six", 6.0),
        const("six_div", 6.0),
        const("a2", [0.8]),
        const("b2", [0.3]),
        const("a3", [1.2]),
        const("b3", [0.5]),
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["c1", "a1"], ["m1"]),
        helper.make_node("Add", ["m1", "b1s"], ["l1"]),
        helper.make_node("Add", ["l1", "three"], ["p3"]),
        helper.make_node("Clip", ["p3", "zero", "six"], ["cl"]),
        helper.make_node("Mul", ["l1", "cl"], ["hm"]),
        helper.make_node("Div", ["hm", "six_div"], ["hs"]),
        helper.make_node("Mul", ["hs", "a2"], ["m2"]),
        helper.make_node("Add", ["m2", "b2"], ["l2"]),
        helper.make_node("Conv", ["l2", "w2"], ["c2"]),  # 1x1, no padding: the affine folds in
        helper.make_node("Mul", ["c2", "a3"], ["m3"]),
        helper.make_node("Add", ["m3", "b3"], ["l3"]),
        helper.make_node("Relu", ["l3"], ["r3"]),
        helper.make_node("Mul", ["r3", "a2"], ["m4"]),
        helper.make_node("Add", ["m4", "b2"], ["l4"]),
        # padded depthwise conv: zero padding enters the window, so this affine must stay
        helper.make_node("Conv", ["l4", "w3"], ["y"], pads=[1, 1, 1, 1], group=4),
    ]
    graph = helper.make_graph(
        nodes,
        "paddle_like",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 16, 16])],
        [
            numpy_helper.from_array(w1, "w1"),
            numpy_helper.from_array(b1, "b1"),
            numpy_helper.from_array(w2, "w2"),
            numpy_helper.from_array(w3, "w3"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_rewrite_folds_affines_and_hard_swish_without_changing_outputs():
    script = load_script()
    model = paddle_like_model()
    x = np.random.default_rng(1).normal(scale=2.0, size=(1, 3, 16, 16)).astype(np.float32)
    before = run(model, x)
    fused, affine, swish = script.rewrite(model)
    after = run(fused, x)
    np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-4)  # float rounding only
    # two affines after a conv, one before a 1x1 conv; the one before the padded conv stays
    assert (affine, swish) == (3, 1)
    ops = [n.op_type for n in fused.graph.node]
    assert ops.count("HardSwish") == 1 and "Clip" not in ops and "Div" not in ops
    assert ops.count("Mul") == 1 and ops.count("Add") == 1  # the affine before the padded conv


def test_rewrite_refuses_any_file_but_the_pinned_upstream(tmp_path):
    script = load_script()
    path = tmp_path / "other.onnx"
    onnx.save(paddle_like_model(), path)
    with pytest.raises(SystemExit, match="not the pinned upstream"):
        script.main(str(path), str(tmp_path / "out.onnx"))
    assert not (tmp_path / "out.onnx").exists()
