"""The built folder's tokenizer in onnxruntime-genai against HF `tokenizers`, and its chat template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.tinymodels.family import TinyFamily
from training.tinymodels.runner import Runner


def check_tokenizer(runner: Runner, folder: Path, family: TinyFamily) -> dict[str, Any]:
    """Every special token is one token; genai and HF `tokenizers` agree on sample text; the
    chat template renders in genai."""
    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ids = {t: [int(i) for i in runner.tokenizer.encode(t)] for t in family.chat.special_tokens}
    o, c = family.chat.turn_open, family.chat.turn_close
    samples = [
        '{"name": "click", "arguments": {"x": 512, "y": 1000}}',
        f"{o}user\nTask: type hello world\n{family.chat.image_tag}\nNext action:{c}\n{o}model\n",
        "Coordinates 0-1000, ünïcödé ✓ tabs\tand  spaces",
    ]
    agree = all(
        [int(i) for i in runner.tokenizer.encode(s)] == hf.encode(s, add_special_tokens=False).ids
        for s in samples
    )
    messages = [
        {"role": "system", "content": "SYSTEM"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Task: click Save"},
                {"type": "image"},
                {"type": "text", "text": "Next action:"},
            ],
        },
    ]
    rendered = runner.tokenizer.apply_chat_template(
        json.dumps(messages), add_generation_prompt=True
    )
    return {
        "special_token_ids": {t: v[0] for t, v in ids.items() if len(v) == 1},
        "not_single": [t for t, v in ids.items() if len(v) != 1],
        "genai_matches_hf_tokenizers": agree,
        "genai_encode_adds_bos": [int(i) for i in runner.tokenizer.encode("hi")][:1]
        == [hf.token_to_id("<bos>")],
        "chat_template_rendered_by_genai": rendered,
    }
