"""Task suites without a display: the file format and its errors (with lines), the checkers that
need no screen, the results folder (resume), and the CLI's usage errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.errors import UsageError
from deskpilot.suites import ResultsFolder, TaskResult, load_suite, run_suite, totals
from deskpilot.suites.checkers import CheckContext, CheckResult, run_check, run_checks
from deskpilot.suites.results import write_summary
from deskpilot.suites.schema import Check

runner = CliRunner()
RECIPE = """name = "echo"
[params]
command = { description = "required" }
[[step]]
tool = "type_text"
args = { text = "{command}" }
"""


def suite_file(tmp_path: Path, text: str) -> str:
    (tmp_path / "echo.toml").write_text(RECIPE)
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return str(path)


def problem_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(UsageError) as caught:
        load_suite(suite_file(tmp_path, text))
    return str(caught.value)


def test_the_builtin_suite_is_valid_and_every_task_can_be_proven() -> None:
    loaded = load_suite("builtin")
    tasks = loaded.suite.task
    assert len(tasks) >= 20
    assert all(t.recipe_file for t in tasks)  # a recipe or a reference: --model reference runs all
    assert any(t.recipe for t in tasks)  # a task may be a recipe
    kinds = {c.kind for t in tasks for c in t.check}
    assert {"file_contains", "window_title", "clipboard", "app_state", "screen_text"} <= kinds


def test_a_good_suite_with_check_tables(tmp_path: Path) -> None:
    loaded = load_suite(
        suite_file(
            tmp_path,
            """name = "mine"
max_steps = 5
[[task]]
id = "one"
recipe = "echo.toml"
params = { command = "ls > {workdir}/out.txt" }
[task.setup]
start = ["xterm"]
wait_window = "xterm"
[[task.check]]
file_exists = "{workdir}/out.txt"
[[task.check]]
app_state = { file = "{workdir}/s.json", key = "a.b", equals = 3 }
""",
        )
    )
    task = loaded.task("one")
    assert [c.kind for c in task.check] == ["file_exists", "app_state"]
    assert task.setup.wait_window == "xterm"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[task]]\nid = "a"\ninstruction = "x"\ncheck = { file_exists = "f", clipboard = "c" }\n',
         "line 4: task[1].check[1]: Value error, give exactly one of"),
        ('[[task]]\nid = "a"\ninstruction = "x"\n\n[[task.check]]\nfile_size = 3\n',
         "line 5: task[1].check[1].file_size: Extra inputs"),
        ('[[task]]\nid = "a"\ninstruction = "x"\ncheck = { file_exists = "f" }\n'
         '[[task]]\nid = "a"\ninstruction = "y"\ncheck = { file_exists = "f" }\n',
         "line 6: task[2].id: the id 'a' is used twice"),
        ('[[task]]\nid = "a"\ninstruction = "open {home}"\ncheck = { file_exists = "f" }\n',
         "line 1: task[1]: unknown placeholder(s) ['home']"),
        ('[[task]]\nid = "a"\nrecipe = "nope.toml"\ncheck = { file_exists = "f" }\n',
         "line 3: task[1].recipe: no recipe file"),
        ('[[task]]\nid = "a"\nrecipe = "echo.toml"\ncheck = { file_exists = "f" }\n',
         "line 3: task[1].recipe: the recipe needs the parameter(s) ['command']"),
        ('[[task]]\nid = "a"\nreference = "echo.toml"\ninstruction = "x"\n'
         'params = { command = "ls", other = 1 }\ncheck = { file_exists = "f" }\n',
         "task[1].reference: the recipe has no parameter(s) ['other']"),
        ('[[task]]\nid = "a"\ninstruction = "x"\npolicy = "lenient"\n'
         'check = { file_exists = "f" }\n', "line 4: task[1].policy: no policy preset"),
        ('[[task]]\nid = "A b"\ninstruction = "x"\ncheck = { file_exists = "f" }\n',
         "line 2: task[1].id: Value error, an id is lower-case"),
        ('[[task]]\nid = "a"\ncheck = { file_exists = "f" }\n',
         "line 1: task[1]: Value error, a task needs an instruction or a recipe"),
        ('[[task]]\nid = "a"\ninstruction = "x"\ncheck = { file_exists = "f" }\n'
         '[task.setup]\nfiles = { "../x" = "y" }\n', "line 5: task[1].setup.files"),
        ('max_steps = 0\n[[task]]\nid = "a"\ninstruction = "x"\ncheck = { file_exists = "f" }\n',
         "line 1: max_steps: Input should be greater than or equal to 1"),
        ("[[task]\n", "invalid TOML"),
    ],
)  # fmt: skip
def test_errors_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problem_of(tmp_path, text)


def test_cli_check_and_its_usage_error(tmp_path: Path) -> None:
    good = runner.invoke(app, ["suite", "check", "builtin"])
    assert good.exit_code == 0, good.output
    assert "24 tasks" in good.output
    bad = suite_file(tmp_path, '[[task]]\nid = "a"\ninstruction = "x"\n')
    result = runner.invoke(app, ["suite", "check", bad])
    assert result.exit_code == 2
    assert "line 1: task[1].check: Field required" in " ".join(result.output.split())


def test_ray_missing_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = runner.invoke(
        app,
        [
            "suite",
            "run",
            "builtin",
            "--model",
            "reference",
            "--ray",
            "auto",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 2
    assert "pip install 'deskpilot[fleet]'" in " ".join(result.output.split())


def test_instruction_tasks_need_a_model(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--model reference"):
        run_suite(load_suite("builtin"), model=None, out=tmp_path / "out", only=["settings-ok"])
    with pytest.raises(UsageError, match="no task"):
        run_suite(load_suite("builtin"), model="reference", out=tmp_path / "o2", only=["nope"])


# --- checkers that need no display ------------------------------------------------------------


def good_check(ctx: CheckContext) -> str:
    """A plugin's check: "" when it holds."""
    return "" if (ctx.workdir / "ok").exists() else "no ok file"


