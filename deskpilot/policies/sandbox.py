"""Running an allowed command inside bubblewrap, with limits, a timeout and an output cap.

The sandbox: read-only system directories, an empty /tmp of ``tmp_mb`` (a size-limited tmpfs),
one writable work directory with a quota of ``work_mb`` (measured while the command runs, which is
killed when the work dir grows past it; a command does not start while it is over), no network
(unless the policy grants it), a new PID namespace and session, death with the parent, and an
environment cleared to an allowlist (secret-looking names are never passed). When deskpilot runs as
root, the command runs as ``nobody`` so that the process-count limit applies. No bwrap means refusal,
unless the policy says ``sandbox = "none"``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from deskpilot.errors import ActionFailed, UsageError
from deskpilot.policies.redaction import SECRET_NAME
from deskpilot.policies.shell import ShellSettings, parse_command
from deskpilot.stopflag import StopFlag
from deskpilot.tools.result import ToolResult

NOBODY = 65534
POLL_S = 0.05  # how often a running command's stop flag (and quota) is looked at
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc")


@dataclass(frozen=True, kw_only=True)
class ShellResult:
    """What a sandboxed command did."""

    exit_code: int
    output: str
    timed_out: bool
    truncated: bool
    duration_ms: float
    stopped: bool = False  # the run's stop flag (kill switch, budget) killed it
    over_quota: bool = False  # the work dir grew past ``work_mb``: killed (or, if it had exited,
    # left over it, so that the next command does not start)


def disk_usage(root: Path) -> int:
    """Bytes the files under ``root`` take on disk (symlinks not followed; vanishing files skipped)."""
    total = 0
    stack = [root]
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
    return total


def _reachable_by_nobody(work_dir: Path) -> Path:
    """``work_dir`` if ``nobody`` can traverse to it; else a fresh directory under the system temp
    directory, linked from ``work_dir`` (which then points there)."""
    resolved = work_dir.resolve()
    if all(p.stat().st_mode & stat.S_IXOTH for p in resolved.parents):
        return resolved
    staged = Path(tempfile.mkdtemp(prefix="deskpilot-work-"))
    os.chmod(staged.parent, staged.parent.stat().st_mode)  # the temp root is world-traversable
    if not any(work_dir.iterdir()):
        work_dir.rmdir()
        work_dir.symlink_to(staged, target_is_directory=True)
    return staged


class ShellSandbox:
    """Runs argv lists under the policy's ``[shell]`` settings, in ``work_dir``."""

    def __init__(self, settings: ShellSettings, work_dir: Path) -> None:
        self.settings = settings
        self.work_dir = work_dir
        self.bwrap = shutil.which("bwrap")
        if settings.sandbox == "bwrap" and self.bwrap is None:
            raise UsageError(
                "the shell tool needs bubblewrap (apt-get install bubblewrap); "
                'without it, a policy must say sandbox = "none" explicitly'
            )
        work_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.work_dir = _reachable_by_nobody(work_dir)
            os.chown(self.work_dir, NOBODY, NOBODY)

    def environment(self) -> dict[str, str]:
        """The child's environment: the allowlist, never a secret-looking name."""
        env = {"PATH": "/usr/bin:/bin", "HOME": "/work" if self.bwrap else str(self.work_dir)}
        for name in self.settings.env_allow:
            if name in os.environ and not SECRET_NAME.search(name):
                env[name] = os.environ[name]
        return env

    def command(self, argv: list[str]) -> list[str]:
        """The full command line: bwrap and its options, then argv."""
        if self.settings.sandbox == "none" or self.bwrap is None:
            return argv
        options = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
        if self.settings.network:
            options.append("--share-net")
        for directory in SYSTEM_DIRS:
            if os.path.islink(directory):
                options += ["--symlink", os.readlink(directory), directory]
            elif os.path.isdir(directory):
                options += ["--ro-bind", directory, directory]
        options += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(self.settings.tmp_mb << 20),
            "--tmpfs",
            "/tmp",
            "--bind",
            str(self.work_dir),
            "/work",
            "--chdir",
            "/work",
        ]
        for name, value in self.environment().items():
            options += ["--setenv", name, value]
        options += ["--remount-ro", "/"]
        return [*options, "--", *argv]

    def _limits(self) -> None:
        """Runs in the child before exec: rlimits, then drop root."""
        s = self.settings
        resource.setrlimit(resource.RLIMIT_CPU, (s.cpu_s, s.cpu_s))
        resource.setrlimit(resource.RLIMIT_AS, (s.memory_mb << 20, s.memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (s.max_file_mb << 20, s.max_file_mb << 20))
        resource.setrlimit(resource.RLIMIT_NPROC, (s.max_processes, s.max_processes))
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    def run(
        self, argv: list[str], *, stop: StopFlag | None = None, deadline: float | None = None
    ) -> ShellResult:
        """Run argv until it exits, ``timeout_s`` passes, ``deadline`` (``time.monotonic()``; the
        run's time budget) comes, ``stop`` is raised, or the work dir grows past ``work_mb``;
        each of these kills the whole process group (and with it the PID namespace).

        Raises:
            ActionFailed: The command cannot start, or the work dir is already over its quota.
        """
        cap = self.settings.max_output_kb << 10
        quota = self.settings.work_mb << 20
        if disk_usage(self.work_dir) > quota:
            raise ActionFailed(
                f"the work dir holds {disk_usage(self.work_dir) >> 20} MB, over its "
                f"quota of {self.settings.work_mb} MB; nothing more runs until "
                "files are removed"
            )
        started = time.perf_counter()
        limit = time.monotonic() + self.settings.timeout_s
        if deadline is not None:
            limit = min(limit, deadline)
        with tempfile.TemporaryFile() as sink:
            try:
                proc = subprocess.Popen(
                    self.command(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    env=self.environment(),
                    cwd=self.work_dir,
                    start_new_session=True,
                    preexec_fn=self._limits,
                )
            except OSError as exc:
                raise ActionFailed(f"cannot start {argv[0]}: {exc}") from None
            timed_out = stopped = over_quota = False
            while True:
                left = limit - time.monotonic()
                if stop is not None and stop.is_set():
                    stopped = True
                    break
                if disk_usage(self.work_dir) > quota:
                    over_quota = True
                    break
                if left <= 0:
                    timed_out = True
                    break
                try:
                    proc.wait(timeout=min(POLL_S, left))
                    break
                except subprocess.TimeoutExpired:
                    continue
            with contextlib.suppress(ProcessLookupError):  # whatever the command left behind
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            over_quota = over_quota or disk_usage(self.work_dir) > quota
            sink.seek(0)
            data = sink.read(cap + 1)
        return ShellResult(
            exit_code=proc.returncode,
            output=data[:cap].decode("utf-8", "replace"),
            timed_out=timed_out,
            truncated=len(data) > cap,
            stopped=stopped,
            over_quota=over_quota,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def run_command(self, command: str, *, stop: StopFlag, deadline: float | None) -> ToolResult:
        """Parse ``command`` against the settings and run it (the executor's `ShellRunner`): what
        it printed, with its status, as a tool result; an error unless it exited 0."""
        try:
            result = self.run(parse_command(command, self.settings), stop=stop, deadline=deadline)
        except (ValueError, ActionFailed) as exc:
            return ToolResult(error=f"shell: {exc}")
        data = {
            "exit_code": result.exit_code,
            "timed_out": result.timed_out,
            "stopped": result.stopped,
            "over_quota": result.over_quota,
            "truncated": result.truncated,
            "duration_ms": result.duration_ms,
        }
        if result.stopped:
            status = f"stopped ({stop.reason}); the command was killed"
        elif result.over_quota:
            status = f"the work dir went over its quota of {self.settings.work_mb} MB"
        else:
            status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
        text = f"{status}\n{result.output}" + ("\n[output truncated]" if result.truncated else "")
        if result.stopped or result.over_quota or result.timed_out or result.exit_code != 0:
            return ToolResult(error=text, data=data)
        return ToolResult(output=text, data=data)
