"""A tiny test folder's recipe hash covers its own family's build sources, not every family's."""

from __future__ import annotations

from pathlib import Path

from training.build_test_models import _families
from training.tinymodels.common import HERE, family_sources, recipe_hash


def names(module: str) -> set[str]:
    return {path.name for path in family_sources(f"training.tinymodels.{module}")}


def test_a_family_covers_what_it_imports_at_any_depth() -> None:
    # qwen3_vl builds on qwen2_5_vl; gemma4 on gemma4_unified and its audio tower (imported inside
    # a function); every family on the shared build and the builder shim run by path
    shared = {"common.py", "family.py", "onnx_parts.py", "text.py", "genai_builder.py"}
    assert names("qwen3_vl") >= shared | {"qwen3_vl.py", "qwen2_5_vl.py"}
    assert names("gemma4") >= shared | {"gemma4.py", "gemma4_unified.py", "gemma4_audio.py"}
    assert "phi4mm.py" not in names("gemma3") and "qwen2_5_vl.py" not in names("gemma3")


def test_editing_one_family_leaves_the_others_current(tmp_path: Path) -> None:
    sources = {
        name: family_sources(family.hf_model.__module__) for name, family in _families().items()
    }
    edited = HERE / "phi4mm_vision.py"
    assert {name for name, files in sources.items() if edited in files} == {"phi4mm-tiny"}
    # and the hash follows its sources' bytes (a copy edited, not the checkout)
    copy = tmp_path / edited.name
    copy.write_bytes(edited.read_bytes())
    before = recipe_hash(1, "phi4mm-tiny", sources=[copy])
    copy.write_text(copy.read_text() + "\n# an edit\n")
    assert recipe_hash(1, "phi4mm-tiny", sources=[copy]) != before
