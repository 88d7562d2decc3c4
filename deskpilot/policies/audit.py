"""The audit log: append-only, keyed hash-chained JSON Lines of every decision and execution.

A log is a sequence of segments, one per `AuditLog` (one run). A segment starts with a header
record (`audit.open`: format, a random segment id, the id of the key, and where the previous segment
ended when the file already held one) and ends with an end record (`audit.close`, written by
`close()`, with the number of records in between). Every record carries the HMAC-SHA256 tag of the
one before it (`prev`) and its own (`mac`), keyed with a secret kept outside the run directory
(`audit_key`), so `verify_audit` detects an edited, removed, reordered or appended line, a cut tail
and a log that someone re-chained without the key. A torn last line (a crash mid-write) is kept as
evidence and the next run starts a segment after it, linked to the last whole record.

Records are written (and fsynced) *before* the driver is called, so every driver call has a record
before it, even if the process dies in the middle. While it is open, the writer holds an exclusive
`flock` on the file: a second writer is refused, and the verifier can tell a live log from a cut one.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from deskpilot.errors import UsageError
from deskpilot.policies.audit_key import (
    CLOSE,
    FORMAT,
    GENESIS,
    OPEN,
    default_key_path,
    key_id,
    link_of,
    load_or_create_key,
    mac,
    parse_record,
)
from deskpilot.policies.audit_verify import AuditReport, check_audit, verify_audit
from deskpilot.policies.redaction import Redactor

RESERVED = frozenset({"seq", "time", "event", "prev", "mac"})
_BLOCK = 65536


@dataclass(frozen=True, kw_only=True)
class _Tail:
    """What an existing file ends with: the record to link to, and a torn tail after it."""

    seq: int = 0
    link: str = GENESIS
    continues: dict[str, Any] | None = None
    torn: dict[str, int] | None = None
    needs_newline: bool = False


class AuditLog:
    """Appends keyed, hash-chained records as a new segment of `path` (created if missing).

    Args:
        path: The log file; an existing one gets a new segment linked to its last whole record.
        redactor: Masks secrets in every field before it is written (and tagged).
        key_file: The audit key; by default `DESKPILOT_AUDIT_KEY_FILE` or the state directory.

    Raises:
        UsageError: the key is unusable, or another writer has the file open.
    """

    def __init__(
        self, path: Path, redactor: Redactor | None = None, *, key_file: Path | None = None
    ) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        self._key = load_or_create_key(key_file or default_key_path())
        self.segment = secrets.token_hex(16)
        self._records = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")
        try:
            self._start()
        except BaseException:
            self._file.close()
            raise

    def _start(self) -> None:
        """Lock the file, find where it ends, and write the header of the new segment."""
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"audit log {self.path} is being written by another run") from None
        with self.path.open("rb") as existing:
            tail = _scan_tail(existing)
        self._seq, self._prev = tail.seq, tail.link
        if tail.needs_newline:
            self._file.write("\n")  # the header starts on a line of its own
        self._write(
            OPEN,
            {
                "format": FORMAT,
                "segment": self.segment,
                "key_id": key_id(self._key),
                "pid": os.getpid(),
                "continues": tail.continues,
                "torn": tail.torn,
            },
        )

    def record(self, event: str, **fields: Any) -> None:
        """Append one record and flush it to disk before returning.

        Raises:
            ValueError: `event` is one of the log's own, or a field name is reserved.
        """
        if event in (OPEN, CLOSE) or RESERVED & fields.keys():
            raise ValueError(f"reserved audit event or field: {event}, {sorted(fields)}")
        self._write(event, self.redactor.redact_value(fields))
        self._records += 1

    def close(self) -> None:
        """Write the end record and close the file (again: nothing)."""
        if self._file.closed:
            return
        try:
            self._write(CLOSE, {"segment": self.segment, "records": self._records})
        finally:
            self._file.close()

    def _write(self, event: str, fields: dict[str, Any]) -> None:
        self._seq += 1
        record = {
            "seq": self._seq,
            "time": round(time.time(), 6),
            "event": event,
            **fields,
            "prev": self._prev,
        }
        record["mac"] = mac(self._key, record)
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._prev = record["mac"]


def _scan_tail(file: BinaryIO) -> _Tail:
    """Find the last whole record of an existing log, and any torn bytes after it."""
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        return _Tail()
    file.seek(size - 1)
    needs_newline = file.read(1) != b"\n"
    found = _last_record(file, size)
    if found is None:  # not one whole record: a first header cut short, or not a log at all
        return _Tail(torn={"line": 1, "offset": 0}, needs_newline=needs_newline)
    start, end, record = found
    line = _count_newlines(file, start) + 1
    continues = {
        "seq": record["seq"],
        "mac": link_of(record),
        "line": line,
        "offset": end,
        "ended": "closed" if record["event"] == CLOSE else "open",
    }
    torn = {"line": line + 1, "offset": end} if end < size else None
    return _Tail(
        seq=record["seq"],
        link=link_of(record),
        continues=continues,
        torn=torn,
        needs_newline=needs_newline,
    )


def _last_record(file: BinaryIO, size: int) -> tuple[int, int, dict[str, Any]] | None:
    """(start, end after its newline, record) of the last line that is a record, reading back."""
    block = _BLOCK
    while True:
        start = max(0, size - block)
        file.seek(start)
        pieces = file.read(size - start).split(b"\n")
        offsets = [start]
        for piece in pieces[:-1]:
            offsets.append(offsets[-1] + len(piece) + 1)
        first = 0 if start == 0 else 1  # the first piece may be the end of a longer line
        for index in range(len(pieces) - 1, first - 1, -1):
            record = parse_record(pieces[index])
            if record is not None:
                end = min(size, offsets[index] + len(pieces[index]) + 1)
                return offsets[index], end, record
        if start == 0:
            return None
        block *= 4


def _count_newlines(file: BinaryIO, end: int) -> int:
    file.seek(0)
    count, left = 0, end
    while left > 0:
        chunk = file.read(min(_BLOCK * 16, left))
        if not chunk:
            break
        count += chunk.count(b"\n")
        left -= len(chunk)
    return count


__all__ = ["AuditLog", "AuditReport", "check_audit", "verify_audit"]
