"""Every vision encoder class end to end on tiny random models built here, and the profiles."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pagesight.core.errors import ModelUnavailable
from pagesight.index.encoders import revision_of
from pagesight.index.profiles import model_status, resolve_profile
from pagesight.index.vision import (
    IMAGE_FAMILIES,
    PAGE_FAMILIES,
    ClipImageEncoder,
    ColVisionEncoder,
    model_family,
)
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def tiny(tiny_models):
    return tiny_models


@pytest.fixture(scope="module", params=["colqwen2", "colqwen2_5", "colpali"])
def page_encoder(request, tiny):
    return ColVisionEncoder(str(tiny[request.param]), device="cpu", max_visual_tokens=256, batch_size=2)


@pytest.fixture(scope="module", params=["clip", "siglip"])
def clip(request, tiny):
    return ClipImageEncoder(str(tiny[request.param]), device="cpu", batch_size=4)


def pages() -> list[Image.Image]:
    out = []
    for i, size in enumerate([(612, 792), (792, 612), (400, 400)]):
        img = Image.new("RGB", size, "white")
        ImageDraw.Draw(img).rectangle((40 + 30 * i, 50, 300, 120 + 40 * i), fill=(20 * i, 90, 200))
        out.append(img)
    return out


def test_page_vectors_have_the_real_shape_and_dtype(page_encoder):
    vectors = page_encoder.encode_pages(pages())
    assert len(vectors) == 3
    for v in vectors:
        assert v.ndim == 2 and v.shape[1] == 128 and v.shape[0] > 10
        assert v.dtype == np.float32 and np.isfinite(v).all()
        assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-3)  # colpali-engine L2-normalises each row
    assert page_encoder.spec.dim == 128 and page_encoder.spec.revision == revision_of(page_encoder.spec.name)


def test_pages_batched_equal_one_by_one_and_repeat_exactly(page_encoder):
    batched = page_encoder.encode_pages(pages())
    for image, expected in zip(pages(), batched, strict=True):
        single = page_encoder.encode_pages([image])[0]
        assert single.shape == expected.shape
        assert np.allclose(single, expected, atol=1e-4)
    again = page_encoder.encode_pages(pages())
    assert all(np.array_equal(a, b) for a, b in zip(batched, again, strict=True))


def test_left_padded_queries_have_no_nan(page_encoder):
    # Different lengths in one batch: the short one is left-padded (the random-weights NaN trap).
    queries = page_encoder.encode_queries(["revenue", "which page shows the bar chart of quarterly results?"])
    assert [q.shape[1] for q in queries] == [128, 128]
    assert queries[0].shape[0] < queries[1].shape[0]  # padding rows removed
    assert all(np.isfinite(q).all() for q in queries)
    alone = page_encoder.encode_queries(["revenue"])[0]
    assert np.allclose(alone, queries[0], atol=1e-4)


def test_clip_embeds_images_and_texts_in_one_normalised_space(clip):
    images = clip.encode_images(pages())
    texts = clip.encode_texts(["a chart", "a photograph of the harbour at dawn"])
    dim = clip.spec.dim
    assert dim in (16, 32)  # the tiny CLIP projects to 16, the tiny SigLIP to 32
    assert images.shape == (3, dim) and texts.shape == (2, dim)
    assert images.dtype == np.float32
    assert np.allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    single = np.stack([clip.encode_images([p])[0] for p in pages()])
    assert np.allclose(single, images, atol=1e-5)
    assert clip.encode_images([]).shape == (0, dim)


def test_families_come_from_tables_not_from_names(tiny, tmp_path):
    assert model_family("vidore/colqwen2-v1.0", PAGE_FAMILIES) == "qwen2_vl"
    assert model_family("vidore/colpali-v1.3", PAGE_FAMILIES) == "paligemma"
    assert model_family(str(tiny["colqwen2"]), PAGE_FAMILIES) == "qwen2_vl"  # from its config.json
    assert model_family(str(tiny["colqwen2_5"]), PAGE_FAMILIES) == "qwen2_5_vl"
    assert model_family(str(tiny["clip"]), IMAGE_FAMILIES) == "clip"
    assert model_family(str(tiny["siglip"]), IMAGE_FAMILIES) == "siglip"
    # a folder named like a ColQwen2 holding a CLIP is a CLIP
    with pytest.raises(ModelUnavailable, match="unknown model family 'clip'"):
        model_family(str(tiny["clip"]), PAGE_FAMILIES)
    with pytest.raises(ModelUnavailable, match="unknown model family None"):
        model_family("someone/colqwen2-lookalike", PAGE_FAMILIES)


def test_a_real_checkpoint_that_is_not_on_disk_fails_and_says_how_to_get_it():
    with pytest.raises(ModelUnavailable, match="not on disk .* `pagesight models pull`"):
        ColVisionEncoder("vidore/colqwen2-v1.0", device="cpu")
    with pytest.raises(ModelUnavailable, match="not on disk"):
        ClipImageEncoder("openai/clip-vit-base-patch32", device="cpu")


def test_auto_takes_lite_without_the_full_weights_and_says_why(tmp_path):
    settings = make_settings(tmp_path)
    profile, why = resolve_profile(settings)
    assert profile == "lite"
    assert "vidore/colqwen2-v1.0" in why and "pagesight models pull" in why


def test_auto_takes_full_when_its_weights_are_on_disk(tmp_path, tiny):
    settings = make_settings(tmp_path, page_model=str(tiny["colqwen2"]), image_model=str(tiny["clip"]))
    assert resolve_profile(settings) == ("full", "the full profile's weights are on disk")
    status = {s.role: s for s in model_status("full", settings)}
    assert status["page"].on_disk and status["page"].bytes > 100_000
    assert not status["generator"].on_disk


def test_the_tiny_qwen2_vl_generator_loads_like_a_real_checkpoint_and_decodes_deterministically(tiny):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(str(tiny["qwen2_vl"]), local_files_only=True).eval()
    processor = AutoProcessor.from_pretrained(str(tiny["qwen2_vl"]), local_files_only=True)
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What does the page say?"}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n") and "<|image_pad|>" in prompt
    inputs = processor(text=[prompt], images=pages()[:1], return_tensors="pt")
    first = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    second = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    assert first.shape[1] == inputs["input_ids"].shape[1] + 6
    assert first.tolist() == second.tolist()
