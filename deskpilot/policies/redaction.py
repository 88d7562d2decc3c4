"""Secret redaction for logs, trajectories, reports and the model's history.

Secrets are the values of environment variables whose names contain KEY, SECRET, TOKEN or PASSWORD,
plus whatever matches the policy's ``redact`` patterns. Text is masked as written and as decoded:
a JSON string literal in it (a model's raw output, say) is also read with its escapes decoded, so
that ``"\\u0073ecret"`` is masked like ``"secret"``. Screenshots are not redacted.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 4
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def secret_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of secret-looking environment variables (long enough to be worth masking)."""
    env = os.environ if environ is None else environ
    return [v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH]


class Redactor:
    """Masks known secret values and secret patterns in text and nested JSON values.

    Raises:
        re.error: A pattern does not compile (each is compiled on its own, inline flags included).
    """

    def __init__(
        self, patterns: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> None:
        values = sorted(set(secret_env_values(environ)), key=len, reverse=True)
        self._regexes = [re.compile(re.escape(v)) for v in values]
        self._regexes += [re.compile(p) for p in patterns]

    def _mask(self, text: str) -> str:
        for regex in self._regexes:
            text = regex.sub(MASK, text)
        return text

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``[REDACTED]``, escaped ones included."""
        if not self._regexes:
            return text
        text = self._mask(text)
        if "\\" not in text:
            return text
        return _JSON_STRING.sub(self._decoded_literal, text)

    def _decoded_literal(self, match: re.Match[str]) -> str:
        literal = match.group()
        if "\\" not in literal:
            return literal
        try:
            value = json.loads(literal)
        except ValueError:
            return literal
        masked = self._mask(value)
        return literal if masked == value else json.dumps(masked, ensure_ascii=False)

    def redact_value(self, value: Any) -> Any:
        """Redact every string inside a JSON-like value (dict keys included)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(v) for v in value]
        return value
