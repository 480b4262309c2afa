"""Which spoken words are bleeped: listed words and phrases as the model may write them, and
the patterns a clerk can switch on. Ranges say why, never what."""

from __future__ import annotations

import pytest

from redact.speech.transcript import Word
from redact.speech.withhold import check_patterns, parse_word_list, withheld_ranges


def words(text: str, step: float = 0.5) -> list[Word]:
    """One word every ``step`` seconds, each lasting 0.4 s, as the model spaces them."""
    return [Word(i * step, i * step + 0.4, " " + w, 0.9) for i, w in enumerate(text.split(" "))]


def said(found, ws, step: float = 0.5) -> list[tuple[str, str]]:
    """(reason, the words a range covers) with no margin."""
    out = []
    for r in found:
        first, last = round(r.start / step), round((r.end - 0.4) / step)
        out.append((r.reason, " ".join(w.text.strip() for w in ws[first : last + 1])))
    return out


def test_a_listed_name_is_found_as_written_in_other_case_punctuation_and_a_near_spelling():
    ws = words("The witness is Daniel Martinez. later daniel martines, and Daniel Martin once")
    found = withheld_ranges(ws, ["Daniel Martinez"], margin=0)
    assert said(found, ws) == [
        ("spoken: word list entry 1", "Daniel Martinez."),
        ("spoken: word list entry 1", "daniel martines,"),
        ("spoken: word list entry 1", "Daniel Martin"),  # near enough: recall first
    ]


def test_entries_match_across_the_models_spacing_and_short_ones_only_exactly():
    ws = words("he lives at 221 B Baker Street not 21 and Dan or Dane")
    found = withheld_ranges(ws, ["221B", "Dan"], margin=0)
    assert said(found, ws) == [("spoken: word list entry 1", "221 B"), ("spoken: word list entry 2", "Dan")]


def test_numbers_of_five_digits_or_more_written_or_said_digit_by_digit():
    ws = words(
        "call 07911, 1 -2 -3 -4 -5 -6. or oh seven nine one one now. Room 1234 and 12 34 5 or M&I-1-1-2-3-4 then"
    )
    found = withheld_ranges(ws, patterns=["numbers"], margin=0)
    assert said(found, ws) == [
        ("spoken: a number of 5 or more digits", "07911, 1 -2 -3 -4 -5 -6."),
        ("spoken: a number of 5 or more digits", "oh seven nine one one"),
        ("spoken: a number of 5 or more digits", "12 34 5"),
        ("spoken: a number of 5 or more digits", "M&I-1-1-2-3-4"),  # "oh nine one..." heard badly
    ]  # a four-digit room number is not withheld


def test_dates_need_a_day_or_year_beside_the_month_and_numeric_dates_count():
    ws = words("born on the 5th of May 1990 and March 3rd but you may go, on 12/03/1990 too")
    found = withheld_ranges(ws, patterns=["dates"], margin=0)
    assert said(found, ws) == [
        ("spoken: a date", "the 5th of May 1990"),
        ("spoken: a date", "March 3rd"),
        ("spoken: a date", "12/03/1990"),
    ]


def test_email_addresses_written_or_said():
    ws = words("write to j.smith@example.org or to jay smith at example dot co dot uk today. We met at noon")
    found = withheld_ranges(ws, patterns=["emails"], margin=0)
    reasons = said(found, ws)
    assert reasons[0] == ("spoken: an e-mail address", "j.smith@example.org")
    assert reasons[1][1] == "jay smith at example dot co dot uk"
    assert len(reasons) == 2  # "at noon" is no address


def test_ranges_are_padded_clamped_at_zero_and_overlaps_of_one_reason_merged():
    ws = words("Martinez Martinez said", step=0.3)
    (only,) = withheld_ranges(ws, ["Martinez"], margin=0.25)
    assert only.start == 0.0 and only.end == pytest.approx(0.3 + 0.4 + 0.25)
    assert "Martinez" not in only.reason


def test_a_name_is_padded_less_than_a_number_unless_one_margin_is_asked_for():
    """A listed name is timed well by the model: 0.25 s each side keeps the words beside it
    audible; a number said in several words needs 0.5 s to be bleeped whole."""
    ws = words("the witness is Margaret Kowalski and her number is 0 1 7 3 4 5 6", step=1.0)
    name, number = withheld_ranges(ws, ["Margaret Kowalski"], ["numbers"])
    assert (name.start, name.end) == pytest.approx((3 - 0.25, 4.4 + 0.25))
    assert (number.start, number.end) == pytest.approx((9 - 0.5, 15.4 + 0.5))
    both = withheld_ranges(ws, ["Margaret Kowalski"], ["numbers"], margin=0.1)
    assert [x for r in both for x in (r.start, r.end)] == pytest.approx([2.9, 4.5, 8.9, 15.5])


def test_word_lists_and_patterns_are_checked():
    assert parse_word_list(" Daniel Martinez ; 221B;; ") == ("Daniel Martinez", "221B")
    with pytest.raises(ValueError, match="no letter or digit"):
        parse_word_list("Daniel; --")
    with pytest.raises(ValueError, match="unknown bleep pattern phones"):
        check_patterns(["numbers", "phones"])


