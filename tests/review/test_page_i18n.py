"""The review page in German and English, from one catalog (``static/locale/de.json``).

Every message the page shows is written in English in ``app.js`` as the first argument of
``t('…')`` or ``tn('singular', 'plural', n)`` (always a plain string literal: a message built
in code could not be translated), or marked in ``index.html`` with ``data-i18n`` (an element's
text) and ``data-i18n-title``, ``-aria-label``, ``-placeholder`` (an attribute's); an empty
value means the English text is the key. The catalog maps a ``t`` message to its German text,
a ``tn`` singular to ``{"one": …, "other": …}``. These tests fail on a message without a
translation, a translation no message uses, differing placeholders, a message built in code
and English text left unmarked in the page; a browser reads the page in German and English.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browsing import serving, shoot, watched_page
from clips import write_interview

from redact import i18n
from redact.options import DetectOptions, RedactOptions

STATIC = Path(__file__).resolve().parents[2] / "redact" / "review" / "page" / "static"
CATALOG = STATIC / "locale" / "de.json"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ATTRIBUTES = ("title", "aria-label", "placeholder")
CALL = re.compile(r"(?<![\w.$])(?<!function )(tn?)\(")
PLURAL_FORMS = {"one", "other"}  # German's categories in Intl.PluralRules


# ------------------------------------------------------------------------------ app.js


class BuiltInCode(ValueError):
    """A t()/tn() call whose message is not a plain string literal."""


def string_literal(source: str, at: int) -> tuple[str, int]:
    """The JavaScript string literal starting at ``at`` (after blanks) and where it ends;
    BuiltInCode when there is none (a template literal, a variable, a call)."""
    while source[at].isspace():
        at += 1
    quote = source[at]
    if quote not in "'\"":
        raise BuiltInCode(source[at : at + 60])
    escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v"}
    out, i = [], at + 1
    while source[i] != quote:
        char = source[i]
        if char == "\n":
            raise BuiltInCode(source[at : i + 1])
        if char == "\\":
            following = source[i + 1]
            if following == "u":
                if source[i + 2] == "{":
                    end = source.index("}", i)
                    out.append(chr(int(source[i + 3 : end], 16)))
                    i = end + 1
                else:
                    out.append(chr(int(source[i + 2 : i + 6], 16)))
                    i += 6
                continue
            if following == "x":
                out.append(chr(int(source[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(escapes.get(following, following))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out), i + 1


def next_token(source: str, at: int) -> str:
    while source[at].isspace():
        at += 1
    return source[at]


def without_comments(source: str) -> str:
    """``source`` with its comments blanked (newlines kept), its strings and template literals as
    they are: a comment that mentions t() is no call."""
    out, i, quote = list(source), 0, None
    while i < len(source):
        char = source[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif source.startswith("//", i) or source.startswith("/*", i):
            end = source.find("\n", i) if source[i + 1] == "/" else source.find("*/", i) + 2
            end = len(source) if end < i else end
            for j in range(i, end):
                out[j] = "\n" if source[j] == "\n" else " "
            i = end
            continue
        i += 1
    return "".join(out)


def script_messages(source: str) -> tuple[set[str], dict[str, set[str]], list[str]]:
    """(t messages, tn singulars -> their plurals, the calls whose message is built in code)."""
    source = without_comments(source)
    singles: set[str] = set()
    plurals: dict[str, set[str]] = {}
    built: list[str] = []
    for call in CALL.finditer(source):
        line = source.count("\n", 0, call.start()) + 1
        try:
            message, end = string_literal(source, call.end())
            if next_token(source, end) not in ",)":  # 'a' + b: concatenated
                raise BuiltInCode(source[call.start() : end + 20])
            if call.group(1) == "tn":
                if next_token(source, end) != ",":
                    raise BuiltInCode(source[call.start() : end + 20])
                plural, end = string_literal(source, source.index(",", end) + 1)
                if next_token(source, end) != ",":
                    raise BuiltInCode(source[call.start() : end + 20])
                plurals.setdefault(message, set()).add(plural)
            else:
                singles.add(message)
        except BuiltInCode as error:
            built.append(f"app.js line {line}: {error}")
    return singles, plurals, built


# ---------------------------------------------------------------------------- index.html

SYMBOLS_ONLY = re.compile(r"^[^A-Za-zÄÖÜäöüß]*[A-Za-zÄÖÜäöüß]?[^A-Za-zÄÖÜäöüß]*$")  # |<, ?, 1:1, B
VOID = {"meta", "link", "input", "img", "br", "hr", "source", "track", "wbr", "area", "base", "col", "embed"}


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Page(HTMLParser):
    """The messages index.html marks, and what it shows without marking it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[dict] = []
        self.messages: set[str] = set()
        self.unmarked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ATTRIBUTES:
            value = attrs.get(name)
            if value is None or SYMBOLS_ONLY.match(value):
                continue
            if f"data-i18n-{name}" not in attrs:
                self.unmarked.append(f'<{tag} {name}="{value}"> has no data-i18n-{name}')
            else:
                self.messages.add(attrs[f"data-i18n-{name}"] or value)
        if tag not in VOID:
            self.stack.append({"tag": tag, "attrs": attrs, "text": [], "children": 0})

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        element = self.stack.pop()
        assert element["tag"] == tag, f"</{tag}> closes <{element['tag']}>"
        if self.stack:
            self.stack[-1]["children"] += 1
        text = normalised("".join(element["text"]))
        if "data-i18n" in element["attrs"]:  # valueless: the English text is the key
            assert not element["children"], f"<{tag} data-i18n> holds elements: its text is replaced whole"
            self.messages.add(element["attrs"]["data-i18n"] or text)
        elif text and not SYMBOLS_ONLY.match(text) and tag not in ("script", "style"):
            self.unmarked.append(f"<{tag}>{text}</{tag}> has no data-i18n")

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"].append(data)


