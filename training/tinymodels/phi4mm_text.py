"""phi4mm-tiny's tokenizer and chat format: Phi-4-multimodal's turns and its two sparse tokens.

* The prompt is Phi-4-mm's chat format, ``<|system|>...<|end|><|user|>...<|end|><|assistant|>``,
  no bos. genai's phi4mm processor rewrites ``<|image_N|>`` to ``<|endoftext10|>`` and expands it
  into ``num_img_tokens`` copies of the id it hard-codes, 200010 (``<|endoftext11|>`` = 200011 is
  audio). The tiny tokenizer therefore carries those two tokens at their real ids, far above its
  own dense vocabulary: genai, llguidance and HF tokenizers all accept the gap. The decoder's
  vocabulary (its logits) is the dense part only; ``embedding.onnx`` turns id 200010 into the
  image features, so the text embedding table never sees it.
* ``TEXT``, the text part of HF's config, lives here too: the tokenizer config's
  ``model_max_length`` is its context.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.tinymodels import text
from training.tinymodels.common import write_json

IMAGE_TOKEN_ID = 200010  # <|endoftext10|>: hard-coded in genai's phi4mm processor
AUDIO_TOKEN_ID = 200011  # <|endoftext11|>
IMAGE_TOKEN = "<|endoftext10|>"
AUDIO_TOKEN = "<|endoftext11|>"
IMAGE_TAG = "<|image_1|>"
END = "<|end|>"

# dense ids first, as in the other tiny tokenizers; <|endoftext|> is bos, pad and eos like Phi-4's
SPECIAL_TOKENS = ("<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", END)
SPARSE_TOKENS = {IMAGE_TOKEN: IMAGE_TOKEN_ID, AUDIO_TOKEN: AUDIO_TOKEN_ID}
VOCAB_SIZE = 1536

# Phi-4-mm's turns as tokenizer training text: the shared corpus' Gemma-style turns rewritten
_TURN_REWRITES = (
    ("<|turn>system\n", "<|system|>"),
    ("<|turn>user\n", "<|user|>"),
    ("<|turn>model\n", "<|assistant|>"),
    ("<turn|>\n", END),
    ("<turn|>", END),
    ("<|image|>", IMAGE_TAG),
)

CHAT_TEMPLATE = (
    "{%- for message in messages -%}\n"
    "{%- if message['content'] is string -%}\n"
    "{{- '<|' + message['role'] + '|>' + message['content'] + '<|end|>' -}}\n"
    "{%- else -%}\n"
    "{{- '<|' + message['role'] + '|>' -}}\n"
    "{%- for item in message['content'] -%}\n"
    "{%- if item['type'] == 'image' -%}{{- '<|image_1|>' -}}\n"
    "{%- elif item['type'] == 'text' -%}{{- item['text'] -}}{%- endif -%}\n"
    "{%- endfor -%}\n"
    "{{- '<|end|>' -}}\n"
    "{%- endif -%}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}{{- '<|assistant|>' -}}{%- endif -%}\n"
)

TEXT: dict[str, Any] = {  # HF's Phi4MultimodalConfig text part, less what the tokenizer decides
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    # head_dim 64, rotary over 48 of it: genai's GroupQueryAttention wants the rotary half (24)
    # a multiple of 8, as Phi-4-mini's 128 x 0.75 / 2 = 48 is
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    # 128k in the real model; the builder writes cos/sin caches for every position (~100 bytes
    # each here), so the tiny model stops at 8k, twice the short-factor range
    "max_position_embeddings": 8192,
    "original_max_position_embeddings": 4096,
    "initializer_range": 0.02,
    "tie_word_embeddings": False,
}


# --- the tokenizer --------------------------------------------------------------------------


def _corpus(seed: int) -> list[str]:
    lines = []
    for line in text.corpus(seed, text.GEMMA4):
        for old, new in _TURN_REWRITES:
            line = line.replace(old, new)
        lines.append(line)
    return lines


def train_tokenizer(seed: int) -> Any:
    """A byte-level BPE on Phi-4-mm turns, digits single tokens (as in `text.train_tokenizer`),
    no bos added on encode, and ``<|endoftext10|>`` / ``<|endoftext11|>`` at 200010 / 200011."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.trainers import BpeTrainer

    def byte_level(model: Any) -> Any:
        tokenizer = Tokenizer(model)
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    specials = [AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS]
    trained = byte_level(models.BPE())
    trainer = BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    trained.train_from_iterator(_corpus(seed), trainer=trainer)
    state = json.loads(trained.to_str())
    merges = [m if isinstance(m, list) else m.split(" ") for m in state["model"]["merges"]]
    dropped = {a + b for a, b in merges if any(c.isdigit() for c in a + b)}
    kept = [(a, b) for a, b in merges if a + b not in dropped]
    ordered = sorted((i, t) for t, i in state["model"]["vocab"].items() if t not in dropped)
    vocab = {t: n for n, (_, t) in enumerate(ordered)}
    dense = byte_level(models.BPE(vocab=vocab, merges=kept))
    dense.add_special_tokens(specials)
    # the two sparse ids: in the model's vocabulary and as added tokens, so that HF tokenizers
    # keeps their ids (as an added token alone it would renumber them densely)
    state = json.loads(dense.to_str())
    for token, token_id in SPARSE_TOKENS.items():
        state["model"]["vocab"][token] = token_id
        state["added_tokens"].append(
            {
                "id": token_id,
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        )
    return Tokenizer.from_str(json.dumps(state))


def dense_vocab_size(tokenizer: Any) -> int:
    """The decoder's vocabulary: every id below the sparse ones."""
    sparse = min(SPARSE_TOKENS.values())
    return 1 + max(int(i) for i in tokenizer.get_vocab().values() if i < sparse)


def special_ids(tokenizer: Any) -> dict[str, int]:
    return {t: int(tokenizer.token_to_id(t)) for t in (*SPECIAL_TOKENS, *SPARSE_TOKENS)}


def write_tokenizer_files(tokenizer: Any, folder: Path) -> None:
    """tokenizer.json, tokenizer_config.json (Phi-4-mm's: no bos, <|endoftext|> for bos, eos,
    pad and unk) and chat_template.jinja."""
    tokenizer.save(str(folder / "tokenizer.json"))
    ids = special_ids(tokenizer)
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": TEXT["max_position_embeddings"],
        "padding_side": "left",
        "added_tokens_decoder": {
            str(i): {
                "content": t,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for t, i in ids.items()
        },
    }
    write_json(folder / "tokenizer_config.json", config)
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE)
