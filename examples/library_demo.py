"""deskpilot as a library: an agent run on the demo form, on a private virtual display.

    python examples/library_demo.py

It opens the demo window, writes a plan from the window's own geometry, runs the agent with the
default policy and the pynput driver, and prints the outcome and what the form saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deskpilot.agent import Actuator, Agent, RunResult, Trajectory
from deskpilot.agent.report import write_report
from deskpilot.drivers import create_driver
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.runtime import FunctionModel
from deskpilot.runtime.base import ModelRequest
from deskpilot.screen import MssScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from deskpilot.xvfb import VirtualDisplay, stop_process


def run_agent(model: FunctionModel, run_dir: Path) -> RunResult:
    """One agent run with the pynput driver. The screen and the driver hold connections to the
    display: both are released here, while the display still runs (a connection closed after
    Xvfb has gone prints Xlib's ConnectionClosedError tracebacks at exit)."""
    registry, stop = ToolRegistry(), StopFlag()
    screen = MssScreen(1)
    try:
        session = Actuator(
            gate=PolicyGate(load_policy("default"), registry),
            executor=Executor(create_driver("pynput", stop), stop=stop),
            registry=registry,
            screen=screen,
        )
        agent = Agent(model=model, actuator=session, trajectory=Trajectory(run_dir))
        return agent.run("type Alan Turing into Name and save")
    finally:
        screen.close()  # the driver goes with the agent, when this function returns


def main() -> int:
    """Run the example; 0 when the form saved the name."""
    work = Path(tempfile.mkdtemp(prefix="deskpilot-library-"))
    state = work / "state.json"
    with VirtualDisplay() as display:
        os.environ["DISPLAY"] = display.display
        app = subprocess.Popen([sys.executable, "-m", "deskpilot.demo.app", str(state)])
        try:
            while not (state.exists() and json.loads(state.read_text())["mapped"]):
                time.sleep(0.05)
            time.sleep(0.3)
            widgets = json.loads(state.read_text())["widgets"]

            def centre(name: str) -> dict[str, int]:
                x, y, w, h = widgets[name]
                return {"x": x + w // 2, "y": y + h // 2}

            plan = [
                {"name": "click", "arguments": centre("name")},
                {"name": "type_text", "arguments": {"text": "Alan Turing"}},
                {"name": "click", "arguments": centre("save")},
                {"name": "done", "arguments": {"answer": "saved"}},
            ]

            def model(request: ModelRequest) -> str:  # a model is any function of the request
                return json.dumps(plan[len(request.history)])

            result = run_agent(FunctionModel(model), work / "run")
            time.sleep(0.3)
            saved = json.loads(state.read_text())["saved"]
        finally:
            stop_process(app)  # type: ignore[arg-type]
    report = write_report(work / "run")
    print(f"{result.outcome.value}: {result.reason}; the form saved {saved!r}; report: {report}")
    return 0 if saved == "Alan Turing" else 1


if __name__ == "__main__":
    raise SystemExit(main())
