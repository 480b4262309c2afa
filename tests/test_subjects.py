"""Tracks linked into subjects, and each subject's confidence: pure logic, plain boxes."""

import dataclasses

import numpy as np
import pytest

from redact.subjects import (
    SamePlace,
    SubjectOptions,
    TrackSummary,
    base_model,
    confidence,
    link,
    model_weight,
    one_per_track,
)

FPS = 30.0


def track(id, frames, x0=100.0, speed=0.0, size=40.0, score=0.9, models=None, kind="face", y0=50.0):
    rows = [[f, x0 + speed * f, y0, x0 + speed * f + size, y0 + size, score] for f in frames]
    return TrackSummary.of(id, kind, rows, models or {"centerface": len(rows), "retinaface-mnet025": len(rows)})


def seen(*frames_of_tracks):
    """A SamePlace fed with each frame's (track, box) pairs."""
    same = SamePlace()
    for frame in frames_of_tracks:
        same.add([t for t, _ in frame], ["face"] * len(frame), np.array([b for _, b in frame], np.float32))
    return same


def subjects_of(tracks, same=None):
    return link(tracks, same, FPS, strides={"face": 1})


def test_a_face_lost_and_found_again_where_its_motion_led_is_one_subject():
    before = track(1, range(0, 30), speed=2.0)
    after = track(2, range(50, 80), speed=2.0)  # 20 frames later, 40 px on: where it was heading
    (subject,) = subjects_of([before, after])
    assert subject.tracks == (1, 2) and subject.links == ("continues",)
    assert (subject.first, subject.last) == (0, 79)


def test_a_face_found_far_away_or_much_later_or_of_another_size_is_another_subject():
    before = track(1, range(0, 30))
    assert len(subjects_of([before, track(2, range(40, 70), x0=400)])) == 2  # far away
    assert len(subjects_of([before, track(2, range(29 + 61, 120))])) == 2  # after more than 2 s
    assert len(subjects_of([before, track(2, range(40, 70), size=90)])) == 2  # twice the size
    assert len(subjects_of([before, track(2, range(40, 70), kind="plate")])) == 2  # a plate is no face


def test_when_two_tracks_could_continue_one_neither_is_guessed():
    """Two people close together, one lost: linking a guess would unmask the wrong person when the
    subject is kept."""
    before = track(1, range(0, 30))
    a, b = track(2, range(40, 70), x0=110), track(3, range(40, 70), x0=90, y0=60)
    subjects = subjects_of([before, a, b])
    assert [s.tracks for s in subjects] == [(1,), (2,), (3,)]


def test_two_tracks_on_one_face_at_once_are_one_subject_and_two_faces_side_by_side_are_not():
    face = [100, 50, 140, 90]
    other_box = [104, 46, 146, 94]  # a second model's box around the same face
    neighbour = [200, 50, 240, 90]
    same = seen(*[[(1, face), (2, other_box), (3, neighbour)] for _ in range(10)])
    tracks = [track(1, range(10)), track(2, range(10), x0=104), track(3, range(10), x0=200)]
    assert [s.tracks for s in subjects_of(tracks, same)] == [(1, 2), (3,)]


def test_a_large_box_over_a_group_does_not_join_the_faces_in_it():
    group = [80, 30, 280, 230]  # a false "face" over two people
    same = seen(*[[(1, [100, 50, 140, 90]), (2, [200, 50, 240, 90]), (3, group)] for _ in range(10)])
    tracks = [track(1, range(10)), track(2, range(10), x0=200), track(3, range(10), x0=80, size=200)]
    assert [s.tracks for s in subjects_of(tracks, same)] == [(1,), (2,), (3,)]


def test_two_faces_seen_apart_are_never_one_subject_even_through_a_third_track():
    """A false box between two faces covers half of each: it may join one, never both."""
    a, b, bridge = [100, 50, 140, 90], [130, 50, 170, 90], [115, 50, 155, 90]
    same = seen(*[[(1, a), (2, b), (3, bridge)] for _ in range(10)])
    tracks = [track(1, range(10)), track(2, range(10), x0=130), track(3, range(10), x0=115, score=0.3)]
    subjects = subjects_of(tracks, same)
    assert not any({1, 2} <= set(s.tracks) for s in subjects)


def test_confidence_grows_with_scores_detections_models_and_steadiness():
    assert confidence([0.9], 1) == pytest.approx(0.3)  # once: missing detections count as 0
    assert confidence([0.9, 0.9, 0.9], 1) == pytest.approx(0.9)
    assert confidence([0.4, 0.4, 0.4], 2) == pytest.approx(0.64)  # two models agreeing
    assert confidence([0.9, 0.9, 0.9], 1, presence=0.1) == pytest.approx(0.9 * 0.2)  # flickers


def test_a_crops_confirmation_counts_half_a_model():
    assert base_model("centerface@crop@90") == "centerface@crop" and base_model("centerface@2x") == "centerface"
    assert model_weight(["yunet-n", "centerface@crop"]) == 1.5  # YuNet found it, CenterFace agreed on a crop
    assert model_weight(["yunet-n", "centerface@crop", "centerface"]) == 2  # and found it on the picture too
    assert model_weight(["yunet-n", "retinaface-mnet025", "centerface@crop"]) == 2.5
    # a weak candidate the crop confirmed three times is not listed as a person; a face YuNet is sure of is
    weak = track(1, range(0, 12, 2), score=0.35, models={"centerface@crop+yunet-n": 6})
    sure = track(2, range(0, 12, 2), x0=400, score=0.9, models={"centerface@crop+yunet-n": 6})
    by_id = {s.id: s for s in subjects_of([weak, sure])}
    assert not by_id[1].confident and by_id[2].confident
    assert by_id[1].models == ("centerface@crop", "yunet-n")


