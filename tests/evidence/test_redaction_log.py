"""The redaction log is streamed to disk (flat memory) and still verifies as one signed document."""

from __future__ import annotations

import json
import os
import tracemalloc

import numpy as np
import pytest

from redact.evidence import keys
from redact.evidence.log_reader import LogReader, raw_digest
from redact.evidence.redaction_log import RegionLog, build_log, write_log
from redact.evidence.signing import canonical, check
from redact.track import Region, Track


def small_log(regions: RegionLog) -> dict:
    return build_log(
        original={"file": "a.mp4", "sha256": "0" * 64, "seal": "a.seal.json"},
        derivative={"file": "a.redacted.mp4", "sha256": "1" * 64, "frames": 3},
        input_info={},
        decode={},
        detectors=[],
        parameters={"x": 1},
        dropped={},
        regions=regions,
        timings={"total": 1.0},
        run={"workers": 2},
        operator="tester",
        started_at="t0",
        finished_at="t1",
    )


def filled() -> RegionLog:
    regions = RegionLog()
    for i in range(3):
        found = [Region(track=7, kind="face", box=(10.0, 10.0, 50.0, 60.0), score=0.9, reason="detected")]
        regions.add(i, i / 30, found, np.array([[10 + i, 10, 50, 60]]))
    regions.add(3, 0.1, [], np.zeros((0, 4)))  # a frame without regions is not listed
    for track_id in (9, 7):  # spooled in the order tracks end, listed by id
        regions.add_tracks(
            [Track(id=track_id, kind="face", frames=[0], boxes=[np.array([1, 2, 3, 4.0])], scores=[0.5])]
        )
    return regions


def test_streamed_log_is_one_signed_canonical_document(tmp_path):
    key = keys.create(tmp_path / "keys")
    regions = filled()
    path = tmp_path / "a.redacted.json"
    write_log(path, small_log(regions), regions, key)
    raw = path.read_bytes()
    log = json.loads(raw)
    assert check(log) == ("signed", key.fingerprint)
    assert raw.startswith(canonical(log)[:-1])  # the file is the canonical form, signature last
    assert [f[0] for f in log["regions"]["frames"]] == [0, 1, 2] and log["regions"]["total"] == 3
    assert log["regions"]["frames"][2][2][0] == ["face", 12, 10, 50, 60, 0.9, "detected", 7]
    assert [t["id"] for t in log["tracks"]] == [7, 9]

    log["regions"]["frames"][1][2][0][1] += 2  # move one masked box after the fact
    assert check(log)[0] == "invalid"


def test_reader_gives_every_member_and_the_signed_digest_one_item_at_a_time(tmp_path, monkeypatch):
    key = keys.create(tmp_path / "keys")
    regions = filled()
    path = tmp_path / "a.redacted.json"
    write_log(path, small_log(regions), regions, key)
    whole = json.loads(path.read_text())
    reader = LogReader(path)
    assert list(reader.items(("regions", "frames"))) == whole["regions"]["frames"]
    assert list(reader.items(("tracks",))) == whole["tracks"]
    assert reader.counts == {("regions", "frames"): 3, ("tracks",): 2}
    whole["regions"]["frames"], whole["tracks"] = [], []
    assert reader.head == whole  # every other member, as parsed whole
    assert check(reader.head, None, reader.digest) == ("signed", key.fingerprint)
    members_only = LogReader(path, digest=False)
    assert members_only.head == reader.head and members_only.digest is None

    assert raw_digest(path) == reader.digest  # as written, the file's bytes are the canonical form
    spaced = tmp_path / "b.redacted.json"
    spaced.write_text(json.dumps(json.loads(path.read_text()), indent=1))  # same document, laid out anew
    assert LogReader(spaced).digest == reader.digest and raw_digest(spaced) is None
    moved = path.read_text().replace('["face",11,10,50,60,', '["face",13,10,50,60,')  # a box moved afterwards
    spaced.write_text(moved)
    assert check(LogReader(spaced).head, None, LogReader(spaced).digest)[0] == "invalid"
    for broken in (path.read_text()[:-40], path.read_text() + "{}", '{"b":1,"a":2}'):
        spaced.write_text(broken)
        with pytest.raises(ValueError):
            LogReader(spaced)
    monkeypatch.setattr("redact.evidence.log_reader.MAX_VALUE", 100)
    spaced.write_text(path.read_text().replace('"tracks":[', '"tracks":[{"id":' + "9" * 500 + "x", 1))
    with pytest.raises(ValueError, match="damaged or not a log"):  # a damaged log is not read whole
        LogReader(spaced)


