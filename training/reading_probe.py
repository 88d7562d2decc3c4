"""Can the default model's patch path learn to read? A probe for the reading curriculum (issue 4).

Trains a fresh deskpilot-default model on the label-reading loss alone (per image token: which label
tokens are drawn in that patch, read at layer 2 through the LM head) on screens of plain words, and
logs the loss every 25 updates. The knobs make the rungs of a curriculum: a closed word list or the
whole training vocabulary, a large or a UI-sized font, words aligned to the 48-pixel patch grid or
placed anywhere.

    python -m training.reading_probe --minutes 11 --words 40 --font 26 --aligned

Measured here (2 cores, 4 samples per update): 40 words, 26 px, aligned: 1.59 after 75 updates, 1.21
after 600 (chance is above ln 40 = 3.7), i.e. it reads; the same words at 16 px anywhere: 3.9 -> 3.57
in 750 updates; the agent's real screens (11-16 px, anywhere, ~150 words plus made-up ones) stayed at
~5.2 for 1,050 updates. Fourth session, 12 words at 28 px (chance ~3.0): anywhere, 2.93 after 425
updates (not reading); aligned but moved right/down by up to 12 px (``--jitter 12``), 2.89 -> 1.45 in
300; up to 24 px, 3.03 -> 2.69 in 350 from a fresh model but 2.76 -> 2.14 in 250 from the 12 px
weights (``--init``/``--save``). Chained, 7 minutes a rung: 24 px 2.76 -> 1.47, 36 px 2.19 -> 1.59,
48 px (any offset within a patch) 1.95 -> 1.48: the jitter curriculum reaches words anywhere.
Fifth session, from the pointing checkpoint (``--init runs/.../checkpoint.pt``) and the training
vocabulary's first 12 words at 28 px, 6-7 minutes a rung: plain screens read as fast as from a
fresh model (12 px: 4.15 -> 1.10 in 675 updates; chained to 48 px: 1.55), but the reading-only
updates wreck the answer (the tied LM head learns labels: the next training's answer loss starts
at 8.6); ``--freeze-text`` keeps it but slows reading to a crawl (3.43 after 450 at 12 px).
``--themed`` (plates, light/dark themes, five faces: what the widget screens look like) is far
slower: 12 px 2.43 after 600, then 24 px 2.54, 36 px 2.48, 48 px 2.40 (chance ~3.0).
Sixth session: themed but one face (``--face 1``, DejaVu Sans Book: Tk's) and light plates only
(``--dark 0``) read faster than plain screens: 12 px jitter, from the pointing checkpoint, 2.49 /
1.96 / 1.24 / 0.91 after 100 / 200 / 350 / 500 updates (plain: 2.82 / 2.26 / 1.56 / 1.22; themed
with five faces and 30% dark: 2.83 / 2.61 / 2.47 / 2.47): the plates are not what slowed reading;
the faces and dark themes together are (the two were not run apart).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from deskpilot.data.tasks import Sample
from deskpilot.data.vocab import Vocabulary
from deskpilot.data.widgets import PATCH_PX
from training.data.wordscreens import draw_words
from training.tinymodels.default_model import FAMILY
from training.tinymodels.encoding import Encoder, reading_sample, tokenizer_folder
from training.tinymodels.objectives import READ_LAYER


def word_sample(
    rng: random.Random,
    words: list[str],
    size_px: int,
    aligned: bool,
    jitter: int = 0,
    themed: bool = False,
    face_index: int = -1,
    dark_share: float = 0.3,
) -> Sample:
    """A word screen (``training.data.wordscreens``) as a sample: plain ones in face 0 unless
    ``face_index`` says otherwise; ``themed`` ones on plates in random faces."""
    face = face_index if face_index >= 0 else (None if themed else 0)
    dark = rng.random() < dark_share
    screen = draw_words(rng, words, size_px, jitter if aligned else PATCH_PX, themed, face, dark)
    return reading_sample(screen)


def main() -> None:
    """Train on reading alone; print the mean loss every 25 updates."""
    import torch
    import torch.nn.functional as F

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--words", type=int, default=40, help="closed list size (0: all UI words)")
    parser.add_argument("--font", type=int, default=26)
    parser.add_argument("--aligned", action="store_true", help="words start at patch edges")
    parser.add_argument("--jitter", type=int, default=0, help="aligned words move up to this")
    parser.add_argument(
        "--init", type=Path, help="start from these weights (a rung above, or a train checkpoint)"
    )
    parser.add_argument("--themed", action="store_true", help="widget-like plates, themes, faces")
    parser.add_argument("--face", type=int, default=-1, help="one face (-1: as --themed says)")
    parser.add_argument("--dark", type=float, default=0.3, help="share of dark themes (--themed)")
    parser.add_argument(
        "--freeze-text", action="store_true", help="keep token embeddings and final norm fixed"
    )
    parser.add_argument(
        "--sparse", type=float, default=-1.0, help="keep this share of plain patches (-1: all)"
    )
    parser.add_argument("--save", type=Path, help="write the weights here at the end")
    parser.add_argument("--out", type=Path, default=Path("runs/reading-probe"))
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = random.Random(1)
    _, model = FAMILY.hf_model(20261128)
    model.train()
    with torch.no_grad():
        model.model.embed_vision.pos_embedding.normal_(0.0, 1.0)
    if args.init:  # a probe's weights, or a training checkpoint (its "model" entry)
        state = torch.load(args.init, weights_only=False)
        model.load_state_dict(state.get("model", state))
    args.out.mkdir(parents=True, exist_ok=True)
    encoder = Encoder(tokenizer_folder(args.out, 20261128))
    encoder.vocab = model.config.text_config.vocab_size
    # the labels the widget screens of training draw with --words N (one-word, capitalized)
    words = [w.capitalize() for w in Vocabulary("train", rng, limit=args.words or None).words]
    if args.freeze_text:  # reading must not move the token embeddings (the tied LM head) or the
        for part in (model.model.language_model.embed_tokens, model.model.language_model.norm):
            part.requires_grad_(False)  # final norm: the answer (numbers) depends on them
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-3)
    started, losses, update = time.perf_counter(), [], 0
    while time.perf_counter() - started < args.minutes * 60:
        optimizer.zero_grad()
        total = 0.0
        for _ in range(4):
            screen = word_sample(
                rng, words, args.font, args.aligned, args.jitter, args.themed, args.face, args.dark
            )
            item = encoder.encode(screen)
            if args.sparse >= 0:  # label patches (and a share of the rest) only: ~5x cheaper
                item = encoder.thin(item, args.sparse, model.config.image_token_id)
            out = model(
                input_ids=item["ids"],
                pixel_values=item["pixel_values"],
                image_position_ids=item["image_position_ids"],
                output_hidden_states=True,
            )
            rows = item["reading"].sum(dim=1) > 0
            image = item["ids"][0] == model.config.image_token_id
            hidden = model.model.language_model.norm(out.hidden_states[READ_LAYER][0, image][rows])
            logp = F.log_softmax(model.lm_head(hidden), dim=-1)
            loss = -(logp * item["reading"][rows]).sum(dim=1).mean()
            (loss / 4).backward()
            total += float(loss.detach()) / 4
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        update += 1
        losses.append(total)
        if update % 25 == 0:
            mean = sum(losses[-25:]) / 25
            sys.stdout.write(
                f"update {update} {time.perf_counter() - started:.0f}s loss {mean:.3f}\n"
            )
            sys.stdout.flush()
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
