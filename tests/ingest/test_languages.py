"""Documents in French (and other languages): a scan read in its own language keeps its accents, a page
knows its language, a language asked for that Tesseract lacks is named, ligatures are letters."""

import pytest

from pagesight.ingest.extract import extract
from pagesight.ingest.ocr import installed_languages, ocr_languages_of
from tests import docs
from tests.conftest import extract_options
from tests.ingest.test_layout import scan_of

FRENCH = ["Les dépenses de l'État ont augmenté en 2019.", "À Marseille, la fréquentation a été très élevée.",
          "Le théâtre reçoit des élèves chaque année."]


@pytest.fixture(scope="module")
def french_scan(tmp_path_factory):
    if "fra" not in installed_languages():
        pytest.skip("no French data for Tesseract (apt-get install tesseract-ocr-fra; `make setup` does)")
    folder = tmp_path_factory.mktemp("scan")
    return scan_of(docs.simple_pdf(folder / "note.pdf", FRENCH), folder / "scan.pdf")


def test_a_french_scan_read_by_default_keeps_its_accents(french_scan, tmp_path):
    read = extract(french_scan, "application/pdf", tmp_path / "auto", extract_options())
    page = read.pages[0]
    assert page.text_source == "ocr" and page.language == "fra"
    assert page.text.split("\n") == FRENCH, page.text
    # Read as English (the only language before), the same page lost its capitals' accents and more.
    english = extract(french_scan, "application/pdf", tmp_path / "eng", extract_options(ocr_languages="eng"))
    assert "l'État" not in english.pages[0].text and "reçoit" not in english.pages[0].text


def test_languages_given_for_an_upload_are_read_in(french_scan, tmp_path):
    read = extract(french_scan, "application/pdf", tmp_path / "given", extract_options(ocr_languages="fra+eng"))
    assert "À Marseille, la fréquentation a été très élevée." in read.pages[0].text


def test_a_language_whose_data_is_missing_is_named_with_the_package_to_install():
    assert ocr_languages_of("auto") == "auto"
    with pytest.raises(ValueError, match=r"OCR cannot read xyz here: .*tesseract-ocr-xyz"):
        ocr_languages_of("eng+xyz")


DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Chromium's dependency: has the ligature's glyph


def test_a_born_digital_page_knows_its_language_and_its_ligatures_are_letters(tmp_path):
    from pathlib import Path

    import pymupdf

    if not Path(DEJAVU).is_file():
        pytest.skip(f"no {DEJAVU} to write a ligature with (apt-get install fonts-dejavu-core)")
    path = tmp_path / "rapport.pdf"
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "La \ufb01nance publique a été réformée en 2019 par l'État.", fontname="dejavu",
                     fontfile=DEJAVU)
    page.insert_text((72, 100), "Les dépenses ont augmenté pour la première fois depuis dix ans.")
    doc.save(path)
    assert "\ufb01" in pymupdf.open(path)[0].get_text()  # the text layer holds the ligature as one character
    read = extract(path, "application/pdf", tmp_path / "out", extract_options())
    assert read.pages[0].language == "fra"
    assert "La finance publique" in read.pages[0].text and "\ufb01" not in read.pages[0].text
