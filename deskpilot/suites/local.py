"""Running a suite on this machine: N worker processes, each with a private desktop, fed one task
at a time by this process, which alone writes ``results.jsonl`` (a line per task as it finishes).

A worker that dies mid-task (killed, crashed) is replaced and its task given to a worker again, up
to ``retries`` times; then the task is recorded as failed with the reason.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from deskpilot.suites.results import TaskResult
from deskpilot.suites.schema import SuiteTask
from deskpilot.suites.worker import SuiteWorker, WorkerConfig

Event = dict[str, Any]  # {"kind": "ready" | "started" | "result" | "retry" | "failed", ...}
OnEvent = Callable[[Event], None]
RETRIES = 2  # a task whose worker died is given out again this many times


def _worker_main(config: WorkerConfig, inbox: Any, outbox: Any, index: int) -> None:
    """A worker process: start the desktop, then run what the inbox says until it says None.
    Ctrl-C is for the parent: it stops the workers itself (a task cut short is then run again
    on resume, never recorded as finished)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        worker = SuiteWorker(config).start()
    except Exception as exc:
        outbox.put({"kind": "dead", "worker": index, "error": f"worker did not start: {exc}"})
        return
    outbox.put({"kind": "ready", "worker": index, "info": worker.info()})
    try:
        while (item := inbox.get()) is not None:
            task, out_dir = item
            outbox.put({"kind": "started", "worker": index, "task": task.id, "info": worker.info()})
            result = worker.run(task, Path(out_dir))
            outbox.put({"kind": "result", "worker": index, "result": result.to_json()})
    finally:
        worker.close()


@dataclass
class _Slot:
    process: BaseProcess
    inbox: Any
    task: SuiteTask | None = None
    ready: bool = False


def run_local(
    config: WorkerConfig,
    tasks: list[SuiteTask],
    *,
    workers: int,
    task_dir: Callable[[str], Path],
    record: Callable[[TaskResult], None],
    on_event: OnEvent | None = None,
    retries: int = RETRIES,
) -> None:
    """Run ``tasks`` on ``workers`` local worker processes; ``record`` gets each result as it
    comes (in the order they finish), ``on_event`` a dict per start and end of a task."""
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited threads
    outbox: Any = context.Queue()
    pending, tried = deque(tasks), dict.fromkeys((t.id for t in tasks), 0)
    slots: dict[int, _Slot] = {}
    done: set[str] = set()
    spawned, start_error = 0, ""
    emit = on_event or (lambda _event: None)

    def spawn() -> None:
        nonlocal spawned
        inbox: Any = context.Queue()
        process = context.Process(
            target=_worker_main,
            args=(config, inbox, outbox, spawned),
            name=f"deskpilot-suite-worker-{spawned}",
            daemon=True,
        )
        process.start()
        slots[spawned] = _Slot(process=process, inbox=inbox)
        spawned += 1

    def finish(result: TaskResult) -> None:
        if result.task in done:  # a late result of a task given out again: the first one counts
            return
        done.add(result.task)
        record(result)
        emit({"kind": "result", "task": result.task, "result": result})

    for _ in range(min(workers, len(tasks))):
        spawn()
    try:
        while len(done) < len(tasks):
            try:
                message = outbox.get(timeout=0.5)
            except queue.Empty:
                message = None
            slot = slots.get(message["worker"]) if message else None
            if message and message["kind"] == "result":
                if slot is not None:
                    slot.task = None
                finish(TaskResult.from_json(message["result"]))
            elif message and message["kind"] == "started":
                emit(message)
            elif message and message["kind"] == "dead":
                start_error = message["error"]
                emit({"kind": "failed", "error": start_error})
            elif message and message["kind"] == "ready" and slot is not None:
                slot.ready = True
                emit(message)
            for index, dead in list(slots.items()):
                if dead.process.is_alive() or not _gone(dead, outbox):
                    continue
                del slots[index]
                if dead.task is not None and dead.task.id not in done:
                    tried[dead.task.id] += 1
                    if tried[dead.task.id] <= retries:
                        emit({"kind": "retry", "task": dead.task.id, "worker": index})
                        pending.appendleft(dead.task)
                    else:
                        finish(_died(dead.task, tried[dead.task.id]))
                if dead.ready and pending:  # it worked before it died: replace it
                    spawn()
            while pending and pending[0].id in done:
                pending.popleft()
            if not slots:
                for task in pending:
                    finish(_died(task, tried[task.id], start_error or "no worker is left"))
                pending.clear()
            for slot in slots.values():
                if slot.ready and slot.task is None and pending:
                    slot.task = pending.popleft()
                    slot.inbox.put((slot.task, str(task_dir(slot.task.id))))
    except BaseException:  # Ctrl-C: stop at once; what finished is in results.jsonl already
        for slot in slots.values():
            slot.process.terminate()
        raise
    finally:
        for slot in slots.values():
            if slot.process.is_alive():
                slot.inbox.put(None)
        for slot in slots.values():
            slot.process.join(timeout=10)
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join()


def _gone(slot: _Slot, outbox: Any) -> bool:
    """Whether a dead worker has nothing left to say (its last messages may still be queued)."""
    return slot.process.exitcode is not None and outbox.empty()


def _died(task: SuiteTask, times: int, why: str = "") -> TaskResult:
    return TaskResult.errored(
        task.id, why or f"its worker died {times} time{'s' if times != 1 else ''}"
    )
