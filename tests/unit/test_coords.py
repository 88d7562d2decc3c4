"""The coordinate contract, proved with property-based tests."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.coords import (
    CoordinateSpace,
    MonitorGeometry,
    scale_coordinates,
    to_capture_pixels,
    to_model_space,
)
from deskpilot.errors import ActionFailed

monitors = st.builds(
    MonitorGeometry,
    left=st.integers(-8000, 8000),
    top=st.integers(-8000, 8000),
    width=st.integers(1, 8000),
    height=st.integers(1, 5000),
    scale=st.sampled_from([1.0, 1.25, 1.5, 2.0]),
)


@st.composite
def monitor_and_space(draw: st.DrawFn) -> tuple[MonitorGeometry, CoordinateSpace]:
    monitor = draw(monitors)
    kind = draw(st.sampled_from(["normalized", "image", "screen"]))
    if kind == "normalized":
        return monitor, CoordinateSpace.normalized()
    if kind == "screen":
        return monitor, CoordinateSpace.screen(monitor.pixel_width, monitor.pixel_height)
    # the model saw a downscaled (or upscaled) copy of the capture
    return monitor, CoordinateSpace.image(draw(st.integers(1, 4000)), draw(st.integers(1, 3000)))


@given(monitor_and_space(), st.data())
def test_every_point_of_the_space_lands_on_the_monitor(
    pair: tuple[MonitorGeometry, CoordinateSpace], data: st.DataObject
) -> None:
    monitor, space = pair
    top_x = space.width if space.kind == "normalized" else space.width - 1
    top_y = space.height if space.kind == "normalized" else space.height - 1
    x = data.draw(st.integers(0, top_x))
    y = data.draw(st.integers(0, top_y))
    sx, sy = scale_coordinates(x, y, space, monitor)
    assert monitor.contains(sx, sy)


@given(monitor_and_space(), st.data())
def test_screen_to_model_to_screen_stays_within_one_model_unit(
    pair: tuple[MonitorGeometry, CoordinateSpace], data: st.DataObject
) -> None:
    monitor, space = pair
    px = data.draw(st.integers(monitor.left, monitor.left + monitor.width - 1))
    py = data.draw(st.integers(monitor.top, monitor.top + monitor.height - 1))
    mx, my = to_model_space(px, py, space, monitor)
    back_x, back_y = scale_coordinates(math.floor(mx), math.floor(my), space, monitor)
    # one model unit covers size/extent driver pixels; the round trip may not move further
    assert abs(back_x - px) <= math.ceil(monitor.width / space.width)
    assert abs(back_y - py) <= math.ceil(monitor.height / space.height)


@given(monitors, st.data())
def test_screen_space_at_scale_one_round_trips_exactly(
    monitor: MonitorGeometry, data: st.DataObject
) -> None:
    monitor = MonitorGeometry(
        left=monitor.left, top=monitor.top, width=monitor.width, height=monitor.height
    )
    space = CoordinateSpace.screen(monitor.width, monitor.height)
    x = data.draw(st.integers(0, monitor.width - 1))
    y = data.draw(st.integers(0, monitor.height - 1))
    sx, sy = scale_coordinates(x, y, space, monitor)
    assert (sx - monitor.left, sy - monitor.top) == (x, y)
    mx, my = to_model_space(sx, sy, space, monitor)
    assert (math.floor(mx), math.floor(my)) == (x, y)


@given(monitor_and_space(), st.one_of(st.integers(-(10**6), -1), st.integers(100_001, 10**6)))
def test_off_space_points_are_rejected(
    pair: tuple[MonitorGeometry, CoordinateSpace], bad: int
) -> None:
    monitor, space = pair
    with pytest.raises(ActionFailed, match="off-screen"):
        scale_coordinates(bad, 0, space, monitor)
    with pytest.raises(ActionFailed, match="off-screen"):
        scale_coordinates(0, bad, space, monitor)


def test_pixel_spaces_exclude_their_width_and_normalized_includes_1000() -> None:
    monitor = MonitorGeometry(left=0, top=0, width=1280, height=800)
    with pytest.raises(ActionFailed, match=r"valid range is 0\.\.1279"):
        scale_coordinates(1280, 0, CoordinateSpace.screen(1280, 800), monitor)
    assert scale_coordinates(1000, 1000, CoordinateSpace.normalized(), monitor) == (1279, 799)
    assert scale_coordinates(500, 500, CoordinateSpace.normalized(), monitor) == (640, 400)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_coordinates_are_rejected(value: float) -> None:
    monitor = MonitorGeometry(left=0, top=0, width=100, height=100)
    with pytest.raises(ActionFailed, match="not a finite number"):
        scale_coordinates(value, 1, CoordinateSpace.normalized(), monitor)


def test_negative_offset_monitor_left_of_primary() -> None:
    # a 1920x1080 monitor placed left of and above the primary
    left = MonitorGeometry(left=-1920, top=-200, width=1920, height=1080)
    assert scale_coordinates(0, 0, CoordinateSpace.normalized(), left) == (-1920, -200)
    assert scale_coordinates(1000, 1000, CoordinateSpace.normalized(), left) == (-1, 879)
    # the image the model saw was downscaled 1920x1080 -> 960x540
    assert scale_coordinates(480, 270, CoordinateSpace.image(960, 540), left) == (-960, 340)


def test_hidpi_capture_maps_to_driver_points() -> None:
    # a Retina screen: the capture has 2x the pixels of the driver's coordinate system
    retina = MonitorGeometry(left=0, top=0, width=1440, height=900, scale=2.0)
    space = CoordinateSpace.screen(retina.pixel_width, retina.pixel_height)
    assert (retina.pixel_width, retina.pixel_height) == (2880, 1800)
    assert scale_coordinates(2000, 1000, space, retina) == (1000, 500)
    assert to_capture_pixels(1000, 500, retina) == (2001.0, 1001.0)