def test_reading_a_long_log_holds_one_item_at_a_time(tmp_path):
    """A crowded hour is hundreds of MB of log; verifying it must not need ten times that."""
    regions = RegionLog()
    crowd = [Region(track=t, kind="face", box=(1.0, 2.0, 30.0, 40.0), score=0.9, reason="detected") for t in range(20)]
    rects = np.tile(np.array([[100, 200, 130, 240]]), (20, 1))
    for i in range(6_000):
        regions.add(i, i / 30, crowd, rects)
    path = tmp_path / "long.redacted.json"
    write_log(path, small_log(regions), regions, None)
    assert path.stat().st_size > 5e6
    tracemalloc.start()
    reader = LogReader(path)  # one whole pass: every member parsed, the digest computed
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2e6, peak  # json.loads of the same file peaks at ~7x its size (measured: 127 MB for 17 MB)
    assert reader.head["regions"]["total"] == 120_000 and reader.counts[("regions", "frames")] == 6_000


def test_unsigned_streamed_log_says_so(tmp_path):
    regions = filled()
    path = tmp_path / "a.redacted.json"
    write_log(path, small_log(regions), regions, None)
    assert check(json.loads(path.read_text())) == ("unsigned", None)


def test_regions_are_spooled_beside_the_derivative_not_in_the_system_temp_folder(tmp_path, monkeypatch):
    # /tmp is RAM (tmpfs) on many stations: an hour of a crowded scene is ~1.4 GB of spool.
    ram = tmp_path / "tmpfs"
    ram.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(ram))
    out = tmp_path / "evidence" / "clip.redacted.mp4"
    out.parent.mkdir()
    regions = RegionLog(beside=out)
    try:
        region = Region(track=7, kind="face", box=(1.0, 2.0, 30.0, 40.0), score=0.9, reason="detected")
        regions.add(0, 0.0, [region], np.array([[1, 2, 30, 40]]))
        for spool in (regions._frames, regions._tracks, regions._parts):
            where = os.readlink(f"/proc/self/fd/{spool.fileno()}")
            assert where.startswith(str(out.parent)), where
        assert list(ram.iterdir()) == []
    finally:
        regions.close()
    assert [p.name for p in out.parent.iterdir()] == []  # nothing left once closed


def test_a_track_settled_in_parts_is_logged_exactly_as_if_held_whole(tmp_path, monkeypatch):
    monkeypatch.setattr("redact.evidence.redaction_log.BLOCK", 100)  # also read the spool back in small blocks
    rng = np.random.default_rng(0)
    frames = list(range(0, 4000, 4))
    boxes = [rng.uniform(0, 500, 4).astype(np.float32) for _ in frames]
    scores = [float(s) for s in rng.uniform(0.2, 1, len(frames))]

    def track(lo: int, hi: int, track_id: int = 5) -> Track:
        return Track(track_id, "face", frames[lo:hi], boxes[lo:hi], scores[lo:hi])

    whole, parted = RegionLog(), RegionLog()
    whole.add_tracks([track(0, 1000), track(0, 3, track_id=2)])
    parted.add_parts([track(0, 300)])
    parted.add_tracks([track(0, 3, track_id=2)])  # another track ends in between
    parted.add_parts([track(300, 700)])
    parted.add_tracks([track(700, 1000)])
    for regions, name in ((whole, "whole"), (parted, "parted")):
        write_log(tmp_path / f"{name}.json", small_log(regions), regions, None)
    assert (tmp_path / "parted.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
    (_, logged) = json.loads((tmp_path / "parted.json").read_bytes())["tracks"]
    assert logged["detections"] == 1000 and logged["first_frame"] == 0 and logged["last_frame"] == 3996
    assert len(logged["boxes"]) == 1000 and logged["boxes"][300][0] == 1200
