"""Build tiny random-weight multimodal models as complete onnxruntime-genai model folders.

    python -m training.build_test_models --out tests/models [--only NAME] [--verify] [--force]

gemma3-served-tiny is the one HF folder (for `transformers serve`, fine-tuned to one answer, see
training/served_model.py); --verify does not apply to it (its build checks its answers).

Every folder is made from a fixed seed: the same seed gives the same weights, tokenizer and greedy
tokens. A folder whose build_info.json carries the current recipe hash (these sources, the seed,
the library versions) is left alone unless --force is given. Building needs the build extra
(torch, transformers, tokenizers, onnx, onnx_ir, onnxscript); the folders need only
onnxruntime-genai at run time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from training import served_model
from training.tinymodels.common import (
    family_sources,
    folder_size,
    greedy_probe,
    read_json,
    recipe_hash,
    replace_folder,
    say,
    write_json,
)
from training.tinymodels.family import TinyFamily
from training.tinymodels.verify import verify_folder

DEFAULT_SEED = 20261128


def _families() -> dict[str, TinyFamily]:
    from training.tinymodels import gemma3, gemma4, gemma4_unified, phi4mm, qwen2_5_vl, qwen3_vl

    built = (
        gemma4_unified.FAMILY,
        gemma3.FAMILY,
        qwen2_5_vl.FAMILY,
        qwen3_vl.FAMILY,
        gemma4.FAMILY,
        phi4mm.FAMILY,
    )
    return {f.name: f for f in built}


def _up_to_date(folder: Path, fingerprint: str) -> bool:
    info = folder / "build_info.json"
    return info.is_file() and read_json(info).get("recipe_hash") == fingerprint


def build_one(family: TinyFamily, out: Path, seed: int, force: bool) -> Path:
    """Build one folder into a staging directory next to it, then swap it in."""
    folder = out / family.name
    # only the family's own sources: editing another family's builder leaves this folder current
    fingerprint = recipe_hash(seed, family.name, sources=family_sources(family.hf_model.__module__))
    if not force and _up_to_date(folder, fingerprint):
        say(f"{family.name}: up to date ({folder}), skipping the build")
        return folder
    info_path = folder / "build_info.json"
    previous = read_json(info_path) if info_path.is_file() else {}
    with tempfile.TemporaryDirectory(prefix=f".{family.name}-tmp", dir=out) as tmp:
        staged = Path(tmp) / family.name
        family.build(staged, seed)
        probe = {
            "prompt": family.probe_prompt,
            "image": "tinymodels.common.screenshot_png() (1280x800)",
            "greedy_tokens": greedy_probe(staged, family.probe_prompt),
        }
        if (
            previous.get("seed") == seed
            and previous.get("probe", {}).get("prompt") == probe["prompt"]
        ):
            same = previous["probe"].get("greedy_tokens") == probe["greedy_tokens"]
            say(
                f"{family.name}: greedy probe {'matches' if same else 'DIFFERS FROM'} the last build"
            )
        write_json(
            staged / "build_info.json",
            {
                "name": family.name,
                "seed": seed,
                "recipe_hash": fingerprint,
                "built_by": "training/build_test_models.py",
                "random_weights": True,
                "probe": probe,
            },
        )
        replace_folder(staged, folder)
    say(f"{family.name}: wrote {folder} ({folder_size(folder) / 1e6:.2f} MB)")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("tests/models"), help="parent folder")
    parser.add_argument("--only", action="append", help="build only this model (repeatable)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="load, generate, check HF parity and constrained decoding",
    )
    parser.add_argument("--report", type=Path, help="write the verification report here (JSON)")
    args = parser.parse_args(argv)

    families = _families()
    names = args.only or [*families, served_model.NAME]
    unknown = [n for n in names if n not in (*families, served_model.NAME)]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; known: {sorted([*families, served_model.NAME])}")
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob(".*-tmp*"):  # left by an interrupted build
        shutil.rmtree(stale, ignore_errors=True)
    failed = []
    reports: dict[str, object] = {}
    for name in names:
        if name == served_model.NAME:
            served_model.build_folder(args.out, args.seed, args.force)
            continue
        folder = build_one(families[name], args.out, args.seed, args.force)
        if args.verify:
            # a family with its own checks (phi4mm: not Gemma-style turns) runs them instead
            own = getattr(families[name], "verify", None)
            report = (
                own(folder, args.seed) if own else verify_folder(folder, args.seed, families[name])
            )
            reports[name] = report
            if not report.get("ok"):
                failed.append(name)
    if args.verify:
        text = json.dumps(reports, indent=2, default=str)
        if args.report:
            args.report.write_text(text + "\n")
        else:
            sys.stdout.write(text + "\n")
    if failed:
        say(f"verification FAILED for {failed}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
