"""Tests of the training scripts (scripts/): they need the ``build`` extra (PyTorch, transformers),
which `.ci/run` installs; without it these tests are skipped, with the reason."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the training scripts need: pip install -e '.[build]'")
pytest.importorskip("transformers", reason="the training scripts need: pip install -e '.[build]'")

SCRIPTS = Path(__file__).parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
