"""An output folder against the inputs: never one that holds an input or lies inside one.

The one check behind ``--out`` of ``python -m extract`` and of ``python -m hccstats.report``
(:func:`reports.check_out_dir`): each raises its own error with the line this returns.
Paths only; nothing is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["input_clash", "inside", "template_folder"]


def template_folder(template: str) -> Path | None:
    """The fixed folder part of a path template (``images`` of ``images/{patient_id}/AP.nii.gz``),
    or None when there is none (the template starts in the study folder itself)."""
    head = template.split("{", 1)[0]
    folder = Path(head) if head.endswith(("/", "\\")) else Path(head).parent
    return None if str(folder) in ("", ".") else folder


def inside(child: Path, parent: Path) -> bool:
    """``child`` is ``parent`` or lies below it (both resolved)."""
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def input_clash(
    out: str | Path, protect: Iterable[str | Path] = (), within: Iterable[str | Path] = ()
) -> str | None:
    """Why ``out`` may not be written (one line), or None.

    ``out`` may not be or hold any path of ``protect`` (input files and folders), nor lie
    inside any folder of ``within`` (input folders: the images, a feature table's folder).

    >>> input_clash("study/images/out", within=["study/images"])  # doctest: +ELLIPSIS
    '--out .../study/images/out: lies inside the input folder .../study/images; choose another folder'
    """
    out = Path(out).expanduser().resolve()
    for p in dict.fromkeys(protect):
        p = Path(p).expanduser().resolve()
        if inside(p, out):
            return f"--out {out}: holds the input {p}; choose another folder"
    for p in dict.fromkeys(within):
        p = Path(p).expanduser().resolve()
        if inside(out, p):
            return f"--out {out}: lies inside the input folder {p}; choose another folder"
    return None
