"""The installed package holds the whole source tree: every folder of Python code under the layer
folders is listed in pyproject.toml (a folder left out is missing from a wheel, though an editable
install would still find it)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "ingest", "index", "retrieve", "generate", "api")


def test_every_code_folder_is_a_listed_package():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {path.parent for layer in LAYERS for path in (ROOT / layer).rglob("*.py")}
    wanted = {"pagesight." + ".".join(folder.relative_to(ROOT).parts) for folder in folders}
    assert wanted | {"pagesight"} <= listed, sorted(wanted - listed)
    assert (ROOT / "__init__.py").is_file()  # the root is the package `pagesight`
