import numpy as np
import pytest

from redact.geometry import quarter_turns, rotate_boxes, unrotate_boxes


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_boxes_found_in_rotated_view_map_back_onto_the_stored_object(k):
    stored = np.zeros((40, 60), np.uint8)
    stored[5:15, 30:50] = 1  # object at x 30..50, y 5..15
    view = np.rot90(stored, k)
    ys, xs = np.nonzero(view)
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    assert unrotate_boxes(found, k, width=60, height=40).tolist() == [[30, 5, 50, 15]]


def test_quarter_turns_from_display_rotation():
    assert [quarter_turns(r) for r in (0, 90, 180, 270, -90)] == [0, 1, 2, 3, 3]


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_stored_boxes_map_to_where_the_rotated_view_shows_the_object(k):
    stored = np.zeros((40, 60), np.uint8)
    stored[5:15, 30:50] = 1
    view = np.rot90(stored, k)
    ys, xs = np.nonzero(view)
    shown = [[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]]
    assert rotate_boxes(np.array([[30, 5, 50, 15]]), k, width=60, height=40).tolist() == shown