def page_messages() -> Page:
    page = Page()
    page.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    page.close()
    return page


# ---------------------------------------------------------------------------- the catalog


def catalog() -> dict:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def used() -> tuple[set[str], dict[str, set[str]], list[str]]:
    singles, plurals, built = script_messages((STATIC / "app.js").read_text(encoding="utf-8"))
    return singles | page_messages().messages, plurals, built


def test_every_message_is_a_plain_string_literal():
    built = used()[2]
    assert not built, "messages built in code (use t('… {name} …', {name})):\n" + "\n".join(built)


def test_the_extraction_reads_both_quotes_escapes_and_refuses_built_messages():
    source = r"""t('it\'s {n}', {n}); t("say \"hi\"\u2026"); tn('{n} box', "{n} boxes", n); // t(a) in a comment
    function t(message, params) {} x.t(a); at('no'); t(`Frame ${n}`); t('a' + b); tn('{n} x', plural, n);
    /* t(b) */ const url = 'http://127.0.0.1/'; t('// not a comment');"""
    singles, plurals, built = script_messages(source)
    assert singles == {"it's {n}", 'say "hi"…', "// not a comment"} and plurals == {"{n} box": {"{n} boxes"}}
    assert len(built) == 3


def test_every_message_has_a_german_translation_with_its_placeholders_and_none_is_left_over():
    singles, plurals, _ = used()
    german = catalog()
    missing = sorted((singles | set(plurals)) - set(german))
    assert not missing, f"no German for: {missing}"
    left_over = sorted(set(german) - singles - set(plurals))
    assert not left_over, f"German for messages the page no longer has: {left_over}"
    both = sorted(singles & set(plurals))
    assert not both, f"used both with t() and as a tn() singular: {both}"
    for key in singles:
        assert isinstance(german[key], str) and german[key].strip(), f"{key!r}: not a German text"
        assert set(PLACEHOLDER.findall(german[key])) == set(PLACEHOLDER.findall(key)), f"{key!r}: placeholders differ"
    for key, english_plurals in plurals.items():
        forms = german[key]
        assert isinstance(forms, dict) and set(forms) == PLURAL_FORMS, f"{key!r}: give the forms {PLURAL_FORMS}"
        assert len(english_plurals) == 1, f"{key!r} has more than one English plural: {english_plurals}"
        wanted = set(PLACEHOLDER.findall(key))
        assert set(PLACEHOLDER.findall(next(iter(english_plurals)))) == wanted, f"{key!r}: English plural differs"
        for form in forms.values():
            assert form.strip() and set(PLACEHOLDER.findall(form)) == wanted, f"{key!r}: placeholders in {form!r}"


def test_no_text_in_the_page_is_left_unmarked():
    unmarked = page_messages().unmarked
    assert not unmarked, "English left in index.html:\n" + "\n".join(unmarked)


def test_the_server_says_its_language_and_gives_the_catalog(tmp_path):
    from starlette.testclient import TestClient

    from redact.review.page.app import Review, build_app

    app = build_app(Review([], tmp_path, RedactOptions(quiet=True), "DC 1 Test", None))
    try:
        i18n.set_language("de")
        with TestClient(app) as client:
            answer = client.get("/api/i18n").json()
        assert answer["language"] == "de" and answer["messages"] == catalog()
        i18n.set_language("en")
        with TestClient(app) as client:
            assert client.get("/api/i18n").json() == {"language": "en", "messages": {}}
    finally:
        i18n.set_language(None)


# ------------------------------------------------------------------------------ a browser

expect = pytest.importorskip("playwright.sync_api").expect
FACES = RedactOptions(detect=DetectOptions(kinds=("face",)), quiet=True, workers=0)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-i18n")
    yield from serving(write_interview(folder / "vernehmung.mov", frames=24), FACES, reviewer="KHK Weber")


