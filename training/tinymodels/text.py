"""A small byte-level BPE tokenizer trained here, with a family's special tokens and chat template.

Digits are always single tokens (merges that would produce a token with a digit are dropped), so
every number is written one digit per token.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _chat_template(open_: str, close: str, image: str, system_turn: bool) -> str:
    """A Gemma-style chat template: bos, one turn per message, images as ``image``. Without a
    system turn (Gemma 3) the system text opens the first user turn, as in the real template."""
    if system_turn:
        head = "{%- set prefix = '' -%}"
    else:
        head = (
            "{%- set prefix = '' -%}\n"
            "{%- if messages[0]['role'] == 'system' -%}\n"
            "{%- set prefix = messages[0]['content'] | trim + '\\n\\n' -%}\n"
            "{%- set messages = messages[1:] -%}\n"
            "{%- endif -%}"
        )
    return f"""{{{{- bos_token -}}}}
{head}
{{%- for message in messages -%}}
{{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}}
{{{{- '{open_}' + role + '\\n' + (prefix if loop.first else '') -}}}}
{{%- if message['content'] is string -%}}
{{{{- message['content'] | trim -}}}}
{{%- else -%}}
{{%- for item in message['content'] -%}}
{{%- if item['type'] == 'image' -%}}
{{{{- '{image}' -}}}}
{{%- elif item['type'] == 'text' -%}}
{{{{- item['text'] | trim -}}}}
{{%- endif -%}}
{{%- endfor -%}}
{{%- endif -%}}
{{{{- '{close}\\n' -}}}}
{{%- endfor -%}}
{{%- if add_generation_prompt -%}}
{{{{- '{open_}model\\n' -}}}}
{{%- endif -%}}
"""


@dataclass(frozen=True)
class ChatFormat:
    """A family's special tokens, turn format and chat template (spelled like the real models)."""

    special_tokens: tuple[str, ...]
    turn_open: str  # followed by the role and a newline
    turn_close: str  # followed by a newline
    image_tag: str  # what a prompt writes for "the image goes here"
    system_turn: bool  # False: the system text opens the first user turn (Gemma 3)
    named_tokens: dict[str, str]  # tokenizer_config.json's named special tokens

    @property
    def chat_template(self) -> str:
        return _chat_template(self.turn_open, self.turn_close, self.image_tag, self.system_turn)

    def turns(self, system: str, user: str, answer: str) -> str:
        o, c = self.turn_open, self.turn_close
        if not self.system_turn:
            return f"{o}user\n{system}\n\n{user}{c}\n{o}model\n{answer}{c}"
        return f"{o}system\n{system}{c}\n{o}user\n{user}{c}\n{o}model\n{answer}{c}"


# Gemma 4's control tokens as transformers 5.23, its chat template and the genai runtime spell
# them; pad/eos/bos/unk/mask keep Gemma's ids 0-4. onnxruntime-genai's gemma4 processor hard-codes
# the image markers "<|image>" (begin), "<|image|>" (one soft token), "<image|>" (end).
GEMMA4 = ChatFormat(
    special_tokens=(
        "<pad>", "<eos>", "<bos>", "<unk>", "<mask>",
        "<|turn>", "<turn|>",
        "<|image>", "<|image|>", "<image|>",
        "<|audio>", "<|audio|>", "<audio|>", "<|video|>",
        "<|think|>", "<|channel>", "<channel|>",
        "<|tool>", "<tool|>", "<|tool_call>", "<tool_call|>",
        "<|tool_response>", "<tool_response|>", '<|"|>',
    ),
    turn_open="<|turn>",
    turn_close="<turn|>",
    image_tag="<|image|>",
    system_turn=True,
    named_tokens={
        "image_token": "<|image|>", "boi_token": "<|image>", "eoi_token": "<image|>",
        "audio_token": "<|audio|>", "boa_token": "<|audio>", "eoa_token": "<audio|>",
        "sot_token": "<|turn>", "eot_token": "<turn|>", "think_token": "<|think|>",
        "soc_token": "<|channel>", "eoc_token": "<channel|>",
        "std_token": "<|tool>", "etd_token": "<tool|>",
        "stc_token": "<|tool_call>", "etc_token": "<tool_call|>",
        "str_token": "<|tool_response>", "etr_token": "<tool_response|>",
        "escape_token": '<|"|>', "mask_token": "<mask>",
    },
)  # fmt: skip

# Gemma 3: onnxruntime-genai's gemma3 processor hard-codes "<start_of_image>" (what a prompt
# writes), "<image_soft_token>" (256 per image) and "<end_of_image>". Gemma 3 has no system turn:
# its template (and deskpilot's) puts the system text at the top of the first user turn.
GEMMA3 = ChatFormat(
    special_tokens=(
        "<pad>", "<eos>", "<bos>", "<unk>", "<mask>",
        "<start_of_turn>", "<end_of_turn>",
        "<start_of_image>", "<image_soft_token>", "<end_of_image>",
    ),
    turn_open="<start_of_turn>",
    turn_close="<end_of_turn>",
    image_tag="<start_of_image>",
    system_turn=False,
    named_tokens={
        "image_token": "<image_soft_token>", "boi_token": "<start_of_image>",
        "eoi_token": "<end_of_image>", "mask_token": "<mask>",
    },
)  # fmt: skip

