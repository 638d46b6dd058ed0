from pathlib import Path

import pytest

from pagesight.core import PageSightError, Settings, validate_collection_name
from pagesight.core.errors import EncryptedDocument, IngestError


def test_settings_read_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PAGESIGHT_DATA_DIR", str(tmp_path / "somewhere"))
    monkeypatch.setenv("PAGESIGHT_RENDER_DPI", "96")
    monkeypatch.setenv("RENDER_DPI", "300")  # without the prefix: not ours
    s = Settings(_env_file=None)
    assert s.data_dir == tmp_path / "somewhere"
    assert s.render_dpi == 96
    assert s.collection_dir() == tmp_path / "somewhere" / "collections" / "default"


def test_settings_read_dotenv_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("PAGESIGHT_COLLECTION=papers\nPAGESIGHT_QDRANT_URL=http://localhost:6333\n")
    s = Settings(_env_file=env)
    assert s.collection == "papers"
    assert s.qdrant_url == "http://localhost:6333"


def test_settings_reject_a_bad_profile(tmp_path):
    with pytest.raises(ValueError, match="profile"):
        Settings(_env_file=None, profile="huge")


@pytest.mark.parametrize("name", ["default", "my-papers_2", "A"])
def test_collection_names_that_are_safe_directory_names(name):
    assert validate_collection_name(name) == name


@pytest.mark.parametrize("name", ["", "../etc", "a/b", ".hidden", "x" * 65, "nul\x00", "space name"])
def test_collection_names_that_could_escape_the_data_directory_are_refused(name):
    with pytest.raises(ValueError, match="invalid collection name"):
        validate_collection_name(name)


def test_errors_name_the_file_and_the_reason():
    e = EncryptedDocument("the PDF is encrypted", Path("/x/report.pdf"))
    assert str(e) == "/x/report.pdf: the PDF is encrypted"
    assert e.reason == "the PDF is encrypted" and e.path == "/x/report.pdf"
    assert isinstance(e, IngestError) and isinstance(e, PageSightError)


def test_errors_survive_pickling_between_processes():
    import pickle

    e = pickle.loads(pickle.dumps(EncryptedDocument("wrong password", "/a.pdf")))
    assert (type(e), e.reason, e.path) == (EncryptedDocument, "wrong password", "/a.pdf")
    assert str(e) == "/a.pdf: wrong password"
