"""What a tiny model family is, and the build every family shares.

A family supplies its random HF model, its vision graph and image processor config; the shared
build runs the genai builder on the decoder, exports embedding + vision, and assembles the folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.tinymodels import onnx_parts, text
from training.tinymodels.common import read_json, run_genai_builder, say, step, write_json


@dataclass(frozen=True)
class AudioPart:
    """A family's audio encoder: added to its HF model, exported as genai's speech graph."""

    attach: Callable[[Any, int], None]  # (HF model, seed) -> the audio tower added in place
    export: Callable[[Any, Path], None]  # (HF model, path) -> speech.onnx
    feature_file: str  # the audio feature extraction config genai reads
    feature_config: dict[str, Any]
    speech_block: Callable[[dict[str, Any]], dict[str, Any]]  # session options -> model.speech
    token: str  # the audio soft token the embedding graph fills


@dataclass(frozen=True)
class TinyFamily:
    name: str  # the folder name
    model_type: str  # genai_config.json's model.type
    chat: text.ChatFormat
    hf_model: Callable[[int], tuple[Any, Any]]  # seed -> (tokenizer, HF model); same seed, same
    export_vision: Callable[[Any, Path], None]  # (HF model, path) -> vision.onnx
    image_processor: dict[str, Any]  # image_processor.json
    vision_inputs: dict[str, str]  # genai_config model.vision.inputs
    features_rank: int  # rank of image_features between vision and embedding
    speech_block: bool  # write model.speech = {"config_filename": ""}
    vision_feeds: Callable[[Any], dict[str, Any]]  # genai processor output -> vision.onnx feeds
    hf_image_kwargs: Callable[[Any], dict[str, Any]]  # genai processor output -> HF forward kwargs
    vision_reference: Callable[[Any, Any], Any]  # (HF model, genai inputs) -> [T, H] features
    processor_file: str = "image_processor.json"  # model.vision.config_filename
    # special token ids -> keys merged into genai_config's model block (a dict merges one level)
    genai_extras: Callable[[dict[str, int]], dict[str, Any]] | None = None
    # the saved HF folder -> rewritten in place for genai's builder (a view it can build)
    builder_view: Callable[[Path], None] | None = None
    audio: AudioPart | None = None  # an audio encoder (genai's speech pipeline), if any

    @property
    def probe_prompt(self) -> str:
        """A fixed prompt whose greedy tokens go into build_info.json."""
        o, c = self.chat.turn_open, self.chat.turn_close
        return f"<bos>{o}user\nTask: click Save\n{self.chat.image_tag}\nNext action:{c}\n{o}model\n"

    def build(
        self,
        folder: Path,
        seed: int,
        precision: str = "int4",
        quantize_vision: bool = True,
        state_dict: dict[str, Any] | None = None,
    ) -> None:
        """Write a complete genai model folder (``folder`` must not exist yet); with
        ``state_dict``, from trained weights instead of the seed's random ones."""
        with tempfile.TemporaryDirectory(prefix=f"tiny-{self.model_type}-") as tmp:
            work = Path(tmp)
            with step(f"{self.name}: tokenizer + HF model"):
                tokenizer, model = self.hf_model(seed)
                if self.audio is not None:
                    self.audio.attach(model, seed)
                if state_dict is not None:
                    model.load_state_dict(state_dict)
                hf_dir = work / "hf"
                model.save_pretrained(hf_dir)
                text.write_tokenizer_files(tokenizer, hf_dir, self.chat)
                params = sum(p.numel() for p in model.parameters())
                say(f"{params / 1e6:.2f} M parameters, vocabulary {tokenizer.get_vocab_size()}")
            with step(f"{self.name}: genai builder, decoder {precision}"):
                onnx_dir = work / "onnx"
                if self.builder_view is not None:
                    self.builder_view(hf_dir)
                run_genai_builder(hf_dir, onnx_dir, precision, work)
            folder.mkdir(parents=True)
            for name in ("model.onnx", "model.onnx.data"):
                if (onnx_dir / name).exists():
                    shutil.copy2(onnx_dir / name, folder / name)
            with step(f"{self.name}: embedding.onnx + vision.onnx"):
                ids = text.token_ids(tokenizer, self.chat)
                inner = model.model
                onnx_parts.export_embedding(
                    inner.language_model.embed_tokens,
                    int(model.config.image_token_id),
                    ids["<pad>"],
                    folder / "embedding.onnx",
                    self.features_rank,
                    None if self.audio is None else ids[self.audio.token],
                )
                self.export_vision(model, folder / "vision.onnx")
                if quantize_vision:
                    onnx_parts.quantize_int8(folder / "vision.onnx")
            if self.audio is not None:
                with step(f"{self.name}: speech.onnx (fp32: a few hundred KB)"):
                    self.audio.export(model, folder / "speech.onnx")
                    write_json(folder / self.audio.feature_file, self.audio.feature_config)
            eos = [ids["<eos>"], ids[self.chat.turn_close]]
            config = onnx_parts.multimodal_genai_config(
                read_json(onnx_dir / "genai_config.json"),
                self.model_type,
                eos,
                self.vision_inputs,
                self.speech_block,
                self.processor_file,
                None if self.audio is None else self.audio.speech_block,
            )
            if self.genai_extras is not None:
                for key, value in self.genai_extras(ids).items():
                    block = config["model"].get(key)
                    merged = {**block, **value} if isinstance(block, dict) else value
                    config["model"][key] = merged
            write_json(folder / "genai_config.json", config)
            write_json(folder / self.processor_file, self.image_processor)
            text.write_tokenizer_files(tokenizer, folder, self.chat)
