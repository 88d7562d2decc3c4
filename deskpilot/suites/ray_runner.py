"""Running a suite on a Ray cluster: the same workers as Ray actors, one private desktop per actor.

Each actor declares what it needs (``num_cpus``, ``memory`` and one unit of the custom resource
``desktop``, which a node offers with ``ray start --resources '{"desktop": 4}'``), loads the model
once, and runs the tasks this process hands it one at a time. Ray's fault tolerance does the rest:
an actor that dies is restarted (``max_restarts``: a fresh desktop, the model loaded again) and
the task it was running is retried on it (``max_task_retries``); past those bounds the task is
recorded as failed. Each task's folder travels back to this process as a zip, and only this
process writes ``results.jsonl``, as each task finishes: nothing finished is lost or run twice.

Ray is an optional extra: ``pip install 'deskpilot[fleet]'``.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.suites.local import OnEvent
from deskpilot.suites.results import TaskResult
from deskpilot.suites.schema import SuiteTask
from deskpilot.suites.worker import SuiteWorker, WorkerConfig

INSTALL_HELP = (
    "pip install 'deskpilot[fleet]' (Ray 2.60), or from a clone: pip install -e '.[fleet]'"
)
LOCAL = "local"  # --ray local: start a Ray instance on this machine for this run
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray's servers listen on 127.0.0.1 only


def import_ray() -> Any:
    """The ``ray`` module.

    Raises:
        UsageError: Ray is not installed; the message says how to install it.
    """
    try:
        import ray
    except ImportError:
        raise UsageError(f"--ray needs Ray, which is not installed: {INSTALL_HELP}") from None
    return ray


@dataclass(frozen=True, kw_only=True)
class RayOptions:
    """Where the cluster is and what each worker actor asks of it."""

    address: str = "auto"  # "auto", "HOST:PORT", "ray://HOST:PORT" or "local"
    num_cpus: float = 1
    memory: int = 512 * 1024 * 1024  # bytes
    desktops: float = 1  # units of the custom resource "desktop"
    max_restarts: int = 2  # how often a dead worker actor is replaced
    max_task_retries: int = 2  # how often the task of a dead actor is retried
    start_timeout: float = 180  # seconds for the actors to be placed and started


class RayWorker:
    """The actor: a `SuiteWorker` whose task folders travel back to the caller as zips."""

    def __init__(self, config: WorkerConfig) -> None:
        self.worker = SuiteWorker(config).start()

    def info(self) -> dict[str, Any]:
        """Which worker this is: process, host and display."""
        return self.worker.info()

    def run(self, task: SuiteTask) -> tuple[dict[str, Any], bytes]:
        """Run one task in a scratch folder; return its result and the folder as a zip."""
        with tempfile.TemporaryDirectory(prefix="deskpilot-task-") as scratch:
            out = Path(scratch) / task.id
            result = self.worker.run(task, out)
            return result.to_json(), pack(out)

    def close(self) -> None:
        """Stop the desktop."""
        self.worker.close()


def pack(folder: Path) -> bytes:
    """A folder as zip bytes (PNGs are stored as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                kind = zipfile.ZIP_STORED if path.suffix == ".png" else zipfile.ZIP_DEFLATED
                archive.write(path, path.relative_to(folder).as_posix(), compress_type=kind)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    """Replace ``folder`` with the content of a zip made by `pack`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)


def _connect(ray: Any, options: RayOptions, workers: int) -> bool:
    """Join (or start) the cluster unless this process already did; True when it did here."""
    if ray.is_initialized():
        return False
    if options.address == LOCAL:
        ray.init(
            num_cpus=max(2, int(workers * options.num_cpus)),
            include_dashboard=False,
            resources={"desktop": workers * options.desktops},
            object_store_memory=200 * 1024 * 1024,
            log_to_driver=False,
        )
        return True
    try:
        ray.init(address=options.address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UsageError(
            f"cannot join the Ray cluster at {options.address!r}: {exc}; start one (ray start "
            "--head --resources '{\"desktop\": 4}') or run with --ray local"
        ) from None
    return True


def run_ray(
    config: WorkerConfig,
    tasks: list[SuiteTask],
    *,
    workers: int,
    options: RayOptions,
    task_dir: Callable[[str], Path],
    record: Callable[[TaskResult], None],
    on_event: OnEvent | None = None,
) -> None:
    """Run ``tasks`` on ``workers`` Ray actors; ``record`` gets each result as it finishes.

    Raises:
        UsageError: Ray is missing, or no actor could be placed within ``start_timeout`` (the
            cluster offers no ``desktop`` resource, or too little CPU or memory).
    """
    if options.address == LOCAL:  # a Ray of this run's own: nothing reachable from outside
        os.environ.setdefault(LOOPBACK_ONLY, "0")
    ray = import_ray()
    emit = on_event or (lambda _event: None)
    owned = _connect(ray, options, workers)
    actor_class = ray.remote(RayWorker).options(
        num_cpus=options.num_cpus,
        memory=options.memory,
        resources={"desktop": options.desktops},
        max_restarts=options.max_restarts,
        max_task_retries=options.max_task_retries,
    )
    actors = [actor_class.remote(config) for _ in range(min(workers, len(tasks)))]
    try:
        infos = _started(ray, actors, options)
        idle = deque(a for a in actors if id(a) in infos)
        pending = deque(tasks)
        inflight: dict[Any, tuple[Any, SuiteTask]] = {}
        while pending or inflight:
            while idle and pending:
                actor, task = idle.popleft(), pending.popleft()
                inflight[actor.run.remote(task)] = (actor, task)
                emit({"kind": "started", "task": task.id, "info": infos[id(actor)]})
            if not inflight:  # every actor is gone for good
                for task in pending:
                    _finish(record, emit, TaskResult.errored(task.id, "no worker actor is left"))
                break
            [ref], _ = ray.wait(list(inflight), num_returns=1)
            actor, task = inflight.pop(ref)
            try:
                data, archive = ray.get(ref)
            except ray.exceptions.RayActorError as exc:  # dead past its restarts and retries
                _finish(
                    record,
                    emit,
                    TaskResult.errored(task.id, f"its worker died (retries used up): {exc}"),
                )
                continue
            except ray.exceptions.RayTaskError as exc:
                _finish(record, emit, TaskResult.errored(task.id, f"the worker raised: {exc}"))
                idle.append(actor)
                continue
            unpack(archive, task_dir(task.id))
            _finish(record, emit, TaskResult.from_json(data))
            idle.append(actor)
    finally:
        closing = [a.close.remote() for a in actors]
        ray.wait(closing, num_returns=len(closing), timeout=15)
        for actor in actors:
            ray.kill(actor)
        if owned:
            ray.shutdown()


def _started(ray: Any, actors: list[Any], options: RayOptions) -> dict[int, dict[str, Any]]:
    """Wait for the actors to start; the ones that did, by ``id(actor)``, with their info."""
    refs = {actor.info.remote(): actor for actor in actors}
    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=options.start_timeout)
    infos, problems = {}, []
    for ref in ready:
        try:
            infos[id(refs[ref])] = ray.get(ref)
        except ray.exceptions.RayError as exc:
            problems.append(str(exc).splitlines()[0])
    if not infos:
        why = (
            problems[0]
            if problems
            else (
                f"none was placed within {options.start_timeout:g} s: each needs {options.num_cpus:g} "
                f"CPU, {options.memory // 2**20} MiB and {options.desktops:g} 'desktop' (start the "
                "nodes with ray start --resources '{\"desktop\": 4}')"
            )
        )
        raise UsageError(f"no suite worker started on the Ray cluster: {why}")
    return infos


def _finish(record: Callable[[TaskResult], None], emit: OnEvent, result: TaskResult) -> None:
    record(result)
    emit({"kind": "result", "task": result.task, "result": result})
