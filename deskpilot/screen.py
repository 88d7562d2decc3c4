"""Screen capture: frames stay raw BGRA arrays until something needs an image or a PNG.

`MssScreen` grabs one monitor through mss (imported lazily, so importing deskpilot needs no display).
`StaticScreen` serves fixed images: the fake screen for tests and offline demos.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PIL import Image

from deskpilot.coords import MonitorGeometry
from deskpilot.errors import UsageError


@dataclass(frozen=True, kw_only=True, eq=False)
class Frame:
    """One captured screen.

    Attributes:
        pixels: H x W x 4 uint8 array in BGRA order (as mss returns it; no copy made).
        monitor: Where the captured monitor sits in driver coordinates, and its scale factor.
    """

    pixels: np.ndarray[Any, np.dtype[np.uint8]]
    monitor: MonitorGeometry
    _png: dict[int, bytes] = field(default_factory=dict, repr=False)

    @property
    def width(self) -> int:
        """Capture width in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Capture height in pixels."""
        return int(self.pixels.shape[0])

    def to_image(self) -> Image.Image:
        """The frame as an RGB PIL image (a conversion: call only when an image is needed)."""
        data = np.ascontiguousarray(self.pixels)
        return Image.frombuffer("RGB", (self.width, self.height), data, "raw", "BGRX", 0, 1)

    def png_bytes(self, compress_level: int = 1) -> bytes:
        """The frame encoded as PNG (cached per compression level)."""
        if compress_level not in self._png:
            buffer = io.BytesIO()
            self.to_image().save(buffer, format="PNG", compress_level=compress_level)
            self._png[compress_level] = buffer.getvalue()
        return self._png[compress_level]

    def digest(self) -> str:
        """SHA-256 of the raw pixels: binds approvals and records to exactly this screen."""
        return hashlib.sha256(np.ascontiguousarray(self.pixels).tobytes()).hexdigest()

    @classmethod
    def from_image(cls, image: Image.Image, monitor: MonitorGeometry | None = None) -> Frame:
        """Wrap a PIL image as a frame (for fakes, tests and offline replays)."""
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        bgra = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
        bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = (
            rgb[..., 2],
            rgb[..., 1],
            rgb[..., 0],
            255,
        )
        geometry = monitor or MonitorGeometry(left=0, top=0, width=image.width, height=image.height)
        return cls(pixels=bgra, monitor=geometry)


class ScreenSource(Protocol):
    """Something that produces frames of one monitor."""

    def grab(self) -> Frame:
        """Capture the current screen."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


def require_display() -> None:
    """Raise a `UsageError` that says what to do when there is no display to capture or drive."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise UsageError(
            "no display: DISPLAY is not set. Run on a desktop session, or start a virtual one "
            "(e.g. `Xvfb :99 -screen 0 1280x800x24 & export DISPLAY=:99`)."
        )


class MssScreen:
    """Captures one monitor with mss. Monitor 1 is the primary; 0 is all monitors together."""

    def __init__(self, monitor: int = 1) -> None:
        require_display()
        import mss

        try:
            self._sct = mss.MSS()
        except Exception as exc:  # mss raises its own ScreenShotError with the X error inside
            raise UsageError(
                f"cannot open the display {os.environ.get('DISPLAY')!r}: {exc}"
            ) from exc
        monitors = self._sct.monitors
        if not 0 <= monitor < len(monitors):
            self._sct.close()
            raise UsageError(
                f"monitor {monitor} does not exist; this display has monitors 1..{len(monitors) - 1}"
                " (0 = all of them)"
            )
        self._monitor = dict(monitors[monitor])
        self.index = monitor

    def monitors(self) -> list[MonitorGeometry]:
        """Geometry of every monitor, index 0 being the union of all."""
        return [_geometry(m, m["width"]) for m in self._sct.monitors]

    def grab(self) -> Frame:
        """Capture the chosen monitor as a BGRA array, without any conversion."""
        shot = self._sct.grab(self._monitor)
        pixels = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        return Frame(pixels=pixels, monitor=_geometry(self._monitor, shot.width))

    def close(self) -> None:
        """Close the mss handle."""
        self._sct.close()


def _geometry(monitor: dict[str, int], pixel_width: int) -> MonitorGeometry:
    return MonitorGeometry(
        left=monitor["left"],
        top=monitor["top"],
        width=monitor["width"],
        height=monitor["height"],
        scale=pixel_width / monitor["width"],
    )


class StaticScreen:
    """Serves fixed frames in turn (the last one repeats): a fake screen for tests and demos."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        if not frames:
            raise ValueError("StaticScreen needs at least one frame")
        self._frames = list(frames)
        self.grabs = 0

    def grab(self) -> Frame:
        """The next frame."""
        frame = self._frames[min(self.grabs, len(self._frames) - 1)]
        self.grabs += 1
        return frame

    def close(self) -> None:
        """Nothing to release."""


def grab_settled(screen: ScreenSource, *, interval: float = 0.05, timeout: float = 1.0) -> Frame:
    """Grab until two grabs ``interval`` apart are identical (the UI has repainted), or ``timeout``.

    Used after an action so the model sees its effect, not the screen half-way through a redraw.
    """
    deadline = time.monotonic() + timeout
    frame = screen.grab()
    while time.monotonic() < deadline:
        time.sleep(interval)
        later = screen.grab()
        if np.array_equal(later.pixels, frame.pixels):
            return later
        frame = later
    return frame
