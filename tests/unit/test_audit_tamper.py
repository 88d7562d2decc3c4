"""Tampering with an audit log, case by case: `verify_audit` names each problem and its line.

Every test writes its key under tmp_path (the `audit_key` fixture in test_audit.py), never into
the real state directory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.errors import UsageError
from deskpilot.policies.audit import AuditLog, verify_audit
from deskpilot.policies.audit_verify import TORN
from tests.unit.test_audit import audit_key, read

__all__ = ["audit_key"]  # the fixture, used by every test here (autouse)

runner = CliRunner()


def write_log(path: Path, runs: int = 1, records: int = 3) -> list[str]:
    """`runs` closed segments of `records` records each; the lines of the file."""
    for run in range(runs):
        log = AuditLog(path)
        for i in range(records):
            log.record("decision", run=run, step=i, verdict="deny")
        log.close()
    return path.read_text().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def sign(record: dict[str, Any], key: bytes | None) -> None:
    """Recompute a record's tag the way a forger would: plain SHA-256, or HMAC with his key."""
    tag = "mac" if "mac" in record else "hash"
    record.pop(tag)
    body = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    record[tag] = (
        hashlib.sha256(body).hexdigest()
        if key is None
        else hmac.new(key, body, hashlib.sha256).hexdigest()
    )


def rechain(lines: list[str], key: bytes | None, prev: str | None = None) -> list[str]:
    """Recompute every tag and every link after an edit (the first links to `prev` if given)."""
    out: list[str] = []
    for line in lines:
        record = json.loads(line)
        if prev is not None:
            record["prev"] = prev
        sign(record, key)
        prev = record.get("mac", record.get("hash"))
        out.append(json.dumps(record, ensure_ascii=False))
    return out


def problems_with(path: Path, needle: str) -> list[str]:
    return [p for p in verify_audit(path) if needle in p]


@pytest.mark.parametrize("dropped", [1, 2, 4])
def test_a_truncated_tail_is_reported_with_the_last_seq(tmp_path: Path, dropped: int) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, records=4)  # header, 4 records, end: 6 lines, seq 1..6
    rewrite(path, lines[:-dropped])
    last = len(lines) - dropped
    assert verify_audit(path) == [
        f"line {last}: truncated or its writer crashed (no end record after seq {last})"
    ]


def test_an_emptied_file_is_a_problem_not_intact(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    path.write_bytes(b"")
    assert verify_audit(path) == [f"{path}: empty (0 bytes): the log was emptied or never written"]
    result = runner.invoke(app, ["audit", "verify", str(path)])
    assert result.exit_code == 1
    assert "intact" not in result.output


def test_an_edit_rechained_with_plain_sha256_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    lines[2] = lines[2].replace('"deny"', '"allow"')
    rewrite(path, rechain(lines, key=None))
    problems = verify_audit(path)
    assert problems and all("mac mismatch" in p for p in problems)
    assert problems[0].startswith("line 1: mac mismatch")


def test_an_edit_rechained_with_a_wrong_key_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    lines[2] = lines[2].replace('"deny"', '"allow"')
    rewrite(path, rechain(lines, key=os.urandom(32)))
    problems = verify_audit(path)
    assert len(problems) == len(lines)
    assert all("mac mismatch" in p for p in problems)


def test_an_edited_record_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    lines[2] = lines[2].replace('"deny"', '"allow"')
    rewrite(path, lines)
    assert verify_audit(path) == ["line 3: mac mismatch (edited, or written without the key)"]


def test_a_deleted_middle_line_is_a_gap_and_a_chain_break(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, records=4)
    rewrite(path, lines[:2] + lines[3:])
    assert verify_audit(path) == [
        "line 3: sequence gap: seq 4, expected 3 (records removed or reordered)",
        "line 3: chain break: does not link to the record before it (removed, reordered or "
        "inserted)",
        "line 5: the end record counts 4 records, the segment holds 3 (records removed or "
        "inserted)",
    ]


def test_two_reordered_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, records=4)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(path, lines)
    gap = "sequence gap: seq {}, expected {} (records removed or reordered)"
    chain = "chain break: does not link to the record before it (removed, reordered or inserted)"
    assert verify_audit(path) == [
        f"line 3: {gap.format(4, 3)}",
        f"line 3: {chain}",
        f"line 4: {gap.format(3, 5)}",
        f"line 4: {chain}",
        f"line 5: {gap.format(5, 4)}",
        f"line 5: {chain}",
    ]


