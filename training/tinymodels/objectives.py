"""The default model's training objectives: the answer's cross-entropy (soft at coordinates) and the
training-only auxiliary losses (patch, reading, pointing, copying, choosing among named places), and
where they tap the model."""

from __future__ import annotations

import dataclasses
from typing import Any

from training.tinymodels.deepen import new_index
from training.tinymodels.default_model import GEOMETRY
from training.tinymodels.encoding import IGNORE

PATCH_LAYER = 4  # the hidden states (after this many layers) that say "this patch is the target"
POINT_LAYER = 5  # the full-attention layer whose heads learn to point at the target (0-based)
POINT_Y = 2  # the query head that points for y (head 0 points for x; they use different KV heads)
COPY_HEAD = (3, 1)  # (layer, query head) that learns to look at the task token an answer copies
READ_LAYER = 2  # the layer whose image tokens learn to "read" their labels (through the LM head)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Taps:
    """Where the auxiliary losses tap the model: attention layers and hidden-state indices
    (``hidden_states[k]``: after k layers)."""

    point_layer: int = POINT_LAYER
    copy_head: tuple[int, int] = COPY_HEAD
    patch_states: int = PATCH_LAYER
    read_states: int = READ_LAYER

    @classmethod
    def deepened(cls, depth: int, point_layer: int = POINT_LAYER) -> Taps:
        """The base model's taps where they sit after deepening it to ``depth`` layers."""
        base = len(GEOMETRY.layer_types)
        if depth == base:
            return cls(point_layer=point_layer)

        def at(layer: int) -> int:
            return new_index(layer, base, depth)

        return cls(
            point_layer=at(point_layer),
            copy_head=(at(COPY_HEAD[0]), COPY_HEAD[1]),
            patch_states=at(PATCH_LAYER - 1) + 1,
            read_states=at(READ_LAYER - 1) + 1,
        )


def losses(
    model: Any, head: Any, item: dict[str, Any], number_ids: Any, taps: Taps = Taps()
) -> dict[str, Any]:
    """Answer cross-entropy (soft at coordinates), the patch, reading, pointing, copying and
    choosing losses, and whether x and y landed."""
    import torch
    import torch.nn.functional as F

    out = model(
        input_ids=item["ids"],
        pixel_values=item["pixel_values"],
        image_position_ids=item["image_position_ids"],
        output_hidden_states=True,
        output_attentions=True,
    )
    logits = out.logits[0, :-1]
    labels = item["labels"][0, 1:]
    per_token = F.cross_entropy(logits, labels, ignore_index=IGNORE, reduction="none")
    mask = labels != IGNORE
    hits = []
    for position, target in item["soft"]:
        row = F.log_softmax(logits[position - 1], dim=-1)
        per_token[position - 1] = -(row[number_ids] * target).sum()
        chosen = int(logits[position - 1].argmax())
        hits.append(
            chosen in number_ids.tolist() and float(target[number_ids.tolist().index(chosen)]) > 0
        )
    answer = per_token[mask].mean() if bool(mask.any()) else torch.zeros(())
    patch = torch.zeros(())
    if item["patches"] is not None:
        image = item["ids"][0] == model.config.image_token_id
        scores = head(out.hidden_states[taps.patch_states][0, image]).squeeze(-1)
        patch = F.binary_cross_entropy_with_logits(
            scores, item["patches"], pos_weight=torch.tensor(8.0)
        )
    read = torch.zeros(())
    reading = item["reading"]
    rows = reading.sum(dim=1) > 0
    if rows.any():
        image = item["ids"][0] == model.config.image_token_id
        inner = model.model.language_model
        hidden = inner.norm(out.hidden_states[taps.read_states][0, image][rows])
        read = -(F.log_softmax(model.lm_head(hidden), dim=-1) * reading[rows]).sum(dim=1).mean()
    point = torch.zeros(())
    if item["soft"] and item["patches"] is not None and bool(item["patches"].any()):
        # Pointing (training-only): in one full-attention layer, query head 0 looks at the
        # target's patches where x is predicted and query head POINT_Y where y is, and each
        # looks away from the image when the other axis is asked for.
        image = (item["ids"][0] == model.config.image_token_id).nonzero().squeeze(-1)
        weights = out.attentions[taps.point_layer][0][:, :, image]  # [heads, queries, image tokens]
        terms = []
        for axis, (position, _) in enumerate(item["soft"][:2]):
            mine, other = (0, POINT_Y) if axis == 0 else (POINT_Y, 0)
            on_target = (weights[mine, position - 1] * item["patches"]).sum()
            on_image = weights[other, position - 1].sum()
            terms += [-torch.log(on_target + 1e-4), -torch.log(1 - on_image + 1e-4)]
        point = torch.stack(terms).mean()
    choice = torch.zeros(())
    if item.get("choices"):
        # Choosing (training-only): among the values decoding may choose from (the places the
        # task names, see deskpilot.perception.targets), the right ones, as decoding sees them.
        terms = []
        for position, candidates, good in item["choices"]:
            row = logits[position - 1, candidates]
            terms.append(torch.logsumexp(row, dim=0) - torch.logsumexp(row[good], dim=0))
        choice = torch.stack(terms).mean()
    copy = torch.zeros(())
    if item["copy"]:
        # Copying (training-only): one head, where each copied answer token is predicted, looks
        # at the task token it copies.
        layer, query_head = taps.copy_head
        weights = out.attentions[layer][0][query_head]  # [queries, keys]
        queries, keys = (torch.tensor(column) for column in zip(*item["copy"], strict=True))
        copy = -torch.log(weights[queries, keys] + 1e-4).mean()
    return {
        "answer": answer,
        "patch": patch,
        "read": read,
        "point": point,
        "copy": copy,
        "choice": choice,
        "hits": hits,
    }
