"""Rebuild ``models/ppocrv4_det.onnx`` from the pinned upstream PP-OCRv4 detector.

The upstream export (paddle2onnx, opset 12) writes two things as chains of element-wise ops
that onnxruntime's CPU provider neither fuses nor runs in its blocked (NCHWc) layout:

- each convolution's "learnable affine block" (``y = conv(x) * a + b`` with scalar ``a``, ``b``),
- each hard-swish activation (``x * clip(x + 3, 0, 6) / 6``).

Those ~220 element-wise ops and the layout reorders around them were ~55 % of the model's
CPU time (onnxruntime profile, 960x544, one thread). This script folds the affine blocks
into the convolutions' weights and biases (``conv(x) * a + b`` is the convolution with
weights ``W * a`` and bias ``bias * a + b``; an affine block feeding a 1x1 convolution
without padding folds into that one) and writes each hard-swish as one ``HardSwish`` op
(opset 14). Same function, same weights up to float rounding; measured in the model card.
Run once by a maintainer:

    pip download --no-deps rapidocr-onnxruntime==1.4.4
    unzip -j rapidocr_onnxruntime-1.4.4-*.whl rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx
    pip install onnx && python models/make_ppocrv4_det.py ch_PP-OCRv4_det_infer.onnx models/ppocrv4_det.onnx

The model card (``models/ppocrv4_det.md``) records the SHA-256 of both files.
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict

UPSTREAM_SHA256 = "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"


def set_nodes(graph, nodes: list) -> None:
    """Replace the graph's node list (protobuf lists cannot be assigned)."""
    del graph.node[:]
    graph.node.extend(nodes)


def constants_to_initializers(graph) -> None:
    """``Constant`` nodes become initializers, so the folds below can read their values."""
    from onnx import helper

    kept = []
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            tensor = helper.get_attribute_value(node.attribute[0])
            tensor.name = node.output[0]
            graph.initializer.append(tensor)
        else:
            kept.append(node)
    set_nodes(graph, kept)


def constants_and_consumers(graph) -> tuple[dict, dict]:
    """Initializer values by name, and the nodes reading each tensor."""
    from onnx import numpy_helper

    consumers = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    return {t.name: numpy_helper.to_array(t) for t in graph.initializer}, consumers


def scalar(values: dict, name: str) -> float | None:
    value = values.get(name)
    return float(value.reshape(())) if value is not None and value.size == 1 else None


def fold_affine_into_conv(graph) -> int:
    """``Conv -> Mul(a) -> Add(b)`` with scalar ``a``, ``b`` becomes one ``Conv``."""
    import numpy as np
    from onnx import numpy_helper

    values, consumers = constants_and_consumers(graph)
    outputs = {o.name for o in graph.output}
    removed, folded = set(), []
    for conv in graph.node:
        if conv.op_type != "Conv" or conv.output[0] in outputs or len(consumers[conv.output[0]]) != 1:
            continue
        mul = consumers[conv.output[0]][0]
        if mul.op_type != "Mul" or len(consumers[mul.output[0]]) != 1:
            continue
        add = consumers[mul.output[0]][0]
        if add.op_type != "Add" or conv.input[1] not in values:
            continue
        a = scalar(values, next(i for i in mul.input if i != conv.output[0]))
        b = scalar(values, next(i for i in add.input if i != mul.output[0]))
        if a is None or b is None:
            continue
        weight = values[conv.input[1]]
        bias = values[conv.input[2]] if len(conv.input) > 2 else np.zeros(weight.shape[0], weight.dtype)
        name = f"{conv.output[0]}_affine"
        folded.append(numpy_helper.from_array((weight * a).astype(weight.dtype), f"{name}_w"))
        folded.append(numpy_helper.from_array((bias * a + b).astype(weight.dtype), f"{name}_b"))
        del conv.input[1:]
        conv.input.extend([f"{name}_w", f"{name}_b"])
        conv.output[0] = add.output[0]
        removed.update({id(mul), id(add)})
    set_nodes(graph, [n for n in graph.node if id(n) not in removed])
    graph.initializer.extend(folded)
    return len(folded) // 2


