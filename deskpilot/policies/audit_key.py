"""The audit key and the record format shared by the writer and the verifier.

The key (32 random bytes) lives outside every run directory, in the user's state directory
(`$XDG_STATE_HOME/deskpilot/audit.key`, by default `~/.local/state/deskpilot/audit.key`) or
where `DESKPILOT_AUDIT_KEY_FILE` points. Each record carries an HMAC-SHA256 tag (`mac`) of its
canonical JSON, which includes the `mac` of the record before it (`prev`): whoever can rewrite the
log but cannot read the key cannot recompute the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError

FORMAT = 2
GENESIS = "0" * 64
OPEN = "audit.open"
CLOSE = "audit.close"
KEY_ENV = "DESKPILOT_AUDIT_KEY_FILE"
KEY_BYTES = 32


def default_key_path() -> Path:
    """Where the audit key is: `DESKPILOT_AUDIT_KEY_FILE`, else the XDG state directory."""
    if override := os.environ.get(KEY_ENV):
        return Path(override).expanduser()
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "deskpilot" / "audit.key"


def key_id(key: bytes) -> str:
    """A public name of a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def mac(key: bytes, record: dict[str, Any]) -> str:
    """The HMAC-SHA256 of a record's canonical JSON (without its own `mac`)."""
    body = {k: v for k, v in record.items() if k != "mac"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def load_key(path: Path) -> bytes:
    """Read an existing key.

    Raises:
        FileNotFoundError: there is no key at `path`.
        UsageError: the key is not a private file of 32 bytes.
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"audit key {path} is not a regular file")
    if info.st_mode & 0o077:
        raise UsageError(
            f"audit key {path} can be read or written by others (mode "
            f"{stat.S_IMODE(info.st_mode):o}): run `chmod 600 {path}`"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise UsageError(f"audit key {path} holds {len(key)} bytes, not {KEY_BYTES}")
    return key


def load_or_create_key(path: Path) -> bytes:
    """Read the key at `path`, creating it on first use (mode 0600, in a 0700 directory).

    Raises:
        UsageError: the key exists but is unusable, or it cannot be created.
    """
    try:
        return load_key(path)
    except FileNotFoundError:
        pass
    try:
        _make_private_dirs(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, os.urandom(KEY_BYTES))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)  # atomic, and never replaces a key another run just made
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the key's name survives a crash, not only its bytes
        finally:
            os.close(directory)
    except OSError as exc:
        raise UsageError(f"cannot create the audit key {path}: {exc}") from exc
    return load_key(path)


def _make_private_dirs(directory: Path) -> None:
    """Create `directory` and its missing parents with mode 0700 (existing ones are left as is)."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask


def parse_record(raw: bytes) -> dict[str, Any] | None:
    """One line of a log as a record (a JSON object with an int `seq`, an `event`, a tag), or None."""
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    seq, tag = record.get("seq"), record.get("mac", record.get("hash"))
    if type(seq) is not int or not isinstance(record.get("event"), str) or not isinstance(tag, str):
        return None
    return record


def link_of(record: dict[str, Any]) -> str:
    """The value the next record's `prev` must hold: its `mac` (`hash` in format 1 logs)."""
    return str(record.get("mac", record.get("hash")))
