import pytest

from redact.detect.plate_text import not_a_plate


@pytest.mark.parametrize(
    "text",
    [
        "KX21 RDP",
        "6AVU788",
        "RK 641AL",
        "KIDSFIRST",
        "OUTSTDN",
        "57:777-70",
        "11:113-10",
        "B-MW 1234",
        "京A12345",
        "45",
    ],
)
def test_plates_and_vanity_plates_are_kept(text):
    assert not_a_plate(text, 0.99) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2014-05-12 06:43:15", "timestamp"),
        ("22.04.201406:40", "timestamp"),
        ("12:07", "timestamp"),
        ("SK", "too short"),
        ("DRAGON BOAT RACING", "too long"),
        ("CITROEN", "make badge"),
        ("Peugeot", "make badge"),
    ],
)
def test_confidently_read_non_plates_are_dropped(text, why):
    assert not_a_plate(text, 0.95) == why


def test_unsure_readings_are_kept():
    assert not_a_plate("2014-05-12 06:43:15", 0.5) is None
