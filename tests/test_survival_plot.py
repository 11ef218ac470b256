"""km_plot: a real figure written to disk, the risk table equal to the KM fit's numbers at risk."""

from __future__ import annotations

import numpy as np
import pytest

import hccstats as hs
from hccstats import InputError
from hccstats.plots import save_figure


def _data(n=120, seed=4):
    rng = np.random.default_rng(seed)
    g = rng.choice(["low", "high"], size=n)
    t = np.round(rng.exponential(np.where(g == "high", 10.0, 25.0)), 1) + 0.1
    e = (rng.uniform(size=n) < 0.75).astype(int)
    return t, e, g


def test_km_plot_risk_table_matches_survfit_at_risk(tmp_path):
    t, e, g = _data()
    fit = hs.survfit(t, e, group=g)
    fig = hs.km_plot(fit, risk_times=[0, 10, 20, 30], logrank=hs.survdiff(t, e, g))
    table_ax = fig.axes[1]
    shown = [float(txt.get_text()) for txt in table_ax.texts]
    expected = fit.at_risk([0, 10, 20, 30]).to_numpy().ravel()
    assert sorted(shown) == sorted(expected.tolist())
    # at time 0 everybody is at risk, and the counts never increase
    assert fit.at_risk([0.0]).to_numpy().ravel().tolist() == [
        float((g == k).sum()) for k in fit.curves
    ]
    assert np.all(np.diff(fit.at_risk([0, 10, 20, 30]).to_numpy(), axis=1) <= 0)
    assert any("Log-rank p" in txt.get_text() for txt in fig.axes[0].texts)
    paths = save_figure(fig, tmp_path / "km", formats=("png", "pdf"))
    assert all(p.stat().st_size > 1000 for p in paths)


def test_km_plot_rejects_other_objects():
    with pytest.raises(InputError, match="SurvFit"):
        hs.km_plot({"a": 1})
