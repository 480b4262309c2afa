import numpy as np

from redact.boxes import expand, iou, nms


def test_iou_of_identical_and_disjoint_boxes():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [5, 0, 15, 10]])
    assert np.allclose(iou(a, b), [[1.0, 0.0, 50 / 150]])


def test_nms_keeps_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    keep = nms(boxes, np.array([0.5, 0.9, 0.7]), 0.3)
    assert keep.tolist() == [1, 2]


def test_expand_grows_each_side_by_margin_and_clips_to_frame():
    out = expand(np.array([[10, 10, 30, 50]]), 0.25, width=35, height=100)
    assert out.tolist() == [[5, 0, 35, 60]]
