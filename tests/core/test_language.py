"""The language of a text (core/language.py) and what PageSight says in French (core/i18n.py)."""

import pytest

from pagesight.core.i18n import answer_locale, locale_of, say
from pagesight.core.language import detect, parse_languages


@pytest.mark.parametrize(("text", "language"), [
    ("Le chiffre d'affaires de l'entreprise a augmenté de 12 % par rapport à l'année précédente.", "fra"),
    ("Quelle part des répondants déclare utiliser l'outil chaque semaine ?", "fra"),
    ("What share of the respondents said they use the tool every week?", "eng"),
    ("Der Umsatz des Unternehmens ist im Vergleich zum Vorjahr um zwölf Prozent gestiegen.", "deu"),
    ("Los ingresos de la empresa aumentaron un doce por ciento con respecto al año anterior.", "spa"),
    # Short questions whose words of two letters or more French shares with Spanish ("que", "le", "de", "la")
    # and Portuguese: "à", a word of one letter, tells them apart (Spanish never writes it).
    ("Que dit le journal de bord à propos de la lampe, à la page 40 ?", "fra"),
    ("Que dit le rapport à la page 3 ?", "fra"),
    ("Que dice el informe de la empresa sobre la lámpara?", "spa"),
    ("O que diz o relatório sobre a lâmpada? É a página 3.", "por"),
    ("Che cosa dice il rapporto? È la pagina 3 della relazione.", "ita"),
])
def test_a_sentence_is_told_by_its_words(text, language):  # its one-letter words too
    assert detect(text) == language


@pytest.mark.parametrize("text", ["", "2019 2020 1,234.5", "Table 4.2", "ROE %"])
def test_too_little_prose_tells_no_language(text):
    assert detect(text) is None


def test_language_codes_are_checked():
    assert parse_languages("fra+eng") == ["fra", "eng"]
    with pytest.raises(ValueError, match=r"'fr!\+eng' is not a list of language codes like fra\+eng"):
        parse_languages("fr!+eng")


def test_an_answer_speaks_its_question_s_language_and_keeps_what_it_quotes():
    assert answer_locale("Quel a été le chiffre d'affaires de Danone en 2019 ?") == "fr"
    assert answer_locale("What were Danone's revenues in 2019?") == "en"
    text = 'Not in these documents: the pages found do not mention "2031", "danone in 2031", so they do not ' \
           "answer this question."
    assert say(text, "fr") == 'Absent de ces documents : les pages trouvées ne mentionnent pas "2031", ' \
                              '"danone en 2031", elles ne répondent donc pas à cette question.'
    assert say(text, "en") == text
    assert say("rapport_2019.pdf: the file is empty", "fr") == "rapport_2019.pdf : le fichier est vide"
    assert say("a message the catalogue does not know", "fr") == "a message the catalogue does not know"
    # Whole messages, never half: "no document matches ..." once came out as "aucun document matches ..."
    # Pages a document does not have, as a search says them, alone and in the answer's sentence
    assert say("page 40 (log.pdf has 12)", "fr") == "la page 40 (log.pdf en a 12)"
    assert say("pages 40, 52 (a.pdf has 6; b.pdf has 3)", "fr") == "les pages 40, 52 (a.pdf en a 6 ; b.pdf en a 3)"
    assert say("not in these documents: page 40 (log.pdf has 12)", "fr") == \
        "absente de ces documents : la page 40 (log.pdf en a 12)"
    assert say("Not in these documents: the question asks about pages 400-429 (paper.pdf has 40), so they do not "
               "answer it.", "fr") == "Absent de ces documents : la question porte sur les pages 400-429 (paper.pdf " \
                                       "en a 40), ils n'y répondent donc pas."
    assert say("no page 9 in document abc123 (r.pdf has 3)", "fr") == \
        "aucune page 9 dans le document abc123 (r.pdf en a 3)"
    assert say("'r' matches 2 documents (a r.pdf; b r.pdf); give more of the id", "fr") == \
        "'r' correspond à 2 documents (a r.pdf; b r.pdf) ; donnez davantage de l'identifiant"
    assert say("answerer: extractive (the server's: the lite profile has no generator)", "fr") == \
        "répondeur : extractive (celui du serveur : le profil lite n'a pas de générateur)"


def test_a_request_s_language_is_its_first_that_pagesight_speaks():
    assert locale_of("fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert locale_of("de-DE,en;q=0.5,fr;q=0.9") == "fr"  # by quality, not by position
    assert locale_of("de-DE") == "en" and locale_of(None) == "en"
    assert locale_of("en-US", "fr") == "fr"  # PAGESIGHT_LOCALE fixes it
