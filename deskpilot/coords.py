"""The one coordinate contract: from a model's coordinate space to the driver's screen pixels.

A model answers in its own space:

- ``normalized``: 0..1000 on each axis, whatever the image size (``CoordinateSpace.normalized()``);
- ``image``: pixels of the (possibly downscaled) image the model was sent;
- ``screen``: pixels of the full-resolution capture of the monitor (what the scripted model uses).

The capture knows its monitor: the monitor's origin in the virtual desktop (negative offsets happen
left of or above the primary monitor) and its size in driver units. The capture's pixel size divided
by the monitor's size is the scale factor (2.0 on a HiDPI screen whose driver works in points).

`scale_coordinates` is the only function that does this arithmetic; `to_model_space` is its inverse,
used to draw targets on reports and to prove round-trips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from deskpilot.errors import ActionFailed

SpaceKind = Literal["normalized", "image", "screen"]


@dataclass(frozen=True, kw_only=True)
class CoordinateSpace:
    """A model's coordinate space.

    Attributes:
        kind: ``normalized``, ``image`` or ``screen``.
        width: Extent of the x axis in this space (1000 for normalized; image or capture width).
        height: Extent of the y axis in this space.
    """

    kind: SpaceKind
    width: int
    height: int

    @classmethod
    def normalized(cls, extent: int = 1000) -> CoordinateSpace:
        """A resolution-independent space from 0 to ``extent`` (inclusive) on both axes."""
        return cls(kind="normalized", width=extent, height=extent)

    @classmethod
    def image(cls, width: int, height: int) -> CoordinateSpace:
        """Pixels of the image the model was sent (after any downscale)."""
        return cls(kind="image", width=width, height=height)

    @classmethod
    def screen(cls, width: int, height: int) -> CoordinateSpace:
        """Pixels of the full-resolution capture of the monitor."""
        return cls(kind="screen", width=width, height=height)

    def describe(self) -> str:
        """One line for prompts and reports."""
        if self.kind == "normalized":
            return f"normalized 0-{self.width} on both axes"
        return f"{self.kind} pixels, {self.width}x{self.height}"


@dataclass(frozen=True, kw_only=True)
class MonitorGeometry:
    """Where a captured monitor sits in the driver's coordinate system, and its pixel density.

    Attributes:
        left: x of the monitor's top-left corner in driver units (may be negative).
        top: y of the monitor's top-left corner in driver units (may be negative).
        width: Monitor width in driver units.
        height: Monitor height in driver units.
        scale: Capture pixels per driver unit (1.0 on X11; 2.0 on a Retina screen).
    """

    left: int
    top: int
    width: int
    height: int
    scale: float = 1.0

    @property
    def pixel_width(self) -> int:
        """Width of a full-resolution capture of this monitor, in pixels."""
        return round(self.width * self.scale)

    @property
    def pixel_height(self) -> int:
        """Height of a full-resolution capture of this monitor, in pixels."""
        return round(self.height * self.scale)

    def contains(self, x: int, y: int) -> bool:
        """Whether the driver point (x, y) lies on this monitor."""
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


def _axis_to_screen(value: float, extent: int, inclusive: bool, origin: int, size: int) -> int:
    """Map one coordinate to a driver pixel along one axis; raise if it is off the monitor."""
    if not math.isfinite(value):
        raise ActionFailed(f"coordinate {value!r} is not a finite number")
    upper_ok = value <= extent if inclusive else value < extent
    if value < 0 or not upper_ok:
        bound = f"0..{extent}" if inclusive else f"0..{extent - 1}"
        raise ActionFailed(f"coordinate {value:g} is off-screen: the valid range is {bound}")
    offset = min(math.floor(value * size / extent), size - 1)
    return origin + offset


def scale_coordinates(
    x: float, y: float, space: CoordinateSpace, monitor: MonitorGeometry
) -> tuple[int, int]:
    """Map a point from a model's coordinate space to driver (physical screen) coordinates.

    The point goes through the model's space (0-1000 or image pixels), the downscale between the
    image the model saw and the full capture, the capture's scale factor and the monitor's offset in
    the virtual desktop. Points outside the space are rejected before any driver sees them.

    Args:
        x: Horizontal coordinate in ``space``.
        y: Vertical coordinate in ``space``.
        space: The model's declared coordinate space.
        monitor: The geometry of the monitor the screenshot was taken from.

    Returns:
        The (x, y) driver coordinates, guaranteed to lie on ``monitor``.

    Raises:
        ActionFailed: The point is not finite or lies outside the space (off-screen).
    """
    inclusive = space.kind == "normalized"
    try:
        sx = _axis_to_screen(x, space.width, inclusive, monitor.left, monitor.width)
        sy = _axis_to_screen(y, space.height, inclusive, monitor.top, monitor.height)
    except ActionFailed as exc:
        raise ActionFailed(f"point ({x:g}, {y:g}) in {space.describe()}: {exc}") from None
    return sx, sy


def to_model_space(
    x: int, y: int, space: CoordinateSpace, monitor: MonitorGeometry
) -> tuple[float, float]:
    """Inverse of `scale_coordinates`: the centre of driver pixel (x, y) in the model's space.

    Raises:
        ActionFailed: The driver point is not on ``monitor``.
    """
    if not monitor.contains(x, y):
        raise ActionFailed(f"driver point ({x}, {y}) is not on the monitor {monitor}")
    fx = (x - monitor.left + 0.5) / monitor.width
    fy = (y - monitor.top + 0.5) / monitor.height
    return fx * space.width, fy * space.height


def to_capture_pixels(x: int, y: int, monitor: MonitorGeometry) -> tuple[float, float]:
    """Driver point -> pixel position in the full-resolution capture (for drawing on screenshots)."""
    return (x - monitor.left + 0.5) * monitor.scale, (y - monitor.top + 0.5) * monitor.scale