_WORD_LIST = """
the a an and or of to in on at for with from by into over under after before this that these
those it is are was be been will would can could should must may not no yes all any each every
some more most less few many one two three first last next previous new old open close save
saved cancel ok apply help file edit view window tools settings options preferences search find
replace copy paste cut undo redo select delete remove add create rename move drag drop scroll up
down left right top bottom middle center page home end tab enter escape space shift control alt
super key keys press hold release type text write read click double triple button menu item bar
title status toolbar dialog box field input label checkbox radio list tree table row column cell
icon image picture screen screenshot display monitor desktop terminal shell command run program
application app browser address link url form submit send name email password user account login
logout sign document folder directory path editor calculator notes message mail inbox calendar
date time today tomorrow yesterday hour minute second task done fail wait answer question because
coordinates point pixel position x y width height size zoom region area visible hidden focus
active selected disabled enabled error warning info success loading progress ready please then
when if where which what who how why your you we they he she its their our my me us them here
there now again still also only just very too than as so but because while until once
"""
_WORDS = _WORD_LIST.split()

_TOOLS = (
    "click", "double_click", "right_click", "triple_click", "move", "drag", "scroll", "type_text",
    "key", "hotkey", "wait", "screenshot", "zoom", "shell", "clipboard", "ask_user", "done", "fail",
)  # fmt: skip

_KEYS = ("x", "y", "start_x", "start_y", "end_x", "end_y", "text", "keys", "button", "clicks",
         "dx", "dy", "seconds", "answer", "reason", "command", "question", "name", "arguments")  # fmt: skip


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 14))]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice((".", ".", "?", ":", "!"))


def _tool_call(rng: random.Random) -> str:
    name = rng.choice(_TOOLS)
    arguments: dict[str, Any] = {}
    for key in rng.sample(_KEYS, rng.randint(1, 4)):
        if key in ("text", "answer", "reason", "command", "question"):
            arguments[key] = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 5)))
        elif key in ("button", "keys"):
            arguments[key] = rng.choice(("left", "right", "middle", "ctrl+s", "enter", "tab"))
        else:
            arguments[key] = rng.randint(0, 1000)
    separators = (", ", ": ") if rng.random() < 0.5 else (",", ":")
    return json.dumps({"name": name, "arguments": arguments}, separators=separators)


def corpus(seed: int, chat: ChatFormat, lines: int = 6000) -> list[str]:
    """Generated English-like instructions, chat turns, JSON tool calls and numbers."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        kind = rng.random()
        if kind < 0.35:
            out.append(_sentence(rng))
        elif kind < 0.65:
            out.append(_tool_call(rng))
        elif kind < 0.8:
            out.append(
                f"- {rng.choice(_TOOLS)}({', '.join(rng.sample(_KEYS, 2))}): {_sentence(rng)}"
            )
        elif kind < 0.9:
            user = f"Task: {_sentence(rng)}\nHistory: none\nScreen:\n{chat.image_tag}\nNext action:"
            out.append(chat.turns(_sentence(rng), user, _tool_call(rng)))
        else:
            out.append(" ".join(str(rng.randint(0, 100000)) for _ in range(rng.randint(2, 8))))
    return out


NUMBER_TOKENS = range(10, 1001)  # 0-9 are byte tokens already


def train_tokenizer(
    seed: int, vocab_size: int, chat: ChatFormat, number_tokens: bool = False
) -> Any:
    """Train the byte-level BPE, drop every merge that would join a digit, add bos on encode.
    With ``number_tokens`` every integer 0-1000 is one token (coordinates as one choice each,
    like PaliGemma's location tokens); longer numbers split leftmost-longest."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[AddedToken(t, special=True, normalized=False) for t in chat.special_tokens],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus(seed, chat), trainer=trainer)

    # Rebuild the model without digit merges (ids renumbered densely, specials first).
    state = json.loads(tokenizer.to_str())
    vocab: dict[str, int] = state["model"]["vocab"]
    merges = [m if isinstance(m, list) else m.split(" ") for m in state["model"]["merges"]]

    def has_digit(piece: str) -> bool:
        return any(c.isdigit() for c in piece)

    kept_merges = [m for m in merges if not has_digit(m[0] + m[1])]
    dropped = {m[0] + m[1] for m in merges if has_digit(m[0] + m[1])}
    ordered = sorted((i, t) for t, i in vocab.items() if t not in dropped)
    new_vocab = {t: n for n, (_, t) in enumerate(ordered)}
    model = models.BPE(vocab=new_vocab, merges=[tuple(m) for m in kept_merges])
    rebuilt = Tokenizer(model)
    rebuilt.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    rebuilt.decoder = decoders.ByteLevel()
    rebuilt.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in chat.special_tokens]
    )
    if number_tokens:
        rebuilt.add_tokens([AddedToken(str(n), normalized=False) for n in NUMBER_TOKENS])
    bos = new_vocab["<bos>"]
    rebuilt.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", bos)]
    )
    return rebuilt


def token_ids(tokenizer: Any, chat: ChatFormat) -> dict[str, int]:
    """The id of every special token."""
    return {t: int(tokenizer.token_to_id(t)) for t in chat.special_tokens}


def write_tokenizer_files(tokenizer: Any, folder: Path, chat: ChatFormat) -> None:
    """tokenizer.json, tokenizer_config.json, chat_template.jinja."""
    ids = token_ids(tokenizer, chat)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": True,
        "add_eos_token": False,
        "add_prefix_space": False,
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 4096,
        "padding_side": "left",
        # The named special tokens the family's HF processor and tokenizer read.
        **chat.named_tokens,
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
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "chat_template.jinja").write_text(chat.chat_template)
