"""Tests of the default model's factory (the top-level `training` package): they need the
``build`` extra (PyTorch, transformers), which `.ci/run` installs; without it these tests are
skipped, with the reason."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="the training package needs: pip install -e '.[build]'")
pytest.importorskip("transformers", reason="the training package needs: pip install -e '.[build]'")
