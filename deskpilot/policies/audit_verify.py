"""Verifying an audit log end to end: every problem, with the line it is on.

The walk checks, line by line: that each line is a record (or a torn write declared by the next
segment's header), the sequence numbers, the chain (`prev` is the `mac` of the line before), each
record's HMAC with the key, that each segment starts with a header that links to where the previous
one ended and ends with an end record whose count matches, and that nothing follows an end record
but a new header. It never writes anything, the key included.
"""

from __future__ import annotations

import fcntl
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.policies.audit_key import (
    CLOSE,
    FORMAT,
    GENESIS,
    OPEN,
    default_key_path,
    key_id,
    link_of,
    load_key,
    mac,
    parse_record,
)

TORN = "torn (an incomplete record: a write was cut short)"


@dataclass(frozen=True, kw_only=True)
class AuditReport:
    """What `check_audit` found: the problems (none when intact) and what the log holds."""

    problems: tuple[str, ...]
    records: int = 0
    segments: int = 0
    key_id: str | None = None


def verify_audit(path: Path, *, key_file: Path | None = None) -> list[str]:
    """Check a log end to end; return the problems found (empty when the log is intact).

    Args:
        path: The log.
        key_file: The key it was written with; by default the one `AuditLog` uses.
    """
    return list(check_audit(path, key_file=key_file).problems)


