"""The local VLM answerer through the real transformers path (AutoModelForImageTextToText, chat
template, image inputs, generate, streaming) on tiny random Qwen2-VL and Qwen2.5-VL models."""

import pytest

from pagesight.core.errors import ModelUnavailable
from pagesight.core.types import Answer
from pagesight.generate import build_prompt
from pagesight.generate.citations import resolve_citations
from pagesight.generate.local import LocalVLMAnswerer
from pagesight.generate.support import check_claims

QUESTION = "How many ships did the keeper count?"


@pytest.fixture(scope="module", params=["qwen2_vl", "qwen2_5_vl"])
def local(request, tiny_models):
    return LocalVLMAnswerer(str(tiny_models[request.param]), device="cpu", max_pixels=100_000, max_new_tokens=8)


def test_the_prompt_reaches_the_model_through_its_chat_template_with_every_page_image(local, library):
    evidence, _ = library
    pages = evidence(QUESTION, k=2)
    inputs = local.inputs(build_prompt(QUESTION, pages))
    text = local.processor.tokenizer.decode(inputs["input_ids"][0])
    assert text.startswith("<|im_start|>system\nYou answer questions using only the document pages")
    assert text.endswith(f"Question: {QUESTION}\n<|im_end|>\n<|im_start|>assistant\n")
    assert text.count("<|vision_start|>") == 2 and '<page_text source="2">' in text
    grid = inputs["image_grid_thw"]
    assert grid.shape == (2, 3)
    for t, h, w in grid.tolist():  # each image within the pixel budget (14 px patches)
        assert t == 1 and h * w * 14 * 14 <= 100_000 * 1.2
    image_token = local.processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((inputs["input_ids"] == image_token).sum()) == int(grid.prod(dim=1).sum()) // 4  # 2x2 merge


def test_answers_are_deterministic_and_the_stream_adds_up_to_the_answer(local, library):
    evidence, _ = library
    pages = evidence(QUESTION, k=2)
    events = list(local.stream(QUESTION, pages))
    *deltas, final = events
    assert isinstance(final, Answer) and final.answerer == "local" and not final.extractive
    assert deltas and all(isinstance(d, str) for d in deltas)
    text, citations, dropped = resolve_citations("".join(deltas), pages)  # only invalid markers removed
    assert (final.text, final.citations, final.dropped_citations) == (text, citations, dropped)
    assert final.pages == [e.hit for e in pages]
    assert final.claims == check_claims(final.text, pages)  # every sentence checked, none dropped
    assert local.answer(QUESTION, pages).text == final.text  # greedy decoding: the same answer again


def test_missing_weights_fail_with_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="pagesight models pull"):
        LocalVLMAnswerer(str(tmp_path / "no-such-model"), device="cpu")
    with pytest.raises(ModelUnavailable, match="nothing is downloaded implicitly"):
        LocalVLMAnswerer("Qwen/Qwen2-VL-2B-Instruct", device="cpu")  # HF_HUB_OFFLINE: not on this disk


def test_a_model_that_is_not_image_text_to_text_is_refused(tiny_models):
    with pytest.raises(ModelUnavailable, match="not an image-text-to-text model"):
        LocalVLMAnswerer(str(tiny_models["clip"]), device="cpu")
