import numpy as np

from redact.track import Tracker, TrackOptions


def feed(tracker, frames):
    """frames: {index: [box, ...]} of faces; returns the ids per frame."""
    ids = {}
    for index in sorted(frames):
        boxes = np.array(frames[index], np.float32).reshape(-1, 4)
        ids[index] = tracker.update(index, boxes, np.full(len(boxes), 0.9), np.full(len(boxes), "face"))
    return ids


def moving_box(i, x0=100.0, speed=5.0):
    return [x0 + speed * i, 50, x0 + speed * i + 40, 100]


def test_a_moving_face_keeps_one_stable_id():
    tracker = Tracker()
    ids = feed(tracker, {i: [moving_box(i)] for i in range(20)})
    assert {i[0] for i in ids.values()} == {1}


def test_two_faces_keep_their_own_ids_and_kinds_never_mix():
    tracker = Tracker()
    ids = feed(tracker, {i: [moving_box(i), moving_box(i, x0=400, speed=-5)] for i in range(10)})
    assert all(v == [1, 2] for v in ids.values())
    plate = tracker.update(10, np.array([moving_box(10)], np.float32), np.array([0.9]), np.array(["plate"]))
    assert plate == [3]


def test_a_track_that_loses_its_detection_stays_masked_and_follows_the_motion():
    tracker = Tracker(TrackOptions(coast=10))
    feed(tracker, {i: [moving_box(i)] for i in range(10)})  # last detected in frame 9
    for index in range(10, 20):
        (region,) = tracker.regions(index)
        assert region.reason == "coasted"
        truth = np.array(moving_box(index))
        assert region.box[0] <= truth[0] and region.box[2] >= truth[2]  # still covers the face
    assert tracker.regions(20) == []


def test_gaps_between_detections_are_interpolated():
    tracker = Tracker()
    feed(tracker, {0: [moving_box(0)], 6: [moving_box(6)]})  # e.g. a detection stride of 6
    for index in range(1, 6):
        (region,) = tracker.regions(index)
        assert region.reason == "interpolated"
        assert np.allclose(region.box, moving_box(index))


def test_no_single_frame_gap_between_masked_frames():
    tracker = Tracker(TrackOptions(coast=0, max_gap=3))
    feed(tracker, {i: [moving_box(i)] for i in range(30) if i % 4})  # one miss every 4 frames
    assert all(len(tracker.regions(i)) == 1 for i in range(1, 30))


def test_a_face_is_masked_a_few_frames_before_it_is_first_detected():
    tracker = Tracker(TrackOptions(backfill=4))
    feed(tracker, {i: [moving_box(i)] for i in range(10, 14)})
    reasons = [tracker.regions(i)[0].reason if tracker.regions(i) else None for i in range(5, 11)]
    assert reasons == [None, "back-filled", "back-filled", "back-filled", "back-filled", "detected"]


def test_finished_tracks_are_forgotten():
    tracker = Tracker(TrackOptions(coast=5, max_gap=5))
    feed(tracker, {0: [moving_box(0)], 1: [moving_box(1)]})
    assert tracker.forget_before(5) == []
    (done,) = tracker.forget_before(7)
    assert done.frames == [0, 1] and tracker.tracks == []
