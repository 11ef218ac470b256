"""List the functions whose bodies exceed a number of lines (default 60), longest first.

Usage: ``python scripts/long_functions.py [--max 60] [PATH ...]`` (default: hccstats, reports,
extract). The body counts from the first statement after the docstring to the function's last
line, blank and comment lines included; nested functions count in their parent and on their
own. Exit code 0; the count is printed last, so a change can be measured against it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the function's end."""
    body = node.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return node.end_lineno - body[0].lineno + 1


def long_functions(paths: list[Path], limit: int) -> list[tuple[int, str, int, str]]:
    """(body lines, file, line, qualified name) of every function longer than ``limit``."""
    found = []
    for path in paths:
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            found.extend(_walk(tree, file, limit, ""))
    return sorted(found, key=lambda row: (-row[0], row[1], row[2]))


def _walk(node: ast.AST, file: Path, limit: int, prefix: str):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef) and (n := body_lines(child)) > limit:
                yield n, _relative(file), child.lineno, name
            yield from _walk(child, file, limit, name + ".")
        else:
            yield from _walk(child, file, limit, prefix)


def _relative(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(ROOT))
    except ValueError:
        return str(file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--max", type=int, default=60, help="longest body allowed (lines)")
    args = parser.parse_args(argv)
    paths = args.paths or [ROOT / "hccstats", ROOT / "reports", ROOT / "extract"]
    rows = long_functions(paths, args.max)
    for n, file, line, name in rows:
        print(f"{n:4d}  {file}:{line}  {name}")
    print(f"{len(rows)} functions with bodies over {args.max} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
