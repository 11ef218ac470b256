"""methods.md: the generated methods paragraph (every method, test, setting, seed, software version)."""

from __future__ import annotations

from ._context import Context


def methods_markdown(ctx: Context) -> str:
    lines = [f"# Methods — {ctx.study.name}", ""]
    for text in ctx.methods.values():
        lines.append(text)
        lines.append("")
    sw = ", ".join(f"{k} {v}" for k, v in sorted(ctx.software.items()))
    if sw:
        lines += [f"Software: {sw}.", ""]
    return "\n".join(lines)
