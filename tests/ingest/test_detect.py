import pytest

from pagesight.core.errors import EmptyFile, UnsupportedFileType
from pagesight.ingest.detect import sniff, sniff_file
from tests import docs


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("TIFF", "image/tiff"), ("WEBP", "image/webp")],
)
def test_images_are_recognised_by_their_bytes(tmp_path, fmt, media_type):
    path = tmp_path / "picture.pdf"  # the name lies
    docs.photo().save(path, fmt)
    assert sniff_file(path) == media_type


def test_pdf_recognised_even_with_junk_before_the_header():
    assert sniff(b"\x00\x00garbage%PDF-1.7\n...") == "application/pdf"


def test_text_file_named_pdf_is_refused(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes")
    with pytest.raises(UnsupportedFileType, match="not a PDF, PNG, JPEG, TIFF or WebP") as info:
        sniff_file(path)
    assert info.value.path == str(path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.pdf"
    path.touch()
    with pytest.raises(EmptyFile, match="empty"):
        sniff_file(path)