def test_a_removed_header_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    rewrite(path, lines[1:])
    problems = verify_audit(path)
    assert problems[0] == "line 1: missing header: the log does not start with a segment header"


def test_a_log_signed_with_another_key_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    other = tmp_path / "other.key"
    monkeypatch.setenv("DESKPILOT_AUDIT_KEY_FILE", str(other))
    AuditLog(tmp_path / "scratch.jsonl").close()  # creates the other key
    problems = verify_audit(path)
    assert len(problems) == 1
    assert problems[0].startswith("line 1: signed with another key (key id ")


def test_without_the_key_the_keyed_chain_is_not_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    missing = tmp_path / "nowhere" / "audit.key"
    monkeypatch.setenv("DESKPILOT_AUDIT_KEY_FILE", str(missing))
    problems = verify_audit(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"cannot verify the keyed chain: no key at {missing}")
    assert not missing.exists()  # verify never creates a key
    result = runner.invoke(app, ["audit", "verify", str(path)])
    assert result.exit_code == 1
    assert "cannot verify the keyed chain" in result.output


def test_records_appended_after_the_end_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    forged = json.loads(lines[2]) | {"seq": len(lines) + 1, "prev": json.loads(lines[-1])["mac"]}
    rewrite(path, [*lines, json.dumps(forged)])
    assert verify_audit(path) == [
        f"line {len(lines) + 1}: record after the end record at line {len(lines)} without a new "
        "segment header (appended by someone else)",
        f"line {len(lines) + 1}: mac mismatch (edited, or written without the key)",
    ]


def test_a_forged_segment_appended_without_the_key_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, runs=2)
    first_end = next(i for i, line in enumerate(lines) if '"audit.close"' in line)
    genuine = lines[: first_end + 1]
    forged = rechain(lines[first_end + 1 :], key=None, prev=json.loads(genuine[-1])["mac"])
    rewrite(path, genuine + forged)
    problems = verify_audit(path)
    assert problems and all("mac mismatch" in p for p in problems)
    assert problems[0].startswith(f"line {first_end + 2}: ")


def test_a_removed_middle_segment_is_a_chain_break(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, runs=3, records=1)  # 3 lines a segment
    rewrite(path, lines[:3] + lines[6:])
    assert verify_audit(path) == [
        "line 4: sequence gap: seq 7, expected 4 (records removed or reordered)",
        "line 4: chain break: does not link to the record before it (removed, reordered or "
        "inserted)",
    ]


def test_a_torn_last_line_then_a_new_run(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path)
    with path.open("ab") as file:  # a run died in the middle of writing its header
        file.write(lines[0][:25].encode())
    log = AuditLog(path)  # does not crash
    log.record("decision", step=0, verdict="allow")
    log.close()
    torn = len(lines) + 1
    assert verify_audit(path) == [
        f"line {torn}: torn (an incomplete record: a write was cut short)"
    ]
    after = path.read_text().splitlines()
    assert after[torn - 1] == lines[0][:25]  # the evidence is kept, on a line of its own
    header = json.loads(after[torn])
    assert header["event"] == "audit.open"
    assert header["torn"] == {"line": torn, "offset": len("".join(x + "\n" for x in lines))}
    assert header["continues"]["seq"] == json.loads(lines[-1])["seq"]


