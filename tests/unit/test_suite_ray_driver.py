"""The Ray driver's bookkeeping on a hand-written fake of the few Ray calls it makes (no cluster,
no display): results recorded once each as they come, task folders unpacked, a task whose actor
died past its retries recorded as failed, no actor placed -> a usage error that says why."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from deskpilot.errors import UsageError
from deskpilot.suites import ray_runner
from deskpilot.suites.ray_runner import RayOptions, pack, run_ray
from deskpilot.suites.results import TaskResult
from deskpilot.suites.schema import Check, SuiteTask


class RayError(Exception):
    pass


class RayActorError(RayError):
    pass


class RayTaskError(RayError):
    pass


class Exceptions:
    RayError, RayActorError, RayTaskError = RayError, RayActorError, RayTaskError


class Ref:
    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.value, self.error = value, error


class Method:
    def __init__(self, func: Any) -> None:
        self.func = func

    def remote(self, *args: Any) -> Ref:
        try:
            return Ref(self.func(*args))
        except Exception as exc:
            return Ref(error=exc)


class FakeActor:
    def __init__(self, index: int, dies_on: set[str], starts: bool) -> None:
        self.index, self.dies_on, self.starts = index, dies_on, starts
        self.info = Method(self._info)
        self.run = Method(self._run)
        self.close = Method(lambda: None)

    def _info(self) -> dict[str, Any]:
        if not self.starts:
            raise RayActorError("the actor's __init__ raised: no Xvfb")
        return {"pid": 1000 + self.index, "display": f":{self.index}"}

    def _run(self, task: SuiteTask) -> tuple[dict[str, Any], bytes]:
        if task.id in self.dies_on:
            raise RayActorError("The actor died unexpectedly")
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            (folder / "run").mkdir()
            (folder / "run" / "report.html").write_text(task.id)
            result = TaskResult(
                task=task.id,
                passed=True,
                check="ok",
                outcome="done",
                reason="",
                mode="recipe",
                run_dir=f"tasks/{task.id}/run",
            )
            return result.to_json(), pack(folder)


class FakeRay:
    exceptions = Exceptions

    def __init__(self, dies_on: set[str] | None = None, starts: bool = True) -> None:
        self.dies_on, self.starts = dies_on or set(), starts
        self.actors: list[FakeActor] = []
        self.killed: list[FakeActor] = []
        self.options_seen: dict[str, Any] = {}
        self.initialized = False

    def is_initialized(self) -> bool:
        return self.initialized

    def init(self, **kwargs: Any) -> None:
        self.initialized = True

    def shutdown(self) -> None:
        self.initialized = False

    def remote(self, cls: type) -> FakeRay:
        return self

    def options(self, **options: Any) -> Any:
        self.options_seen = options
        return fake_actor_class(self)

    def wait(self, refs: list[Ref], num_returns: int = 1, timeout: float | None = None) -> Any:
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref: Ref) -> Any:
        if ref.error:
            raise ref.error
        return ref.value

    def kill(self, actor: FakeActor) -> None:
        self.killed.append(actor)


def fake_actor_class(fake: FakeRay) -> Any:
    class ActorClass:
        @staticmethod
        def remote(config: Any) -> FakeActor:
            actor = FakeActor(len(fake.actors), fake.dies_on, fake.starts)
            fake.actors.append(actor)
            return actor

    return ActorClass


def tasks(*ids: str) -> list[SuiteTask]:
    return [SuiteTask(id=i, instruction="x", check=[Check(file_exists="f")]) for i in ids]


def run(fake: FakeRay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *ids: str) -> list[Any]:
    monkeypatch.setattr(ray_runner, "import_ray", lambda: fake)
    recorded: list[TaskResult] = []
    events: list[dict[str, Any]] = []
    run_ray(
        None,
        tasks(*ids),
        workers=2,
        options=RayOptions(address="auto", desktops=1),  # type: ignore[arg-type]
        task_dir=lambda t: tmp_path / "tasks" / t,
        record=recorded.append,
        on_event=events.append,
    )
    return [recorded, events]


def test_each_result_is_recorded_once_and_its_folder_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRay(dies_on={"b"})
    recorded, events = run(fake, tmp_path, monkeypatch, "a", "b", "c")
    assert sorted(r.task for r in recorded) == ["a", "b", "c"]
    by = {r.task: r for r in recorded}
    assert by["a"].passed and by["c"].passed
    assert not by["b"].passed and "retries used up" in by["b"].error
    assert (tmp_path / "tasks" / "a" / "run" / "report.html").read_text() == "a"
    assert fake.options_seen["resources"] == {"desktop": 1}
    assert fake.options_seen["max_restarts"] == 2 and fake.options_seen["max_task_retries"] == 2
    assert len(fake.actors) == 2 and len(fake.killed) == 2  # min(workers, tasks), all stopped
    assert [e["kind"] for e in events].count("started") == 3
    assert not fake.initialized  # it joined the cluster itself, so it left it


def test_no_actor_starts_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="no suite worker started on the Ray cluster: the actor"):
        run(FakeRay(starts=False), tmp_path, monkeypatch, "a")
