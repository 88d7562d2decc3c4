"""Only the build extra may bring torch, at its CPU pin.

A package in another extra that needs torch (accelerate did, in the test extra) makes pip install
the newest torch it may, a CUDA build, before `make build-extra` swaps in the pinned CPU build and
leaves the CUDA wheels behind: 4 GB of nvidia-* and triton in every fresh venv, enough to fill a
CI machine's disk. This walks the installed requirement graph of each extra and fails on any path
to torch outside the build extra.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _extras() -> dict[str, list[str]]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return {"(core)": project["dependencies"], **extras}


def _requires(name: str, extras: frozenset[str]) -> list[Requirement]:
    """The requirements an installed distribution declares, with its markers evaluated."""
    try:
        declared = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []  # not installed here: nothing to walk
    wanted = []
    for text in declared:
        req = Requirement(text)
        if req.marker is None or any(
            req.marker.evaluate({"extra": extra}) for extra in (extras or {""})
        ):
            wanted.append(req)
    return wanted


def path_to_torch(requirements: list[str]) -> list[str] | None:
    """The chain of package names from one of `requirements` to torch, or None."""
    todo = [[Requirement(text)] for text in requirements]
    seen: set[str] = set()
    while todo:
        chain = todo.pop()
        req = chain[-1]
        name = canonicalize_name(req.name)
        if name == "torch":
            return [r.name for r in chain]
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        todo.extend([*chain, sub] for sub in _requires(name, frozenset(req.extras)))
    return None


@pytest.mark.parametrize("extra", [e for e in _extras() if e != "build"])
def test_only_the_build_extra_brings_torch(extra: str) -> None:
    chain = path_to_torch(_extras()[extra])
    assert chain is None, f"extra {extra!r} pulls torch through {' -> '.join(chain or [])}"


def test_the_walk_finds_torch_where_it_is() -> None:
    # The check can fail: the build extra does reach torch, directly and through accelerate.
    assert path_to_torch(_extras()["build"]) is not None
    assert path_to_torch(["accelerate"]) == ["accelerate", "torch"]
