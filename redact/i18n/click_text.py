"""``--help`` and the command line's own words in the interface language.

Our help texts are marked ``N_()`` where they are declared; typer builds the click command
tree from them once, and ``speak`` translates that tree just before it parses the command
line. typer words some of its own lines ("Options", "Commands") through Python's global
gettext, which would need compiled catalogs on disk: its ``_`` is pointed at our catalogs
instead and its panel titles set in the language. Its messages we translate are listed
here, so that the catalog test sees them. A few of its parse errors ("No such option")
stay in English: typer words them in code.
"""

from __future__ import annotations

import contextlib
import importlib

from . import DEFAULT, N_, Msg, _, current, shown

# typer's own messages (it words them through gettext, or we put them in), as it words them
THEIRS = (
    N_("Usage:"),
    N_("Show this message and exit."),
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("Error"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Aborted!"),
    N_("Aborted."),
    N_("[default: {}]"),
    N_("[required]"),
    N_("default: {default}"),
    N_("required"),
    N_("Try [blue]'{command_path} {help_option}'[/] for help."),
)
# typer's panel titles and markers, worded once at its import
TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "DEFAULT_STRING": "[default: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}


def help_text(value):
    """A help text in the interface language: a ``Msg`` filled in, a plain one looked up."""
    if isinstance(value, Msg):
        return shown(value)
    return _(value) if isinstance(value, str) and value else value


def translate_commands(command) -> None:
    """Every help text, short help and shown default of ``command`` and its subcommands."""
    command.help = help_text(command.help)
    command.short_help = help_text(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = help_text(param.help)
        if isinstance(getattr(param, "show_default", None), str):
            param.show_default = help_text(param.show_default)
    for sub in getattr(command, "commands", {}).values():
        translate_commands(sub)


def speak(command) -> None:
    """Put the click ``command`` tree, and typer's own words, in the interface language.

    typer carries its own copy of click (``typer._click``) with some words fixed in English:
    "Usage:" and the help option's text are put in where it asks for them; where a typer
    release moves them, they stay English (nothing breaks)."""
    rich_utils = importlib.import_module("typer.rich_utils")
    for name, message in TYPER_WORDS.items():  # set in English too: a process may speak both
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, _(message))
    if current() == DEFAULT:
        return
    with contextlib.suppress(ImportError):
        importlib.import_module("typer.core")._ = _
    with contextlib.suppress(ImportError, AttributeError):
        worded_usage(importlib.import_module("typer._click.formatting").HelpFormatter)
    with contextlib.suppress(ImportError, AttributeError):
        worded_help_option(importlib.import_module("typer._click.core").Command)
    translate_commands(command)


def worded_usage(formatter) -> None:
    """The usage line's "Usage:" in the interface language (typer writes it in English)."""
    write_usage = formatter.write_usage
    if getattr(write_usage, "_redact", False):
        return

    def worded(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, _("Usage:") + " " if prefix is None else prefix)

    worded._redact = True
    formatter.write_usage = worded


def worded_help_option(command_class) -> None:
    """``--help``'s own help text in the interface language."""
    get_help_option = command_class.get_help_option
    if getattr(get_help_option, "_redact", False):
        return

    def worded(self, ctx):
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    worded._redact = True
    command_class.get_help_option = worded
