"""The run directory: ``steps.jsonl`` (header, one line per step, end) and one PNG per screen.

Each line is flushed as it is written, so a run that dies keeps its trajectory so far.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from deskpilot.agent.records import RunResult, StepRecord
from deskpilot.policies.redaction import Redactor
from deskpilot.screen import Frame

STEPS_FILE = "steps.jsonl"


def default_run_dir(task: str, root: Path = Path("runs")) -> Path:
    """``runs/<UTC timestamp>-<task slug>``: unique, sortable and readable."""
    slug = re.sub(r"[^a-z0-9]+", "-", task.lower()).strip("-")[:40] or "run"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return root / f"{stamp}-{slug}"


class Trajectory:
    """Writes one run directory as the run goes."""

    def __init__(self, run_dir: Path, redactor: Redactor | None = None) -> None:
        self.run_dir = run_dir
        self.redactor = redactor or Redactor()
        run_dir.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = (run_dir / STEPS_FILE).open("a", encoding="utf-8")
        # PNG encoding (~14 ms for 1280x800) runs off the loop's critical path, in order.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deskpilot-png")
        self._pending: list[Future[None]] = []

    def _write(self, record: dict[str, Any]) -> None:
        clean = self.redactor.redact_value(record)
        self._file.write(json.dumps(clean, ensure_ascii=False) + "\n")
        self._file.flush()

    def start(self, **header: Any) -> None:
        """Write the header line (task, model, policy, driver, ...)."""
        self._write({"type": "run", "started": time.time(), **header})

    def save_frame(self, step: int, frame: Frame) -> str:
        """Save the screen the model saw at ``step``; return its file name."""
        name = f"step-{step:04d}.png"
        path = self.run_dir / name

        def write() -> None:
            path.write_bytes(frame.png_bytes())

        self._pending.append(self._writer.submit(write))
        return name

    def step(self, record: StepRecord) -> None:
        """Append one step."""
        self._write(record.to_json())

    def finish(self, result: RunResult) -> None:
        """Wait for pending screenshots, write the end line and close the file."""
        self._writer.shutdown(wait=True)
        for future in self._pending:
            future.result()  # surface a failed write (disk full) instead of losing it silently
        self._write({**result.to_json(), "finished": time.time()})
        self._file.close()


def read_trajectory(run_dir: Path) -> list[dict[str, Any]]:
    """Read ``steps.jsonl`` back, skipping a torn last line of a run that died mid-write."""
    path = run_dir / STEPS_FILE
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