@pytest.fixture
def german():
    """The server process's interface language German (as `redact --lang de review` sets it)."""
    i18n.set_language("de")
    yield
    i18n.set_language(None)


def visible_texts(page, selector: str) -> list[str]:
    """The text of every visible element under ``selector`` that holds text of its own."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].flatMap((root) =>
            [root, ...root.querySelectorAll('*')]).filter((node) => node.checkVisibility()
            && [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim()))
            .map((node) => node.innerText.trim())""",
        selector,
    )


def test_the_page_speaks_german_when_the_server_does(served, browser, german, tmp_path):
    server, _ = served
    page, errors, requests = watched_page(browser)
    page.goto(server.fresh_url())
    page.wait_for_selector('#frame[data-frame="0"]')
    assert page.evaluate("document.documentElement.lang") == "de"
    expect(page.locator("#render")).to_have_text("Rendern")
    expect(page.locator("#show-original")).to_have_text("Original zeigen (protokolliert)")
    expect(page.locator("#reviewer")).to_have_text("Prüfer: KHK Weber")
    assert page.locator("#clip-list h1").text_content() == "Clips zur Prüfung"  # shown for a folder
    assert page.title() == "vernehmung.mov · redact \N{EN DASH} Prüfung"
    expect(page.locator("#frame-label")).to_have_text("00:00:00,000  Bild 0 / 24")
    expect(page.locator("#track-count")).to_contain_text("2 Personen, 0 Kennzeichen")  # plurals
    expect(page.locator("#selection-count")).to_have_text("0 ausgewählt")
    expect(page.locator("li.track").first.locator(".span")).to_contain_text("verdeckt 0:00,000\N{EN DASH}")
    assert page.locator("li.track").first.locator("input.reason").get_attribute("placeholder") == (
        "Grund für das Sichtbarlassen (Pflichtfeld)"
    )
    expect(page.locator("#transcript-warning")).to_contain_text("Sprachmodell")

    page.click("#bulk-keep")  # nothing selected: a status line says so
    expect(page.locator("#status")).to_have_text("Erst auswählen, was sichtbar bleiben soll.")
    page.click("#draw-box")
    expect(page.locator("#mode-hint")).to_contain_text("Esc bricht ab")
    page.keyboard.press("Escape")
    page.click("#add-audio")  # a row built in code, saved once it has a reason
    audio = page.locator("li.audio-range").first
    expect(audio.locator("select.action option")).to_have_text(["stummschalten", "überpiepen"])
    expect(page.locator("#save-state")).to_contain_text("Nicht gespeichert: Tonzeitraum 1 braucht einen Grund")
    audio.locator("input.reason").fill("Name einer Zeugin")
    expect(page.locator("#save-state")).to_have_text("Gespeichert", timeout=15000)

    english = set(catalog()) - {value for value in catalog().values() if isinstance(value, str)}
    shown = visible_texts(page, "#top, #transport, #tracks-panel .bulk, #regions-panel, #audio-panel")
    assert shown and not [text for text in shown if text in english], shown
    page.evaluate("() => { document.activeElement.blur(); document.querySelector('#side').scrollTop = 0; }")
    shoot(page, tmp_path, "page-de.png")  # to look at: the longer German words must fit

    page.keyboard.press("?")  # the shortcuts, in German, with the keys a German keyboard names
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help h2")).to_have_text("Tastatur")
    expect(page.locator("#help dt", has_text="Strg + Z")).to_have_count(1)
    expect(page.locator("#help dd", has_text="rückgängig machen")).to_have_count(1)
    help_texts = visible_texts(page, "#help")
    assert not [text for text in help_texts if text in english], help_texts
    shoot(page, tmp_path, "page-de-help.png")
    origin = f"http://127.0.0.1:{server.port}/"
    assert all(url.startswith((origin, "data:", "blob:")) for url in requests), "the page asked for something elsewhere"
    assert not errors, errors
    page.close()


def test_the_english_page_is_as_written(served, browser, tmp_path):
    server, _ = served
    i18n.set_language("en")
    try:
        page, errors, _ = watched_page(browser)
        page.goto(server.fresh_url())
        page.wait_for_selector('#frame[data-frame="0"]')
        assert page.evaluate("document.documentElement.lang") == "en"
        expect(page.locator("#render")).to_have_text("Render")
        expect(page.locator("#frame-label")).to_have_text("00:00:00.000  frame 0 / 24")
        expect(page.locator("#track-count")).to_contain_text("2 people, 0 plates")
        expect(page.locator("#help dt", has_text="Delete")).to_have_count(1)
        assert page.title() == "vernehmung.mov · redact review"
        shoot(page, tmp_path, "page-en.png")
        assert not errors, errors
        page.close()
    finally:
        i18n.set_language(None)
