"""The shipped default model is the kept checkpoint exported (`build_default_model` exports from the
checkpoint as git keeps it and keeps it when it ships): exporting ``training/checkpoints/curriculum.pt``
again gives the shipped folder byte for byte, so the next training run starts from what users run."""

from __future__ import annotations

import sys
from pathlib import Path

from training.build_default_model import KEPT, SHIPPED, export


def test_exporting_the_kept_checkpoint_gives_the_shipped_model(tmp_path: Path) -> None:
    export(sys.executable, KEPT, tmp_path / "int4")
    built = sorted(p.name for p in (tmp_path / "int4").iterdir())
    shipped = sorted(p.name for p in SHIPPED.iterdir() if p.name != "MODEL_CARD.md")
    assert built == shipped
    differ = [
        name
        for name in built
        if (tmp_path / "int4" / name).read_bytes() != (SHIPPED / name).read_bytes()
    ]
    assert differ == [], (
        f"{differ} differ: the shipped model is not the kept checkpoint exported; ship with "
        "`python -m training.build_default_model` (it keeps what it ships) or keep the "
        "shipped checkpoint with `--keep`"
    )
