"""The training log's comparison table in one run: each model folder on the same seeded screens of
every row (``rung_eval.py``'s knobs), side by side, as a Markdown table of click inside (typing
rows: typed exactly too; not-found rows: false clicks), with the chance of a random element.

    python -m training.rung_table runs/s36/int4 runs/s37/int4 [--screens 300] [--rows vocabulary]

About 30 s per row and model at 300 screens on two cores (nothing else running).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.rung_eval import arguments, rows

RUNG = "--widgets 3 --words 96 --grid-jitter 48 --face 1 --theme light"
FORMS = f"{RUNG} --forms 1 --at-least 1"
WHOLE = "--widgets 3 --grid-jitter 48 --face 1 --theme light --font-sizes 12,16"
TABLES: dict[str, dict[str, str]] = {
    # the 96-word rung the curriculum stood on in sessions 13-19
    "rung": {
        "widgets 12 px": f"{RUNG} --at-least 3 --font-sizes 12,12",
        "widgets 16 px": f"{RUNG} --at-least 3 --font-sizes 16,16",
        "widgets 20 px": f"{RUNG} --at-least 3 --font-sizes 20,20",
        "not found 20 px": f"{RUNG} --at-least 3 --font-sizes 20,20 --not-found 1",
        "forms 10 px": f"{FORMS} --font-sizes 10,10",
        "forms 12 px": f"{FORMS} --font-sizes 12,12",
        "forms 16 px": f"{FORMS} --font-sizes 16,16",
        "typing 16 px": f"{FORMS} --font-sizes 16,16 --type 3 --free-text 0.5 --quote 1",
        "forms 12 px at 1280x800": f"{FORMS} --font-sizes 12,12 --desktop 1",
        "forms 16 px at 1280x800": f"{FORMS} --font-sizes 16,16 --desktop 1",
    },
    # beyond it: every training word (and made-up ones), and words never seen in training
    "vocabulary": {
        "whole vocabulary": f"{WHOLE} --at-least 3 --pseudo 0.2",
        "unseen labels": f"{WHOLE} --at-least 3 --split heldout",
        "forms, whole vocabulary": f"{WHOLE} --pseudo 0.2 --forms 1 --at-least 1 --desktop 0.5",
    },
    # whole 1280x800 screens (the demo's and the Tk suite's size), where the image-token budget
    # decides how large text reaches the model (280 tokens: ~0.79x; 448: ~0.98x)
    "desktop": {
        "widgets 12 px at 1280x800": f"{RUNG} --at-least 3 --font-sizes 12,12 --desktop 1",
        "forms 12 px at 1280x800": f"{FORMS} --font-sizes 12,12 --desktop 1",
        "forms 16 px at 1280x800": f"{FORMS} --font-sizes 16,16 --desktop 1",
        "typing 12 px at 1280x800": f"{FORMS} --font-sizes 12,12 --type 3 --free-text 0.5 "
        "--quote 1 --desktop 1",
    },
    # copying the text to type: free text only (names, letters at random, codes, addresses,
    # numbers), quoted as `make demo` quotes it; "typed exactly" is the row's measure
    "copying": {
        "free text 12 px at 1280x800": f"{FORMS} --font-sizes 12,12 --type 3 --free-text 1 "
        "--quote 1 --desktop 1",
        "free text 16 px": f"{FORMS} --font-sizes 16,16 --type 3 --free-text 1 --quote 1",
    },
}


# real Tk dialogs on Xvfb (tkdialogs.py; labels never seen in training), as the demo's window
DIALOGS = "--tk-dialogs 300 --split heldout"
TABLES["dialogs"] = {
    "Tk dialogs, unseen labels": DIALOGS,
    "Tk dialogs, not found": f"{DIALOGS} --not-found 1",
    "Tk dialogs, typing": f"{DIALOGS} --type 1 --free-text 0.7 --quote 1",
    # new dialogs (the eval's seed, not the training pool's) with the training split's labels:
    # the demo's case ("Name" and "Save" are training words)
    "Tk dialogs, training labels": "--tk-dialogs 300 --split train",
}


def cell(row: dict[str, str]) -> str:
    text = row["click inside"]
    if row["typed exactly"] != "-":
        text += f" (typed {row['typed exactly']})"
    if row["false clicks"] != "-":
        text += f" (false clicks {row['false clicks']})"
    return text


def main() -> None:
    """Run the rows, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="+")
    parser.add_argument("--screens", type=int, default=300)
    parser.add_argument(
        "--rows",
        default="rung,vocabulary",
        help="tables: rung, vocabulary, desktop, copying, dialogs",
    )
    args = parser.parse_args()
    folders = [str(f) for f in args.folder]
    say = sys.stdout.write
    say("| row | random element | " + " | ".join(folders) + " |\n")
    say("|---" * (len(folders) + 2) + "|\n")
    for table in args.rows.split(","):
        for name, knobs in TABLES[table].items():
            argv = [*folders, *knobs.split(), "--screens", str(args.screens)]
            found = list(rows(arguments().parse_args(argv)))
            cells = " | ".join(cell(row) for row in found)
            say(f"| {name} | {found[0]['random element']} | {cells} |\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
