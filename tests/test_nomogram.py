"""Nomograms: the native engine against rms (stored and live), both engines' files, scoring.

Oracles: ``rms::nomogram`` 6.5.0 (tests/reference/nomogram/make_reference.R, run with R 4.2.2;
its output is in make_reference.Rout), ``fit.predict_risk`` for scoring.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import _datasets
import numpy as np
import pandas as pd
import pytest

import hccstats
from hccstats import RNotAvailableError, lrm, nomogram, nomogram_score
from hccstats.nomograms import Nomogram, UnsupportedModelError

REF = Path(__file__).parent / "reference" / "nomogram"
# 1e-6 is the project's bound; the stored CSVs carry 15 significant digits and the fits agree to ~1e-12
TOL = 1e-6


def birthwt() -> pd.DataFrame:
    """MASS::birthwt's columns of make_reference.R's ``bw``: race and smoke labelled."""
    d = _datasets.birthwt_race_labelled()[["low", "age", "lwt", "race", "smoke", "ptl", "ht"]]
    d["smoke"] = pd.Categorical.from_codes(d["smoke"], ["no", "yes"])
    return d


def asah() -> pd.DataFrame:
    """pROC::aSAH's columns of make_reference.R's ``sah``: wfns unordered, ``y`` = Poor."""
    d = _datasets.asah()[["outcome", "gender", "age", "wfns", "s100b", "ndka"]]
    d["gender"] = pd.Categorical(d["gender"], categories=["Male", "Female"])
    d["wfns"] = pd.Categorical(d["wfns"].astype(str), categories=["1", "2", "3", "4", "5"])
    d["y"] = (d["outcome"] == "Poor").astype(int)
    return d


MODELS = {
    # name: (formula, data, nomogram kwargs) -- the calls of make_reference.R
    "birthwt": ("low ~ age + lwt + race + smoke + ptl + ht", birthwt, {}),
    "asah": ("y ~ age + gender + s100b + wfns", asah, {}),
    "asah_funat": (
        "y ~ ndka + s100b + gender",
        asah,
        {"fun_at": [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]},
    ),
    "asah_single": ("y ~ s100b", asah, {}),
}


def assert_tables_equal(ours: pd.DataFrame, ref: pd.DataFrame, tol: float = TOL) -> None:
    ours = ours.reset_index(drop=True)
    ref = ref.reset_index(drop=True)
    assert len(ours) == len(ref), (len(ours), len(ref))
    for col in ("variable", "axis", "kind", "value"):
        assert list(ours[col].fillna("").astype(str)) == list(ref[col].fillna("").astype(str)), col
    for col in ("x", "xbeta", "points"):
        a, b = ours[col].to_numpy(float), ref[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        ok = ~np.isnan(a)
        np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=tol, err_msg=col)


def read_reference(name: str) -> pd.DataFrame:
    text = {"variable": str, "axis": str, "kind": str, "value": str}
    return pd.read_csv(
        REF / f"{name}_points.csv",
        dtype=text,
        keep_default_na=False,
        na_values={"x": ["NA"], "xbeta": ["NA"], "points": ["NA"]},
    )


@pytest.fixture(scope="module")
def bw_fit():
    return lrm(MODELS["birthwt"][0], birthwt(), labels={"lwt": "Weight (lb)"})


@pytest.mark.parametrize("name", list(MODELS))
def test_points_table_against_rms_stored(name):
    formula, data, kwargs = MODELS[name]
    fit = lrm(formula, data())
    nom = nomogram(fit, engine="python", fun_label="Risk", **kwargs)
    ref = read_reference(name)
    assert_tables_equal(nom.points, ref)


def test_points_scale_invariants_against_rms_definition(bw_fit):
    # rms: the widest predictor spans 0..maxscale; every predictor starts at 0 points
    nom = nomogram(bw_fit, engine="python", maxscale=100)
    pts = nom.points[nom.points["kind"] == "predictor"].groupby("variable")["points"]
    assert pts.min().abs().max() < 1e-12
    assert abs(pts.max().max() - 100) < 1e-12
    # total points -> linear predictor is affine with slope 1/sc
    lp = nom.points[nom.points["kind"] == "linear_predictor"]
    np.testing.assert_allclose(
        nom.intercept + lp["points"] / nom.points_per_unit, lp["x"], atol=1e-12
    )


@pytest.mark.r
@pytest.mark.parametrize("name", ["birthwt", "asah", "asah_funat"])
def test_points_table_against_rms_live(name):
    from hccstats.rbridge.nomogram import rms_nomogram

    formula, data, kwargs = MODELS[name]
    d = data()
    fit = lrm(formula, d)
    py = nomogram(fit, engine="python", fun_label="Risk", **kwargs)
    r = rms_nomogram(formula, d, fun_label="Risk", **kwargs)
    assert_tables_equal(py.points, r["table"])
    assert py.points_per_unit == pytest.approx(r["sc"], abs=1e-9)
    assert py.intercept == pytest.approx(r["intercept"], abs=1e-9)


@pytest.mark.r
def test_r_engine_points_against_rms_stored(bw_fit):
    nom = nomogram(bw_fit, engine="r", fun_label="Risk", labels={"lwt": "lwt"})
    ref = read_reference("birthwt")
    assert_tables_equal(nom.points, ref)
    assert "Points per unit of linear predictor" in nom.r_print


@pytest.mark.parametrize("engine", ["python", pytest.param("r", marks=pytest.mark.r)])
def test_nomogram_score_against_predict_risk(engine):
    d = asah()
    fit = lrm("y ~ age + gender + s100b + wfns", d)
    nom = nomogram(fit, engine=engine)
    # new patients, some beyond the outer ticks (linear extrapolation)
    new = d.sample(40, random_state=1).copy()
    new.loc[new.index[:3], "s100b"] = [0.0, 3.1, 2.25]
    new.loc[new.index[3:5], "age"] = [5, 95]
    score = nomogram_score(nom, new)
    # rounding only: points are interpolated between ticks of linear terms
    np.testing.assert_allclose(score["risk"], fit.predict_risk(new), rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        score["linear_predictor"], fit.linear_predictor(new), rtol=0, atol=1e-10
    )
    assert list(score.columns) == [
        "age",
        "gender",
        "s100b",
        "wfns",
        "total_points",
        "linear_predictor",
        "risk",
    ]


def test_nomogram_score_rejects_unknown_level_and_missing_column(bw_fit):
    nom = nomogram(bw_fit, engine="python")
    bad = birthwt().head(3).astype({"race": object})
    bad.loc[bad.index[0], "race"] = "martian"
    with pytest.raises(hccstats.InputError, match="race"):
        nomogram_score(nom, bad)
    with pytest.raises(hccstats.InputError, match="'age'"):
        nomogram_score(nom, birthwt().drop(columns="age"))


@pytest.mark.parametrize(
    "formula, what",
    [
        ("low ~ age * lwt + smoke", "interaction 'age:lwt' of two continuous variables"),
        ("low ~ bs(lwt, df=4) + smoke", "term 'bs\\(lwt, df=4\\)' \\(the function 'bs'"),
        ("low ~ lwt + np.log(lwt) + smoke", "column 'lwt' enters two terms"),
    ],
)
def test_python_engine_says_what_it_does_not_support(formula, what):
    fit = lrm(formula, birthwt())
    with pytest.raises(UnsupportedModelError, match=what) as info:
        nomogram(fit, engine="python")
    assert "engine='r'" in str(info.value)


@pytest.mark.r
def test_r_engine_draws_interaction_and_spline():
    fit = lrm("low ~ age * smoke + lwt", birthwt())
    nom = nomogram(fit, engine="r")
    # rms draws one age axis per smoking level
    axes = set(nom.points.loc[nom.points["variable"] == "age", "axis"])
    assert len(axes) == 2
    spline = nomogram(
        lrm("low ~ lwt + smoke", birthwt()), engine="r", r_formula="low ~ rcs(lwt, 4) + smoke"
    )
    lwt = spline.points[spline.points["variable"] == "lwt"]
    steps = np.diff(lwt["points"].to_numpy())
    assert np.ptp(steps) > 0.5  # not linear in lwt


def test_r_engine_without_r_raises_one_clear_error(monkeypatch, bw_fit):
    from hccstats import rbridge

    def missing(*packages):
        raise RNotAvailableError("R package 'rms' is not installed")

    monkeypatch.setattr(rbridge, "require_r", missing)
    with pytest.raises(RNotAvailableError) as info:
        nomogram(bw_fit, engine="r")
    msg = str(info.value)
    assert "engine='python'" in msg and "r-cran-rms" in msg and "rpy2" in msg


@pytest.mark.r
def test_r_console_and_warnings_become_python_warnings():
    from hccstats.rbridge import RWarning
    from hccstats.rbridge.nomogram import rms_nomogram

    d = birthwt()
    d["const"] = 1.0  # datadist warns "const is constant"
    with pytest.warns(RWarning, match="constant"):
        rms_nomogram("low ~ age + smoke", d)


def test_axis_titles_from_study_variables(bw_fit):
    from types import SimpleNamespace as Variable

    variables = {
        "lwt": Variable(label="Weight", unit="lb"),
        "race": Variable(label="Race", unit=None),
    }
    nom = nomogram(bw_fit, engine="python", labels=variables)
    axes = dict(zip(nom.points["variable"], nom.points["axis"]))
    assert axes["lwt"] == "Weight (lb)" and axes["race"] == "Race" and axes["age"] == "age"
    ticks = [t.get_text() for t in nom.figure.axes[0].get_yticklabels()]
    assert ticks[:3] == ["Points", "age", "Weight (lb)"] and ticks[-3:] == [
        "Total Points",
        "Linear Predictor",
        "Risk",
    ]


@pytest.mark.parametrize("engine", ["python", pytest.param("r", marks=pytest.mark.r)])
def test_risk_axis_title_from_the_outcome_label_against_rms_funlabel(engine):
    """The risk axis is titled from the data: the outcome's label, else "Risk"; never a
    study-specific default. Engine "r" reads the title back from rms's own points table."""
    d = birthwt()
    plain = nomogram(lrm("low ~ age + smoke", d), engine=engine)
    labelled = nomogram(
        lrm("low ~ age + smoke", d, labels={"low": "Low birth weight"}), engine=engine
    )
    acronym = nomogram(lrm("low ~ age + smoke", d), engine=engine, labels={"low": "LBW"})
    for nom, title in (
        (plain, "Risk"),
        (labelled, "Risk of low birth weight"),
        (acronym, "Risk of LBW"),
    ):
        risk = nom.points[nom.points["kind"] == "risk"]
        assert nom.fun_label == title and set(risk["axis"]) == {title}
    assert "recurrence" not in " ".join(plain.points["axis"].astype(str))


