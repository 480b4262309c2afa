"""Which stretches of speech to bleep: every place a listed word or phrase, or a pattern
(long numbers, dates, e-mail addresses), is said in a transcript. Pure: words in, ranges out.

Matching is for recall. The model writes what it heard, not what the clerk typed: "221B" may
come out as "221 B", "Martinez" as "Martines", a phone number as "07911" or as "oh seven nine
one one". So words are compared without case, accents, spaces or punctuation, a listed entry
of five or more letters also matches spellings close to it (similarity >= ``NEAR``), and
numbers said digit by digit count as digits. A range says why it is bleeped, never the word.

German is matched beside English whatever language the transcript is in (a German clip may
quote an English name, and the other way round): "Müller" is also "Mueller" and "Muller",
"Müllers" is Müller's, "zwölf" and "einhundertzwanzig" are numbers, "am dritten März" a date,
"Hauptstraße zwölf" an address, "B M K eins zwei drei vier" a registration (``german``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..i18n import N_
from . import german
from .transcript import Word

NEAR = 0.85  # SequenceMatcher ratio at which a spelling counts as the listed one
NEAR_MIN = 5  # entries shorter than this (letters and digits) must match exactly
NEAR_DIGIT = 0.7  # a word this near a digit's name, between digits, is taken for one the model misheard
# default padding each side. The model's word times are off by 0.1-0.2 s, more at the ends of a
# number or date said in several words: measured (benchmarks/speech.py), 0.5 s bleeps 91 % of
# spoken phone numbers and 85 % of dates whole, 0.25 s only 74 % and 16 %
MARGIN_S = 0.5
# a listed word or name needs less: the model times a word it was told (or knows) to within
# 0.1-0.2 s, and every 0.25 s more bleeps the words around it (RESULTS.md, 2026-12-07: names
# bleeped whole are as many at 0.25 s as at 0.5 s; the words beside them are not lost)
WORD_MARGIN_S = 0.25
PATTERNS = {
    "numbers": N_("a number of 5 or more digits"),
    "dates": N_("a date"),
    "emails": N_("an e-mail address"),
    "addresses": N_("a street and house number"),
    "plates": N_("a vehicle registration"),
}
CHOSEN = N_("spoken: a word chosen in review")  # a word the clerk clicked on the review page
DIGITS = {"zero": "0", "oh": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4"}
DIGITS |= {"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = DIGITS | {w: str(10 + i) for i, w in enumerate(TEENS)}
NUMBER_WORDS |= {w: str(20 + 10 * i) for i, w in enumerate(TENS)}
# the names of single digits a misheard word is compared with ("lieben" for "sieben")
SPOKEN_DIGITS = tuple(w for w in (*DIGITS, *german.ALONE) if len(w) >= 4 and len(german.ALONE.get(w, "0")) == 1)
ENGLISH_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
MONTHS = ENGLISH_MONTHS | german.MONTHS
ORDINALS = {
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth", "thirtieth",
}  # fmt: skip
DATE_GLUE = {"the", "of", "on"} | german.DATE_GLUE
NUMERIC_DATE = re.compile(r"\b\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}\b")
DAY = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
POSSESSIVE = re.compile("['\u2019]s\\b")  # "Ann's", typed or typeset
FILLERS = {"uh", "um", "er", "erm", "ah", "eh", "aeh", "aehm", "oeh", "hm"}  # said inside a number without ending it
REPEATS = {"double": 1, "triple": 2} | german.REPEATS  # "double one": one digit more than the words say
# words that end the look back for an address's local part ("write to jay smith at ...")
BEFORE_ADDRESS = {"to", "or", "and", "is", "was", "my", "his", "her", "their", "its", "email", "mail", "address"}
BEFORE_ADDRESS |= {"write", "send", "on", "me", "the"} | german.BEFORE_ADDRESS
DOT_WORDS = {"dot"} | german.DOT_WORDS
AT_WORDS = {"at"} | german.AT_WORDS
# the ending of a word that names a street in English ("Baker Street", "Elm Rd"), after its number
ENGLISH_STREETS = {"street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "close", "way"}
ENGLISH_STREETS |= {"crescent", "terrace", "place", "square", "gardens", "court", "grove", "hill", "row"}
WRITTEN_PLATE = re.compile(r"^[A-ZÄÖÜ]{2,5}\d{1,4}[EH]?$")  # a registration the model wrote as one word
HOUSE_NUMBER = re.compile(r"^\d{1,4}[a-z]?$")
# what a word may add to a name it holds: German case endings ("Müllers", "Schulzen")
CASE_ENDINGS = {"s", "n", "en", "es", "ns"}
TLDS = {"com", "org", "net", "gov", "edu", "uk", "co", "io", "us", "de", "fr", "nl", "eu", "info", "police"}


@dataclass(frozen=True)
class Withheld:
    start: float
    end: float
    reason: str  # why, never what: "spoken: word list entry 2", "spoken: a date"


def parse_word_list(text: str | Sequence[str]) -> tuple[str, ...]:
    """Entries separated by ";" (a list is taken as given); ``ValueError`` for one with no letter or digit."""
    entries = text.split(";") if isinstance(text, str) else list(text)
    out = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        if not normal(entry):
            raise ValueError(N_("bleep word entry {entry!r} has no letter or digit", entry=entry))
        out.append(entry)
    return tuple(out)


def check_patterns(names: Sequence[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in PATTERNS]
    if unknown:
        raise ValueError(
            N_(
                "unknown bleep pattern {names}; choose from {known}",
                names=", ".join(unknown),
                known=", ".join(PATTERNS),
            )
        )
    return tuple(dict.fromkeys(names))


def normal(text: str) -> str:
    """Lower case, German umlauts as ae/oe/ue and ß as ss, other accents and a possessive "'s"
    dropped, only letters and digits: how words are compared."""
    text = POSSESSIVE.sub("", unicodedata.normalize("NFKD", german.fold(text.lower())))
    return "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))


def withheld_ranges(
    words: Sequence[Word],
    entries: Sequence[str] = (),
    patterns: Sequence[str] = (),
    margin: float | None = None,
) -> list[Withheld]:
    """Every range to bleep, padded by ``margin`` each side (None: ``WORD_MARGIN_S`` around a
    listed word, ``MARGIN_S`` around a pattern), merged where one reason's ranges overlap, in
    time order."""
    keys = [normal(w.text) for w in words]
    said = [as_digits(key) for key in keys]  # "fourteen Elm Road" reads as "14 Elm Road" typed
    spans: list[tuple[int, int, str]] = []
    for number, entry in enumerate(entries, start=1):
        target = "".join(as_digits(normal(part)) for part in entry.split())
        reason = N_("spoken: word list entry {n}", n=number)
        spans += [(i, j, reason) for i, j in phrase_spans(said, target)]
    finders = {
        "numbers": number_spans,
        "dates": date_spans,
        "emails": email_spans,
        "addresses": address_spans,
        "plates": plate_spans,
    }
    for name in check_patterns(patterns):
        reason = N_("spoken: {what}", what=PATTERNS[name])
        spans += [(i, j, reason) for i, j in finders[name](words, keys)]

    def pad(reason: str) -> float:
        if margin is not None:
            return margin
        return WORD_MARGIN_S if "word list" in reason else MARGIN_S

    ranges = sorted(
        (
            Withheld(max(0.0, words[i].start - pad(reason)), words[j].end + pad(reason), reason)
            for i, j, reason in spans
        ),
        key=lambda r: (r.start, r.end),
    )
    return merged(ranges)


def unmatched_entries(words: Sequence[Word], entries: Sequence[str]) -> tuple[int, ...]:
    """The numbers (from 1) of the word list's entries the transcript says nowhere: each is a
    name that may still be audible, misheard by the model, or misspelt by the clerk."""
    said = [as_digits(normal(w.text)) for w in words]
    return tuple(
        number
        for number, entry in enumerate(entries, start=1)
        if not phrase_spans(said, "".join(as_digits(normal(part)) for part in entry.split()))
    )


def hint_digests(entry: str) -> list[str]:
    """How the words of a hint given to the model are recorded: each compared as the word list
    compares it, then hashed (a transcript says that the name was a hint, never which)."""
    keys = [as_digits(normal(part)) for part in entry.split()]
    return [hashlib.sha256(key.encode()).hexdigest()[:16] for key in keys if key]


def merged(ranges: list[Withheld]) -> list[Withheld]:
    """Overlapping ranges of one reason as one (a phone number said twice in a row is one bleep)."""
    out: list[Withheld] = []
    open_by_reason: dict[str, int] = {}
    for r in ranges:
        k = open_by_reason.get(r.reason)
        if k is not None and r.start <= out[k].end:
            out[k] = Withheld(out[k].start, max(out[k].end, r.end), r.reason)
        else:
            open_by_reason[r.reason] = len(out)
            out.append(r)
    return out


def as_digits(key: str) -> str:
    """A number word as its digits ("fourteen", "vierzehn" -> "14"), any other word as it is."""
    return NUMBER_WORDS.get(key) or german.number_digits(key) or key


def phrase_spans(keys: list[str], target: str) -> list[tuple[int, int]]:
    """(first, last) word of each place the words, joined, read as ``target`` (or near it), or
    one word holds it whole ("Martinez-Lopez" for "Martinez")."""
    spans, i = [], 0
    while i < len(keys):
        held = len(target) >= NEAR_MIN and target in keys[i]
        declined = keys[i].startswith(target) and keys[i][len(target) :] in CASE_ENDINGS  # "Kurz" in "Kurzes"
        if (held or declined) and keys[i] != target:
            spans.append((i, i))
            i += 1
            continue
        best, best_j, joined = 0.0, -1, ""
        for j in range(i, len(keys)):
            if not keys[j] and j == i:
                break
            joined += keys[j]
            score = 1.0 if joined == target else similarity(joined, target)
            if score > best:
                best, best_j = score, j
            if len(joined) >= len(target) + 3 or score == 1.0:
                break
        if best_j >= 0 and (best == 1.0 or (len(target) >= NEAR_MIN and best >= NEAR)):
            first = i
            while first < best_j and score_of(keys[first + 1 : best_j + 1], target) >= best:
                first += 1  # "is Daniel Martinez" reads near "Daniel Martinez"; the bleep starts at Daniel
                best = score_of(keys[first : best_j + 1], target)
            spans.append((first, best_j))
            i = best_j + 1
        else:
            i += 1
    return spans


def score_of(keys: list[str], target: str) -> float:
    joined = "".join(keys)
    return 1.0 if joined == target else similarity(joined, target)


def similarity(a: str, b: str) -> float:
    if len(b) < NEAR_MIN:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def digits_of(text: str) -> str | None:
    """The digits a word says: a number word's ("seven", "twenty-one" -> "201"), else every digit
    it holds (the model writes a number said fast as "07911," or even "M&I-1-1-2-3")."""
    parts = [p for p in re.split(r"[^0-9a-z]+", unicodedata.normalize("NFKD", german.fold(text.lower()))) if p]
    said = [NUMBER_WORDS.get(p) or german.number_digits(p) for p in parts]
    if parts and all(said):
        return "".join(said)
    digits = "".join(c for c in text if c.isdigit())
    return digits or None


def misheard_digit(words: Sequence[Word], keys: list[str], i: int) -> bool:
    """Whether word ``i`` is a digit the model misheard, inside a number: spelt near a number
    word ("lieben" for "sieben", "Nächs" for "sechs"), with a digit said after it (or after one
    or two more such words)."""
    j = i
    while j < len(keys) and j - i < 3 and digits_of(words[j].text) is None and near_digit(keys[j]):
        j += 1
    return j > i and j < len(keys) and digits_of(words[j].text) is not None


def near_digit(key: str) -> bool:
    if len(key) < 4 or not key.isalpha():
        return False
    return any(
        SequenceMatcher(None, key, word, autojunk=False).ratio() >= NEAR_DIGIT
        for word in SPOKEN_DIGITS
        if abs(len(word) - len(key)) <= 2
    )


def number_spans(words: Sequence[Word], keys: list[str]) -> list[tuple[int, int]]:
    """Runs of words that say 5 or more digits in all: written, said digit by digit ("oh seven
    nine double one"), with an "uh", punctuation or a misheard digit inside."""
    spans, start, count, last, filler = [], None, 0, 0, False
    for i in range(len(keys) + 1):
        key = keys[i] if i < len(keys) else "."
        digits = digits_of(words[i].text) if i < len(keys) else None
        if i < len(keys) and not key:
            continue  # punctuation on its own does not end a number
        if digits is None and start is not None and misheard_digit(words, keys, i):
            digits = "0"
        if digits is not None or (start is not None and key in REPEATS):
            if start is None:
                start, count = i, 0
            count += len(digits) if digits is not None else REPEATS[key]
            last, filler = i, False
            continue
        if start is not None and key in FILLERS and not filler:
            filler = True  # one filler inside a number; a second ends it
            continue
        if start is not None and count >= 5:
            spans.append((start, last))
        start, filler = None, False
    return spans


def is_day(key: str) -> bool:
    m = DAY.match(key)
    german_day = german.parse_ordinal(key) or german.parse_number(key)
    return bool(m and 1 <= int(m.group(1)) <= 31) or key in ORDINALS or key in NUMBER_WORDS or bool(german_day)


def is_year(key: str) -> bool:
    said = german.parse_number(key)
    return (
        (key.isdigit() and len(key) == 4 and 1900 <= int(key) <= 2099)
        or key in NUMBER_WORDS
        or (said is not None and 1900 <= said <= 2099)
    )


def date_spans(words: Sequence[Word], keys: list[str]) -> list[tuple[int, int]]:
    """A month named beside a day or year ("the 5th of May 1990", "March 3rd", "3. März 2024",
    "am dritten März"), or a numeric date."""
    spans = [(i, i) for i, w in enumerate(words) if NUMERIC_DATE.search(w.text)]
    for i, key in enumerate(keys):
        if key not in MONTHS:
            continue
        first = last = i
        j = i - 1
        while j >= 0 and i - j <= 4 and (is_day(keys[j]) or keys[j] in DATE_GLUE):
            if keys[j] not in DATE_GLUE or (keys[j] == "the" and first < i):
                first = j  # "the 5th of May": the whole date, not "on"
            j -= 1
        j = i + 1
        while j < len(keys) and j - i <= 5 and (is_day(keys[j]) or is_year(keys[j]) or keys[j] in DATE_GLUE):
            last = j if keys[j] not in DATE_GLUE else last
            j += 1
        if (first, last) != (i, i):  # "may" or "march" alone is a verb, not a date
            spans.append((first, last))
    return spans


def email_spans(words: Sequence[Word], keys: list[str]) -> list[tuple[int, int]]:
    """An address written with "@", or said ("j smith at example dot com", "max punkt weber at
    polizei punkt de")."""
    spans = [(i, i) for i, w in enumerate(words) if re.search(r"\S@\S", w.text)]
    for i, key in enumerate(keys):
        if key not in AT_WORDS:
            continue
        for j in range(i + 1, min(len(keys), i + 8)):
            spoken_tld = keys[j] in TLDS and keys[j - 1] in DOT_WORDS
            written = re.search(r"\w\.(" + "|".join(TLDS) + r")\b", words[j].text.lower())
            if spoken_tld or written:
                first = i - 1
                while (
                    first > 0
                    and i - first < 7
                    and keys[first - 1] not in BEFORE_ADDRESS
                    and not re.search(r"[.!?@]", words[first - 1].text.strip())
                ):
                    first -= 1
                last = j
                while last + 2 < len(keys) and keys[last + 1] in DOT_WORDS and keys[last + 2] in TLDS:
                    last += 2  # "dot co dot uk"
                spans.append((max(first, 0), last))
                break
    return spans


def house_number(words: Sequence[Word], keys: list[str], j: int) -> int | None:
    """The last word of a house number said from word ``j`` ("12", "12a", "zwölf", "zwölf a"), or None."""
    if j >= len(keys) or not (HOUSE_NUMBER.match(keys[j]) or german.number_digits(keys[j]) or keys[j] in NUMBER_WORDS):
        return None
    if j + 1 < len(keys) and len(keys[j + 1]) == 1 and keys[j + 1].isalpha() and keys[j].isalpha():
        return j + 1  # "zwölf a"
    return j


def address_spans(words: Sequence[Word], keys: list[str]) -> list[tuple[int, int]]:
    """A street with its house number: German ("Hauptstraße 12", "Goethe-Platz zwölf a",
    "Hauptstr. 3") and English ("221B Baker Street", "fourteen Elm Road")."""
    spans = []
    for i, key in enumerate(keys):
        if german.is_street(key):
            last = house_number(words, keys, i + 1)
            if last is not None:
                named = i > 0 and key in german.STREET_WORDS and words[i - 1].text.strip()[:1].isupper()
                first = i - 1 if named else i  # "Haupt Straße 12", not "ein Weg 1"
                spans.append((first, last))
        if key in ENGLISH_STREETS and i >= 2:
            for first in (i - 2, i - 3):  # "221B Baker Street", "221 B Baker Street"
                if first >= 0 and (HOUSE_NUMBER.match(keys[first]) or keys[first] in NUMBER_WORDS):
                    spans.append((first, i))
                    break
    return spans


def plate_letters(text: str) -> str | None:
    """The letters of a word written as a registration's letters ("BMK", "B.", "M-K"), or None."""
    letters = re.sub(r"[^A-Za-zÄÖÜ]", "", text)
    return letters if letters and len(letters) <= 3 and letters.isupper() else None


def plate_spans(words: Sequence[Word], keys: list[str]) -> list[tuple[int, int]]:
    """A registration said aloud: 2 to 5 letters written as capitals, then 1 to 4 digits ("B MK
    1234", "B.M. K. eins zwei drei vier", "BMK 1,3,4"), an "E" or "H" after them kept with them."""
    spans, i = [], 0
    while i < len(words):
        if WRITTEN_PLATE.match(re.sub(r"[\s.,\-]", "", words[i].text)):  # "BMK1,3,4.", "B-MK 1234"
            spans.append((i, i))
            i += 1
            continue
        j, letters = i, ""
        while j < len(words) and (part := plate_letters(words[j].text)) and len(letters + part) <= 5:
            letters += part
            j += 1
        digits, last, misheard = "", j - 1, False
        while j < len(words) and len(digits) < 4:
            said = digits_of(words[j].text)
            if said is None and digits and not misheard and j + 1 < len(words) and digits_of(words[j + 1].text):
                said, misheard = "0", True  # one word between digits: a digit misheard ("eins mein drei")
            if said is None or len(digits + said) > 4:
                break
            digits, last = digits + said, j
            j += 1
        if 2 <= len(letters) and digits:
            if j < len(words) and keys[j] in {"e", "h"}:
                last = j
            spans.append((i, last))
            i = last + 1
        else:
            i += 1
    return spans


def reason_said(text: str):
    """A bleep's reason as recorded (English, in decisions and logs) as the message it was made
    from, to show in the reader's language; any other text as it is."""
    if text == CHOSEN:
        return CHOSEN
    prefix = "spoken: word list entry "
    if text.startswith(prefix) and text[len(prefix) :].isdigit():
        return N_("spoken: word list entry {n}", n=int(text[len(prefix) :]))
    for what in PATTERNS.values():
        if text == f"spoken: {what}":
            return N_("spoken: {what}", what=what)
    return text
