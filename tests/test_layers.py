"""The layers of ../shared/DESIGN.md, enforced on the source tree: every import between the top-level
folders (imports inside functions included) goes where the table says, and none runs back up. Inside
`api/`, the wiring (its own files) imports no face, and the faces (`server/`, `cli/`, `mcp/`) import
each other only to start one: the command line starts the server and the MCP server, the server hosts
the MCP server at /mcp, by their entry points alone.

Imports are read with `ast`, so the test needs no install and sees what an editor sees. Inside the
package, folders import each other relatively (`from ..core.types import Hit`); an absolute
`pagesight.x` import is read the same way, and a name taken from the package's root (`from .. import
PageSight`) counts as an import of the folder the root takes it from.
"""

import ast
import functools
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


FACES = ("server", "cli", "mcp")  # api/'s folders; its own files are the wiring
# Which face may start which, and by what: the only imports between faces.
STARTS = {"cli": {"server": {"create_app"}, "mcp": {"build_mcp"}}, "server": {"mcp": {"HttpEndpoint", "build_mcp"}}}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, top-level folder) for every import of the package in this file, wherever it stands."""
    return imports_in(path.read_text(), path.relative_to(ROOT).parts[:-1], str(path))


def imports_in(source: str, folder: tuple[str, ...], name: str = "<source>") -> list[tuple[int, str]]:
    """The same for source text that stands in `folder` (its parts inside the package)."""
    return [(line, parts[0]) for line, parts, _ in targets_in(source, folder, name) if parts[0] in LAYERS]


@functools.cache
def root_names() -> dict[str, list[str]]:
    """What the package's root hands out, by name: the module it takes each from (its __getattr__ too)."""
    found = {}
    for node in ast.walk(ast.parse((ROOT / "__init__.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = node.module.split(".")
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Compare):  # if name in ("Backend", ...):
            asked = [c.value for c in ast.walk(node.test.comparators[0]) if isinstance(c, ast.Constant)]
            taken = [n for n in node.body if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module]
            for name in asked if taken else []:
                found.setdefault(name, taken[0].module.split("."))
    return found


def targets_in(source: str, folder: tuple[str, ...], name: str = "<source>") -> list[tuple[int, list[str], list[str]]]:
    """(line, the module's parts inside the package, the names imported) for every import of the package
    in source text that stands in `folder`; a name taken from the root is read as its module's import."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb from the file's own folder
                if node.level - 1 > len(folder):
                    raise AssertionError(f"{name}:{node.lineno}: a relative import climbs out of the package")
                parts = list(folder[: len(folder) - (node.level - 1)]) + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "pagesight":
                parts = node.module.split(".")[1:]
            else:
                continue
            names = [alias.name for alias in node.names]
            if parts and node.module is None:  # `from .. import server`: each name a module of that folder
                found.extend((node.lineno, [*parts, n], [n]) for n in names)
            elif parts:
                found.append((node.lineno, parts, names))
            else:  # from the root: each name is a folder, or what the root takes from one
                handed = root_names() if name != str(ROOT / "__init__.py") else {}
                found.extend((node.lineno, handed.get(n, [n]), [n]) for n in names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pagesight" and len(parts) > 1:
                    found.append((node.lineno, parts[1:], []))
    return found


def area(parts) -> str:
    """Where in api/ a module stands: one of the faces, or the wiring."""
    return parts[1] if len(parts) > 1 and parts[1] in FACES else "wiring"


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


def test_the_wiring_imports_no_face_and_a_face_another_only_to_start_it():
    wrong = []
    for path in package_files("api"):
        here = path.relative_to(ROOT).parts
        mine = area(here)
        for line, parts, names in targets_in(path.read_text(), here[:-1], str(path)):
            theirs = area(parts) if parts[0] == "api" else None
            if theirs in (None, "wiring", mine):
                continue
            entry = STARTS.get(mine, {}).get(theirs)
            if entry is None or not names or not set(names) <= entry:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({mine}) imports {'.'.join(parts)} {names}")
    assert not wrong, "the faces are apart from the wiring and from each other:\n" + "\n".join(wrong)


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


def test_a_name_taken_from_the_root_is_an_import_of_its_folder():
    """`from .. import PageSight` inside retrieve/ imports api (the root takes PageSight from it)."""
    assert {n: root_names()[n][0] for n in ("PageSight", "ServerClient", "Backend", "open_backend")} == dict.fromkeys(
        ("PageSight", "ServerClient", "Backend", "open_backend"), "api")
    assert [t for _, t in imports_in("from .. import PageSight\n", ("retrieve",))] == ["api"]
    assert [t for _, t in imports_in("from pagesight import ServerClient\n", ("generate",))] == ["api"]
    lines = [(parts, names) for _, parts, names in targets_in("from ..server.app import create_app\n", ("api", "cli"))]
    assert lines == [(["api", "server", "app"], ["create_app"])] and area(lines[0][0]) == "server"
    (bare,) = targets_in("from .. import server\n", ("api", "mcp"))
    assert area(bare[1]) == "server"  # a face's folder imported whole is that face
