"""The import direction of docs/architecture.md, read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The modules ``path`` imports (relative imports resolved; ``from a import b`` counts as
    ``a.b`` as well as ``a``, since ``b`` may be a module); inside functions too unless
    ``top_level_only``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_extract_modules_import_no_cycle():
    """No two modules of ``extract`` import each other, directly or through others, even
    inside functions (lazy imports included): what two need lives in a third."""
    files = {_module_name(p): p for p in (ROOT / "extract").glob("*.py")}
    graph = {
        name: {m for m in _imports(path, top_level_only=False) if m in files and m != name}
        for name, path in files.items()
    }
    assert "extract.pipeline" in graph["extract.cluster"]  # relative imports are resolved
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def _hccstats_modules(*, leave_out: tuple[str, ...]) -> dict[str, Path]:
    files = {_module_name(p): p for p in (ROOT / "hccstats").rglob("*.py")}
    return {
        name: path
        for name, path in files.items()
        if not any(name == m or name.startswith(m + ".") for m in leave_out)
    }


def test_statistics_modules_draw_nothing():
    """Drawing lives in hccstats.plots (and the nomograms' in hccstats.nomograms): no other
    module of the library imports matplotlib, even inside a function."""
    modules = _hccstats_modules(
        leave_out=("hccstats.plots", "hccstats.nomograms", "hccstats.report")
    )
    assert "hccstats.survival._km" in modules and "hccstats._partial" in modules
    drawing = {
        name: sorted(
            m for m in _imports(path, top_level_only=False) if m.split(".")[0] == "matplotlib"
        )
        for name, path in modules.items()
    }
    assert {name: m for name, m in drawing.items() if m} == {}


LEAVES = ("hccstats.formatting", "hccstats.figure_size")
PROJECT = {"hccstats", "reports", "extract"}


def test_statistics_never_import_the_renderer_at_module_level():
    """hccstats' modules (but the report package, which renders) import ``reports`` only
    inside a function, on use (``TableOne.to_docx``): the rules for showing numbers and
    sizing figures, which both need, live in leaf modules."""
    modules = _hccstats_modules(leave_out=("hccstats.report",))
    assert "hccstats.baseline._view" in modules
    renderer = {
        name: sorted(m for m in _imports(path, top_level_only=True) if m.split(".")[0] == "reports")
        for name, path in modules.items()
    }
    assert {name: m for name, m in renderer.items() if m} == {}


def test_the_renderer_imports_only_the_leaf_modules_of_hccstats_which_import_nothing():
    """``reports`` knows no statistics: of hccstats it imports the formatting and figure-size
    rules only, and those import nothing of the project."""
    used = {
        path.name: sorted(
            m
            for m in _imports(path, top_level_only=False)
            if m.split(".")[0] == "hccstats" and m != "hccstats"
        )
        for path in (ROOT / "reports").glob("*.py")
    }
    others = {
        m
        for found in used.values()
        for m in found
        if not any(m == leaf or m.startswith(leaf + ".") for leaf in LEAVES)
    }
    assert others == set(), used
    assert used["formatting.py"] and used["figures.py"]  # the checks see their imports
    for leaf in LEAVES:
        path = ROOT / (leaf.replace(".", "/") + ".py")
        own = {m for m in _imports(path, top_level_only=False) if m.split(".")[0] in PROJECT}
        assert own == set(), (leaf, own)
