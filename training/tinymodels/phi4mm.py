"""phi4mm-tiny: a Phi-4-multimodal model with a two-layer SigLIP tower, random weights.

Laid out like Microsoft's Phi-4-multimodal-instruct-onnx folders as onnxruntime-genai 0.18 runs
them (model type ``phi4mm``): ``vision.onnx``, ``embedding.onnx``, the text decoder from genai's
builder, ``vision_processor.json`` for onnxruntime-extensions' ``phi_4_vision_processor``. This
module holds the HF model, the folder and its checks; the tokenizer and chat format are in
`phi4mm_text`, the vision graph and the processor in `phi4mm_vision`.

* The prompt is Phi-4-mm's chat format with no bos; the tokenizer carries genai's hard-coded image
  token, ``<|endoftext10|>`` = 200010, far above its dense vocabulary (see `phi4mm_text`).
* The processor cuts the screenshot into 448-pixel crops plus a global view, and ``vision.onnx``
  turns them into ``image_features`` [T, H] with the crop count and padding dynamic (see
  `phi4mm_vision`).
* The decoder: HF's text model is Phi-4-mini's (fused qkv / gate_up, LongRoPE over 3/4 of each
  head); genai's builder builds it from a ``Phi3ForCausalLM`` view of the same weights (its
  ``Phi4MMForCausalLM`` builder wants the remote-code model with its PEFT LoRA adapters). The real
  model merges the vision LoRA into its decoder; HF's port loads the adapters separately, and the
  tiny model has none.
* Shipped as the other tiny folders are: int4 decoder, int8 (unsigned) vision graph, fp32
  embedding graph. HF's two learned separators start at zero; drawn at random here, they matter.
  The builder writes a cos/sin cache per position, so the context is 8k (the real one 128k):
  screenshots up to about 2560x1600 (6.1k image tokens) fit.
* Audio: ``speech.onnx`` (HF's audio encoder and projections, fp32) and ``speech_processor.json``
  for onnxruntime-extensions' ``Phi4AudioEmbed`` log-mel; genai repeats ``<|endoftext11|>`` (200011)
  once per soft token and ``embedding.onnx`` takes the ``audio_features`` rows there (see
  `phi4mm_audio`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from training.tinymodels import onnx_parts, phi4mm_audio, text
from training.tinymodels.common import read_json, run_genai_builder, say, step, write_json
from training.tinymodels.family import AudioPart, TinyFamily
from training.tinymodels.phi4mm_text import (
    AUDIO_TOKEN,
    AUDIO_TOKEN_ID,
    END,
    IMAGE_TAG,
    IMAGE_TOKEN_ID,
    SPARSE_TOKENS,
    SPECIAL_TOKENS,
    TEXT,
    dense_vocab_size,
    special_ids,
    train_tokenizer,
    write_tokenizer_files,
)
from training.tinymodels.phi4mm_vision import (
    CROP,
    PATCH,
    PROCESSOR_FILE,
    export_vision,
    processor_config,
    vision_reference,
)

ROTARY_HALF = int(64 * 0.75) // 2  # 24 frequencies
ROPE: dict[str, Any] = {  # Phi-4-mini's LongRoPE: short factors below 4096 tokens, long above
    "rope_type": "longrope",
    "rope_theta": 10000.0,
    "partial_rotary_factor": 0.75,
    "short_factor": [round(1.0 + 0.05 * i, 4) for i in range(ROTARY_HALF)],
    "long_factor": [round(1.0 + 2.0 * i, 4) for i in range(ROTARY_HALF)],
}
VISION: dict[str, Any] = {  # HF's Phi4MultimodalVisionConfig: two layers, the last one unused
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": CROP,
    "patch_size": PATCH,
    "crop_size": CROP,
    "image_token_id": IMAGE_TOKEN_ID,
    "feature_layer": -2,
}
AUDIO: dict[str, Any] = {  # HF's Phi4MultimodalAudioConfig: one conformer block (phi4mm_audio)
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_blocks": 1,
    "num_attention_heads": 2,
    "ext_pw_out_channel": 32,
    "depthwise_separable_out_channel": 32,
    "nemo_conv_channels": 32,
    "audio_token_id": AUDIO_TOKEN_ID,
}


# --- the HF model -----------------------------------------------------------------------------


def hf_model(seed: int) -> tuple[Any, Any]:
    """(tokenizer, Phi4MultimodalForCausalLM) for a seed; same seed, same weights."""
    import copy

    import torch
    from transformers import Phi4MultimodalConfig, Phi4MultimodalForCausalLM

    from training.tinymodels.common import seed_everything

    tokenizer = train_tokenizer(seed)
    ids = special_ids(tokenizer)
    config = Phi4MultimodalConfig(
        **TEXT,
        vocab_size=dense_vocab_size(tokenizer),
        rope_parameters=copy.deepcopy(ROPE),
        bos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|endoftext|>"], ids[END]],
        vision_config=copy.deepcopy(VISION),
        audio_config=copy.deepcopy(AUDIO),
    )
    config.architectures = ["Phi4MultimodalForCausalLM"]
    seed_everything(seed)
    model = Phi4MultimodalForCausalLM(config).eval()  # type: ignore[no-untyped-call]
    with torch.no_grad():
        # HF initialises the two learned separators to zero; random ones make them matter
        image = model.model.embed_tokens_extend.image_embed
        image.global_img_feature_extensor.normal_(0, 0.5)
        image.sub_img_feature_extensor.normal_(0, 0.5)
    return tokenizer, model


def builder_view(hf_dir: Path) -> None:
    """The saved folder as a ``Phi3ForCausalLM`` (Phi-4-mini) for genai's builder: the same text
    config and weight names; the vision and audio weights (``embed_tokens_extend``) dropped."""
    path = hf_dir / "config.json"
    config = json.loads(path.read_text())
    rope = dict(config.get("rope_parameters") or ROPE)
    rope["type"] = rope["rope_type"]  # the builder's LongRoPE reads "type"
    keep = (
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "max_position_embeddings",
        "original_max_position_embeddings",
        "rms_norm_eps",
        "vocab_size",
        "bos_token_id",
        "eos_token_id",
        "pad_token_id",
        "tie_word_embeddings",
        "initializer_range",
        "hidden_act",
        "sliding_window",
        "dtype",
        "torch_dtype",
    )
    view = {key: config[key] for key in keep if key in config}
    view.update(
        model_type="phi3",
        architectures=["Phi3ForCausalLM"],
        rope_parameters=rope,
        partial_rotary_factor=rope["partial_rotary_factor"],
    )
    path.write_text(json.dumps(view, indent=2))
    # weights: only the text model's (Phi3ForCausalLM would warn about the rest, or refuse them)
    from safetensors.torch import load_file, save_file

    for shard in hf_dir.glob("*.safetensors"):
        tensors = load_file(str(shard))
        text_only = {k: v for k, v in tensors.items() if "embed_tokens_extend" not in k}
        save_file(text_only, str(shard), metadata={"format": "pt"})


# --- the folder -------------------------------------------------------------------------------


def genai_config(
    built: dict[str, Any], ids: dict[str, int], audio: AudioPart | None = None
) -> dict[str, Any]:
    config = onnx_parts.multimodal_genai_config(
        built,
        "phi4mm",
        [ids["<|endoftext|>"], ids[END]],
        {
            "pixel_values": "pixel_values",
            "image_sizes": "image_sizes",
            "attention_mask": "image_attention_mask",
        },
        True,  # without audio: model.speech = {"config_filename": ""}
        PROCESSOR_FILE,
        None if audio is None else audio.speech_block,
    )
    model = config["model"]
    model["bos_token_id"] = ids["<|endoftext|>"]
    model["pad_token_id"] = ids["<|endoftext|>"]
    return config


class Phi4mmFamily(TinyFamily):
    """The shared `TinyFamily` fields (build_test_models reads name, model_type, probe_prompt),
    with Phi-4-mm's own tokenizer, prompt and build."""

    @property
    def probe_prompt(self) -> str:
        return f"<|user|>Task: click Save\n{IMAGE_TAG}\nNext action:{END}<|assistant|>"

    def verify(self, folder: Path, seed: int) -> dict[str, Any]:
        """`build_test_models --verify`: this module's `verify`."""
        return verify(folder, seed)

    def build(
        self,
        folder: Path,
        seed: int,
        precision: str = "int4",
        quantize_vision: bool = True,
        state_dict: dict[str, Any] | None = None,
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="tiny-phi4mm-") as tmp:
            work = Path(tmp)
            with step(f"{self.name}: tokenizer + HF model"):
                tokenizer, model = hf_model(seed)
                if self.audio is not None:
                    self.audio.attach(model, seed)
                if state_dict is not None:
                    model.load_state_dict(state_dict)
                hf_dir = work / "hf"
                model.save_pretrained(hf_dir)
                write_tokenizer_files(tokenizer, hf_dir)
                params = sum(p.numel() for p in model.parameters())
                say(
                    f"{params / 1e6:.2f} M parameters, decoder vocabulary {model.config.vocab_size}"
                )
            with step(f"{self.name}: genai builder, decoder {precision}"):
                onnx_dir = work / "onnx"
                builder_view(hf_dir)
                run_genai_builder(hf_dir, onnx_dir, precision, work)
            folder.mkdir(parents=True)
            for name in ("model.onnx", "model.onnx.data"):
                if (onnx_dir / name).exists():
                    shutil.copy2(onnx_dir / name, folder / name)
            ids = special_ids(tokenizer)
            with step(f"{self.name}: embedding.onnx + vision.onnx"):
                onnx_parts.export_embedding(
                    model.model.embed_tokens,
                    IMAGE_TOKEN_ID,
                    ids["<|endoftext|>"],
                    folder / "embedding.onnx",
                    audio_token_id=None if self.audio is None else AUDIO_TOKEN_ID,
                )
                export_vision(model, folder / "vision.onnx")
                if quantize_vision:
                    onnx_parts.quantize_int8(folder / "vision.onnx")
            if self.audio is not None:
                with step(f"{self.name}: speech.onnx (fp32)"):
                    self.audio.export(model, folder / "speech.onnx")
                    write_json(folder / self.audio.feature_file, self.audio.feature_config)
            write_json(
                folder / "genai_config.json",
                genai_config(read_json(onnx_dir / "genai_config.json"), ids, self.audio),
            )
            write_json(folder / PROCESSOR_FILE, processor_config())
            write_tokenizer_files(tokenizer, folder)


