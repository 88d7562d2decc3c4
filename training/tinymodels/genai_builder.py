"""Run onnxruntime-genai 0.18.0's model builder on a transformers 5.23 checkpoint, with config fixes.

The builder reads flat config attributes that transformers 5 no longer writes. This shim patches
only the config the builder builds from (``builder.get_hf_details``); the HF model it loads the
weights into is untouched. Usage: the builder's own arguments.

* gemma4_unified: transformers keeps the full-attention layers' geometry in
  ``text_config.per_layer_config`` and refuses global reads of per-layer attributes; the builder
  wants ``global_head_dim`` and ``num_global_key_value_heads``.
* gemma3: transformers nests RoPE per layer type (``rope_parameters = {"full_attention": {...},
  "sliding_attention": {...}}``); the builder wants a flat ``rope_parameters``, ``rope_theta``
  (full attention) and ``rope_local_base_freq`` (sliding attention).
"""

from __future__ import annotations

from typing import Any

import onnxruntime_genai.models  # noqa: F401  (puts the builder's own modules on sys.path)
import onnxruntime_genai.models.builder as builder


def _fix_gemma4_unified(config: Any) -> None:
    text = config.text_config
    full = [i for i, kind in enumerate(text.layer_types) if kind == "full_attention"]
    layer = text.per_layer_config[full[0]]
    global_head_dim, global_kv_heads = layer.head_dim, layer.num_key_value_heads
    # The builder copies every text_config key onto the composite config, per_layer_config included,
    # which makes the composite heterogeneous too: both need the flag and the flat attributes.
    for target in (text, config):
        target.allow_global_per_layer_attribute_access = True
        target.global_head_dim = global_head_dim
        target.num_global_key_value_heads = global_kv_heads


def _fix_gemma3(config: Any) -> None:
    text = config.text_config
    rope = dict(text.rope_parameters or {})
    if "full_attention" not in rope:
        return
    full, sliding = dict(rope["full_attention"]), dict(rope["sliding_attention"])
    for target in (text, config):
        target.rope_parameters = full
        target.rope_theta = full["rope_theta"]
        target.rope_local_base_freq = sliding["rope_theta"]


FIXES = {"gemma4_unified": _fix_gemma4_unified, "gemma3": _fix_gemma3}
_get_hf_details = builder.get_hf_details


def get_hf_details(*args: Any, **kwargs: Any) -> Any:
    details = _get_hf_details(*args, **kwargs)
    config = details["hf_config"]
    fix = FIXES.get(getattr(config, "model_type", ""))
    if fix is not None:
        fix(config)
    return details


def main() -> None:
    builder.get_hf_details = get_hf_details
    args = builder.get_args()
    extra_options = builder.parse_extra_options(
        args.model_name,
        args.input,
        args.output,
        args.precision,
        args.execution_provider,
        args.cache_dir,
        args.extra_options,
        builder_config_version=args.builder_config_version,
        target_options=args.target_options,
        drafter_options=args.drafter_options,
        speculative_options=args.speculative_options,
        runtime_config=args.runtime_config,
        search=args.search,
    )
    builder.create_model(
        args.model_name,
        args.input,
        args.output,
        args.precision,
        args.execution_provider,
        args.cache_dir,
        **extra_options,
    )


if __name__ == "__main__":
    main()