def test_file_app_state_and_python_checks(tmp_path: Path) -> None:
    ctx = CheckContext(workdir=tmp_path, values={"workdir": str(tmp_path)}, display=":0")
    (tmp_path / "a.txt").write_text("1\n2\n")
    (tmp_path / "s.json").write_text(json.dumps({"applied": {"dark": True}, "name": "Ada"}))

    def holds(**kind: object) -> bool:
        return run_check(Check.model_validate(kind), ctx).passed

    assert holds(file_exists="{workdir}/a.txt") and not holds(file_absent="{workdir}/a.txt")
    assert holds(file_contains=["{workdir}/a.txt", "2"])
    assert holds(file_equals=["{workdir}/a.txt", "1\n2"])  # a final newline does not count
    assert not holds(file_equals=["{workdir}/a.txt", "1"])
    assert holds(app_state={"file": "{workdir}/s.json", "key": "applied.dark", "equals": True})
    assert not holds(app_state={"file": "{workdir}/s.json", "key": "name", "equals": "Bob"})
    assert not holds(app_state={"file": "{workdir}/s.json", "key": "missing", "equals": 1})
    spec = f"{__name__}:good_check"
    assert not holds(python=spec)
    (tmp_path / "ok").write_text("")
    assert holds(python=spec)
    missing = run_check(Check(python="no_such_module:f"), ctx)
    assert not missing.passed and "no_such_module" in missing.detail
    both = run_checks([Check(file_exists=str(tmp_path / "ok")), Check(file_exists="/nope")], ctx)
    assert both == CheckResult(passed=False, detail=both.detail)
    assert both.detail.startswith("ok: ") and "FAILED: /nope is missing" in both.detail


# --- the results folder -----------------------------------------------------------------------


def result(task: str, passed: bool = True, steps: int = 2) -> TaskResult:
    return TaskResult(
        task=task,
        passed=passed,
        check="c",
        outcome="done",
        reason="r",
        mode="agent",
        steps=steps,
        step_ms=100.0,
        seconds=1.0,
        run_dir=f"tasks/{task}/run",
    )


def test_results_stream_and_resume(tmp_path: Path) -> None:
    folder = ResultsFolder(tmp_path)
    folder.begin({"suite": "s", "model": "m"})
    folder.append(result("a"))
    folder.append(result("b", passed=False))
    with folder.file.open("a") as out:
        out.write('{"task": "c", "pass')  # a line torn by a crash
    assert sorted(folder.finished()) == ["a", "b"]
    ResultsFolder(tmp_path).begin({"suite": "s", "model": "m"})  # the same run: resumed
    with pytest.raises(UsageError, match="holds results of model 'm'"):
        ResultsFolder(tmp_path).begin({"suite": "s", "model": "other"})
    t = totals(list(folder.finished().values()))
    assert (t.tasks, t.passed, t.steps, t.step_ms, t.success_rate) == (2, 1, 4, 100.0, 0.5)
    (tmp_path / "tasks" / "a" / "run").mkdir(parents=True)
    (tmp_path / "tasks" / "a" / "run" / "report.html").write_text("")
    page = write_summary(tmp_path, list(folder.finished().values()), {"name": "s"}).read_text()
    assert "href='tasks/a/run/report.html'" in page and "1 of 2 passed (50%)" in page
