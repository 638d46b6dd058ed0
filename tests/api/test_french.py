"""French through the faces: API errors in the request's language, the languages OCR reads checked at the
door (upload and command line), the command line in the terminal's language, and a collection on the
multilingual text model where a French question finds the French and the English page."""

import re

from pagesight.api.cli import app as cli
from pagesight.api.server.app import create_app
from tests import docs
from tests.api.conftest import local_client, upload
from tests.conftest import make_settings


def test_an_api_error_is_in_french_when_the_request_asks_for_it(tmp_path, report):
    with local_client(create_app(make_settings(tmp_path / "data", profile="lite"))) as client:
        upload(client, ("report.pdf", report.read_bytes()))
        french = client.get("/v1/documents/0123456789", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        english = client.get("/v1/documents/0123456789")
    assert french.status_code == english.status_code == 404
    assert english.json()["detail"].startswith("no document")
    assert french.json()["detail"] == "aucun document ne correspond à '0123456789' (donnez un identifiant, le " \
                                      "début unique d'un identifiant ou un nom de fichier)", french.json()


def test_a_server_set_to_french_answers_every_client_in_french(tmp_path):
    with local_client(create_app(make_settings(tmp_path / "data", profile="lite", locale="fr"))) as client:
        missing = client.get("/v1/documents/0123456789", headers={"Accept-Language": "en-US"})
    assert missing.status_code == 404 and missing.json()["detail"].startswith("aucun document"), missing.json()


def test_an_upload_asking_for_a_language_ocr_cannot_read_is_refused_and_nothing_is_queued(tmp_path, report):
    with local_client(create_app(make_settings(tmp_path / "data", profile="lite"))) as client:
        pdf = ("report.pdf", report.read_bytes(), "application/pdf")
        refused = client.post("/v1/documents", files=[("files", pdf)], data={"lang": "eng+xyz"})
        assert refused.status_code == 422, refused.text
        assert "OCR cannot read xyz here" in refused.json()["detail"]
        assert client.get("/v1/documents").json() == []
        accepted = upload(client, ("report.pdf", report.read_bytes()))
        assert accepted["files"][0]["status"] == "ingested"



def test_the_command_line_names_a_language_ocr_cannot_read_and_speaks_the_terminal_s_language(
        data_dir, report, monkeypatch):
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli, ["ingest", str(report), "--lang", "xyz"])
    assert result.exit_code == 2 and "OCR cannot read xyz here" in result.output, result.output
    assert "apt-get install tesseract-ocr-xyz" in result.output
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = CliRunner().invoke(cli, ["documents", "delete", "0123456789"])
    assert result.exit_code == 2 and "aucun document" in result.output, result.output
    assert CliRunner().invoke(cli, ["ingest", str(report)]).exit_code == 0
    result = CliRunner().invoke(cli, ["search", "Que dit le rapport à la page 40 ?", "--doc", "report.pdf", "-k", "1"])
    assert result.exit_code == 0, result.output  # every line French, the file's name and the channels' kept
    assert "absente de ces documents : la page 40 (report.pdf en a 6)" in result.output, result.output
    assert re.search(r"1\. report\.pdf, page \d+  \(trouvée par \w+( et \w+)*\)", result.output), result.output
    assert "found by" not in result.output


def test_a_collection_whose_first_pages_are_french_gets_the_multilingual_model_and_a_french_question_finds_the_french_and_the_english_page(tmp_path):  # noqa: E501
    from pagesight import PageSight
    from pagesight.index.e5 import E5

    french = docs.simple_pdf(tmp_path / "rapport_annuel.pdf", [
        "Rapport annuel 2019.", "Le chiffre d'affaires de la société a progressé de 8 %",
        "pour atteindre 25 milliards d'euros, porté par la croissance en Asie."])
    english = docs.simple_pdf(tmp_path / "harbour_log.pdf", [
        "Harbour log.", "The keeper counted 340 ships entering the port in 1821,", "against 290 the year before."])
    handbook = docs.simple_pdf(tmp_path / "handbook.pdf", [
        "Staff handbook.", "Employees are entitled to 25 days of paid leave each year."])
    settings = make_settings(tmp_path / "data", profile="lite")  # no text model set: the pages choose
    with PageSight(settings=settings) as sight:
        sight.ingest([french])
        sight.ingest([english, handbook])
        assert sight.store.schema.text.name == E5  # recorded with the collection, as every encoder is
    with PageSight(settings=settings) as sight:  # opened again, it keeps its model
        assert sight.models.encoders_for(sight.store.schema).text.spec.name == E5
        for question, wanted, same_language in [
                ("Quel a été le chiffre d'affaires en 2019 ?", "rapport_annuel.pdf", True),
                ("Combien de navires le gardien a-t-il comptés ?", "harbour_log.pdf", False),
                ("Combien de jours de congés payés les salariés ont-ils ?", "handbook.pdf", False),
                ("How much did the company's turnover grow in 2019?", "rapport_annuel.pdf", False)]:
            alone = sight.search(question, k=1, channels=["text"])  # the multilingual channel alone
            assert alone.hits[0].file_name == wanted, (question, alone.hits[0].file_name)
            fused = [h.file_name for h in sight.search(question, k=3).hits]
            # Fused with BM25, whose words do not cross languages, the page may lose the first place across
            # languages (bench/french.py measures it: R@5 0.91 by the text channel, 0.86 fused).
            assert fused.index(wanted) <= (0 if same_language else 1), (question, fused)


def test_a_collection_whose_first_pages_are_english_keeps_the_english_model(tmp_path, report):
    from pagesight import PageSight
    from pagesight.index.encoders import MINILM

    with PageSight(settings=make_settings(tmp_path / "data", profile="lite")) as sight:
        sight.ingest([report])
        assert sight.store.schema.text.name == MINILM