def test_a_crash_mid_write_then_a_new_run(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    crashed = AuditLog(path)
    crashed.record("decision", step=0, verdict="deny")
    crashed._file.write('{"seq": 3, "time": 1')  # the write cut short, never closed
    crashed._file.flush()
    crashed._file.close()
    AuditLog(path).close()
    assert verify_audit(path) == [
        "line 2: segment ends without an end record after seq 2 (its writer crashed, or its "
        "tail was cut)",
        "line 3: torn (an incomplete record: a write was cut short)",
    ]


def test_a_log_still_being_written_is_told_apart(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record("decision", step=0, verdict="deny")
    assert verify_audit(path) == [
        "line 2: still being written (no end record after seq 2 yet: a writer holds the file open)"
    ]
    log.close()
    assert verify_audit(path) == []


def test_the_cli_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, runs=2)
    result = runner.invoke(app, ["audit", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: intact ({len(lines)} records in 2 segments, key " in result.output
    rewrite(path, lines[:-1])
    result = runner.invoke(app, ["audit", "verify", str(path)])
    assert result.exit_code == 1
    assert "truncated" in result.output
    assert runner.invoke(app, ["audit", "verify", str(tmp_path / "none.jsonl")]).exit_code == 1


def test_the_cli_takes_a_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    key = Path(os.environ["DESKPILOT_AUDIT_KEY_FILE"])
    monkeypatch.setenv("DESKPILOT_AUDIT_KEY_FILE", str(tmp_path / "nowhere.key"))
    assert runner.invoke(app, ["audit", "verify", str(path)]).exit_code == 1
    result = runner.invoke(app, ["audit", "verify", str(path), "--key", str(key)])
    assert result.exit_code == 0, result.output


def test_the_key_lives_in_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESKPILOT_AUDIT_KEY_FILE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    AuditLog(tmp_path / "run" / "audit.jsonl").close()
    key = tmp_path / "state" / "deskpilot" / "audit.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700
    assert len(key.read_bytes()) == 32
    header = read(tmp_path / "run" / "audit.jsonl")[0]
    assert header["key_id"] == hashlib.sha256(key.read_bytes()).hexdigest()[:16]
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    AuditLog(tmp_path / "run2" / "audit.jsonl").close()
    assert (tmp_path / "home" / ".local" / "state" / "deskpilot" / "audit.key").is_file()


def test_a_first_header_cut_short_then_a_new_run(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b'{"seq": 1, "time": 17')  # the very first write of a log, cut short
    AuditLog(path).close()
    assert verify_audit(path) == [f"line 1: {TORN}"]
    header = json.loads(path.read_text().splitlines()[1])
    assert (header["continues"], header["torn"]) == (None, {"line": 1, "offset": 0})


def test_a_format_1_log_is_continued_and_reported_unkeyed(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    old = rechain(
        [json.dumps({"seq": 1, "time": 1.0, "event": "run", "prev": "0" * 64, "hash": ""})],
        key=None,
    )
    rewrite(path, old)
    AuditLog(path).close()
    assert verify_audit(path) == [
        "line 1: missing header: the log does not start with a segment header",
        "line 1: no mac (a format 1 record): the keyed chain cannot vouch for it",
        "line 1: segment ends without an end record after seq 1 (its writer crashed, or its "
        "tail was cut)",
    ]
    assert read(path)[1]["prev"] == json.loads(old[0])["hash"]


def test_a_second_writer_on_an_open_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    with pytest.raises(UsageError, match="being written by another run"):
        AuditLog(path)
    log.close()
    log.close()  # a second close writes nothing
    assert verify_audit(path) == []


def test_the_log_s_own_events_and_fields_cannot_be_recorded(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    for event, fields in [("audit.close", {}), ("decision", {"seq": 9}), ("run", {"mac": "x"})]:
        with pytest.raises(ValueError, match="reserved"):
            log.record(event, **fields)
    log.close()
    assert verify_audit(tmp_path / "audit.jsonl") == []


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    AuditLog(tmp_path / "audit.jsonl").close()
    key = Path(os.environ["DESKPILOT_AUDIT_KEY_FILE"])
    key.chmod(0o644)
    with pytest.raises(UsageError, match="chmod 600"):
        AuditLog(tmp_path / "audit.jsonl")
    assert verify_audit(tmp_path / "audit.jsonl")[0].startswith("cannot verify the keyed chain")


def test_an_edit_that_changes_a_length_moves_the_next_segment(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, runs=2)
    lines[1] = lines[1].replace('"deny"', '"allowed"')
    rewrite(path, lines)
    end = len("".join(line + "\n" for line in lines[:5]))
    assert verify_audit(path) == [
        "line 2: mac mismatch (edited, or written without the key)",
        f"line 6: the header says the previous segment ends at seq 5, line 5, byte {end - 3}, but "
        f"it ends at seq 5, line 5, byte {end} (the lines before it were edited, inserted or "
        "removed)",
    ]
