import numpy as np

from redact.scoring import coverage, score_image, summarize


def test_coverage_is_the_masked_fraction_of_each_box():
    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    cov = coverage(gt, np.array([[0, 0, 10, 5]]), 40, 40)
    assert cov.tolist() == [0.5, 0.0]


def test_ignored_boxes_and_false_regions():
    gt = np.array([[0, 0, 20, 20], [30, 30, 35, 35]])  # second is < 10 px: ignored
    regions = np.array([[0, 0, 20, 20], [30, 30, 36, 36], [50, 50, 60, 60]])
    s = score_image(gt, regions, 80, 80)
    assert s.ignored.tolist() == [False, True]
    assert s.false_regions == 1  # touching an ignored box is not false
    summary = summarize([s])
    assert summary.recall == 1.0 and summary.counted == 1 and summary.false_per_image == 1.0


def test_ellipse_mask_covers_less_of_a_box_than_the_box():
    gt = np.array([[10, 10, 50, 50]])
    box = coverage(gt, np.array([[10, 10, 50, 50]]), 60, 60)
    ellipse = coverage(gt, np.array([[10, 10, 50, 50]]), 60, 60, shape="ellipse")
    assert box[0] == 1.0 and 0.75 < ellipse[0] < 0.82  # pi/4 of the box


def test_average_precision_of_perfect_and_mixed_rankings():
    from redact.scoring import average_precision, match_iou

    gt = np.array([[0, 0, 10, 10], [20, 20, 30, 30]])
    det = np.array([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30]])
    flags = match_iou(det, np.array([0.9, 0.8, 0.7]), gt, np.array([False, False]))
    assert flags.tolist() == [1, 0, 1]
    assert average_precision([np.array([0.9, 0.7])], [np.array([1, 1])], 2) == 1.0
    assert average_precision([np.array([0.9, 0.8, 0.7])], [flags], 2) == 0.5 + 0.5 * (2 / 3)


def test_the_share_masked_outside_labelled_faces_counts_only_what_lies_off_every_grown_face():
    from redact.scoring import masked_outside

    face = np.array([[40, 40, 60, 60]], np.float32)  # grown 30 % a side: 34..66
    assert masked_outside(np.array([[34, 34, 66, 66]], np.float32), face, 100, 100) == 0.0
    whole = masked_outside(np.array([[0, 0, 100, 100]], np.float32), face, 100, 100)
    assert whole == (100 * 100 - 32 * 32) / (100 * 100)
    assert masked_outside(np.array([[0, 0, 10, 10]], np.float32), np.zeros((0, 4)), 100, 100) == 0.01