@pytest.mark.parametrize(
    ("said", "entries", "patterns", "bleeped"),
    [
        ("oh seven nine double one two three", (), ["numbers"], "oh seven nine double one two three"),
        ("call twenty-one twenty-two thirty-three now", (), ["numbers"], "twenty-one twenty-two thirty-three"),
        ("oh seven nine uh one one two", (), ["numbers"], "oh seven nine uh one one two"),
        ("he lives at fourteen Elm Road", ["14 Elm Road"], (), "fourteen Elm Road"),
        ("at two two one B Baker", ["221B"], (), "two two one B"),
        ("that is Ann's car", ["Ann"], (), "Ann's"),
        ("Mrs Martinez-Lopez came", ["Martinez"], (), "Martinez-Lopez"),
        ("write daniel dot martinez dot ninety at gmail dot com", (), ["emails"],
         "daniel dot martinez dot ninety at gmail dot com"),
    ],
)  # fmt: skip
def test_what_people_say_and_the_model_writes_in_other_ways_is_still_found(said, entries, patterns, bleeped):
    ws = words(said)
    (found,) = said_by(withheld_ranges(ws, entries, patterns, margin=0), ws)
    assert found == bleeped


def said_by(found, ws):
    return [text for _, text in said(found, ws)]


def test_entries_the_transcript_says_nowhere_are_named_by_number():
    from redact.speech.withhold import unmatched_entries

    ws = words("the witness is Margaret Kowalski and she saw 0 1 7 3")
    assert unmatched_entries(ws, ["Margaret Kowalski", "Müller", "kowalsky", "0173"]) == (2,)


@pytest.mark.parametrize(
    ("said", "entries", "patterns", "bleeped"),
    [
        # umlauts and ß as typed or as a transcript without them writes them; case endings; compounds
        ("Der Zeuge heißt Jürgen Mueller, er wohnt", ["Jürgen Müller"], (), "Jürgen Mueller,"),
        ("das ist Muller sein Auto", ["Müller"], (), "Muller"),
        ("das ist Müllers Auto", ["Müller"], (), "Müllers"),
        ("Frau Kurzes Hund", ["Kurz"], (), "Kurzes"),
        ("die Müllerstraße ist lang", ["Müller"], (), "Müllerstraße"),
        ("er wohnt Hauptstrasse zwölf", ["Hauptstraße 12"], (), "Hauptstrasse zwölf"),
        # numbers: digit by digit, "zwo", "doppel", compounds
        ("Nummer ist null eins sieben drei, vier fünf sechs sieben acht. Das", (), ["numbers"],
         "null eins sieben drei, vier fünf sechs sieben acht."),
        ("Nummer null doppel eins zwo drei bitte", (), ["numbers"], "null doppel eins zwo drei"),
        ("IBAN DE89 3704 0044 0532 0130 00 danke", (), ["numbers"], "DE89 3704 0044 0532 0130 00"),
        ("einhundertzwanzig Euro", ["120"], (), "einhundertzwanzig"),
        # dates
        ("geboren am 3. März 2024 in", (), ["dates"], "3. März 2024"),
        ("geboren am dritten März neunzehnhundertneunzig in", (), ["dates"], "dritten März neunzehnhundertneunzig"),
        # streets with a house number, German and English
        ("Er wohnt in der Hauptstrasse zwölf. Meine", (), ["addresses"], "Hauptstrasse zwölf."),
        ("Er wohnt in der Hauptstr. 3a und", (), ["addresses"], "Hauptstr. 3a"),
        ("wohnt in der Haupt Straße 12 seit", (), ["addresses"], "Haupt Straße 12"),
        ("lives at 221B Baker Street now", (), ["addresses"], "221B Baker Street"),
        # registrations said aloud, as a transcript writes them
        ("Kennzeichen ist B M K eins zwei drei vier. Danke", (), ["plates"], "B M K eins zwei drei vier."),
        ("Kennzeichen ist BMK 1,3,4. Danke", (), ["plates"], "BMK 1,3,4."),
        ("Kennzeichen ist BMK1,3,4. Der", (), ["plates"], "BMK1,3,4."),
        ("Kennzeichen ist BMK eins mein drei vier, der", (), ["plates"], "BMK eins mein drei vier,"),
        ("Kennzeichen BMK eins zwei drei vier", ["B MK 1234"], (), "BMK eins zwei drei vier"),
        # e-mail said in German
        ("schreiben Sie an max punkt weber at polizei punkt de bitte", (), ["emails"],
         "max punkt weber at polizei punkt de"),
    ],
)  # fmt: skip
def test_german_as_said_and_as_the_model_writes_it_is_found(said, entries, patterns, bleeped):
    ws = words(said)
    assert said_by(withheld_ranges(ws, entries, patterns, margin=0), ws) == [bleeped]


def test_german_words_that_are_no_number_date_street_or_plate_stay_audible():
    ws = words("Er ist zwölf Jahre alt, es ist März, ich habe OK gesagt und 3 Leute gesehen, ein Weg 1 Stunde")
    patterns = ["numbers", "dates", "addresses", "plates", "emails"]
    found = said_by(withheld_ranges(ws, [], patterns, margin=0), ws)
    assert found == ["Weg 1"]  # a street word and a number: an address, recall first
