"""Secret redaction for logs, trajectories, reports and the model's history.

Secrets are the values of environment variables whose names contain KEY, SECRET, TOKEN or PASSWORD,
plus whatever matches the policy's ``redact`` patterns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 4


def secret_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of secret-looking environment variables (long enough to be worth masking)."""
    env = os.environ if environ is None else environ
    return [v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH]


class Redactor:
    """Masks known secret values and secret patterns in text and nested JSON values."""

    def __init__(
        self, patterns: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> None:
        values = sorted(set(secret_env_values(environ)), key=len, reverse=True)
        parts = [re.escape(v) for v in values] + list(patterns)
        self._regex = re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``[REDACTED]``."""
        return self._regex.sub(MASK, text) if self._regex else text

    def redact_value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like value (dict keys included)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(v) for v in value]
        return value
