"""Replay with a check: before a recorded pointer step, compare the screen around its target with the
crop saved at recording time. Where it still looks the same, the step runs as recorded; where it
does not, the target is found again (re-grounded): by the model when one is given (from the step's
description), otherwise by searching the screen for the recorded crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from deskpilot.coords import scale_coordinates
from deskpilot.errors import ActionFailed, ToolCallError
from deskpilot.runtime.base import Model, ModelRequest
from deskpilot.screen import Frame
from deskpilot.tools.registry import ToolRegistry

CROP_RADIUS = 40
MATCH_THRESHOLD = 12.0  # mean absolute difference (0-255, brightness-centred): "still the same"
SEARCH_THRESHOLD = 24.0  # looser, for finding a target that moved (focus rings, hover tints)


def gray(frame_or_image: Frame | Image.Image) -> np.ndarray[Any, np.dtype[np.float32]]:
    """A float32 grayscale array of a frame or an image."""
    image = frame_or_image.to_image() if isinstance(frame_or_image, Frame) else frame_or_image
    return np.asarray(image.convert("L"), dtype=np.float32)


def crop_around(frame: Frame, x: int, y: int, radius: int = CROP_RADIUS) -> Image.Image:
    """The square around capture pixel (x, y), clipped to the frame."""
    box = (
        max(0, x - radius),
        max(0, y - radius),
        min(frame.width, x + radius),
        min(frame.height, y + radius),
    )
    return frame.to_image().crop(box)


def _centered(
    values: np.ndarray[Any, np.dtype[np.float32]],
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Subtract the mean over the last two axes: a hover tint or a theme's brightness shift
    changes the mean, not the shapes (text, borders) that identify a target."""
    centred: np.ndarray[Any, np.dtype[np.float32]] = values - values.mean(
        axis=(-2, -1), keepdims=True
    )
    return centred


def difference(frame: Frame, crop: Image.Image, x: int, y: int) -> float:
    """Mean absolute difference (brightness-centred) between ``crop`` and the frame at (x, y)."""
    now = crop_around(frame, x, y, max(crop.width, crop.height) // 2)
    if now.size != crop.size:
        return 255.0
    return float(np.abs(_centered(gray(now)) - _centered(gray(crop))).mean())


@dataclass(frozen=True, kw_only=True)
class Regrounded:
    """Where a step's target is now, and who found it."""

    x: int
    y: int
    by: str


class Regrounder(Protocol):
    """Finds a recorded target on the current screen."""

    def locate(
        self, frame: Frame, crop: Image.Image, description: str, hint: tuple[int, int]
    ) -> Regrounded | None:
        """The target's capture-pixel position, or None if it is not on the screen."""
        ...


class TemplateRegrounder:
    """Finds the recorded crop by sliding it over the screen (a coarse pass, then a fine one)."""

    def __init__(self, threshold: float = SEARCH_THRESHOLD, stride: int = 4) -> None:
        self.threshold = threshold
        self.stride = stride

    def locate(
        self, frame: Frame, crop: Image.Image, description: str, hint: tuple[int, int]
    ) -> Regrounded | None:
        """Best match of the crop anywhere on the screen, if it is close enough."""
        screen, patch = gray(frame), _centered(gray(crop))
        ph, pw = patch.shape
        windows = np.lib.stride_tricks.sliding_window_view(screen, (ph, pw))
        coarse = windows[:: self.stride, :: self.stride]
        scores = np.abs(_centered(coarse) - patch).mean(axis=(2, 3))
        cy, cx = np.unravel_index(int(np.argmin(scores)), scores.shape)
        y0, x0 = int(cy) * self.stride, int(cx) * self.stride
        best, where = float("inf"), (x0, y0)
        for y in range(max(0, y0 - self.stride), min(windows.shape[0], y0 + self.stride + 1)):
            for x in range(max(0, x0 - self.stride), min(windows.shape[1], x0 + self.stride + 1)):
                score = float(np.abs(_centered(windows[y, x]) - patch).mean())
                if score < best:
                    best, where = score, (x, y)
        if best > self.threshold:
            return None
        return Regrounded(x=where[0] + pw // 2, y=where[1] + ph // 2, by="template")


class ModelRegrounder:
    """Asks the model to click the described element and takes the point it chose."""

    def __init__(self, model: Model, registry: ToolRegistry, tool_prompt: str = "") -> None:
        self.model = model
        self.registry = registry
        self.tool_prompt = tool_prompt

    def locate(
        self, frame: Frame, crop: Image.Image, description: str, hint: tuple[int, int]
    ) -> Regrounded | None:
        """The model's click for ``description``, mapped to capture pixels."""
        request = ModelRequest(
            task=f"click {description}",
            frame=frame,
            history=(),
            tool_schema=self.registry.call_schema(),
            tool_prompt=self.tool_prompt,
        )
        reply = self.model.next_action(request)
        try:
            call = self.registry.parse(reply.text)
        except ToolCallError:
            return None
        points = call.action.points()
        if not points:
            return None
        space = self.model.coordinate_space(frame)
        try:
            x, y = scale_coordinates(*points[0], space, frame.monitor)
        except ActionFailed:
            return None
        px = round((x - frame.monitor.left) * frame.monitor.scale)
        py = round((y - frame.monitor.top) * frame.monitor.scale)
        return Regrounded(x=px, y=py, by="model")


def load_crop(recipe_file: Path, name: str) -> Image.Image:
    """A crop saved next to a recorded recipe."""
    return Image.open(recipe_file.parent / name).convert("RGB")
