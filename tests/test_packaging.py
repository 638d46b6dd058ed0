"""The package as pip installs it: every folder of the code that Python imports as a package is listed in
pyproject.toml's `packages` (the repository root is the package, so setuptools finds none by itself). A
folder left out works in the editable checkout and is missing from a wheel."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"tests", "bench", "docs", ".venv", "build", "pagesight.egg-info"}


def test_every_code_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"pagesight"}
    for init in ROOT.rglob("__init__.py"):
        parts = init.relative_to(ROOT).parent.parts
        if parts and parts[0] not in NOT_SHIPPED and not parts[0].startswith("."):
            found.add(".".join(("pagesight", *parts)))
    assert found - listed == set(), f"packages pip would leave out: {sorted(found - listed)}"
