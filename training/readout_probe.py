"""Where does grounding break? A probe of a default-model checkpoint along the path from pixels to
the coordinate token (issue 4).

For click tasks on held-out screens of 1..N scattered widgets it prints:
- per layer, how well a least-squares linear map recovers each image token's patch column from
  its hidden state (mean absolute error in columns; is *where* still in the image tokens?);
- the attention mass that the pointing heads put on the target's patches from the position that
  predicts x (do they look at the right place?);
- the reading loss at the reading layer (do the label patches say which label is drawn there?);
- the teacher-forced x and y values the model predicts, how many distinct values it uses, and how
  often both land inside the target (does the readout turn that look into a number?).

    python -m training.readout_probe runs/default/checkpoint.pt --widgets 1 --screens 12
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deskpilot.data.dataset import synthetic_samples
from training.tinymodels.default_model import FAMILY
from training.tinymodels.encoding import Encoder, tokenizer_folder
from training.tinymodels.objectives import POINT_LAYER, POINT_Y, READ_LAYER
from training.tinymodels.stream import font_sizes


def say(*parts: object) -> None:
    """One line on stdout."""
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")


def main() -> None:
    """Load the checkpoint, run the probes, print the figures."""
    import torch
    import torch.nn.functional as F

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--widgets", type=int, default=1)
    parser.add_argument("--screens", type=int, default=12)
    parser.add_argument("--font-sizes", default="11,16", help="LOW,HIGH label sizes (pixels)")
    parser.add_argument("--words", type=int, help="one-word labels from this many words")
    parser.add_argument("--at-least", type=int, default=1, help="screens with this many widgets+")
    parser.add_argument("--face", type=int, help="all text in this font face")
    parser.add_argument("--theme", default="any", choices=["any", "light", "dark"])
    parser.add_argument("--grid-jitter", type=int, help="labels near a patch corner (0-48)")
    parser.add_argument("--sparse", type=float, default=-1.0, help="thin as in training")
    parser.add_argument("--point-layer", type=int, default=POINT_LAYER)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    _, model = FAMILY.hf_model(args.seed)
    model.set_attn_implementation("eager")
    state = torch.load(args.checkpoint, weights_only=False)  # a checkpoint or probe weights
    model.load_state_dict(state.get("model", state))
    model.eval()
    encoder = Encoder(tokenizer_folder(args.checkpoint.parent, args.seed))
    encoder.vocab = model.config.text_config.vocab_size
    value_of = {token: value for value, token in encoder.numbers.items()}
    image_token = model.config.image_token_id
    data = synthetic_samples(
        10**6,
        "train",
        seed=args.seed + 7,
        widgets=args.widgets,
        weights={"click": 1},
        tasks_per_screen=1,
        font_sizes=font_sizes(args.font_sizes),
        words=args.words,
        face=args.face,
        grid_jitter=args.grid_jitter,
        dark={"any": None, "light": False, "dark": True}[args.theme],
    )
    states: list[list[torch.Tensor]] = [
        [] for _ in range(model.config.text_config.num_hidden_layers + 1)
    ]
    columns, masses, answers, reads = [], [], [], []
    if args.at_least > 1:  # screens where picking the named widget needs reading
        data = (sample for sample in data if len(sample.elements) >= args.at_least)
    for sample in (next(data) for _ in range(args.screens)):
        item = encoder.encode(sample)
        if args.sparse >= 0:
            item = encoder.thin(item, args.sparse, image_token)
        with torch.no_grad():
            out = model(
                input_ids=item["ids"],
                pixel_values=item["pixel_values"],
                image_position_ids=item["image_position_ids"],
                output_hidden_states=True,
                output_attentions=True,
            )
        image = item["ids"][0] == image_token
        positions = item["image_position_ids"][0]
        positions = positions[(positions != -1).all(dim=-1)]
        for layer, hidden in enumerate(out.hidden_states):
            states[layer].append(hidden[0, image])
        columns.append(positions[:, 0].float())
        rows = item["reading"].sum(dim=1) > 0
        with torch.no_grad():
            hidden = model.model.language_model.norm(out.hidden_states[READ_LAYER][0, image][rows])
            logp = F.log_softmax(model.lm_head(hidden), dim=-1)
            reads.append(float(-(logp * item["reading"][rows]).sum(dim=1).mean()))
        x_row = item["soft"][0][0] - 1
        y_row = item["soft"][1][0] - 1
        attention = out.attentions[args.point_layer][0]
        masses.append(
            (
                float((attention[0, x_row, image] * item["patches"]).sum()),
                float((attention[POINT_Y, y_row, image] * item["patches"]).sum()),
            )
        )
        predicted = []
        for position, target in item["soft"]:
            value = value_of.get(int(out.logits[0, position - 1].argmax()), -1)
            predicted.append((value, value >= 0 and float(target[value]) > 0))
        answers.append(predicted)
    column = torch.cat(columns)
    train = int(len(column) * 0.7)
    say("layer  column MAE (linear probe, held-out tokens)")
    for layer, parts in enumerate(states):
        features = torch.cat([torch.cat(parts), torch.ones(len(column), 1)], dim=1)
        weights = torch.linalg.lstsq(features[:train], column[:train, None]).solution
        error = (features[train:] @ weights).squeeze(-1) - column[train:]
        say(f"{layer:>5}  {float(error.abs().mean()):.2f}")
    say(f"reading loss (layer {READ_LAYER}, label patches): {sum(reads) / len(reads):.3f}")
    x_mass, y_mass = (sum(m[i] for m in masses) / len(masses) for i in (0, 1))
    say(
        f"pointing heads' mass on the target (layer {args.point_layer}): x head {x_mass:.2f}, "
        f"y head {y_mass:.2f}"
    )
    xs = [a[0][0] for a in answers]
    inside = sum(all(hit for _, hit in a) for a in answers) / len(answers)
    say(f"teacher-forced x values: {len(set(xs))} distinct of {len(xs)}; both inside {inside:.0%}")
    say("x, y predicted:", [(a[0][0], a[1][0]) for a in answers])


if __name__ == "__main__":
    main()
