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


def test_a_plate_margin_is_one_text_height_but_never_swallows_the_picture():
    from redact.options import DetectOptions

    options = DetectOptions()
    plate = np.array([[900, 500, 1000, 524]], np.float32)  # a plate line 24 px high in 1080p
    (grown,) = options.regions(plate, ["plate"], 1920, 1080)
    assert grown.tolist() == [876, 476, 1024, 548]  # a text height a side
    vest = np.array([[190, 110, 350, 235]], np.float32)  # a patterned vest read as a line, 46 % high
    (grown,) = options.regions(vest, ["plate"], 480, 270)
    assert grown[3] - grown[1] <= 125 + 2 * 0.08 * 270 + 0.01  # bounded: not the whole picture


def test_a_text_line_taller_than_any_plate_is_not_plate_like():
    from redact.detect.plates import plate_like

    lines = np.array([[0, 0, 100, 40], [0, 0, 300, 130]], np.float32)
    assert plate_like(lines, 1.2, 9.0, 6.0, 0.3 * 270).tolist() == [True, False]
