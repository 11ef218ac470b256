"""univariate_cox (one Cox model per predictor) against survival::coxph on survival::lung:
hazard ratios (per 1, per 10 years, per SD), Wald limits, Wald and likelihood-ratio p values,
n and events with missing values omitted model by model; not-estimable predictors as rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hccstats as hs
from hccstats import InputError
from tests._survival_data import lung

# one coxph per predictor: log HR, Wald limits (log scale), Wald p, LR p, n, events per column
R_SCREEN = """library(survival)
ctl <- coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100)
d$sex <- factor(d$sex); d$ecog <- factor(d$ecog); d$grp <- factor(d$grp)
one <- function(x) {
  f <- coxph(as.formula(paste("Surv(time, death) ~", x)), data = d, control = ctl)
  s <- summary(f)
  cbind(coef(f), log(s$conf.int[, 3:4, drop = FALSE]), s$coefficients[, "Pr(>|z|)"],
        s$logtest["pvalue"], f$n, f$nevent)
}
list(table = do.call(rbind, lapply(c("age", "sex", "ecog", "wt_loss"), one)),
     sd = sd(d$wt_loss, na.rm = TRUE),
     monotone = suppressWarnings(summary(coxph(Surv(time, death) ~ grp, data = d,
                                               control = ctl))$logtest[c("test", "pvalue")]))
"""


@pytest.fixture(scope="module")
def data():
    d = lung()
    grp = np.where(d["sex"] == 1, "a", "b").astype(object)
    grp[np.flatnonzero(d["death"] == 0)[:6]] = "c"  # a level without events
    return pd.DataFrame(
        {
            "time": d["time"],
            "death": d["death"],
            "age": d["age"],
            "sex": np.where(d["sex"] == 1, "male", "female"),
            "ecog": d["ph_ecog"].astype(int).astype(str),
            "wt_loss": d["wt_loss"],
            "grp": grp,
        }
    )


@pytest.mark.r
@pytest.mark.parametrize("test", ["wald", "lr"])
def test_univariate_cox_against_r_coxph_one_predictor_at_a_time(data, test):
    from hccstats.rbridge import run

    r = run(R_SCREEN, d=data)
    u = hs.univariate_cox(
        data,
        "time",
        "death",
        ["age", "sex", "ecog", "wt_loss"],
        per={"age": 10, "wt_loss": "sd"},
        test=test,
        nan_policy="omit",
    ).to_frame()
    tab = np.asarray(r["table"], float)
    per = np.array(
        [10, 1, 1, 1, 1, float(np.asarray(r["sd"]).ravel()[0])]
    )  # age, sex, ecog 1-3, wt
    assert list(u["term"]) == [
        "age", "sex[T.male]", "ecog[T.1]", "ecog[T.2]", "ecog[T.3]", "wt_loss",
    ]  # fmt: skip
    # R's fits at eps 1e-14; ours converge to ~1e-12 relative in the coefficients
    np.testing.assert_allclose(np.log(u["estimate"]), tab[:, 0] * per, rtol=1e-8)
    np.testing.assert_allclose(np.log(u["ci_low"]), tab[:, 1] * per, rtol=1e-8)
    np.testing.assert_allclose(np.log(u["ci_high"]), tab[:, 2] * per, rtol=1e-8)
    np.testing.assert_allclose(u["p_value"], tab[:, 3 if test == "wald" else 4], rtol=1e-7)
    np.testing.assert_array_equal(u[["n", "events"]].to_numpy(), tab[:, 5:7])
    assert u["n"].iloc[-1] < len(data)  # wt_loss's missing rows omitted in its model only
    assert list(u["reference"][1:5]) == ["female", "0", "0", "0"]
    assert u["reason"].isna().all()


@pytest.mark.r
def test_level_without_events_is_a_row_with_the_lr_p_of_r(data):
    from hccstats.rbridge import run

    r = run(R_SCREEN, d=data)
    u = hs.univariate_cox(data, "time", "death", ["grp"], test="lr").to_frame()
    c = u.set_index("level").loc["c"]
    assert np.isnan(c["estimate"]) and "monotone likelihood" in c["reason"]
    # the likelihood ratio converges although the coefficient diverges: R and Python stop at
    # different points along the ridge, so 1e-6
    np.testing.assert_allclose(c["p_value"], np.asarray(r["monotone"]).ravel()[1], rtol=1e-6)
    b = u.set_index("level").loc["b"]
    assert np.isfinite(b["estimate"]) and b["reason"] is None


def test_not_estimable_predictors_are_rows_with_a_reason(data):
    d = data.assign(
        constant=1.0,
        empty=np.nan,
        censored_only=np.where(data["death"] == 1, np.nan, data["age"]),
    )
    u = hs.univariate_cox(
        d, "time", "death", ["constant", "empty", "censored_only", "age"], nan_policy="omit"
    ).to_frame()
    reasons = dict(zip(u["predictor"], u["reason"]))
    assert reasons["constant"].startswith("constant (1.0)")
    assert reasons["empty"] == "no non-missing value"
    assert reasons["censored_only"].startswith("no events in the")
    assert reasons["age"] is None and np.isfinite(u["estimate"].iloc[-1])
    # n and events count the rows where the predictor is known, estimable or not
    assert u[["n", "events"]].to_numpy().tolist()[:3] == [[227, 164], [0, 0], [63, 0]]
    assert "not estimable" in repr(hs.univariate_cox(d, "time", "death", ["constant"]))


def test_per_scales_the_log_hazard_ratio(data):
    one = hs.univariate_cox(data, "time", "death", ["age"]).to_frame()
    ten = hs.univariate_cox(data, "time", "death", ["age"], per=10).to_frame()
    np.testing.assert_allclose(ten["estimate"], one["estimate"] ** 10, rtol=1e-12)
    np.testing.assert_allclose(ten["p_value"], one["p_value"], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"predictors": ["nope"]}, "column 'nope' not in data"),
        ({"predictors": ["time"]}, "cannot be a predictor"),
        ({"predictors": ["wt_loss"]}, "column 'wt_loss': .* missing value"),
        ({"test": "score"}, "test: expected"),
        ({"per": {"other": 2}}, "not among the predictors"),
        ({"per": "iqr"}, "expected a number or 'sd'"),
        ({"conf_level": 2}, "conf_level"),
    ],
)
def test_bad_input_raises_input_error(data, kwargs, message):
    args = {"predictors": ["age"], **kwargs}
    with pytest.raises(InputError, match=message):
        hs.univariate_cox(data, "time", "death", **args)


def test_missing_time_raises_unless_omitted(data):
    d = data.copy()
    d.loc[3, "time"] = np.nan
    with pytest.raises(InputError, match=r"missing time or event in 1 row\(s\), first \[3\]"):
        hs.univariate_cox(d, "time", "death", ["age"])
    u = hs.univariate_cox(d, "time", "death", ["age"], nan_policy="omit").to_frame()
    assert int(u["n"].iloc[0]) == len(d) - 1
