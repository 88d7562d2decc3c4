"""deskpilot: a local-first agent that operates a real desktop through typed, policy-checked tools.

Importing this package never touches the display: drivers and screen capture import lazily.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deskpilot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