def test_bad_engine_and_bad_fit():
    with pytest.raises(hccstats.InputError, match="engine"):
        nomogram(object(), engine="sas")
    with pytest.raises(hccstats.InputError, match="LogisticFit"):
        nomogram(object(), engine="python")


# -- files --------------------------------------------------------------------------------------


def check_png(path: Path, width_in: float) -> None:
    from PIL import Image

    with Image.open(path) as im:
        assert im.format == "PNG"
        assert abs(im.size[0] - width_in * 300) <= 2, im.size
        dpi = im.info.get("dpi")
        assert dpi is not None and abs(dpi[0] - 300) < 1, dpi
        arr = np.asarray(im.convert("L"), dtype=float)
    assert arr.std() > 10  # not blank
    assert (arr < 128).mean() > 0.005  # some ink


def check_pdf(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-")
    assert len(raw) > 3000
    assert len(re.findall(rb"/Type\s*/Page[^s]", raw)) == 1


def check_svg(path: Path, width_in: float) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    width = root.get("width")
    value = float(re.match(r"[\d.]+", width).group())
    assert abs(value - width_in * 72) < 1.5, width  # pt
    assert sum(1 for _ in root.iter()) > 50  # drawn elements


@pytest.mark.parametrize("engine", ["python", pytest.param("r", marks=pytest.mark.r)])
@pytest.mark.parametrize("width", ["double", "single"])
def test_nomogram_files_read_back(tmp_path, bw_fit, engine, width):
    nom = nomogram(bw_fit, engine=engine, width=width)
    paths = nom.save(tmp_path / f"nom_{engine}", formats=("png", "pdf", "svg"))
    assert [p.suffix for p in paths] == [".png", ".pdf", ".svg"]
    w = (17.5 if width == "double" else 8.5) / 2.54  # the printed widths, in inches
    check_png(paths[0], w)
    check_pdf(paths[1])
    check_svg(paths[2], w)
    assert isinstance(nom, Nomogram) and nom.figure is not None
    assert "Points per unit of linear predictor" in repr(nom)


@pytest.mark.r
def test_points_table_on_demo_study_against_rms_live(tmp_path):
    # the study loader's types: ordered pandas Categoricals (integer levels for tumour number),
    # labels with units from study.yaml
    from hccstats import demo, study

    s = study.load(demo.make_study(tmp_path, n=285, seed=2023, images=False))
    d = s.data[s.data["split"] == "training"]
    fit = lrm(f"{s.outcome} ~ ast + tumour_number + mvi", d, nan_policy="omit")
    py = nomogram(fit, engine="python", labels=s.variables)
    r = nomogram(fit, engine="r", labels=s.variables)
    assert_tables_equal(py.points, r.points)
    assert "AST (U/L)" in set(py.points["axis"])
    np.testing.assert_allclose(
        nomogram_score(r, fit.data)["risk"], fit.predict_risk(), rtol=0, atol=1e-10
    )


# -- ordinal scores shown by their level labels ------------------------------------------------

PTL_LABELS = {0: "none", 1: "one", 2: "two", 3: "three+"}


@pytest.mark.parametrize("engine", ["python", pytest.param("r", marks=pytest.mark.r)])
def test_value_labels_relabel_ticks_not_points_against_unlabelled(tmp_path, bw_fit, engine):
    # oracle: the same nomogram without labels; only the ptl tick labels may change
    # with an axis title: rms names the nomogram's elements by the variables' labels
    plain = nomogram(bw_fit, engine=engine, labels={"ptl": "Previous labours"})
    nom = nomogram(
        bw_fit, engine=engine, labels={"ptl": "Previous labours"}, value_labels={"ptl": PTL_LABELS}
    )
    ptl = nom.points["variable"] == "ptl"
    assert list(nom.points.loc[ptl, "value"]) == [
        PTL_LABELS[int(x)] for x in plain.points.loc[ptl, "x"]
    ]
    assert list(nom.points.loc[~ptl, "value"]) == list(plain.points.loc[~ptl, "value"])
    for col in ("x", "xbeta", "points"):
        np.testing.assert_array_equal(
            nom.points[col].to_numpy(float), plain.points[col].to_numpy(float)
        )
    # scoring still reads the numeric scores
    np.testing.assert_allclose(
        nomogram_score(nom, bw_fit.data)["risk"], bw_fit.predict_risk(), rtol=0, atol=1e-10
    )
    # the drawing shows the labels
    if engine == "python":
        texts = {t.get_text() for t in nom.figure.axes[0].texts}
        assert set(PTL_LABELS.values()) <= texts and "three+" not in {
            t.get_text() for t in plain.figure.axes[0].texts
        }
    else:
        from PIL import Image

        a, b = (
            np.asarray(Image.open(n.save(tmp_path / k, formats=("png",))[0]).convert("L"), float)
            for k, n in (("plain", plain), ("labelled", nom))
        )
        assert a.shape == b.shape
        # rms drew other tick labels on the ptl row only: the rows above it are the same pixels
        rows = np.flatnonzero(np.abs(a - b).sum(axis=1) > 0)
        assert rows.size > 0 and rows.min() > 0.45 * a.shape[0], rows[:5]


def test_value_labels_bad_keys_raise_input_error(bw_fit):
    with pytest.raises(hccstats.InputError, match="value_labels"):
        nomogram(bw_fit, engine="python", value_labels={"ptl": {"zero": "none"}})
    with pytest.raises(hccstats.InputError, match="value_labels"):
        nomogram(bw_fit, engine="python", value_labels={"ptl": ["none"]})


@pytest.mark.parametrize(
    "formula",
    ["low ~ age + lwt + race + smoke + ht", "low ~ age * smoke + log(lwt) + race"],
)
def test_axes_built_together_equal_axes_built_one_by_one_bit_for_bit(formula):
    from hccstats.nomograms._engine import _axis_frame, _lines, _predictors, _settings, _xbetas

    data = birthwt().astype({"age": float, "lwt": float, "ht": float})  # one column type each
    fit = lrm(formula, data)
    preds, inters = _predictors(fit)
    lines = _lines(fit, preds, inters, {})
    values = [_settings(line.pred, fit.data, 10)[0] for line in lines]
    frames = [_axis_frame(fit, line, v) for line, v in zip(lines, values)]
    assert len({tuple(f.dtypes) for f in frames}) == 1  # so every axis goes through patsy at once
    together = _xbetas(fit, lines, values)
    alone = [_xbetas(fit, [line], [v])[0] for line, v in zip(lines, values)]
    assert len(together) == len(lines) > 3
    for a, b in zip(together, alone):
        assert a.tobytes() == b.tobytes()
