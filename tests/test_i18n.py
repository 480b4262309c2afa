"""The interface in German and English: every message marked for translation has a German
translation with the same placeholders, none is left over, and the language is chosen as a
clerk expects (--lang, REDACT_LANG, the locale)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from redact import i18n

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def marked() -> set[str | tuple[str, str]]:
    """Every message the code marks: ``_("...")`` and ``ngettext("...", "...", n)``."""
    found = extract_from_dir(
        ROOT / "redact",
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None, "ngettext": (1, 2)},
    )
    return {message if isinstance(message, str) else tuple(message) for _, _, message, _, _ in found}


def catalog(language: str):
    return i18n.read_catalog(language)


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT])
def test_every_message_exists_in_every_language_with_its_placeholders(language):
    messages = marked()
    translated = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog(language) if m.id}
    missing = sorted(map(str, messages - set(translated)))
    assert not missing, f"no {language} translation for: {missing}"
    left_over = sorted(map(str, set(translated) - messages))
    assert not left_over, f"{language} translations of messages the code no longer has: {left_over}"
    for key, message in translated.items():
        sources = [key] if isinstance(key, str) else list(key)
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(targets) and not message.fuzzy, f"{key!r} is untranslated or fuzzy"
        wanted = {p for s in sources for p in PLACEHOLDER.findall(s)}
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) == wanted, f"{key!r}: placeholders differ in {target!r}"


def test_no_message_is_translated_twice():
    """A second translation of one message, in one file or across the files of a language,
    would be silently dropped."""
    ids = [
        (po.name, message.id if isinstance(message.id, str) else tuple(message.id))
        for po in i18n.catalog_files("de")
        for message in read_po(po.open("rb"), locale="de")
        if message.id
    ]
    seen: dict = {}
    for name, key in ids:
        seen.setdefault(key, []).append(name)
    twice = {key: names for key, names in seen.items() if len(names) > 1}
    assert not twice, twice


def test_the_language_comes_from_the_flag_then_redact_lang_then_the_locale(monkeypatch):
    for name in ("REDACT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.current() == "en"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.current() == "de"
    monkeypatch.setenv("REDACT_LANG", "en")
    assert i18n.current() == "en"
    i18n.set_language("de")
    try:
        assert i18n.current() == "de" and i18n._("done") == "fertig"
    finally:
        i18n.set_language(None)
    monkeypatch.setenv("REDACT_LANG", "fr")  # no French: English
    assert i18n.current() == "en"
    with pytest.raises(ValueError, match="unknown interface language"):
        i18n.set_language("fr")


def test_numbers_and_times_are_written_as_each_language_writes_them():
    assert i18n.number(12345.5, "de", 1) == "12.345,5" and i18n.number(12345.5, "en", 1) == "12,345.5"
    assert i18n.when("2026-12-07T13:05:16Z", "de") == "07.12.2026, 13:05:16 UTC"


def test_a_batch_report_in_german(tmp_path):
    """A disclosure officer's station set to German: the batch report is in German, its numbers
    and times written the German way; the JSON report keeps its English keys for machines."""
    from redact.batch.report import render_html

    data = {
        "source": "/faelle/17",
        "state": "/faelle/17/redact-batch.sqlite",
        "written_at": "2026-12-07T13:05:16Z",
        "summary": {"clips": 2, "by_status": {"done": 1, "failed": 1}, "frames": 12345, "seconds": 1234.5},
        "clips": [
            {"path": "/faelle/17/a.mp4", "status": "done", "frames": 12345, "found": "", "regions": 3,
             "seconds": 1234.5, "attempts": 1, "original_sha256": "ab", "derivative_sha256": "cd",
             "analysis_reused": True, "error": None},
            {"path": "/faelle/17/b.mp4", "status": "failed", "frames": None, "found": "", "regions": None,
             "seconds": None, "attempts": 2, "original_sha256": None, "derivative_sha256": None, "error": "x"},
        ],
    }  # fmt: skip
    i18n.set_language("de")
    try:
        page = render_html(data)
    finally:
        i18n.set_language(None)
    assert '<html lang="de">' in page and "Stapelbericht" in page and "2 Clips" in page
    assert "fertig: 1, fehlgeschlagen: 1" in page and "12.345 Bilder" in page and "1.234,5 s" in page
    assert "07.12.2026, 13:05:16 UTC" in page and "aus der früheren Analyse" in page
    english = render_html(data)
    assert '<html lang="en">' in english and "2 clips" in english and "12,345 frames" in english
    json.dumps(data)


def test_the_cli_takes_lang_and_refuses_an_unknown_one():
    bad = subprocess.run([sys.executable, "-m", "redact", "--lang", "fr", "presets"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown interface language 'fr'" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "redact", "--lang", "de", "presets"], capture_output=True, text=True)
    assert good.returncode == 0, good.stderr


def help_texts(command) -> list[str]:
    """Every help text ``command`` and its subcommands show: theirs, their options', the defaults
    said in words (not a value such as a preset's name)."""
    texts = [command.help] + [p.help for p in command.params if getattr(p, "help", None)]
    texts += [p.show_default for p in command.params if isinstance(getattr(p, "show_default", None), i18n.Msg)]
    for sub in getattr(command, "commands", {}).values():
        texts += help_texts(sub)
    return [t for t in texts if t]


def test_every_help_text_of_the_cli_has_a_german_translation():
    """A help text typed as a plain string (not marked) would show in English on a German station."""
    import typer

    from redact.cli import app

    known = {m.id for m in catalog("de") if m.id}
    shown_english = help_texts(typer.main.get_command(app))
    assert len(shown_english) > 100
    untranslated = sorted({str(getattr(t, "template", t)) for t in shown_english} - known)
    assert not untranslated, untranslated


def run_cli(*args: str, language: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    if language:
        env["REDACT_LANG"] = language
    return subprocess.run([sys.executable, "-m", "redact", *args], capture_output=True, text=True, env=env)


def words(text: str) -> str:
    """Help as one line of words: rich wraps it in boxes to the terminal's width."""
    return " ".join(text.replace("│", " ").split())


def test_help_in_german_from_the_flag_or_the_environment_and_english_unchanged():
    by_flag = run_cli("--lang", "de", "run", "--help")
    assert by_flag.returncode == 0, by_flag.stderr
    text = words(by_flag.stdout)
    assert "Aufruf:" in text and "Optionen" in text and "Diese Hilfe anzeigen und beenden." in text
    assert "Jede DATEI in DATEI.redacted.mp4" in text and "Original-Videodateien (werden nie verändert)." in text
    assert "[Standard: (aus der Voreinstellung; disclosure: face,plate)]" in text
    assert "Usage:" not in text and "Original video files" not in text
    by_env = run_cli("--help", language="de")
    assert "Offline-Schwärzung von Gesichtern und Kennzeichen" in words(by_env.stdout)
    english = words(run_cli("run", "--help", language="en").stdout)
    assert "Usage:" in english and "Original video files (never modified)." in english and "Aufruf" not in english
    assert "[default: (from the preset; disclosure: face,plate)]" in english


def test_command_line_lines_in_german():
    refused = run_cli("snapshot", "x.mp4", "--at", "soon", language="de")
    assert refused.returncode == 2 and refused.stderr.startswith("redact: Fehler: --at:"), refused.stderr
    keyless = run_cli("verify", language="de")
    assert keyless.returncode == 2
    assert "geben Sie zu prüfende Dateien oder Ordner an, oder --case-dir ORDNER" in keyless.stderr