def _not_shared(*_: Any) -> Any:
    raise NotImplementedError("phi4mm builds and checks itself (training/tinymodels/phi4mm.py)")


_CHAT = text.ChatFormat(  # only for the shared fields; Phi-4-mm's turns are not Gemma-style
    special_tokens=(*SPECIAL_TOKENS, *SPARSE_TOKENS),
    turn_open="<|user|>",
    turn_close=END,
    image_tag=IMAGE_TAG,
    system_turn=True,
    named_tokens={},
)

FAMILY = Phi4mmFamily(
    name="phi4mm-tiny",
    model_type="phi4mm",
    chat=_CHAT,
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=processor_config(),
    vision_inputs={
        "pixel_values": "pixel_values",
        "image_sizes": "image_sizes",
        "attention_mask": "image_attention_mask",
    },
    features_rank=2,
    speech_block=True,
    vision_feeds=_not_shared,
    hf_image_kwargs=_not_shared,
    vision_reference=_not_shared,
    processor_file=PROCESSOR_FILE,
    audio=AudioPart(
        attach=phi4mm_audio.add_audio,
        export=phi4mm_audio.export_speech,
        feature_file=phi4mm_audio.FEATURE_FILE,
        feature_config=phi4mm_audio.FEATURE_EXTRACTION,
        speech_block=phi4mm_audio.speech_block,
        token=AUDIO_TOKEN,
    ),
)


