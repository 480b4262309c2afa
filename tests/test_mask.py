import numpy as np
import pytest

from redact.mask import i420_planes, mask_planes, snap_regions
from redact.options import MaskOptions

W, H = 64, 48


def noisy_i420(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (H * 3 // 2, W), dtype=np.uint8)


@pytest.mark.parametrize("style", ["blur", "pixelate", "solid"])
def test_only_the_region_changes(style):
    buf = noisy_i420()
    before = buf.copy()
    mask_planes(i420_planes(buf, W, H), np.array([[10, 8, 42, 40]]), MaskOptions(style=style))
    y0, y1 = i420_planes(before, W, H)[0], i420_planes(buf, W, H)[0]
    outside = np.ones_like(y0, bool)
    outside[8:40, 10:42] = False
    assert np.array_equal(y0[outside], y1[outside])
    assert np.abs(y0[8:40, 10:42].astype(int) - y1[8:40, 10:42]).mean() > 30


def test_pixelate_keeps_at_most_blocks_squared_values():
    buf = noisy_i420()
    mask_planes(i420_planes(buf, W, H), np.array([[0, 0, 48, 48]]), MaskOptions(style="pixelate", blocks=6))
    assert len(np.unique(i420_planes(buf, W, H)[0][:48, :48])) <= 36


def test_blur_is_irreversible_noise_detail_is_gone():
    buf = noisy_i420()
    before = i420_planes(buf.copy(), W, H)[0][0:48, 0:48].astype(float)
    mask_planes(i420_planes(buf, W, H), np.array([[0, 0, 48, 48]]), MaskOptions(style="blur"))
    after = i420_planes(buf, W, H)[0][0:48, 0:48].astype(float)
    # the original noise cannot be predicted from what is left
    assert abs(np.corrcoef(before.ravel(), after.ravel())[0, 1]) < 0.2
    assert after.std() < before.std() / 4


def test_solid_paints_black_in_all_planes():
    buf = noisy_i420()
    mask_planes(i420_planes(buf, W, H), np.array([[0, 0, 16, 16]]), MaskOptions(style="solid"))
    y, u, v = i420_planes(buf, W, H)
    assert (y[:16, :16] == 16).all() and (u[:8, :8] == 128).all() and (v[:8, :8] == 128).all()


def test_ellipse_leaves_corners_untouched():
    buf = noisy_i420()
    before = buf.copy()
    mask_planes(i420_planes(buf, W, H), np.array([[0, 0, 40, 40]]), MaskOptions(style="solid", shape="ellipse"))
    y0, y1 = i420_planes(before, W, H)[0], i420_planes(buf, W, H)[0]
    assert y1[0, 0] == y0[0, 0] and (y1[18:22, 18:22] == 16).all()


def test_regions_snap_outward_to_even_pixels_and_clip():
    rects = snap_regions(np.array([[3.2, 5.9, 9.1, 100], [70, 0, 80, 10]]), W, H)
    assert rects.tolist() == [[2, 4, 10, 48], [64, 0, 64, 10]]  # the second is off-frame: empty


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="unknown style"):
        MaskOptions(style="swirl")


def test_a_region_inside_another_is_obscured_by_the_outer_one_without_work_of_its_own():
    from redact.mask import covered_by_another

    rng = np.random.default_rng(3)
    width, height = 64, 48
    original = rng.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8)
    outer, inner = [8, 8, 40, 40], [12, 12, 20, 20]
    both, alone = original.copy(), original.copy()
    rects = mask_planes(i420_planes(both, width, height), np.array([inner, outer, outer], np.float32), MaskOptions())
    mask_planes(i420_planes(alone, width, height), np.array([outer], np.float32), MaskOptions())
    assert np.array_equal(both, alone)  # the inner box and the repeated outer one: no second pass
    assert len(rects) == 3  # every region keeps its rectangle for the log
    y_both, y_orig = both[:height], original[:height]
    assert np.abs(y_both[12:20, 12:20].astype(int) - y_orig[12:20, 12:20]).mean() > 20  # still obscured
    assert covered_by_another(rects).tolist() == [True, False, True]
    ellipse = original.copy()  # an ellipse does not cover its box's corners: nothing skipped
    mask_planes(
        i420_planes(ellipse, width, height), np.array([[8, 8, 12, 12], outer], np.float32), MaskOptions(shape="ellipse")
    )
    assert not np.array_equal(ellipse[8:12, 8:12], original[8:12, 8:12])


def test_masking_runs_opencv_on_one_thread_and_gives_the_threads_back():
    import cv2

    from redact.mask import single_threaded_opencv

    before = cv2.getNumThreads()
    with single_threaded_opencv():
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == before
