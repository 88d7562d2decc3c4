"""The words a model reads: the screen's text and the places a task names, where the prompt puts
them."""

from __future__ import annotations

from PIL import Image

from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.prompting import named_block, user_text
from deskpilot.screen import Frame


def test_named_places_are_one_a_line_or_none() -> None:
    places = [("Name", False, (120, 300)), ("Name", True, (260, 301))]
    assert named_block(places) == "[120,300] Name\n[260,301] field beside Name"
    assert named_block([]) == "none"


def test_the_screen_text_and_the_named_places_come_before_the_screenshot() -> None:
    request = ModelRequest(
        task="type Ada into Name",
        frame=Frame.from_image(Image.new("RGB", (8, 8))),
        history=(),
        tool_schema={},
    )
    text = user_text(request, "<image>", "[1,2,3,4] Name", named_block([("Name", True, (5, 6))]))
    order = [text.index(part) for part in ("Task:", "Screen text:", "Named places:", "<image>")]
    assert order == sorted(order) and "[5,6] field beside Name" in text
    assert "Named places" not in user_text(request, "<image>", "[1,2,3,4] Name")
