"""The batch's memory: one SQLite row per clip (stdlib ``sqlite3``), so a rerun resumes.

Each clip's status moves pending → running → done | failed. Every change is its own
committed transaction (WAL journal, synchronous=FULL), so a ``kill -9`` at any moment
loses at most the clip in flight, which is simply redone: its outputs only ever appear by
atomic rename, so there is no half-written derivative to clean up, only hidden temporary
files, which the retry removes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import HINTS, StorageError
from ..i18n import N_

SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    job TEXT NOT NULL,            -- the job as JSON (request options)
    parameters TEXT,              -- the redaction parameters as JSON (what shapes the output)
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    original_sha256 TEXT,
    derivative TEXT,
    derivative_sha256 TEXT,
    log TEXT,
    frames INTEGER,
    regions INTEGER,
    seconds REAL,
    started_at REAL,
    finished_at REAL,
    worker TEXT,
    error TEXT,
    exit_code INTEGER,
    analysis_reused INTEGER,      -- 1: rendered from the clip's earlier analysis (no detection ran)
    found TEXT                    -- "2 people, 0 plates, 5 uncertain regions (masked)"
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    finished_at REAL,
    source TEXT NOT NULL,
    mode TEXT NOT NULL
);
"""
OUTCOME_FIELDS = (
    "original_sha256",
    "derivative",
    "derivative_sha256",
    "log",
    "frames",
    "regions",
    "seconds",
    "worker",
    "error",
    "exit_code",
    "analysis_reused",
    "found",
)
# to a state database an earlier release made
ADDED_COLUMNS = {"analysis_reused": "INTEGER", "found": "TEXT"}


@dataclass(frozen=True)
class ClipRow:
    key: str
    position: int
    path: str
    job: dict
    parameters: dict | None
    status: str
    attempts: int
    original_sha256: str | None
    derivative: str | None
    derivative_sha256: str | None
    log: str | None
    frames: int | None
    regions: int | None
    seconds: float | None
    started_at: float | None
    finished_at: float | None
    worker: str | None
    error: str | None
    exit_code: int | None
    analysis_reused: bool | None = None  # rendered from the earlier analysis, no detection (None: unknown)
    found: str | None = None  # what the review lists: "2 people, 0 plates, 5 uncertain regions (masked)"


# SQLite's (primary) result codes that mean the storage refused the file, and what to do.
WRITABLE = N_("the batch folder must be writable: it holds the batch's state")
REFUSED = {
    sqlite3.SQLITE_FULL: (N_("the disk is full"), HINTS[errno.ENOSPC]),
    sqlite3.SQLITE_IOERR: (N_("disk I/O error (full or failing storage?)"), HINTS[errno.ENOSPC]),
    sqlite3.SQLITE_READONLY: (N_("read-only"), WRITABLE),
    sqlite3.SQLITE_CANTOPEN: (N_("cannot be opened"), WRITABLE),
    sqlite3.SQLITE_PERM: (N_("permission denied"), WRITABLE),
}


@contextlib.contextmanager
def refused_as_storage_error(path: Path) -> Iterator[None]:
    """A ``StorageError`` (exit 9, one line) for a state database the storage will not take."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        refused = REFUSED.get(code & 0xFF) if code is not None else None
        if refused is None:
            raise
        reason, hint = refused
        raise StorageError(
            N_("the batch state could not be written: {reason} ({error})"), path, hint=hint, reason=reason, error=exc
        ) from exc


class BatchState:
    """The SQLite file beside a batch; safe to reopen after any crash.

    Raises ``StorageError`` when the storage refuses it (full, read-only, unwritable folder).
    """

    def __init__(self, path: Path):
        self.path = path
        with refused_as_storage_error(path):
            self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        try:
            self._execute("PRAGMA journal_mode=WAL")
            self._execute("PRAGMA synchronous=FULL")
            with refused_as_storage_error(path):
                self.db.executescript(SCHEMA)
            have = {row[1] for row in self._execute("PRAGMA table_info(clips)").fetchall()}
            for name, kind in ADDED_COLUMNS.items():
                if name not in have:
                    self._execute(f"ALTER TABLE clips ADD COLUMN {name} {kind}")
        except BaseException:
            self.db.close()
            raise

    def _execute(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with refused_as_storage_error(self.path):
            return self.db.execute(sql, args)

    def close(self) -> None:
        self.db.close()

    def begin_run(self, source: str, mode: str) -> int:
        cur = self._execute("INSERT INTO runs (started_at, source, mode) VALUES (?, ?, ?)", (time.time(), source, mode))
        return int(cur.lastrowid)

    def end_run(self, run_id: int) -> None:
        self._execute("UPDATE runs SET finished_at = ? WHERE id = ?", (time.time(), run_id))

    def register(self, key: str, position: int, path: str, job: dict, parameters: dict) -> None:
        """Add a clip, or update its request; a clip whose parameters changed must be redone."""
        params = json.dumps(parameters, sort_keys=True)
        row = self._execute("SELECT parameters FROM clips WHERE key = ?", (key,)).fetchone()
        if row is None:
            self._execute(
                "INSERT INTO clips (key, position, path, job, parameters) VALUES (?, ?, ?, ?, ?)",
                (key, position, path, json.dumps(job), params),
            )
        elif row[0] != params:
            self._execute(
                "UPDATE clips SET position = ?, job = ?, parameters = ?, status = 'pending' WHERE key = ?",
                (position, json.dumps(job), params, key),
            )
        else:
            self._execute("UPDATE clips SET position = ?, job = ? WHERE key = ?", (position, json.dumps(job), key))

    def mark_running(self, key: str, worker: str | None = None) -> None:
        self._execute(
            "UPDATE clips SET status = 'running', attempts = attempts + 1, started_at = ?, worker = ?,"
            " error = NULL WHERE key = ?",
            (time.time(), worker, key),
        )

    def record(self, key: str, outcome: dict) -> None:
        """Store a finished attempt: ``outcome['status']`` is 'done' or 'failed'."""
        values = [outcome.get(f) for f in OUTCOME_FIELDS]
        sets = ", ".join(f"{f} = ?" for f in OUTCOME_FIELDS)
        self._execute(
            f"UPDATE clips SET status = ?, finished_at = ?, {sets} WHERE key = ?",
            (outcome["status"], time.time(), *values, key),
        )

    def mark_pending(self, key: str) -> None:
        self._execute("UPDATE clips SET status = 'pending' WHERE key = ?", (key,))

    def _select(self, where: str = "", args: tuple = ()) -> list[ClipRow]:
        cur = self._execute(f"SELECT * FROM clips {where} ORDER BY position", args)
        names = [d[0] for d in cur.description]
        out = []
        for values in cur.fetchall():
            data = dict(zip(names, values, strict=True))
            data["job"] = json.loads(data["job"])
            data["parameters"] = json.loads(data["parameters"]) if data["parameters"] else None
            if data.get("analysis_reused") is not None:
                data["analysis_reused"] = bool(data["analysis_reused"])
            out.append(ClipRow(**data))
        return out

    def rows(self, keys: list[str] | None = None) -> list[ClipRow]:
        """Every clip (or those with ``keys``), in batch order."""
        rows = self._select()
        wanted = set(keys) if keys is not None else None
        return [r for r in rows if wanted is None or r.key in wanted]

    def get(self, key: str) -> ClipRow | None:
        rows = self._select("WHERE key = ?", (key,))
        return rows[0] if rows else None
