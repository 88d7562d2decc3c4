"""Test-wide settings: in CI, property tests run with a fixed seed so a run is reproducible."""

from __future__ import annotations

import os
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_KEY_DIR = tempfile.mkdtemp(prefix="deskpilot-test-state-")
# The audit log's key lives in the user's state directory: tests (and the deskpilot processes they
# start, which inherit the environment) use a key of their own, never the user's.
os.environ["DESKPILOT_AUDIT_KEY_FILE"] = os.path.join(_KEY_DIR, "audit.key")
