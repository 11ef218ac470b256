"""``nomogram(fit)``: rms's nomogram of a logistic or Cox model, through R or natively; scoring."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.special import expit

from .._errors import InputError, RNotAvailableError
from .._names import columns_in, patsy_to_r, r_unquote
from ..plots import atomic_target, figure_width
from ._cox import cox_scale, event_risk_label, is_cox, survival_label
from ._draw import draw_nomogram, native_geometry
from ._engine import TABLE_COLUMNS, FunAxis, points_table
from ._ticks import risk_axis, risk_ticks

__all__ = ["Nomogram", "nomogram", "nomogram_score"]

R_INSTALL = (
    "engine='r' needs R with the rms package and rpy2 (Debian/Ubuntu: apt-get install r-base-core r-cran-rms; "
    "then pip install 'hccstats[r]'), or use engine='python' for the native nomogram"
)


@dataclass(frozen=True, eq=False)
class Nomogram:
    """A nomogram of a logistic or Cox model: rms's points table and its figure.

    Attributes
    ----------
    points : DataFrame
        One row per tick, columns ``variable, axis, kind, value, x, xbeta, points``: for
        ``kind == "predictor"`` the points of each predictor value (``xbeta`` its contribution
        to the linear predictor); ``"total_points"``, ``"linear_predictor"``, ``"risk"`` (and a
        Cox model's ``"survival"``) rows give the bottom axes, ``x`` the axis value and
        ``points`` its place on the total-points scale. Equal to ``print(rms::nomogram(...))`` unrounded.
    points_per_unit : float
        Points per unit of linear predictor (rms's ``sc``).
    intercept : float
        Linear predictor at 0 total points (rms's ``Intercept``).
    engine : {"r", "python"}
    fun_label : str
    figure : matplotlib Figure
        The native drawing (engine "python"), or the rms PNG shown in a Figure (engine "r").
    r_print : str
        R's ``print(nomogram)`` (engine "r" only).
    risk_geometry : dict
        Engine "r": the risk axis as rms drew it (label ``centre`` and ``width`` in inches,
        ``label``, ``inch_per_point``), from the drawing device.
    times : float or None
        A Cox model's horizon (its survival axis: ``kind == "survival"`` rows); None for a
        logistic model.
    baseline_survival : float or None
        A Cox model's survival by ``times`` at linear predictor 0 (rms's centre), so that
        survival = ``baseline_survival ** exp(linear predictor)``.
    """

    points: pd.DataFrame
    points_per_unit: float
    intercept: float
    engine: str
    fun_label: str
    maxscale: float = 100
    figure: Figure | None = None
    r_print: str = ""
    _r_files: dict = field(default_factory=dict, repr=False)
    _tmpdir: object = field(default=None, repr=False)
    risk_geometry: dict = field(default_factory=dict, repr=False)
    times: float | None = None
    baseline_survival: float | None = None

    @property
    def variables(self) -> list[str]:
        """Predictors in axis order."""
        rows = self.points[self.points["kind"] == "predictor"]
        return list(dict.fromkeys(rows["variable"]))

    def to_frame(self) -> pd.DataFrame:
        """The points table (a copy)."""
        return self.points.copy()

    def save(
        self,
        path_stem: str | os.PathLike,
        formats: Iterable[str] = ("png", "pdf", "svg"),
        dpi: int = 300,
    ) -> list[Path]:
        """Write the nomogram as ``<stem>.png`` (``dpi``), ``.pdf`` and ``.svg`` (vector); returns the paths.

        Engine "r" writes the files rms drew (PNG at 300 dpi); engine "python" the matplotlib figure.
        """
        formats = [str(f).lower().lstrip(".") for f in formats]
        if self.engine == "python":
            from ..plots import save_figure

            return save_figure(self.figure, path_stem, formats=formats, dpi=dpi)
        stem = Path(path_stem)
        stem.parent.mkdir(parents=True, exist_ok=True)
        out = []
        for fmt in formats:
            if fmt not in self._r_files:
                raise InputError(
                    f"formats: {fmt!r} was not drawn by rms (available: {sorted(self._r_files)})"
                )
            target = stem.parent / f"{stem.name}.{fmt}"
            with atomic_target(target) as tmp:
                shutil.copyfile(self._r_files[fmt], tmp)
            out.append(target)
        return out

    def __repr__(self) -> str:
        lines = [
            f"Nomogram ({'rms' if self.engine == 'r' else 'native'} engine)",
            f"Points per unit of linear predictor: {self.points_per_unit:.7g}",
            f"Linear predictor units per point   : {1 / self.points_per_unit:.7g}",
            "",
        ]
        for axis, rows in self.points.groupby("axis", sort=False):
            kind = rows["kind"].iloc[0]
            if kind == "predictor":
                lines.append(
                    rows[["value", "points"]]
                    .rename(columns={"value": axis, "points": "Points"})
                    .to_string(index=False, float_format=lambda v: f"{v:.0f}")
                )
            elif kind in ("risk", "survival"):
                lines.append(
                    rows[["points", "value"]]
                    .rename(columns={"points": "Total Points", "value": axis})
                    .to_string(index=False, float_format=lambda v: f"{v:.0f}")
                )
            else:
                continue
            lines.append("")
        return "\n".join(lines)


def _label_text(value) -> str:
    """A label string, or "Label (unit)" from a study Variable (anything with .label / .unit)."""
    if hasattr(value, "label"):
        unit = getattr(value, "unit", None)
        return f"{value.label} ({unit})" if unit else str(value.label)
    return str(value)


def _labels(fit, labels) -> dict[str, str]:
    out = dict(getattr(fit, "labels", None) or {})
    out.update(labels or {})
    return {str(k): _label_text(v) for k, v in out.items() if v is not None}


def risk_label(outcome_label: str | None) -> str:
    """The risk axis title: "Risk of <outcome label>" (first letter lower-cased unless the
    label starts with an acronym), or "Risk" without a label."""
    if not outcome_label:
        return "Risk"
    text = str(outcome_label).strip()
    if not (len(text) > 1 and text[:2].isupper()):
        text = text[:1].lower() + text[1:]
    return f"Risk of {text}"


_outcome_risk_label = risk_label  # for nomogram(), whose keyword risk_label shadows the name


# C(x) of one column (a name, or one in backticks) in R code
_C_OF_NAME = r"\bC\(\s*([A-Za-z_.][\w.]*|`(?:[^`\\]|\\.)*`)\s*\)"


def _r_formula(formula: str, data: pd.DataFrame) -> str:
    """patsy → R: ``Q('a b')`` → ```a b```, ``C(x)`` → ``x`` (x is sent as a factor),
    ``np.log`` → ``log``."""
    out = re.sub(_C_OF_NAME, r"\1", patsy_to_r(formula))
    out = re.sub(r"\bnp\.(log|exp|sqrt|log10|log2)\(", r"\1(", out)
    if re.search(r"\bC\(", out):
        raise InputError(
            f"formula {formula!r}: C(...) with options cannot go to R; pass r_formula="
        )
    return out


def _r_data(fit, formula: str) -> pd.DataFrame:
    data = fit.data
    d = data[columns_in(formula, data.columns)].copy()
    # factors given as C(x) in patsy: make them categorical so R gets a factor
    for m in re.finditer(_C_OF_NAME, patsy_to_r(str(fit.formula))):
        col = r_unquote(m.group(1))
        if col in d.columns and not isinstance(d[col].dtype, pd.CategoricalDtype):
            d[col] = pd.Categorical(d[col])
    return d


def nomogram(
    fit,
    engine: str = "r",
    *,
    times: float | None = None,
    fun_label: str | None = None,
    fun_at: Sequence[float] | str | None = None,
    lp_at: Sequence[float] | None = None,
    maxscale: float = 100,
    nint: int = 10,
    labels: dict[str, str] | None = None,
    width: float | str = "double",
    r_formula: str | None = None,
    show_lp: bool = True,
    value_labels: dict[str, dict] | None = None,
    unit: str | None = None,
    risk: bool = False,
    risk_label: str | None = None,
) -> Nomogram:
    """Nomogram of a logistic or Cox model, as ``rms::nomogram`` computes and draws it.

    R equivalent (logistic model)::

        dd <- datadist(data); options(datadist = "dd")
        f <- lrm(formula, data = data)
        plot(nomogram(f, fun = plogis, funlabel = "Risk of <outcome label>"))

    R equivalent (Cox model, ``times = 5``)::

        f <- cph(Surv(time, status) ~ ..., data = data, x = TRUE, y = TRUE, surv = TRUE)
        surv <- Survival(f)
        plot(nomogram(f, fun = function(lp) surv(5, lp), funlabel = "5-year survival probability"))

    Parameters
    ----------
    fit : LogisticFit or CoxFit
        From :func:`hccstats.lrm` or :func:`hccstats.coxph` (uses ``formula``, ``data``,
        ``coef``, ``design_info``, ``labels``).
    engine : {"r", "python"}
        ``"r"`` refits the model with rms (``lrm``, or ``cph`` with ``surv = TRUE``) through
        rpy2 and draws rms's own plot (PNG at 300 dpi, PDF, SVG); interactions work.
        ``"python"`` computes the same points natively (equal to rms's to 1e-6) and draws with
        matplotlib; a term of one column (``rcs(x, 4)``, ``pol(x, 2)``, ``log(x)``,
        ``sqrt(x)``) is one axis with its values placed at their points, as rms draws it (an
        axis that turns back has its labels below, then above, at each turn); a variable that
        interacts with discrete variables (factors, numbers with at most 10 values) gets one
        axis per value of them, as rms's; an interaction of two continuous variables (rms
        needs ``interact=``) raises :class:`UnsupportedModelError`.
    times : float
        A Cox model's horizon (required for a CoxFit, refused for a logistic model): the bottom
        axis is the survival probability by ``times``, ``S0(times)^exp(lp)`` (rms's
        ``Survival(fit)``), placed as rms places it.
    fun_label : str, optional
        Title of the bottom (risk or survival) axis. Default: for a logistic model "Risk of
        <the outcome's label>" when ``labels`` or ``fit.labels`` label the outcome column (e.g.
        ``{"low": "Low birth weight"}`` gives "Risk of low birth weight"), else "Risk"; for a
        Cox model "5-year survival probability" (``unit="years"``), "Survival probability at 5"
        without ``unit``.
    fun_at, lp_at : sequence of float, optional
        Risk (survival) and linear-predictor ticks (rms's ``fun.at``, ``lp.at``); by default
        ``pretty`` values over the observed range, as rms chooses them. ``fun_at="auto"``
        chooses the ticks from the drawn axis length so that no two labels overlap (coarse
        ``pretty`` values first, then finer ones and the tails 0.01/0.99, 0.05/0.95, each kept
        only where its label clears its neighbours; :func:`hccstats.nomograms.risk_ticks`).
    maxscale, nint : rms's ``maxscale`` (points of the widest predictor) and ``nint`` (tick count).
    labels : dict, optional
        Axis titles per variable (override ``fit.labels``), e.g. ``{"ast": "AST (U/L)"}``; the
        study's ``study.variables`` works as is (label and unit: "AST (U/L)").
    r_formula : str, optional
        The R formula for engine "r" when the patsy formula cannot be translated.
    value_labels : dict, optional
        Tick labels of numeric predictors, ``{variable: {value: label}}``: an ordinal variable
        entered as scores shows its levels (``{"bclc": {1: "0", 2: "A", 3: "B"}}`` puts "0", "A",
        "B" at the scores 1, 2, 3). Only the labels change (the ``value`` column of the points
        table); ``x`` and the points stay numeric, so scoring uses the scores. Both engines.
    unit : str, optional
        A Cox model's time unit ("years", "months") for the default axis titles.
    risk, risk_label : bool, str
        A Cox model: also draw the risk of the event by ``times`` (1 − survival) under the
        survival axis, titled ``risk_label`` (default "Risk of the event by 5 years").

    Returns
    -------
    Nomogram

    Raises
    ------
    RNotAvailableError
        ``engine="r"`` without R, rpy2 or rms (the message says how to install them).

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi", d)
    >>> nom = hs.nomogram(fit, engine="python")
    >>> [str(p) for p in nom.save("figures/nomogram")]
    ['figures/nomogram.png', 'figures/nomogram.pdf', 'figures/nomogram.svg']
    >>> hs.nomogram_score(nom, d.head(3)).round(3)  # e.g. the validation patients
        age     mvi  total_points  linear_predictor   risk
    0  50.0   0.000        50.000            -0.712  0.329
    1  56.0   0.000        56.000            -0.426  0.395
    2  44.0  19.823        63.823            -0.053  0.487
    """
    if engine not in ("r", "python"):
        raise InputError(f"engine: expected 'r' or 'python', got {engine!r}")
    for name in ("formula", "data", "coef"):
        if not hasattr(fit, name):
            raise InputError(
                f"fit: expected a LogisticFit (hccstats.lrm) or a CoxFit (hccstats.coxph), it "
                f"has no .{name}"
            )
    cox = is_cox(fit)
    if cox and times is None:
        raise InputError("times: a Cox model's nomogram needs the horizon (times=5, say)")
    if not cox and (times is not None or risk):
        raise InputError("times, risk: only for a Cox model (a logistic model's axis is its risk)")
    labels = _labels(fit, labels)
    scale = cox_scale(fit, times) if cox else None
    if fun_label is None:
        fun_label = (
            survival_label(scale.times, unit)
            if cox
            else _outcome_risk_label(labels.pop(str(getattr(fit, "outcome", "")), None))
        )
    if cox and risk_label is None:
        risk_label = event_risk_label(scale.times, unit)
    for name, text in (("fun_label", fun_label), ("risk_label", risk_label if risk else "x")):
        if not isinstance(text, str) or not text:
            raise InputError(f"{name} must be a non-empty string")
    value_labels = _value_labels(value_labels)
    if isinstance(fun_at, str) and fun_at != "auto":
        raise InputError(f"fun_at: a sequence of risks, None or 'auto', got {fun_at!r}")
    spec = _ModelSpec(fit, scale, fun_label, risk_label if risk else None)
    if engine == "python":
        return _native_nomogram(
            spec,
            fun_at=fun_at,
            lp_at=lp_at,
            maxscale=maxscale,
            nint=nint,
            labels=labels,
            width=width,
            show_lp=show_lp,
            value_labels=value_labels,
        )
    return _r_nomogram(
        spec,
        fun_at=fun_at,
        lp_at=lp_at,
        maxscale=maxscale,
        nint=nint,
        labels=labels,
        width=width,
        r_formula=r_formula,
        value_labels=value_labels,
    )


@dataclass(frozen=True)
class _ModelSpec:
    """A fit and its bottom axes: the logistic risk, or a Cox model's survival (and risk)."""

    fit: object
    scale: object  # CoxScale, None for a logistic model
    fun_label: str
    risk_label: str | None = None  # a Cox model's risk axis, None: not drawn

    @property
    def cox(self) -> bool:
        return self.scale is not None

    def funs(self, ats: list) -> list[FunAxis]:
        """The function axes, with their ticks ``ats`` (one entry per axis, None: rms's)."""
        if not self.cox:
            return [FunAxis(self.fun_label, "risk", expit, ats[0])]
        out = [FunAxis(self.fun_label, "survival", self.scale.survival, ats[0])]
        if self.risk_label:
            out.append(FunAxis(self.risk_label, "risk", self.scale.risk, ats[1]))
        return out

    def ticks(self, fun_at) -> list:
        """``fun_at`` (the first axis's ticks) as one entry per function axis."""
        return [fun_at] + ([None] if self.cox and self.risk_label else [])

    def beta0_lp(self) -> tuple[float, np.ndarray]:
        if self.cox:
            return self.scale.beta0, self.scale.lp
        return float(self.fit.coef["Intercept"]), self.fit.linear_predictor()

    def auto_ticks(self, table, sc, intercept, inch_per_point, fontsize) -> list:
        """Ticks of each function axis as drawn whose labels do not overlap
        (:func:`~._ticks.risk_ticks`; each value's link to the linear predictor)."""
        total = table.loc[table["kind"] == "total_points", "x"].to_numpy(float)
        axis_in = inch_per_point * float(total.max())
        if not self.cox:
            return [risk_ticks(risk_axis(table, sc, intercept, axis_in), fontsize)]
        log_s0 = np.log(self.scale.s0)
        links = [(lambda s: np.log(np.log(s) / log_s0), self.scale.survival)]
        if self.risk_label:
            links.append((lambda r: np.log(np.log1p(-r) / log_s0), self.scale.risk))
        return [
            risk_ticks(risk_axis(table, sc, intercept, axis_in, link, inverse), fontsize)
            for link, inverse in links
        ]

    def finish(self, table: pd.DataFrame) -> dict:
        """Nomogram fields of the model."""
        if not self.cox:
            return {}
        return {"times": self.scale.times, "baseline_survival": self.scale.s0}


def _native_nomogram(
    spec: _ModelSpec, *, fun_at, lp_at, maxscale, nint, labels, width, show_lp, value_labels
) -> Nomogram:
    beta0, lp = spec.beta0_lp()
    common = dict(beta0=beta0, lp=lp, lp_at=lp_at, maxscale=maxscale, nint=nint, labels=labels)
    ats = spec.ticks(None if isinstance(fun_at, str) else fun_at)
    if isinstance(fun_at, str):  # "auto": measure the axes as drawn, then choose
        table, sc, intercept = points_table(spec.fit, funs=spec.funs(ats), **common)
        inch_per_point, fontsize = native_geometry(table, width, show_lp)
        ats = spec.auto_ticks(table, sc, intercept, inch_per_point, fontsize)
    table, sc, intercept = points_table(spec.fit, funs=spec.funs(ats), **common)
    table = relabel_values(table, value_labels)
    fig = draw_nomogram(table, maxscale=maxscale, nint=nint, width=width, show_lp=show_lp)
    return Nomogram(
        table, sc, intercept, "python", spec.fun_label, maxscale, fig, **spec.finish(table)
    )


def _value_labels(value_labels) -> dict[str, dict[float, str]]:
    if value_labels is None:
        return {}
    if not isinstance(value_labels, dict):
        raise InputError(
            f"value_labels: expected a dict {{variable: {{value: label}}}}, got {type(value_labels).__name__}"
        )
    out = {}
    for var, mapping in value_labels.items():
        if not isinstance(mapping, dict):
            raise InputError(
                f"value_labels[{var!r}]: expected a dict {{value: label}}, got {type(mapping).__name__}"
            )
        try:
            out[str(var)] = {float(k): str(v) for k, v in mapping.items()}
        except (TypeError, ValueError):
            raise InputError(
                f"value_labels[{var!r}]: the keys must be the numeric values (scores) of the variable"
            ) from None
    return out


def relabel_values(table: pd.DataFrame, value_labels: dict[str, dict[float, str]]) -> pd.DataFrame:
    """The points table with the tick labels of ``value_labels`` (values without a label keep theirs)."""
    if not value_labels:
        return table
    table = table.copy()
    for var, mapping in value_labels.items():
        rows = (table["kind"] == "predictor") & (table["variable"] == var)
        table.loc[rows, "value"] = [
            mapping.get(float(x), v) if np.isfinite(x) else v
            for x, v in zip(table.loc[rows, "x"], table.loc[rows, "value"])
        ]
    return table


def _require_rms() -> None:
    try:
        from ..rbridge import require_r

        require_r("rms")
    except RNotAvailableError as exc:
        raise RNotAvailableError(f"{R_INSTALL} ({exc})") from None


def _r_common(spec: _ModelSpec, data, *, labels, lp_at, maxscale, nint, width) -> dict:
    """The arguments of every ``rms_nomogram`` call of one nomogram: labels, scales, and the
    left margin (``xfrac``) wide enough for the longest axis title."""
    from ..rbridge.nomogram import R_POINTSIZE

    w = figure_width(width)
    r_labels = {k: v for k, v in labels.items() if k in data.columns}
    fun_labels = [spec.fun_label] + ([spec.risk_label] if spec.risk_label else [])
    titles = [*fun_labels, "Linear Predictor", "Total Points", *r_labels.values(), *data.columns]
    pointsize = R_POINTSIZE
    title_in = 0.56 * max(len(t) for t in titles) * pointsize * 0.85 / 72 + 0.2  # rough text width
    xfrac = title_in / max(w - title_in, 0.5)
    return dict(
        labels=r_labels,
        fun_label=fun_labels,
        lp_at=lp_at,
        maxscale=maxscale,
        nint=nint,
        width=float(w),
        xfrac=xfrac,
        pointsize=pointsize,
        times=spec.scale.times if spec.cox else None,
        ties=getattr(spec.fit, "ties", "efron"),
    )


def _r_fun_at(spec: _ModelSpec, fun_at, formula, data, common: dict):
    """The function-axis ticks: given, the defaults, or (``"auto"``) chosen from the axes as
    rms draws them in a first call."""
    from ..rbridge.nomogram import AXIS_CEX, rms_nomogram

    ats = spec.ticks(None if isinstance(fun_at, str) else fun_at)
    if isinstance(fun_at, str):  # "auto": measure the axes as rms draws them, then choose
        first = rms_nomogram(formula, data, **common)
        geom = first["risk_geometry"]
        ats = spec.auto_ticks(
            first["table"], first["sc"], first["intercept"], geom["inch_per_point"],
            AXIS_CEX * common["pointsize"],
        )  # fmt: skip
    return ats


def _r_nomogram(
    spec: _ModelSpec, *, fun_at, lp_at, maxscale, nint, labels, width, r_formula, value_labels
) -> Nomogram:
    _require_rms()
    from ..rbridge.nomogram import rms_nomogram

    fit = spec.fit
    if getattr(fit, "firth", False):
        warnings.warn(
            "engine='r' refits the model by maximum likelihood with rms::lrm; the Firth estimates "
            "are not used (use engine='python')",
            UserWarning,
            stacklevel=3,
        )
    formula = r_formula or _r_formula(str(fit.formula), fit.data)
    data = _r_data(fit, formula)
    tmp = tempfile.TemporaryDirectory(prefix="hccstats-nomogram-")
    files = {fmt: os.path.join(tmp.name, f"nomogram.{fmt}") for fmt in ("png", "pdf", "svg")}
    common = _r_common(
        spec, data, labels=labels, lp_at=lp_at, maxscale=maxscale, nint=nint, width=width
    )
    res = rms_nomogram(
        formula,
        data,
        fun_at=_r_fun_at(spec, fun_at, formula, data, common),
        files=files,
        value_labels={k: v for k, v in value_labels.items() if k in data.columns},
        **common,
    )
    table = relabel_values(res["table"][TABLE_COLUMNS], value_labels)
    if spec.cox:  # rms's function axes: the survival one first, then the risk
        table.loc[(table["kind"] == "risk") & (table["axis"] == spec.fun_label), "kind"] = (
            "survival"
        )
    fig = _png_figure(files["png"])
    return Nomogram(
        table,
        res["sc"],
        res["intercept"],
        "r",
        spec.fun_label,
        maxscale,
        fig,
        res["printed"],
        files,
        tmp,
        risk_geometry=res["risk_geometry"],
        **spec.finish(table),
    )


def _png_figure(path: str) -> Figure:
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    h, w = img.shape[:2]
    fig = Figure(figsize=(w / 300, h / 300), dpi=300)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(img)
    ax.axis("off")
    return fig


def nomogram_score(nomogram: Nomogram, new_data: pd.DataFrame) -> pd.DataFrame:
    """Points and risk of new patients read off the nomogram (what a clinician does on paper).

    Each predictor's points are interpolated linearly between its ticks (exact for linear terms,
    extrapolated linearly beyond the outer ticks); factor levels are looked up. Total points
    give the linear predictor ``intercept + total / points_per_unit`` and the risk ``plogis`` of
    it, equal to ``fit.predict_risk(new_data)``; for a Cox model the survival by the horizon
    ``baseline_survival ** exp(lp)`` and the risk ``1 - survival``, equal to
    ``fit.predict_risk(new_data, times=nomogram.times)``.

    R equivalent: ``nomogramFormula::points_cal`` / reading ``print(nomogram)`` by hand.

    Returns
    -------
    DataFrame
        Index of ``new_data``; one column of points per predictor, then ``total_points``,
        ``linear_predictor`` (a Cox model: ``survival``) and ``risk``.

    Examples
    --------
    >>> import hccstats as hs
    >>> from hccstats.demo import example_cohort
    >>> d = example_cohort()  # 200 simulated patients
    >>> fit = hs.lrm("recurrence ~ age + mvi", d)
    >>> nom = hs.nomogram(fit, engine="python")
    >>> nomogram_score(nom, d.head(2))[["total_points", "risk"]].round(3)
       total_points   risk
    0          50.0  0.329
    1          56.0  0.395
    """
    if not isinstance(nomogram, Nomogram):
        raise InputError(f"nomogram: expected a Nomogram, got {type(nomogram).__name__}")
    if not isinstance(new_data, pd.DataFrame):
        raise InputError(f"new_data: expected a pandas DataFrame, got {type(new_data).__name__}")
    preds = nomogram.points[nomogram.points["kind"] == "predictor"]
    out = pd.DataFrame(index=new_data.index)
    for var, rows in preds.groupby("variable", sort=False):
        if rows["axis"].nunique() > 1:
            raise InputError(
                f"nomogram_score: {var!r} has several axes (an interaction); score with fit.predict_risk"
            )
        if var not in new_data.columns:
            raise InputError(f"new_data: column {var!r} (a predictor of the nomogram) is missing")
        out[var] = _score_variable(var, rows, new_data[var])
    total = out.sum(axis=1).to_numpy(float) if len(out.columns) else np.zeros(len(new_data))
    out["total_points"] = total
    out["linear_predictor"] = nomogram.intercept + total / nomogram.points_per_unit
    lp = out["linear_predictor"].to_numpy(float)
    if nomogram.baseline_survival is None:
        out["risk"] = expit(lp)
    else:  # a Cox model: survival by the horizon, and the risk of the event by then
        out["survival"] = nomogram.baseline_survival ** np.exp(lp)
        out["risk"] = 1.0 - out["survival"]
    return out


def _score_variable(var: str, rows: pd.DataFrame, values: pd.Series) -> np.ndarray:
    x = rows["x"].to_numpy(float)
    pts = rows["points"].to_numpy(float)
    if np.isfinite(x).all():
        v = pd.to_numeric(values, errors="coerce").to_numpy(float)
        if np.isnan(v).any():
            first = values.index[np.isnan(v)][0]
            raise InputError(
                f"new_data: column {var!r} has a missing or non-numeric value (row {first!r})"
            )
        order = np.argsort(x)
        x, pts = x[order], pts[order]
        if x.size == 1:
            return np.full(v.size, pts[0])
        i = np.clip(np.searchsorted(x, v, side="right") - 1, 0, x.size - 2)
        return pts[i] + (v - x[i]) * (pts[i + 1] - pts[i]) / (x[i + 1] - x[i])
    lookup = dict(zip(rows["value"].astype(str), pts))
    text = values.astype(str).to_numpy()
    unknown = [t for t in text if t not in lookup]
    if unknown:
        raise InputError(
            f"new_data: column {var!r} has level {unknown[0]!r}, not one of {list(lookup)}"
        )
    return np.array([lookup[t] for t in text], float)
