"""The audit log: append-only, hash-chained JSON Lines of every decision and execution.

Each record carries the hash of the previous one; `verify_audit` recomputes the chain, so an edited,
removed or reordered line is detected. Records are written (and flushed to disk) *before* the driver
is called, so every driver call has a record before it, even if the process dies in the middle.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import IO, Any

from deskpilot.policies.redaction import Redactor

GENESIS = "0" * 64


def _digest(record: dict[str, Any]) -> str:
    body = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _last_record(path: Path) -> tuple[int, str]:
    """(sequence number, hash) of the last record of an existing log, or a fresh chain."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0, GENESIS
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 65536))
        tail = file.read().decode("utf-8", "replace").strip().splitlines()
    last = json.loads(tail[-1])
    return int(last["seq"]), str(last["hash"])


class AuditLog:
    """Appends hash-chained records; continues the chain of an existing file."""

    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._prev = _last_record(path)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def record(self, event: str, **fields: Any) -> None:
        """Append one record and flush it to disk before returning."""
        self._seq += 1
        record = {"seq": self._seq, "time": round(time.time(), 6), "event": event,
                  **self.redactor.redact_value(fields), "prev": self._prev}  # fmt: skip
        record["hash"] = _digest(record)
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._prev = record["hash"]

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def verify_audit(path: Path) -> list[str]:
    """Recompute the chain; return the problems found (empty when the log is intact)."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read {path}: {exc}"]
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            claimed = record.pop("hash")
        except (json.JSONDecodeError, KeyError, AttributeError):
            problems.append(f"line {number}: not an audit record")
            break
        if record.get("seq") != expected_seq:
            problems.append(f"line {number}: sequence {record.get('seq')}, expected {expected_seq}")
        if record.get("prev") != prev:
            problems.append(f"line {number}: does not chain to the record before it")
        if _digest(record) != claimed:
            problems.append(f"line {number}: its content does not match its hash (edited)")
        prev, expected_seq = claimed, expected_seq + 1
    return problems
