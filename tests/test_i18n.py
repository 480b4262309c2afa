"""The interface in German and English: every message marked for translation has a German
translation with the same placeholders, none is left over, and the language is chosen as a
clerk expects (--lang, REDACT_LANG, the locale)."""

from __future__ import annotations

import ast
import json
import os
import re
import string
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


# --- error messages: templates in the catalogs, translated when shown --------------------------

ERRORS_MODULE = "errors"
BUILT = "an f-string, .format(), % or + concatenation, or an unmarked literal"


def redact_error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """Names of every ``RedactError`` subclass: those imported from ``redact.errors`` whose name
    ends in "Error", and every class in redact/** that derives from one of them."""
    found = {"RedactError"}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == ERRORS_MODULE:
                found |= {alias.asname or alias.name for alias in node.names if alias.name.endswith("Error")}
    while True:
        more = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and node.name not in found
            and any(_called_name(base) in found for base in node.bases)
        }
        if not more:
            return found
        found |= more


def _called_name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _built_in_code(node: ast.expr | None) -> bool:
    """A message made by the code rather than marked for the catalog."""
    if node is None:
        return False
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_no_error_message_is_built_in_code():
    """Every ``RedactError`` (and what ``writing``/``storage_error`` say could not be written)
    takes an ``N_()`` template and its values as params, so the catalog has it: a message or hint
    made by an f-string, ``.format()``, ``%``, ``+`` or left unmarked would be shown in English to
    a German clerk."""
    trees = {
        path.relative_to(ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "redact").rglob("*.py"))
    }
    errors = redact_error_classes(trees)
    # (callee, [(position, keyword)] of the arguments that must be marked templates)
    checked = {name: [(0, "message"), (2, "hint")] for name in errors}
    checked |= {"writing": [(1, "what")], "storage_error": [(2, "what")]}
    built = []
    for where, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node.func) not in checked:
                continue
            for position, keyword in checked[_called_name(node.func)]:
                if _built_in_code(_argument(node, position, keyword)):
                    built.append(f"{where}:{node.lineno} {_called_name(node.func)} {keyword}")
    assert not built, f"messages built as {BUILT} (use N_() and params): {built}"
    # and N_() itself takes the template as written, for Babel to extract: never one built in code
    unextractable = [
        f"{where}:{node.lineno}"
        for where, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _called_name(node.func) == "N_"
        and not (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))
    ]
    assert not unextractable, f"N_() of something other than a string literal: {unextractable}"


def test_the_error_check_sees_what_it_must():
    code = "from redact.errors import BadInputError as B\nclass X(B): pass\n"
    trees = {"m.py": ast.parse(code)}
    assert redact_error_classes(trees) >= {"B", "X"}
    call = ast.parse('X(f"a {b}", p, hint="h")').body[0].value
    assert _built_in_code(_argument(call, 0, "message")) and _built_in_code(_argument(call, 2, "hint"))
    marked_call = ast.parse('X(N_("a {b}"), p, hint=N_("h"), b=1)').body[0].value
    assert not _built_in_code(_argument(marked_call, 0, "message"))
    assert not _built_in_code(_argument(marked_call, 2, "hint"))
    for built in ('"a %s" % b', '"a " + b', '"a {}".format(b)'):
        assert _built_in_code(ast.parse(built).body[0].value)