# --- checks -----------------------------------------------------------------------------------


def verify(folder: Path, seed: int, n: int = 20) -> dict[str, Any]:
    """HF vs genai on the probe prompt and screenshot: the vision graph on genai's processed
    pixels, greedy tokens of an fp32 build (must match) and the shipped build's teacher-forced
    top-1 agreement; and on the probe prompt with a spoken task (`phi4mm_checks.audio_parity`, an
    espeak-ng WAV) for both builds, the fp32 one matching HF."""
    import numpy as np
    import onnxruntime as ort

    from training.tinymodels import phi4mm_checks
    from training.tinymodels.common import screenshot_png
    from training.tinymodels.runner import Runner

    _, model = hf_model(seed)
    phi4mm_audio.add_audio(model, seed)
    png = screenshot_png()
    report: dict[str, Any] = {}
    spoken = FAMILY.probe_prompt.replace("Task: click Save", "Task: <|audio_1|>")
    with tempfile.TemporaryDirectory(prefix="tiny-phi4mm-fp32-") as tmp:
        wav = phi4mm_checks.speech_wav(Path(tmp) / "task.wav")
        fp32_folder = Path(tmp) / "fp32"
        FAMILY.build(fp32_folder, seed, "fp32", False)
        audio = {
            "fp32": phi4mm_checks.audio_parity(model, fp32_folder, spoken, wav, png),
            "shipped": phi4mm_checks.audio_parity(model, folder, spoken, wav, png),
        }
        runner = Runner(fp32_folder)
        inputs, _ = runner.inputs(FAMILY.probe_prompt, png)
        ids = inputs["input_ids"].as_numpy()
        feeds = {
            "pixel_values": inputs["pixel_values"].as_numpy(),
            "image_sizes": inputs["image_sizes"].as_numpy(),
            "image_attention_mask": inputs["image_attention_mask"].as_numpy(),
        }
        reference = vision_reference(model, *feeds.values()).numpy()
        for name, path in (("fp32", fp32_folder), ("shipped", folder)):
            session = ort.InferenceSession(
                str(path / "vision.onnx"), providers=["CPUExecutionProvider"]
            )
            features = session.run(None, feeds)[0]
            report[f"{name}_vision"] = {
                "shape": list(features.shape),
                "max_abs_diff": float(np.abs(features - reference).max()),
            }
        report["image_tokens"] = int((ids == IMAGE_TOKEN_ID).sum())
        report["prompt_tokens"] = int(ids.shape[1])
        hf_tokens, _ = phi4mm_checks.hf_greedy(model, inputs, n, runner.eos)
        fp32 = runner.generate(inputs, n)["tokens"]
        del runner
    shipped = Runner(folder)
    shipped_inputs, _ = shipped.inputs(FAMILY.probe_prompt, png)
    agree, _ = shipped.teacher_forced(shipped_inputs, hf_tokens)
    shipped_tokens = shipped.generate(shipped_inputs, n)["tokens"]
    prefix = next(
        (i for i, (a, b) in enumerate(zip(hf_tokens, fp32, strict=False)) if a != b), len(hf_tokens)
    )
    report.update(
        hf_tokens=hf_tokens,
        fp32_genai_tokens=fp32,
        fp32_greedy_match=f"{prefix}/{len(hf_tokens)}",
        fp32_exact=fp32 == hf_tokens,
        shipped_genai_tokens=shipped_tokens,
        shipped_teacher_forced_top1=f"{agree}/{len(hf_tokens)}",
    )
    report["audio"] = audio
    report["ok"] = bool(
        report["fp32_exact"]
        and report["fp32_vision"]["max_abs_diff"] < 1e-3
        and phi4mm_checks.audio_ok(audio["fp32"])
    )
    return report
