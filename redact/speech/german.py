"""German as a transcript writes it: number words (compounds included), ordinals, months,
street words and the words around dates and e-mail addresses. Pure data and parsing, for
``withhold``; keys are compared after ``fold`` (lower case, umlauts as ae/oe/ue, ß as ss).

German writes numbers as one word ("einhundertzwanzig", "neunzehnhundertneunzig",
"dreiundzwanzig"), so they are parsed, not listed. A transcript may say a phone number digit by
digit ("null eins sieben drei"), with "zwo" for two and "doppel" before a repeated digit.
"""

from __future__ import annotations

import re

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})

UNITS = {"null": 0, "eins": 1, "ein": 1, "eine": 1, "zwei": 2, "zwo": 2, "drei": 3, "vier": 4}
UNITS |= {"fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9}
TEENS = {"zehn": 10, "elf": 11, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14, "fuenfzehn": 15}
TEENS |= {"sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}
TENS = {"zwanzig": 20, "dreissig": 30, "vierzig": 40, "fuenfzig": 50, "sechzig": 60, "siebzig": 70}
TENS |= {"achtzig": 80, "neunzig": 90}
# said alone these are numbers; "ein" and "eine" are articles unless inside a compound
ALONE = {w: str(n) for w, n in (UNITS | TEENS | TENS).items() if w not in {"ein", "eine"}}
ALONE |= {"hundert": "100", "tausend": "1000"}
REPEATS = {"doppel": 1, "doppelt": 1, "dreifach": 2}  # "doppel null": one digit more than the words say

MONTHS = {
    "januar", "jaenner", "februar", "feber", "maerz", "april", "mai", "juni", "juli", "august",
    "september", "oktober", "november", "dezember", "jan", "feb", "mrz", "okt", "dez",
}  # fmt: skip
DATE_GLUE = {"am", "den", "dem", "vom", "zum", "im", "des"}
# ordinals that are not a number word with -te/-ste: "erste", "dritte", "siebte", "achte"
ORDINAL_STEMS = {"er": 1, "ers": 1, "erst": 1, "drit": 3, "dritt": 3, "sieb": 7, "siebt": 7, "ach": 8, "acht": 8}
ORDINAL_ENDING = re.compile(r"(?:st|t)(?:e|en|er|em|es)$")

# a word that ends in one of these names a street; a house number follows it
STREET_ENDINGS = (
    "strasse", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee", "steig", "pfad",
    "markt", "berg", "hof", "zeile", "wall", "graben", "kamp", "anger", "stieg", "promenade", "kai",
)  # fmt: skip
STREET_WORDS = {"strasse", "str", "weg", "platz", "allee", "gasse", "ring", "damm", "ufer", "chaussee"}
# words before an address's local part that end the look back ("schreiben Sie an max punkt ...")
BEFORE_ADDRESS = {"an", "ist", "lautet", "meine", "seine", "ihre", "mail", "email", "emailadresse", "adresse"}
BEFORE_ADDRESS |= {"unter", "die", "der", "schreiben", "sie"}
DOT_WORDS = {"punkt"}
AT_WORDS = {"aet", "klammeraffe"}  # "at" is said in German too


def fold(text: str) -> str:
    """German spellings to one form: umlauts as ae/oe/ue and ß as ss, as a typist without them writes."""
    return text.translate(UMLAUTS)


def parse_number(key: str) -> int | None:
    """The value of a German number word ("zwoelf" 12, "einhundertzwanzig" 120,
    "neunzehnhundertneunzig" 1990, "zweitausendvierundzwanzig" 2024), or None."""
    if not key or not key.isalpha():
        return None
    total, rest = 0, key
    if "tausend" in rest:
        head, _, rest = rest.partition("tausend")
        thousands = below_thousand(head) if head else 1
        if thousands is None or rest.count("tausend"):
            return None
        total += thousands * 1000
    if "hundert" in rest:
        head, _, rest = rest.partition("hundert")
        hundreds = below_hundred(head) if head else 1
        if hundreds is None or "hundert" in rest:
            return None
        total += hundreds * 100  # "neunzehnhundert": 19 hundreds
    if rest:
        tail = below_hundred(rest)
        if tail is None:
            return None
        total += tail
    return total if key not in {"ein", "eine"} else None


def below_thousand(key: str) -> int | None:
    if "hundert" in key:
        head, _, rest = key.partition("hundert")
        hundreds = UNITS.get(head) if head else 1
        tail = below_hundred(rest) if rest else 0
        return None if hundreds is None or tail is None else hundreds * 100 + tail
    return below_hundred(key)


def below_hundred(key: str) -> int | None:
    """1-99: "sieben", "zwoelf", "dreiundzwanzig", "einundneunzig" (with "s" dropped: "eins"/"ein")."""
    if key in UNITS or key in TEENS or key in TENS:
        return (UNITS | TEENS | TENS)[key]
    if "und" in key:
        unit, _, tens = key.partition("und")
        if unit in UNITS and tens in TENS and UNITS[unit] > 0:
            return UNITS[unit] + TENS[tens]
    return None


def parse_ordinal(key: str) -> int | None:
    """The day an ordinal says ("dritten" 3, "zwanzigsten" 20, "einunddreissigster" 31), or None."""
    m = ORDINAL_ENDING.search(key)
    if not m:
        return None
    stem = key[: m.start()]
    value = ORDINAL_STEMS.get(stem, parse_number(stem))
    return value if value else None


def number_digits(key: str) -> str | None:
    """A German number word as its digits ("zwoelf" -> "12"), else None."""
    if key in ALONE:
        return ALONE[key]
    value = parse_number(key) if len(key) > 6 else None  # long compounds only: "elfe", "achte" are words
    return str(value) if value is not None else None


def is_street(key: str) -> bool:
    """A word that names a street by its ending ("hauptstrasse", "goetheplatz", "am ring")."""
    return any(key.endswith(ending) for ending in STREET_ENDINGS) and (len(key) > 5 or key in STREET_WORDS)