def fields(text: str) -> list[tuple[str, str, str]]:
    """The replacement fields of a ``str.format`` template: name, conversion, format spec."""
    return sorted(
        (name, conversion or "", spec or "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


@pytest.mark.parametrize("language", [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT])
def test_translations_keep_every_placeholder_with_its_format(language):
    """``{seconds:g}``, ``{name!r}`` too (the placeholder check above sees plain ``{name}`` only):
    a German text that drops one, or changes its format, would fail when the error is shown."""
    for message in catalog(language):
        if not message.id:
            continue
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        targets = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = {field for source in sources for field in fields(source)}
        for target in targets:
            assert set(fields(target)) == wanted, f"{message.id!r}: placeholders differ in {target!r}"


def test_an_error_reads_in_german_with_its_path_and_stays_english_for_machines(tmp_path):
    from redact.errors import BadInputError
    from redact.media.decode import open_input

    missing = tmp_path / "fehlt.mp4"
    with pytest.raises(BadInputError) as caught:
        open_input(missing)
    error = caught.value
    assert error.describe() == f"{missing}: file not found" == str(error)
    assert error.describe("de") == f"{missing}: Datei nicht gefunden"
    assert error.message == "file not found" and error.exit_code == 2
    i18n.set_language("de")
    try:
        assert error.describe() == f"{missing}: Datei nicht gefunden"
        assert error.message == "file not found"  # for logs and the page's checks, whatever the language
        with pytest.raises(BadInputError) as again:
            open_input(missing)
        assert str(again.value) == f"{missing}: Datei nicht gefunden"  # in the language it was raised in
    finally:
        i18n.set_language(None)


def test_a_seal_mismatch_in_german_names_the_sha256_and_says_what_to_do(tmp_path):
    from redact.errors import SealMismatchError
    from redact.evidence.seal import Seal, verify_against_seal

    original = tmp_path / "clip.mp4"
    original.write_bytes(b"changed")
    seal = Seal("redact.seal/1", "clip.mp4", "ab" * 32, 7, "", "", "", "")
    with pytest.raises(SealMismatchError) as caught:
        verify_against_seal(original, seal)
    error = caught.value
    english = error.describe("en")
    assert english.startswith(f"{original}: original changed since it was sealed: SHA-256 ")
    assert english.endswith(f", sealed {'ab' * 32} (the file is not the sealed evidence; do not redact it)")
    german = error.describe("de")
    assert german.startswith(f"{original}: ") and f"versiegelt {'ab' * 32}" in german
    assert "SHA-256" in german and "Original" in german and german != english


def test_values_that_are_messages_are_translated_with_the_message(tmp_path):
    """A noun put into a message (``N_("the analysis")``), an exception carrying a ``Phrase``,
    and a hint set later as plain text (shown as it is)."""
    import errno

    from redact.errors import StorageError, storage_error
    from redact.review.request_fields import parse_time

    refused = storage_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path, i18n.N_("the analysis"))
    assert isinstance(refused, StorageError)
    assert refused.message == "the analysis could not be written: no space left on the device"
    german = refused.describe("de")
    assert "Analyse" in german and "analysis" not in german
    refused.hint = "plain text set later"
    assert refused.describe("de").endswith("(plain text set later)") and refused.hint == "plain text set later"
    with pytest.raises(ValueError) as caught:
        parse_time("12:xx")
    assert str(caught.value) == "bad time '12:xx'"
    from redact.errors import translated

    assert translated(caught.value, "de") != str(caught.value) and "'12:xx'" in translated(caught.value, "de")
    assert i18n.shown(caught.value.args[0], "de") == translated(caught.value, "de")  # as the CLI shows it


def test_errors_cross_processes_with_their_template_params_path_and_hint(tmp_path):
    """Detection workers and batch (Dask) workers send errors to the main process pickled: the
    receiver shows them in its own language, so the template and params must travel."""
    import pickle

    from redact.batch.source import ManifestProblems
    from redact.errors import BadInputError, SealMismatchError

    error = SealMismatchError(
        i18n.N_("seal {name} was altered ({reason})"),
        tmp_path / "clip.mp4",
        hint=i18n.N_("the seal is not the one written at sealing; do not redact"),
        name="clip.mp4.seal.json",
        reason=i18n.N_("its signature does not match its content ({reason})", reason="x"),
    )
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is SealMismatchError and back.exit_code == 3
    assert back.template == error.template and back.params == error.params and back.path == error.path
    assert back.hint_template == error.hint_template and str(back) == str(error)
    assert back.describe("de") == error.describe("de") != error.describe("en")
    problems = ManifestProblems(
        tmp_path / "m.csv", [i18n.N_("line {line}: {problem}", line=2, problem=i18n.N_("no path"))]
    )
    again = pickle.loads(pickle.dumps(problems))
    assert again.problems == problems.problems and again.describe("de") == problems.describe("de")
    assert "Zeile 2" in again.describe("de")
    plain = BadInputError("a {b} c")  # a plain text: shown as it is, never formatted
    assert pickle.loads(pickle.dumps(plain)).describe("de") == "a {b} c"


def test_every_message_marked_in_code_reaches_the_catalog():
    """Babel does not see an ``N_()`` inside a call inside another ``N_()``'s arguments
    (``N_("{a}", a=f(N_("b")))``): such a message would never be translated. Every literal
    ``N_()`` takes must be one the extraction finds."""
    extracted = {m for m in marked() if isinstance(m, str)}
    literals = {
        f"{path.relative_to(ROOT)}:{node.lineno}": node.args[0].value
        for path in sorted((ROOT / "redact").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and _called_name(node.func) == "N_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    unseen = sorted(f"{where}: {text!r}" for where, text in literals.items() if text not in extracted)
    assert not unseen, f"marked, but Babel does not extract them (compute them outside the N_() call): {unseen}"


def test_a_bad_manifest_row_reads_in_german_down_to_the_value_it_refuses(tmp_path):
    """A problem made of problems (the row, the column, the parse error of a range) is German
    through and through, and stays the English it was for the tests and the batch state."""
    from redact.batch.source import ManifestProblems, jobs_from_manifest

    manifest = tmp_path / "auftrag.csv"
    manifest.write_text("path,mute\nfehlt.mp4,12-5\n")
    with pytest.raises(ManifestProblems) as caught:
        jobs_from_manifest(manifest)
    english = "line 2: fehlt.mp4: file not found; mute: range 12-5 s ends before it starts"
    assert caught.value.problems == [english] and english in str(caught.value)
    german = caught.value.describe("de")
    assert "Zeile 2: fehlt.mp4: Datei nicht gefunden; mute: Zeitraum 12-5 s endet, bevor er beginnt" in german
    assert (
        german.startswith(f"{manifest}: 1 fehlerhafte Zeile(n) der Auftragsliste")
        and "(nichts wurde gestartet)" in german
    )


def test_a_message_kept_in_a_record_is_shown_only_when_it_is_ours_and_plain(tmp_path):
    """A log's ``*_said`` records come from a file anyone with write access could edit: a
    template that reaches into the process (``{p.__class__...}``), one that is no message of
    ours, a record that says other than the signed English: the report shows the English."""
    from redact.review.report import said

    attack = {"message": "{p.__class__.__new__.__globals__[os].environ[HOME]}", "params": {"p": {"message": "x"}}}
    assert i18n.from_record(attack) is None
    assert i18n.from_record({"message": "not a message of redact {x}", "params": {"x": 1}}) is None
    assert i18n.from_record({"message": "{n} entries, chain unbroken", "params": {"n": {"a": 1}}}) is None
    with pytest.raises(ValueError):
        i18n.Msg("{n:>999999999}", n=1)
    kept = i18n.as_record(i18n.N_("{n} entries, chain unbroken", n=4))
    assert i18n.shown(i18n.from_record(kept), "de") == "Einträge: 4, Kette lückenlos"
    i18n.set_language("de")
    try:
        assert said(kept, "4 entries, chain unbroken") == "Einträge: 4, Kette lückenlos"
        assert said(kept, "5 entries, chain unbroken") == "5 entries, chain unbroken"  # not what was signed
        assert said(attack, "muted") == "stummgeschaltet"
    finally:
        i18n.set_language(None)


def test_every_shipped_preset_says_what_it_trades_in_german_too():
    from redact.presets import available, describe

    for name in available():
        german, english = describe(name, "de"), describe(name, "en")
        assert german and english and german != english, name
    listed = run_cli("presets", language="de")
    assert listed.returncode == 0 and "disclosure (Standard): Standard. Beide Gesichtsmodelle" in listed.stdout


def test_figures_inside_messages_are_written_as_each_language_writes_them():
    said = i18n.N_("timecode {text} does not fit {fps:g} frames per second", text="01:00:00;00", fps=29.97)
    assert str(said) == "timecode 01:00:00;00 does not fit 29.97 frames per second"
    assert i18n.shown(said, "de") == "Timecode 01:00:00;00 passt nicht zu 29,97 Bildern pro Sekunde"
    ranges = i18n.N_("{times} {action}", times="1.82-2.96 s", action=i18n.N_("silenced"))
    assert i18n.shown(ranges, "de") == "1.82-2.96 s stummgeschaltet"  # times as a clerk types them back
