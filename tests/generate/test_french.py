"""Answers and their checks in French: figures as French writes them, names with accents and elisions,
the answer's own words in its question's language."""

from pagesight.generate.extractive import ExtractiveAnswerer
from pagesight.generate.support import check_claims, figure_values, key_terms, missing_terms
from tests.generate.test_support import evidence

DANONE = evidence(1, "danone_rapport_2019.pdf", "Rapport annuel de Danone 2019",
                  "Le chiffre d'affaires consolidé a atteint 1 234,5 millions d'euros en 2019.",
                  "La marge opérationnelle courante s'établit à 12 %.")


def test_a_figure_is_the_same_number_however_it_is_written():
    assert "1234.5" in figure_values("1 234,5 €") and "1234.5" in figure_values("1\u202f234,5\u00a0€")
    assert "1234.5" in figure_values("1.234,5") and "1234.5" in figure_values("$1,234.5")
    assert "12" in figure_values("12 %") and "0.5" in figure_values("0,5")


def test_a_claim_written_1234_point_5_is_borne_out_by_a_quote_of_1_234_comma_5_euros():
    (claim,) = check_claims("Le chiffre d'affaires a atteint 1234.5 millions d'euros en 2019 [1].", [DANONE])
    assert claim.supported, claim
    (wrong,) = check_claims("Le chiffre d'affaires a atteint 1243.5 millions d'euros en 2019 [1].", [DANONE])
    assert not wrong.supported and "1243.5" in wrong.missing
    (share,) = check_claims("The operating margin was 12% [1].", [DANONE])
    assert share.supported, share


def test_french_names_keep_their_accents_and_lose_their_elisions():
    assert key_terms("Quel a été le chiffre d'affaires de l'Oréal en 2019 ?").names == ("Oréal",)
    assert key_terms("Combien d'employés compte Électricité de France ?").names == ("Électricité de France",)
    assert missing_terms("Quel est le résultat d'Electricite de France ?", [DANONE]) == ["Electricite de France"]
    # A connector inside a name is of the name: before, "Bank America" was asked of pages that say
    # "Bank of America", and every such question was told its pages did not mention it.
    bank = evidence(2, "bac_2019.pdf", "Bank of America reported revenue of $91.2 billion in 2019.")
    assert missing_terms("What were Bank of America's revenues in 2019?", [bank]) == []
    assert missing_terms("Quel a été le chiffre d'affaires de la Banque de France en 2019 ?", [bank]) == \
        ["Banque de France"]


def test_it_says_in_french_that_the_pages_do_not_name_the_company_asked_about(text_encoder):
    question = "Quel a été le chiffre d'affaires de Renault en 2019 ?"  # the pages read are Danone's
    answer = ExtractiveAnswerer(text_encoder).answer(question, [DANONE])
    assert answer.abstained and answer.citations == []
    assert answer.text == 'Absent de ces documents : les pages trouvées ne mentionnent pas "Renault", elles ne ' \
                          "répondent donc pas à cette question."
    english = ExtractiveAnswerer(text_encoder).answer("What were Renault's revenues in 2019?", [DANONE])
    assert english.text.startswith('Not in these documents: the pages found do not mention "Renault"')


def test_a_french_question_is_answered_by_quoting_the_french_page(text_encoder):
    answer = ExtractiveAnswerer(text_encoder).answer("Quel a été le chiffre d'affaires de Danone en 2019 ?", [DANONE])
    assert not answer.abstained
    assert answer.citations[0].quote == "Le chiffre d'affaires consolidé a atteint 1 234,5 millions d'euros en 2019."