def fold_affine_into_next_conv(graph) -> int:
    """``Mul(a) -> Add(b) -> Conv`` (1x1, no padding) becomes one ``Conv``.

    ``conv(x * a + b)`` is the convolution with weights ``W * a`` and bias ``bias + b * sum(W)``
    only where no zero padding enters the window, so padded convolutions are left alone.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    values, consumers = constants_and_consumers(graph)
    outputs = {o.name for o in graph.output}

    def unpadded(node) -> bool:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        return (
            node.op_type == "Conv"
            and node.input[1] in values
            and not any(attrs.get("pads", []))
            and attrs.get("auto_pad", b"NOTSET") in (b"NOTSET", b"VALID")
        )

    removed, folded = set(), []
    for mul in graph.node:
        if mul.op_type != "Mul" or mul.output[0] in outputs or len(consumers[mul.output[0]]) != 1:
            continue
        scalars = [scalar(values, i) for i in mul.input]  # one tensor times one scalar
        if sorted(v is None for v in scalars) != [False, True]:
            continue
        x, a = mul.input[scalars.index(None)], next(v for v in scalars if v is not None)
        add = consumers[mul.output[0]][0]
        if add.op_type != "Add" or add.output[0] in outputs:
            continue
        b = scalar(values, next(i for i in add.input if i != mul.output[0]))
        convs = consumers[add.output[0]]
        if b is None or not convs or not all(unpadded(c) for c in convs):
            continue
        for conv in convs:
            weight = values[conv.input[1]]
            bias = values[conv.input[2]] if len(conv.input) > 2 else np.zeros(weight.shape[0], weight.dtype)
            name = f"{conv.output[0]}_input_affine"
            folded.append(numpy_helper.from_array((weight * a).astype(weight.dtype), f"{name}_w"))
            shifted = bias + b * weight.sum(axis=(1, 2, 3))  # every input of a window is shifted by b
            folded.append(numpy_helper.from_array(shifted.astype(weight.dtype), f"{name}_b"))
            del conv.input[:]
            conv.input.extend([x, f"{name}_w", f"{name}_b"])
        removed.update({id(mul), id(add)})
    set_nodes(graph, [n for n in graph.node if id(n) not in removed])
    graph.initializer.extend(folded)
    return len(removed) // 2


def hard_swish(graph) -> int:
    """``Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(6)`` becomes ``HardSwish(x)``."""
    from onnx import helper

    values, consumers = constants_and_consumers(graph)
    producer = {o: n for n in graph.node for o in n.output}
    removed, swaps = set(), {}
    for clip in graph.node:
        if clip.op_type != "Clip" or [scalar(values, i) for i in clip.input[1:]] != [0.0, 6.0]:
            continue
        add = producer.get(clip.input[0])
        if add is None or add.op_type != "Add" or len(consumers[add.output[0]]) != 1:
            continue
        three = [scalar(values, i) == 3.0 for i in add.input]
        if sorted(three) != [False, True] or len(consumers[clip.output[0]]) != 1:
            continue
        x = add.input[three.index(False)]
        mul = consumers[clip.output[0]][0]
        if mul.op_type != "Mul" or set(mul.input) != {x, clip.output[0]} or len(consumers[mul.output[0]]) != 1:
            continue
        div = consumers[mul.output[0]][0]
        if div.op_type != "Div" or scalar(values, div.input[1]) != 6.0:
            continue
        removed.update({id(add), id(clip), id(mul)})
        swaps[id(div)] = helper.make_node("HardSwish", [x], [div.output[0]], name=f"{div.output[0]}_hardswish")
    set_nodes(graph, [swaps.get(id(n), n) for n in graph.node if id(n) not in removed])
    return len(swaps)


def drop_unused_initializers(graph) -> None:
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def rewrite(model):
    """The fused model, and how many affine blocks and hard-swishes were folded."""
    import onnx
    from onnx import version_converter

    model = version_converter.convert_version(model, 14)  # HardSwish is opset 14
    constants_to_initializers(model.graph)
    affine = fold_affine_into_conv(model.graph)
    swish = hard_swish(model.graph)
    affine += fold_affine_into_next_conv(model.graph)
    drop_unused_initializers(model.graph)
    onnx.checker.check_model(model, full_check=True)
    return model, affine, swish


def main(src: str, dst: str) -> None:
    import onnx

    data = open(src, "rb").read()
    if hashlib.sha256(data).hexdigest() != UPSTREAM_SHA256:
        raise SystemExit(f"{src}: not the pinned upstream PP-OCRv4 detector")
    model, affine, swish = rewrite(onnx.load_from_string(data))
    onnx.save(model, dst)
    digest = hashlib.sha256(open(dst, "rb").read()).hexdigest()
    print(f"{dst}: {affine} affine blocks folded, {swish} hard-swishes fused, SHA-256 {digest}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
