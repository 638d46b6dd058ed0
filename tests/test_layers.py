"""The layers of ../shared/DESIGN.md, enforced on the source tree: every import between the top-level
folders (imports inside functions included) goes where the table says, and none runs back up.

Imports are read with `ast`, so the test needs no install and sees what an editor sees. Inside the
package, folders import each other relatively (`from ..core.types import Hit`); an absolute
`pagesight.x` import is read the same way.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("core", "ingest", "index", "retrieve", "generate", "api")
ALLOWED = {
    "core": set(),
    "ingest": {"core"},
    "index": {"core"},
    "retrieve": {"core", "index"},
    "generate": {"core"},
    "api": {"core", "ingest", "index", "retrieve", "generate"},
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, top-level folder) for every import of the package in this file, wherever it stands."""
    return imports_in(path.read_text(), path.relative_to(ROOT).parts[:-1], str(path))


def imports_in(source: str, folder: tuple[str, ...], name: str = "<source>") -> list[tuple[int, str]]:
    """The same for source text that stands in `folder` (its parts inside the package)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb from the file's own folder
                if node.level - 1 > len(folder):
                    raise AssertionError(f"{name}:{node.lineno}: a relative import climbs out of the package")
                base = list(folder[: len(folder) - (node.level - 1)])
                parts = base + (node.module.split(".") if node.module else [])
                if not parts:  # `from .. import x` at the root: each name is a folder
                    found.extend((node.lineno, alias.name) for alias in node.names)
                else:
                    found.append((node.lineno, parts[0]))
            elif node.module and node.module.split(".")[0] == "pagesight":
                parts = node.module.split(".")[1:]
                if parts:
                    found.append((node.lineno, parts[0]))
                else:
                    found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pagesight" and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
    return [(line, target) for line, target in found if target in LAYERS]


def package_files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_each_folder_imports_only_the_layers_below_it(layer):
    wrong = []
    for path in package_files(layer):
        for line, target in imports_of(path):
            if target != layer and target not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, f"{layer} may depend on {sorted(ALLOWED[layer]) or 'nothing of ours'}:\n" + "\n".join(wrong)


def test_inside_the_package_imports_are_relative():
    """An absolute `pagesight.x` import resolves only after an install; a relative one resolves from the
    source tree, for editors, type checkers and structure tools alike."""
    absolute = []
    for layer in LAYERS:
        for path in package_files(layer):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                if any(n == "pagesight" or n.startswith("pagesight.") for n in names):
                    absolute.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not absolute, "absolute imports of the package:\n" + "\n".join(absolute)


def test_the_reader_sees_imports_inside_functions():
    """The checker itself: an import hidden in a function body is found, relative or absolute, and a
    relative import is read from the folder it stands in."""
    flat = ("def f():\n    from ..index.store import Store\n    import pagesight.ingest.extract\n"
            "    from .prompt import Evidence\n    from .. import core\n")
    assert sorted(t for _, t in imports_in(flat, ("generate",))) == ["core", "generate", "index", "ingest"]
    nested = "def f():\n    from ...index.store import Store\n    from ..prompt import Evidence\n"
    assert sorted(t for _, t in imports_in(nested, ("generate", "sub"))) == ["generate", "index"]
