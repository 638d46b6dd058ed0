"""`make test` as CI runs it: pytest reads the recipe's arguments. An option's value given as a separate
word that names an existing file ("--times-file docs/test-times.md") is taken by pytest's first pass for a
test path, so the suite's own conftest (which defines the option) is never loaded and the run stops at
once with "unrecognized arguments" — on a fresh clone, where that file is committed."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_make_test_recipe_is_an_invocation_pytest_accepts():
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    (line,) = [ln.strip() for ln in recipe.splitlines() if "-m pytest" in ln]
    args = shlex.split(line.replace("$(PY)", sys.executable))
    assert (ROOT / "docs" / "test-times.md").exists()  # what made the first pass take it for a test path
    run = subprocess.run([*args, "--collect-only", "-q"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
