"""Which files an ingest takes: folders walked, globs expanded, what names nothing reported."""

import shutil

from pagesight.ingest import find_files
from tests import docs


def test_find_files_walks_folders_expands_globs_and_reports_missing(tmp_path, report):
    library = tmp_path / "library"
    (library / "scans").mkdir(parents=True)
    shutil.copy(report, library / "report.pdf")
    docs.image_file(library / "scans" / "receipt.png", "PNG", ["Receipt for seven violins"])
    (library / "notes.txt").write_text("not a document")
    files, missing = find_files([str(library), str(library / "scans" / "*.png"), str(library / "nope.pdf"),
                                 str(library / "*.docx")])
    assert sorted(p.name for p in files) == ["receipt.png", "report.pdf"]  # notes.txt skipped inside a folder
    assert [(m.path, m.reason) for m in missing] == [(str(library / "nope.pdf"), "no such file or folder"),
                                                     (str(library / "*.docx"), "no file matches this pattern")]
