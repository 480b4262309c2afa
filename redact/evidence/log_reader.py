"""Read a redaction log in constant memory: its small members at once, its long arrays as streams.

A log holds one entry per frame with regions and every track's detections: a crowded hour is
hundreds of megabytes of JSON, ten times that once parsed into Python objects, and verifying
or reporting on a long recording must not need a server's memory. ``LogReader`` parses the
file one value at a time (``json.JSONDecoder.raw_decode`` over a sliding window of text) and
never holds more than one element of ``regions.frames`` or ``tracks``. While reading, it
re-serialises every member canonically (``signing.canonical_json``), so the SHA-256 of the
log's canonical form, which its signature covers, comes out of the same pass.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

from .signing import canonical_json

BLOCK = 256 << 10
MAX_VALUE = 256 << 20  # the largest single item read (a track detected on every frame for 10 h is ~40 MB)
LONG = {("regions", "frames"), ("tracks",), ("timestamps",)}  # the arrays that grow with the clip
_WHITESPACE = " \t\n\r"


class _Text:
    """A file's text read forward in blocks; values are decoded one at a time from the window."""

    def __init__(self, path: Path):
        self.file = open(path, "rb")  # closed by close(), when the walk over the file ends
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.json = json.JSONDecoder()

    def _more(self, at_least: int = BLOCK) -> bool:
        if self.eof:
            return False
        data = self.file.read(max(BLOCK, at_least))
        self.buf = self.buf[self.pos :] + self.decoder.decode(data, final=not data)
        self.pos = 0
        self.eof = not data
        return bool(data)

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or not self._more():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise ValueError(f"expected {char!r}, found {found or 'the end'!r}")
        self.pos += 1

    def value(self):
        """The next JSON value; the window grows until it holds the whole value."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                held = len(self.buf) - self.pos
                if held > MAX_VALUE:  # a corrupt log must not be read into memory whole
                    raise ValueError(f"a value of more than {MAX_VALUE >> 20} MB: damaged or not a log") from None
                if not self._more(2 * held):  # doubling: a huge value costs O(n log n)
                    raise
                continue
            if end == len(self.buf) and not self.eof and self._more():
                continue  # a number at the window's edge may go on in the next block
            self.pos = end
            return value

    def close(self) -> None:
        self.file.close()


class LogReader:
    """A redaction log: ``head`` (every member, the long arrays left empty), ``digest`` (SHA-256
    of its canonical form without the signature, what a digest signature covers), ``counts``
    (items in each long array), and the long arrays' items on demand (``items``).

    Members must come in sorted order, as redact writes them (canonical JSON, then the
    signature); anything else raises ``ValueError``, as does a file that is not JSON.
    """

    def __init__(self, path: Path, digest: bool = True, each: Callable[[tuple, object], None] | None = None):
        """``digest=False`` skips re-serialising the log (2.7x faster) when only the
        members are wanted; ``digest`` is then None. ``each(where, item)`` sees every item of
        the long arrays on the way, for what needs the head and the items in one pass."""
        self.path = Path(path)
        self.counts: dict[tuple, int] = {}
        content = hashlib.sha256()
        for where, item in self._walk(content.update if digest else None):
            if each is not None:
                each(where, item)
        self.digest = content.digest() if digest else None

    def items(self, where: tuple) -> Iterator:
        """The items of one long array, ``("regions", "frames")`` or ``("tracks",)``, in order."""
        for path, item in self._walk(None):
            if path == where:
                yield item

    def _walk(self, out: Callable[[bytes], None] | None) -> Iterator[tuple[tuple, object]]:
        text = _Text(self.path)
        try:
            self.head = yield from self._object(text, (), out)
            if text.peek():
                raise ValueError("data after the log's closing brace")
        finally:
            text.close()

    def _object(self, text: _Text, where: tuple, out) -> Generator[tuple[tuple, object], None, dict]:
        text.expect("{")
        if out:
            out(b"{")
        result: dict = {}
        last = None
        while text.peek() != "}":
            if result:
                text.expect(",")
            key = text.value()
            if not isinstance(key, str):
                raise ValueError("an object key is not a string")
            text.expect(":")
            if key == "signature" and not where:  # last, and outside what it signs
                result[key] = text.value()
                if text.peek() != "}":
                    raise ValueError("members after the signature")
                continue
            if last is not None and key <= last:
                raise ValueError("members not in canonical order")
            if out:
                out((b"," if last is not None else b"") + canonical_json(key) + b":")
            last = key
            inner = (*where, key)
            if inner in LONG:
                result[key] = []
                self.counts[inner] = yield from self._array(text, inner, out)
            elif any(len(w) > len(inner) and w[: len(inner)] == inner for w in LONG):
                result[key] = yield from self._object(text, inner, out)
            else:
                result[key] = text.value()
                if out:
                    out(canonical_json(result[key]))
        text.pos += 1
        if out:
            out(b"}")
        return result

    def _array(self, text: _Text, where: tuple, out) -> Generator[tuple[tuple, object], None, int]:
        text.expect("[")
        if out:
            out(b"[")
        count = 0
        while text.peek() != "]":
            if count:
                text.expect(",")
                if out:
                    out(b",")
            item = text.value()
            if out:
                out(canonical_json(item))
            yield where, item
            count += 1
        text.pos += 1
        if out:
            out(b"]")
        return count


SIGNATURE_MEMBER = b',"signature":'


def raw_digest(path: Path) -> bytes | None:
    """SHA-256 of the file's bytes before its last member, ``signature``, plus the closing brace.

    For a log exactly as redact writes it (canonical JSON, then the signature), this is the
    canonical digest at the speed of reading the file; for any other layout it is None or
    simply a digest no signature matches, and the caller re-serialises (``LogReader``).
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        start = max(0, size - (64 << 10))
        f.seek(start)
        tail = f.read()
        at = tail.rfind(SIGNATURE_MEMBER)
        rest = tail[at + len(SIGNATURE_MEMBER) :].rstrip() if at >= 0 else b""
        if not rest.endswith(b"}"):
            return None
        try:
            if not isinstance(json.loads(rest[:-1]), dict):
                return None
        except ValueError:
            return None
        content = hashlib.sha256()
        f.seek(0)
        left = start + at
        while left:
            block = f.read(min(4 * BLOCK, left))
            if not block:
                return None
            content.update(block)
            left -= len(block)
    content.update(b"}")
    return content.digest()
