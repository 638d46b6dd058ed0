"""Random tiny models of the real classes, built offline, for the `tiny` profile (tests, benchmarks).

Each is saved with save_pretrained next to a tokenizer and processor built here (a byte-level BPE
trained with `tokenizers`, image processors constructed in code), so it loads through exactly the
code path a real checkpoint takes. The scores they give are meaningless; the shapes, dtypes and
plumbing are the real ones.
"""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["build_tiny_models"]

log = logging.getLogger(__name__)


_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Describe the image. Question: what does the page say about revenue, ships, cables or lighthouses?",
    "Annual report 2023: revenue grew in the north and south regions; the harbour counted 4217 ships.",
    "Query: which page shows the bar chart of quarterly results? Figure 1. Table 2.",
]


def _bpe(special: list[str], vocab_size: int = 512):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(_CORPUS * 20, trainer)
    return tokenizer


def _randomise_projection_bias(model, seed: int) -> None:
    """Random weights trap: a zero pad embedding and a zero projection bias give 0/0 = NaN for
    left-padded query tokens; small random bias values keep every row well defined."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bias = model.custom_text_proj.bias
        bias.copy_(torch.randn(bias.shape, generator=generator) * 0.02)


_QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                 "<|image_pad|>", "<|video_pad|>"]
# Qwen2-VL's own chat template, cut to what single-turn image questions need.
_QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _qwen_parts(version: str):
    """Tokenizer, config and processor parts shared by the Qwen2-VL family (2 or 2.5)."""
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLConfig, Qwen2VLConfig
    from transformers.models.qwen2_vl import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_bpe(_QWEN_SPECIAL), eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>")
    ids = dict(zip(_QWEN_SPECIAL, tokenizer.convert_tokens_to_ids(_QWEN_SPECIAL), strict=True))
    text = dict(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        vocab_size=len(tokenizer), max_position_embeddings=4096,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
        bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"],
    )
    vision = dict(depth=2, hidden_size=64, num_heads=2, patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                  in_channels=3)
    if version == "2":
        config_cls = Qwen2VLConfig
        vision.update(embed_dim=32, mlp_ratio=2)
    else:
        config_cls = Qwen2_5_VLConfig
        vision.update(hidden_size=32, intermediate_size=64, out_hidden_size=64, window_size=56,
                      fullatt_block_indexes=[1])
    config = config_cls(
        text_config=text, vision_config=vision,
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    processor_parts = dict(
        image_processor=Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=256 * 28 * 28),
        tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor(), chat_template=_QWEN_CHAT_TEMPLATE,
    )
    return config, processor_parts


def _build_qwen(folder: Path, version: str, seed: int, model_cls, processor_cls, finish) -> Path:
    """A tiny model of the Qwen2-VL family (2 or 2.5) of this class, finished by `finish(model, config)`."""
    import torch

    config, parts = _qwen_parts(version)
    torch.manual_seed(seed)
    model = model_cls(config).eval()
    finish(model, config)
    model.save_pretrained(folder)
    processor_cls(**parts).save_pretrained(folder)
    return folder


def _build_colqwen(folder: Path, version: str, seed: int) -> Path:
    from colpali_engine.models import ColQwen2, ColQwen2_5, ColQwen2_5_Processor, ColQwen2Processor

    classes = (ColQwen2, ColQwen2Processor) if version == "2" else (ColQwen2_5, ColQwen2_5_Processor)
    return _build_qwen(folder, version, seed, *classes, lambda model, _: _randomise_projection_bias(model, seed))


def build_colqwen2(folder: Path, seed: int = 0) -> Path:
    return _build_colqwen(folder, "2", seed)


def build_colqwen2_5(folder: Path, seed: int = 0) -> Path:
    return _build_colqwen(folder, "2.5", seed)


def _build_generator(folder: Path, version: str, seed: int) -> Path:
    from transformers import (
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLForConditionalGeneration,
        Qwen2VLProcessor,
    )

    def finish(model, config) -> None:
        model.generation_config.pad_token_id = config.text_config.pad_token_id
        model.generation_config.eos_token_id = config.text_config.eos_token_id

    classes = ((Qwen2VLForConditionalGeneration, Qwen2VLProcessor) if version == "2"
               else (Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor))
    return _build_qwen(folder, version, seed, *classes, finish)


def build_qwen2_vl(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2-VL generator (image-text-to-text), for the answerers."""
    return _build_generator(folder, "2", seed)


def build_qwen2_5_vl(folder: Path, seed: int = 0) -> Path:
    """A tiny Qwen2.5-VL generator."""
    return _build_generator(folder, "2.5", seed)


def build_colpali(folder: Path, seed: int = 0) -> Path:
    import torch
    from colpali_engine.models import ColPali, ColPaliProcessor
    from transformers import PaliGemmaConfig, PreTrainedTokenizerFast, SiglipImageProcessor

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<pad>", "<eos>", "<bos>", "<unk>", "<image>"]),
                                        pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    config = PaliGemmaConfig(
        text_config=dict(model_type="gemma", hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=1, head_dim=16, vocab_size=len(tokenizer)),
        vision_config=dict(model_type="siglip_vision_model", hidden_size=32, intermediate_size=64,
                           num_hidden_layers=2, num_attention_heads=2, image_size=56, patch_size=14,
                           projection_dim=64),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), projection_dim=64, hidden_size=64,
        vocab_size=len(tokenizer),
    )
    torch.manual_seed(seed)
    model = ColPali(config).eval()
    _randomise_projection_bias(model, seed)
    image_processor = SiglipImageProcessor(size={"height": 56, "width": 56})
    image_processor.image_seq_length = 16  # (56 / 14) ** 2 patches
    processor = ColPaliProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_clip(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<|startoftext|>", "<|endoftext|>"]),
                                        bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                                        pad_token="<|endoftext|>")
    config = CLIPConfig(
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         vocab_size=len(tokenizer), max_position_embeddings=77, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16,
    )
    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_siglip(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<pad>", "</s>", "<unk>"]), pad_token="<pad>",
                                        eos_token="</s>", unk_token="<unk>", model_max_length=16)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ("<pad>", "</s>")}
    config = SiglipConfig(
        text_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                         vocab_size=len(tokenizer), max_position_embeddings=16, projection_size=32,
                         pad_token_id=ids["<pad>"], eos_token_id=ids["</s>"], bos_token_id=ids["</s>"]),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
    )
    torch.manual_seed(seed)
    model = SiglipModel(config).eval()
    model.save_pretrained(folder)
    SiglipProcessor(image_processor=SiglipImageProcessor(size={"height": 32, "width": 32}),
                    tokenizer=tokenizer).save_pretrained(folder)
    return folder


_BUILDERS = {
    "colqwen2": build_colqwen2,
    "colqwen2_5": build_colqwen2_5,
    "colpali": build_colpali,
    "clip": build_clip,
    "siglip": build_siglip,
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": build_qwen2_5_vl,
}


def build_tiny_models(root: Path) -> dict[str, Path]:
    """Build every tiny model under `root` (skipping those already there); name -> folder."""
    built = {}
    for name, builder in _BUILDERS.items():
        folder = root / name
        if not (folder / "config.json").exists():
            log.info("building tiny %s in %s", name, folder)
            builder(folder)
        built[name] = folder
    return built