def test_a_steady_face_is_confident_and_a_flicker_is_not():
    steady = track(1, range(0, 60))
    flicker = track(2, range(0, 60, 12), x0=400, models={"centerface@90": 5})
    once = track(3, [30], x0=700, score=0.95, models={"retinaface-mnet025": 1})
    by_id = {s.id: s for s in subjects_of([steady, flicker, once])}
    assert by_id[1].confident and by_id[1].confidence == pytest.approx(0.99, abs=0.01)
    assert not by_id[2].confident and not by_id[3].confident
    twice = track(4, [30], x0=700, score=0.95)  # one frame, but both models agree on it
    assert subjects_of([twice])[0].confident


def test_an_analysis_before_subjects_lists_each_track_as_its_own():
    subjects = one_per_track([track(1, range(10)), track(2, range(20, 30))])
    assert [s.tracks for s in subjects] == [(1,), (2,)]


def test_a_subject_survives_its_document():
    (subject,) = subjects_of([track(1, range(0, 30), speed=2.0), track(2, range(50, 80), speed=2.0)])
    from redact.subjects import Subject

    assert Subject.from_document(subject.as_document()).tracks == subject.tracks


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        SubjectOptions(link_size=0.5)
    with pytest.raises(ValueError):
        SubjectOptions(confident=2)


def test_an_analysis_made_before_subjects_reads_as_one_subject_per_track_and_a_new_one_as_recorded():
    from redact.pipeline.subject_list import recorded_subjects, subjects_document

    tracks = [
        {
            "id": 1,
            "kind": "face",
            "boxes": [[f, 100, 50, 140, 90, 0.9] for f in range(0, 30, 2)],
            "models": {"centerface": 15},
        },
        {"id": 2, "kind": "plate", "boxes": [[8, 10, 10, 50, 20, 0.6]], "models": {"ppocrv4-det": 1}},
    ]
    old = {"parameters": {"detect": {"every": 2, "plate_every": 2}}}
    subjects, recorded = recorded_subjects(old, iter(tracks))
    assert not recorded and [s.tracks for s in subjects] == [(1,), (2,)]
    assert subjects[0].confident  # steady for its stride: found on every frame it was looked for
    new = {"subjects": subjects_document(subjects, SubjectOptions(), {"face": 2, "plate": 4})}
    again, recorded = recorded_subjects(new, iter(()))  # what was recorded, not worked out again
    assert recorded and [s.as_document() for s in again] == [s.as_document() for s in subjects]
    assert new["subjects"]["people"] == 1 and new["subjects"]["uncertain"] == 1


def test_a_track_that_looks_like_someone_else_never_continues_one():
    from redact.appearance import looks, similarity

    picture = np.zeros((120, 200), np.uint8), np.full((60, 100), 128, np.uint8), np.full((60, 100), 128, np.uint8)
    picture[0][:, 100:] = 220  # a dark and a bright half
    picture[1][:, 50:] = 40  # with other colours
    dark, bright = looks(picture, np.array([[20, 20, 60, 60], [130, 20, 170, 60]]))
    assert similarity(dark, dark) == pytest.approx(1.0) and similarity(dark, bright) < 0.2
    assert similarity(dark, None) is None  # an analysis made before looks: motion alone decides

    def looking(track_, look):
        return dataclasses.replace(track_, first_look=look, last_look=look)

    before = looking(track(1, range(0, 30), speed=2.0), dark)
    same = looking(track(2, range(50, 80), speed=2.0), dark)
    other = looking(track(2, range(50, 80), speed=2.0), bright)
    assert [s.tracks for s in subjects_of([before, same])] == [(1, 2)]
    assert [s.tracks for s in subjects_of([before, other])] == [(1,), (2,)]


def test_one_face_seen_twice_never_continues_into_two_later_tracks():
    """A face and its twin end together; one's motion leads to B, the other's stillness to C:
    two ways to continue one face is a guess, and the subject would take in a second person."""

    def rows(pairs):
        return [[f, x, 100, x + 40, 140, 0.9] for f, x in pairs]

    a = [(f, 100) for f in range(20)] + [(20, 110)]  # moving right at the end
    twin = [(f, 101) for f in range(20)]  # still
    later_b = [(f, 175) for f in range(27, 40)]
    later_c = [(f, 101) for f in range(22, 26)]
    same = SamePlace()
    for f in range(21):
        ids, boxes = [1], [[dict(a)[f], 100, dict(a)[f] + 40, 140]]
        if f < 20:
            ids.append(2)
            boxes.append([101, 100, 141, 140])
        same.add(ids, ["face"] * len(ids), np.array(boxes))
    for track_id, pairs in ((3, later_b), (4, later_c)):
        for _, x in pairs:
            same.add([track_id], ["face"], np.array([[x, 100, x + 40, 140]]))
    summaries = [TrackSummary.of(i, "face", rows(p)) for i, p in ((1, a), (2, twin), (3, later_b), (4, later_c))]
    assert [s.tracks for s in link(summaries, same, 25.0)] == [(1, 2), (3,), (4,)]


def test_without_a_clock_no_track_continues_another():
    """Frame rate and duration unknown: "within 2 s" means nothing, and nothing is guessed."""
    before, after = track(1, range(0, 30), speed=2.0), track(2, range(50, 80), speed=2.0)
    assert len(link([before, after], None, 0.0)) == 2
    assert len(link([before, after], None, FPS)) == 1
