"""The report's nomogram figures, logistic or Cox: drawn by the engine(s) of ``report.nomogram``.

``rms`` (the default): rms's drawing, the native one instead without R (``--no-r``) or when
rms fails; ``native``: the native drawing only; ``both``: rms's first, the native one beside it
(the same points table). Each drawing is saved as ``<stem>.png`` and ``.pdf`` in the work folder
at its printed (journal column) width; the native one by the run's figure writer (a child
process) where there is one, so an error saving it stops the outputs, not this stage.
"""

from __future__ import annotations

from ._context import Context
from ._layout import layout

__all__ = ["draw_nomograms", "engine_text", "native_only_note"]


def draw_nomograms(ctx: Context, fit, stem: str, **kw) -> tuple[list[tuple[str, object, str]], str]:
    """The model's nomogram(s): [(engine, Nomogram, stem)], and why rms did not draw it ("" when
    it did, or was not asked). ``kw`` goes to :func:`hccstats.nomogram`."""
    from hccstats.nomograms import nomogram

    out, error = [], ""
    engine = layout(ctx)["nomogram"]
    if ctx.options.use_r and engine != "native":
        try:
            nm = nomogram(fit, engine="r", **kw)
            r_stem = f"{stem}_rms" if engine == "both" else stem
            nm.save(ctx.work / r_stem, formats=("png", "pdf"))
            out.append(("r", nm, r_stem))
        except Exception as exc:  # rms missing or failing: the native drawing only, with a note
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    if not out or engine == "both":
        nm = nomogram(fit, engine="python", **kw)
        if ctx.writer is None:
            nm.save(ctx.work / stem, formats=("png", "pdf"))
        else:  # saved while the run goes on; the files are waited for before the outputs
            ctx.writer.call(nm.save, ctx.work / stem, ("png", "pdf"))
        out.append(("python", nm, stem))
    return out, error


def engine_text(engine: str, n_drawn: int) -> str:
    """How one panel was drawn, for its caption."""
    if engine == "r":
        return "drawn by rms (R)"
    if n_drawn > 1:
        return "drawn natively by hccstats (the same points as rms)"
    return "drawn natively by hccstats"


def native_only_note(ctx: Context, display: str, drawn, r_error: str) -> str:
    """The note when rms was asked for but only the native drawing exists ("" otherwise)."""
    if drawn[0][0] != "python" or layout(ctx)["nomogram"] == "native":
        return ""
    why = (
        "the R cross-check is off (--no-r)"
        if not ctx.options.use_r
        else f"rms could not draw it ({r_error})"
    )
    return f"{display}: drawn natively by hccstats only; {why}."


def place_nomograms(ctx: Context, section, display: str, what: str, drawn, r_error: str) -> dict:
    """One figure number for a model's drawings (panels a and b with both engines), the
    native-only note where it applies; returns results.json's entry: the engines and figures
    drawn and the points of the first drawing. ``what`` is the caption's text before the
    engine ("Clinical nomogram (age, sex)")."""
    number = ctx.next_figure()
    panels = "ab" if len(drawn) > 1 else [""]
    for panel, (engine, _nm, fig_stem) in zip(panels, drawn):
        section.figure(
            fig_stem,
            ctx.work / f"{fig_stem}.png",
            caption=f"{number}{panel} {what}; {engine_text(engine, len(drawn))}",
        )
    note = native_only_note(ctx, display, drawn, r_error)
    if note:
        section.text(note, "note")
    return {
        "engines": [e for e, _, _ in drawn],
        "figures": [s for _, _, s in drawn],
        "points": drawn[0][1].points,
    }
