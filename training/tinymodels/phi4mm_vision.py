"""phi4mm-tiny's vision side: ``vision.onnx`` and ``vision_processor.json``.

* The processor cuts the screenshot into 448-pixel crops (dynamic HD, at most ``DYNAMIC_HD``
  crops, padded white) plus one global 448x448 view: ``pixel_values`` [1, 1 + crops, 3, 448,
  448], ``image_sizes`` [1, 2] (the padded height and width), ``image_attention_mask``
  [1, 1 + crops, 32, 32] (the 14-pixel patches that are not padding). It counts the tokens with
  Phi-4-mm's geometry hard-coded (448 / 14 = 32 patches a side, pooled 2x2: 256 + 16 + 1 for the
  global view, one per pooled useful sub-crop patch plus one per row), so the tower keeps that
  geometry: 448-pixel crops, 14-pixel patches.
* ``vision.onnx``: those three inputs -> ``image_features`` [T, H]: HF's SigLIP tower up to its
  ``feature_layer`` (-2) with the patch mask, 2x2 average pooling, the HD transform (sub-crop grid
  cut to its useful rows and columns, a learned separator after every row, the global view after
  the sub-crops) and the two-layer projection, written so the crop count and the padding stay
  dynamic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.tinymodels.phi4mm_text import IMAGE_TOKEN_ID

CROP = 448  # pixels a crop side (Phi-4-mm's dyhd_base_resolution; genai's token count needs it)
PATCH = 14  # pixels a patch side
SIDE = CROP // PATCH  # 32 patches a crop side
POOLED = SIDE // 2  # 16: pooled 2x2
DYNAMIC_HD = 36  # at most this many 448-pixel crops (Phi-4-mm's processor default)
PROCESSOR_FILE = "vision_processor.json"


# --- vision.onnx ------------------------------------------------------------------------------


def _vision_module(model: Any) -> Any:
    """HF's ``Phi4MultimodalImageEmbedding`` from genai's processor outputs to the projected
    features, for one image with any number of crops and any padding."""
    import torch

    image = model.model.embed_tokens_extend.image_embed
    tower = image.img_processor
    tower.config._attn_implementation = "eager"  # the additive key mask below, as HF's eager
    layers = tower.encoder.layers
    used = len(layers) + 1 + int(model.config.vision_config.feature_layer)  # hidden_states[-2]
    boundaries = torch.arange(1 / SIDE, 1.0, 1 / SIDE)  # HF's bucket edges

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.image = image

        def embed(self, crops: Any, mask: Any) -> Any:
            """Patch + position embeddings; positions spread over each crop's unpadded patches."""
            embeddings = tower.embeddings
            x = embeddings.patch_embedding(crops).flatten(2).transpose(1, 2)
            index = torch.arange(SIDE, dtype=torch.float32)
            rows = mask[:, :, 0].sum(1).to(torch.float32)
            cols = mask[:, 0, :].sum(1).to(torch.float32)
            fh = torch.clamp(index[None, :] * (1.0 / rows)[:, None], max=1.0 - 1e-6)
            fw = torch.clamp(index[None, :] * (1.0 / cols)[:, None], max=1.0 - 1e-6)
            bh = (fh[..., None] >= boundaries).sum(-1)  # bucketize(right=True)
            bw = (fw[..., None] >= boundaries).sum(-1)
            positions = (bh[:, :, None] * SIDE + bw[:, None, :]).reshape(mask.shape[0], -1)
            positions = torch.where(mask.reshape(mask.shape[0], -1), positions, 0)
            return x + embeddings.position_embedding(positions)

        def forward(self, pixel_values: Any, image_sizes: Any, image_attention_mask: Any) -> Any:
            crops = pixel_values.flatten(0, 1)
            masks = image_attention_mask.flatten(0, 1)
            mask = masks > 0.5
            x = self.embed(crops, mask)
            keys = mask.reshape(mask.shape[0], 1, 1, -1)
            bias = torch.where(keys, 0.0, torch.finfo(torch.float32).min)
            for layer in layers[:used]:
                x = layer(x, attention_mask=bias)
            dim = x.shape[-1]
            grid = x.reshape(-1, SIDE, SIDE, dim).permute(0, 3, 1, 2)
            pooled = self.image.image_token_compression(grid).permute(0, 2, 3, 1)  # [C, 16, 16, D]
            # the global view, a separator after each of its 16 rows
            sub_sep = self.image.sub_img_feature_extensor.reshape(1, dim)
            global_view = torch.cat([pooled[0], sub_sep.expand(POOLED, dim)[:, None]], dim=1)
            global_view = global_view.reshape(-1, dim)
            # the sub-crops as one grid, cut to its useful rows / columns, a separator per row
            wide = image_sizes[0, 1] // CROP  # crops per row
            sub = pooled[1:].reshape(-1, dim)
            sub_mask = masks[1:, 0::2, 0::2]  # [crops, 16, 16]
            crop = torch.arange(sub_mask.shape[0])
            useful_h = (sub_mask[:, :, 0] * (crop % wide == 0)[:, None]).sum().to(torch.int64)
            useful_w = (sub_mask[:, 0, :] * (crop < wide)[:, None]).sum().to(torch.int64)
            r = torch.arange(useful_h)[:, None]
            c = torch.arange(useful_w + 1)[None, :]
            source = ((r // POOLED) * wide + c // POOLED) * POOLED * POOLED
            source = source + (r % POOLED) * POOLED + c % POOLED
            table = torch.cat([sub, sub_sep])
            picked = torch.where(c == useful_w, sub.shape[0], source).reshape(-1)
            sub_rows = table.index_select(0, picked)
            glb_sep = self.image.global_img_feature_extensor.reshape(1, dim)
            features = torch.cat([sub_rows, glb_sep, global_view])
            hidden = torch.nn.functional.gelu(self.image.img_projection_up(features))
            return self.image.img_projection_down(hidden)

    return Vision().eval()


def example_inputs(wide: int = 2, high: int = 1, pad_rows: int = 0, pad_cols: int = 5) -> Any:
    """Vision inputs shaped like genai's: a ``high`` x ``wide`` crop grid whose last patch rows
    and columns are padding (mask 0), plus the global view."""
    import torch

    crops = wide * high
    pixels = torch.rand(1, 1 + crops, 3, CROP, CROP) * 2 - 1
    full = torch.ones(high * SIDE, wide * SIDE)
    if pad_rows:
        full[-pad_rows:] = 0
    if pad_cols:
        full[:, -pad_cols:] = 0
    tiles = full.reshape(high, SIDE, wide, SIDE).permute(0, 2, 1, 3).reshape(crops, SIDE, SIDE)
    mask = torch.cat([torch.ones(1, SIDE, SIDE), tiles])[None]
    sizes = torch.tensor([[high * CROP, wide * CROP]], dtype=torch.int64)
    return pixels, sizes, mask


def export_vision(model: Any, path: Path) -> None:
    import torch

    with torch.no_grad():
        torch.onnx.export(
            _vision_module(model),
            example_inputs(),
            str(path),
            input_names=["pixel_values", "image_sizes", "image_attention_mask"],
            output_names=["image_features"],
            dynamic_axes={
                "pixel_values": {0: "num_images", 1: "num_crops"},
                "image_sizes": {0: "num_images"},
                "image_attention_mask": {0: "num_images", 1: "num_crops"},
                "image_features": {0: "num_image_tokens"},
            },
            opset_version=17,
            dynamo=False,
        )


def vision_reference(model: Any, pixel_values: Any, image_sizes: Any, mask: Any) -> Any:
    """HF's own image embedding on the same inputs: the rows it writes into the image tokens."""
    import torch

    image = model.model.embed_tokens_extend.image_embed
    with torch.no_grad():
        crops = torch.as_tensor(pixel_values)
        sizes = torch.as_tensor(image_sizes).to(torch.int64)
        masks = torch.as_tensor(mask)
        count = token_count(sizes[0].tolist(), masks[0, 1:].numpy())
        ids = torch.full((1, count), IMAGE_TOKEN_ID)
        zeros = torch.zeros(1, count, model.config.hidden_size)
        return image(ids, zeros, crops, image_sizes=sizes, image_attention_mask=masks)[0]


# --- the processor ----------------------------------------------------------------------------


def processor_config(dynamic_hd: int = DYNAMIC_HD) -> dict[str, Any]:
    """vision_processor.json as Phi-4-multimodal-instruct-onnx ships it (onnxruntime-extensions'
    phi-4 test data): decode, dynamic HD crops of 448, rescale, normalize to [-1, 1], crops."""
    return {
        "processor": {
            "name": "phi_4_vision_processor",
            "transforms": [
                {
                    "operation": {
                        "name": "decode_image",
                        "type": "DecodeImage",
                        "attrs": {"color_space": "RGB"},
                    }
                },
                {
                    "operation": {
                        "name": "phi4_vision_dynamic_preprocess",
                        "type": "Phi4VisionDynamicPreprocess",
                        "attrs": {"dynamic_hd": dynamic_hd, "dyhd_base_resolution": CROP},
                    }
                },
                {"operation": {"name": "rescale", "type": "Rescale", "inputs": [":0"]}},
                {
                    "operation": {
                        "name": "normalize",
                        "type": "Normalize",
                        "attrs": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
                    }
                },
                {
                    "operation": {
                        "name": "phi4_vision_processor",
                        "type": "Phi4VisionProcessor",
                        "inputs": [":0", "phi4_vision_dynamic_preprocess:1"],
                        "attrs": {"dyhd_base_resolution": CROP, "interpolation": "CUBIC"},
                    }
                },
            ],
            "output_aligner": "phi4-vision-aligner",
        }
    }


def crop_grid(width: int, height: int, dynamic_hd: int = DYNAMIC_HD) -> tuple[int, int]:
    """(crops across, crops down) of Phi-4-mm's dynamic HD for a width x height image, as
    onnxruntime-extensions picks them (in float32)."""
    import math

    import numpy as np

    across, down = math.ceil(width / CROP), math.ceil(height / CROP)
    if across * down <= dynamic_hd:
        return across, down
    span = range(1, dynamic_hd + 1)
    pairs = {(i, j) for i in span for j in span if i * j <= dynamic_hd}
    f32 = np.float32
    aspect, best, best_diff = f32(width) / f32(height), (1, 1), f32("inf")
    for i, j in sorted(pairs, key=lambda r: (r[0] * r[1], r)):
        diff = abs(aspect - f32(i) / f32(j))
        if diff < best_diff:
            best, best_diff = (i, j), diff
        elif diff == best_diff and width * height > 0.5 * CROP * CROP * i * j:
            best = (i, j)
    return best


def image_tokens(width: int, height: int, dynamic_hd: int = DYNAMIC_HD) -> int:
    """How many image tokens genai's phi4mm processor gives a width x height screenshot."""
    import numpy as np

    across, down = crop_grid(width, height, dynamic_hd)
    target_w, target_h = across * CROP, down * CROP
    f32 = np.float32  # onnxruntime-extensions scales in float32
    scale_w, scale_h = f32(target_w) / f32(width), f32(target_h) / f32(height)
    if scale_w < scale_h:
        pad_w, pad_h = 0, target_h - int(f32(height) * scale_w)
    else:
        pad_w, pad_h = target_w - int(f32(width) * scale_h), 0
    rows = down * SIDE - (pad_h // PATCH if pad_h >= PATCH else 0)
    cols = across * SIDE - (pad_w // PATCH if pad_w >= PATCH else 0)
    useful_h, useful_w = (rows + 1) // 2, (cols + 1) // 2  # the pooled (even) patch rows / columns
    return POOLED * POOLED + 1 + POOLED + useful_h * useful_w + useful_h


def token_count(image_size: list[int], sub_masks: Any) -> int:
    """Image tokens from genai's image_sizes and the sub-crops' masks (like its processor)."""
    import numpy as np

    down, across = image_size[0] // CROP, image_size[1] // CROP
    grid = np.asarray(sub_masks)[: down * across, 0::2, 0::2]
    grid = grid.reshape(down, across, POOLED, POOLED).transpose(0, 2, 1, 3)
    grid = grid.reshape(down * POOLED, across * POOLED)
    useful_h, useful_w = int(grid[:, 0].sum()), int(grid[0, :].sum())
    return POOLED * POOLED + 1 + POOLED + useful_h * useful_w + useful_h
