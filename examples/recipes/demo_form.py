"""A Python recipe: fill in deskpilot's demo form (`python -m deskpilot.demo.app STATE.json`).

deskpilot recipe run examples/recipes/demo_form.py --param state=STATE.json --param name=Ada
"""

import json
from pathlib import Path

from deskpilot.recipes import RecipeContext, recipe


@recipe
def fill_demo_form(r: RecipeContext, state: str, name: str = "Ada Lovelace") -> None:
    """Type a name into the demo form and save it; check that the form saved it."""
    r.wait_for(file=state, timeout=15)
    widgets = json.loads(Path(state).read_text())["widgets"]
    x, y, w, h = widgets["name"]
    r.click(x + w // 2, y + h // 2)
    r.type_text(name)
    x, y, w, h = widgets["save"]
    r.click(x + w // 2, y + h // 2)
    r.check(file_contains=(state, f'"saved": "{name}"'))
