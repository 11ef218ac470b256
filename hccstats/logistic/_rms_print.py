"""A logistic fit printed as ``print(rms::lrm(...))`` prints it.

The statistics block has the four columns rms prints (observations, the likelihood-ratio test,
the discrimination indexes, the rank discrimination indexes), each cell a name followed by its
value, laid out as rms lays them out; the coefficient table follows (Coef and S.E. to 4
decimals, Wald Z to 2, Pr(>|Z|) to 4 with "<0.0001" below that). Factor columns read as rms
names them (``race=black``).
"""

from __future__ import annotations

import math
import re

import numpy as np

from .._names import unquote_name

__all__ = ["rms_print", "format_fixed", "format_p", "rms_term_name"]

_LEVEL = re.compile(r"^(?P<var>.+)\[T\.(?P<level>.+)\]$")


def rms_term_name(column: str) -> str:
    """A design column as rms names it: ``race[T.black]`` -> ``race=black``; ``Q('a b')`` -> ``a b``."""
    m = _LEVEL.match(column)
    if m:
        return f"{unquote_name(m['var'])}={m['level']}"
    return unquote_name(column)


def format_fixed(values, digits: int) -> list[str]:
    """R's ``format(round(x, digits), nsmall = digits)``: fixed decimals, right-aligned to one width."""
    cells = [
        "" if not np.isfinite(v) else f"{round(float(v), digits) + 0.0:.{digits}f}" for v in values
    ]
    width = max((len(c) for c in cells), default=0)
    return [c.rjust(width) if c else "" for c in cells]


def format_p(values, digits: int = 4) -> list[str]:
    """P values as rms prints them: fixed ``digits`` decimals, "<0.0001" below ``10**-digits``."""
    cells = format_fixed(values, digits)
    small = "<0." + "0" * (digits - 1) + "1"
    return [small if np.isfinite(v) and v < 10.0**-digits else c for v, c in zip(values, cells)]


def _format_one_signif(x: float) -> str:
    """R's ``format(signif(x, 1), scientific = 1)`` for a positive number."""
    if not np.isfinite(x):
        return "NA"
    if x == 0:
        return "0"
    x = float(f"{x:.0e}")
    exp = math.floor(math.log10(abs(x)))
    fixed = f"{x:.{max(-exp, 0)}f}"
    mant, e = f"{x:.0e}".split("e")
    sci = f"{mant}e{e[0]}{abs(int(e)):02d}"
    return fixed if len(fixed) <= len(sci) + 1 else sci


def _column(cells: list[tuple[str, str]], label: str) -> tuple[list[str], list[str]]:
    """Header lines and cell lines of one statistics column (rms's ``prStats`` layout)."""
    width = max(len(line) for line in label.split("\n"))
    last = cells[-1][0]  # rms sizes the column by the last name and each value
    for _, value in cells:
        width = max(width, 1 + len(last) + len(value))
    head = []
    for line in label.split("\n"):
        pad = (width - len(line)) / 2
        head.append((" " * math.floor(pad) if pad > 0.5 else "") + line)
    body = [name + " " * max(width - len(value) - len(name), 0) + value for name, value in cells]
    return head, body


def _stats_block(columns: list[tuple[str, list[tuple[str, str]]]]) -> list[str]:
    built = [_column(cells, label) for label, cells in columns]
    n_head = max(len(h) for h, _ in built)
    n_body = max(len(b) for _, b in built)
    widths = [max(len(x) for x in (*h, *b)) for h, b in built]
    lines = []
    for part, n in ((0, n_head), (1, n_body)):
        for i in range(n):
            row = ""
            for (h, b), w in zip(built, widths):
                cell = (h, b)[part]
                row += (cell[i] if i < len(cell) else "").rjust(w) + "    "
            lines.append(row)
    return lines


def _coef_block(names: list[str], coef, se) -> list[str]:
    coef, se = np.asarray(coef, float), np.asarray(se, float)
    z = coef / se
    from scipy import stats as sps

    p = sps.chi2.sf(z**2, 1)
    cols = {
        "Coef": format_fixed(coef, 4),
        "S.E.": format_fixed(se, 4),
        "Wald Z": format_fixed(z, 2),
        "Pr(>|Z|)": format_p(p, 4),
    }
    rn = max(len(n) for n in names)
    widths = {h: max(len(h), *(len(c) for c in cells)) for h, cells in cols.items()}
    lines = [" " * rn + " " + " ".join(h.ljust(widths[h]) for h in cols)]
    for i, name in enumerate(names):
        lines.append(name.ljust(rn) + " " + " ".join(cols[h][i].ljust(widths[h]) for h in cols))
    return lines


def _formula_order(fit) -> list[str]:
    """Design columns in the order of the formula's terms (R's order; patsy puts factors first)."""
    import patsy

    try:
        terms = [t.name() for t in patsy.ModelDesc.from_formula(fit.formula).rhs_termlist]
    except patsy.PatsyError:
        return list(fit.coef.index)
    cols = [c for t in terms for c in fit.term_columns.get(t, [])]
    rest = [c for c in fit.coef.index if c not in cols]
    return rest[:1] + cols + rest[1:] if rest and rest[0] == "Intercept" else rest + cols


def rms_print(fit, *, levels: tuple[str, str] = ("0", "1")) -> str:
    """The text ``print(lrm(...))`` shows for ``fit`` (a LogisticFit)."""
    s = fit.stats
    k, n, neff = s["df"], s["n"], s["n_eff"]
    title = "Logistic Regression Model" + (" (Firth penalised likelihood)" if fit.firth else "")
    misc = [
        ("Obs", str(n)),
        (" " + levels[0], str(n - s["events"])),
        (" " + levels[1], str(s["events"])),
        ("max |deriv|", _format_one_signif(s["max_deriv"])),
    ]
    lr = list(
        zip(
            ("LR chi2", "d.f.", "Pr(> chi2)"),
            [
                format_fixed([s["lr_chi2"]], 2)[0],
                str(k),
                format_p([s["p"]], 4)[0],
            ],
        )
    )
    neff_txt = f"{neff:.1f}".rstrip("0").rstrip(".")
    disc_vals = format_fixed([s["R2"], s["R2_adj_n"], s["R2_adj_neff"], s["Brier"]], 3)
    disc = list(zip(("R2", f"R2({k},{n})", f"R2({k},{neff_txt})", "Brier"), disc_vals))
    rank_vals = format_fixed([s["C_rms"], s["Dxy_rms"], s["gamma_rms"], s["tau_a_rms"]], 3)
    rank = list(zip(("C", "Dxy", "gamma", "tau-a"), rank_vals))
    lines = [title, "", f"lrm(formula = {fit.formula})", ""]
    lines += _stats_block(
        [
            ("", misc),
            ("Model Likelihood\nRatio Test", lr),
            ("Discrimination\nIndexes", disc),
            ("Rank Discrim.\nIndexes", rank),
        ]
    )
    order = _formula_order(fit)
    names = [rms_term_name(c) for c in order]
    coef, se = fit.coef[order].to_numpy(), fit.se[order].to_numpy()
    lines += ["", *_coef_block(names, coef, se), ""]
    if s.get("n_omitted"):
        lines.append(f"{s['n_omitted']} row(s) omitted for missing values")
    if fit.separation is not None:
        lines.append(f"{fit.separation.kind} separation by {', '.join(fit.separation.columns)}")
    return "\n".join(lines)