def check_audit(path: Path, *, key_file: Path | None = None) -> AuditReport:
    """Check a log end to end (see `verify_audit`), with counts for a summary."""
    key_path = key_file or default_key_path()
    problems: list[str] = []
    key: bytes | None = None
    try:
        key = load_key(key_path)
    except FileNotFoundError:
        problems.append(
            f"cannot verify the keyed chain: no key at {key_path} (set DESKPILOT_AUDIT_KEY_FILE "
            "or --key to the key the log was written with)"
        )
    except (OSError, UsageError) as exc:
        problems.append(f"cannot verify the keyed chain: {exc}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return AuditReport(problems=(*problems, f"cannot read {path}: {exc}"))
    if not data:
        return AuditReport(
            problems=(*problems, f"{path}: empty (0 bytes): the log was emptied or never written")
        )
    walk = _Walk(key, key_path, problems)
    offset = 0
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        walk.line(number, raw, offset, offset + len(raw) + 1)
        offset += len(raw) + 1
    walk.finish(path)
    return AuditReport(
        problems=tuple(problems),
        records=walk.records,
        segments=walk.segments,
        key_id=key_id(key) if key else None,
    )


@dataclass
class _Segment:
    ident: Any = None
    checked: bool = True  # its tags are checked with the key
    count: int = 0
    ended: int = 0  # the line of its end record
    appended: bool = False  # records after its end record were already reported
    unkeyed: bool = False  # a record without a mac (format 1) was already reported


@dataclass
class _Walk:
    key: bytes | None
    key_path: Path
    problems: list[str]
    records: int = 0
    segments: int = 0
    link: str = GENESIS
    seq: int = 0
    line_no: int = 0  # the line of the last record
    end: int = 0  # the byte offset after it
    segment: _Segment | None = None
    garbage: list[tuple[int, int]] = field(default_factory=list)  # (line, offset)

    def line(self, number: int, raw: bytes, start: int, end: int) -> None:
        record = parse_record(raw)
        if record is None:
            self.garbage.append((number, start))
            return
        if record["event"] == OPEN:
            self._open(number, record)
        else:
            self._flush_garbage(None)
            self._body(number, record)
        self._chain(number, record)
        if record["event"] == CLOSE and self.segment:
            self._close(number, record, self.segment)
        self.records += 1
        self.link, self.seq, self.line_no, self.end = link_of(record), record["seq"], number, end

    def finish(self, path: Path) -> None:
        segment = self.segment
        if segment and not segment.ended and not segment.appended:
            where = f"line {self.line_no}: "
            if _being_written(path):
                self._add(
                    f"{where}still being written (no end record after seq {self.seq} yet: "
                    "a writer holds the file open)"
                )
            else:
                self._add(
                    f"{where}truncated or its writer crashed (no end record after seq {self.seq})"
                )
        for number, _ in self.garbage:
            self._add(f"line {number}: {TORN}")
        if not self.records:
            self._add(f"{path}: no audit records")

    def _add(self, problem: str) -> None:
        self.problems.append(problem)

    def _open(self, number: int, header: dict[str, Any]) -> None:
        previous = self.segment
        if previous and not previous.ended and not previous.appended:
            self._add(
                f"line {self.line_no}: segment ends without an end record after seq "
                f"{self.seq} (its writer crashed, or its tail was cut)"
            )
        torn = header.get("torn")
        declared = (torn.get("line"), torn.get("offset")) if isinstance(torn, dict) else None
        self._flush_garbage(declared)
        continues = header.get("continues")
        if not self.line_no and isinstance(continues, dict):
            self._add(
                f"line {number}: the header continues seq {continues.get('seq')}, but no "
                "record comes before it (the start of the log was removed)"
            )
        elif self.line_no and header["seq"] == self.seq + 1 and header.get("prev") == self.link:
            actual = {"seq": self.seq, "line": self.line_no, "offset": self.end}
            claimed = {k: continues.get(k) for k in actual} if isinstance(continues, dict) else {}
            if claimed != actual:
                said = f"seq {claimed.get('seq')}, line {claimed.get('line')}, byte {claimed.get('offset')}"
                self._add(
                    f"line {number}: the header says the previous segment ends at {said}, but "
                    f"it ends at seq {self.seq}, line {self.line_no}, byte {self.end} (the "
                    "lines before it were edited, inserted or removed)"
                )
        self.segment = _Segment(ident=header.get("segment"), checked=self.key is not None)
        self.segments += 1
        if header.get("format") != FORMAT:
            self._add(f"line {number}: unknown audit format {header.get('format')!r}")
        if self.key is not None and header.get("key_id") != key_id(self.key):
            self._add(
                f"line {number}: signed with another key (key id {header.get('key_id')}; "
                f"the key at {self.key_path} has id {key_id(self.key)})"
            )
            self.segment.checked = False

    def _body(self, number: int, record: dict[str, Any]) -> None:
        segment = self.segment
        if segment is None:
            self._add(
                f"line {number}: missing header: the log does not start with a segment header"
            )
            self.segment = segment = _Segment(checked=self.key is not None)
        elif segment.ended and not segment.appended:
            self._add(
                f"line {number}: record after the end record at line {segment.ended} "
                "without a new segment header (appended by someone else)"
            )
            segment.appended = True
        if record["event"] != CLOSE:
            segment.count += 1

    def _chain(self, number: int, record: dict[str, Any]) -> None:
        if record["seq"] != self.seq + 1:
            self._add(
                f"line {number}: sequence gap: seq {record['seq']}, expected {self.seq + 1} "
                "(records removed or reordered)"
            )
        if record.get("prev") != self.link:
            self._add(
                f"line {number}: chain break: does not link to the record before it "
                "(removed, reordered or inserted)"
            )
        segment = self.segment
        if self.key is None or segment is None or not segment.checked:
            return
        if "mac" not in record:
            if not segment.unkeyed:
                self._add(
                    f"line {number}: no mac (a format 1 record): the keyed chain cannot "
                    "vouch for it"
                )
                segment.unkeyed = True
        elif not hmac.compare_digest(str(record["mac"]), mac(self.key, record)):
            self._add(f"line {number}: mac mismatch (edited, or written without the key)")

    def _close(self, number: int, end: dict[str, Any], segment: _Segment) -> None:
        if segment.ended:
            return  # already reported as a record after the end record
        if end.get("records") != segment.count:
            self._add(
                f"line {number}: the end record counts {end.get('records')} records, the "
                f"segment holds {segment.count} (records removed or inserted)"
            )
        if segment.ident is not None and end.get("segment") != segment.ident:
            self._add(
                f"line {number}: the end record belongs to segment {end.get('segment')}, "
                f"not to {segment.ident} (segments spliced)"
            )
        segment.ended = number

    def _flush_garbage(self, declared: tuple[Any, Any] | None) -> None:
        """Report the lines since the last record that are not records (torn: as the header says)."""
        torn = bool(self.garbage) and self.garbage[0] == declared
        for number, _ in self.garbage:
            self._add(f"line {number}: {TORN if torn else 'not an audit record'}")
        self.garbage.clear()


def _being_written(path: Path) -> bool:
    """Whether a writer holds the log open (its exclusive flock), on this machine."""
    try:
        with path.open("rb") as file:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False
