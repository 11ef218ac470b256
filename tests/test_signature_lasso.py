"""The search's LASSO (warm-started L1 logistic path) against liblinear, which solves the
same objective (``|b| + ||w||_1 + C * sum log-loss``, intercept penalised).

Reference: scikit-learn's ``LogisticRegression(penalty="l1", solver="liblinear")`` run to a
tolerance of 1e-10 (the search used liblinear at 1e-4 before). The objective values agree to
1e-9 relative where liblinear converges (C up to ~20 on these data; at larger C separable
folds make both solvers crawl and neither is used); the cross-validated choice of C agrees
with scikit-learn's ``LogisticRegressionCV`` as the search configured it, and the
probabilities to liblinear's own tolerance (1e-3).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold

from hccstats import InputError
from hccstats._jit import HAVE_NUMBA
from hccstats.signature import make_classifier
from hccstats.signature._lasso import L1LogisticCV, l1_logistic_path, neg_log_loss

CS = np.logspace(-4, 4, 10)


def _data(seed, n=104, p=10, shift=0.8):
    """Search-like: min-max scaled columns, correlated, 28 % events, two informative."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.28).astype(int)
    F = rng.normal(size=(n, 3))
    X = F @ rng.normal(size=(3, p)) / 2 + rng.normal(size=(n, p))
    X[:, :2] += shift * y[:, None]
    X = (X - X.min(axis=0)) / np.ptp(X, axis=0)
    return X, y


def _objective(beta, X, y, C):
    eta = X @ beta[:-1] + beta[-1]
    return np.abs(beta).sum() + C * np.logaddexp(0, -np.where(y == 1, 1, -1) * eta).sum()


def _liblinear(X, y, C):
    m = LogisticRegression(
        C=C, l1_ratio=1.0, solver="liblinear", tol=1e-10, max_iter=100_000, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(X, y)
    return np.r_[m.coef_[0], m.intercept_]


@pytest.mark.parametrize("seed", range(4))
def test_path_reaches_liblinear_optimum(seed):
    X, y = _data(seed, p=5 + 5 * seed)
    coefs, _ = l1_logistic_path(X, y, CS[:7])  # C up to 21.5
    for c, C in enumerate(CS[:7]):
        ref = _liblinear(X, y, C)
        f, fref = _objective(coefs[c], X, y, C), _objective(ref, X, y, C)
        assert f <= fref * (1 + 1e-9), (C, f, fref)
        np.testing.assert_allclose(coefs[c], ref, atol=1e-4 * max(1, np.abs(ref).max()))
        assert (coefs[c] == 0).sum() == (np.abs(ref) < 1e-8).sum()  # the same zeros


def test_warm_start_and_cold_start_agree():
    X, y = _data(11, p=20)
    path, _ = l1_logistic_path(X, y, CS)
    for c in (3, 5, 6):
        cold, _ = l1_logistic_path(X, y, CS[c : c + 1])
        np.testing.assert_allclose(path[c], cold[0], atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_cv_choice_and_probabilities_as_liblinear_cv(seed):
    X, y = _data(20 + seed, n=130, p=5 * (seed + 1))
    Xt, _ = _data(40 + seed, n=60, p=5 * (seed + 1))
    ref = LogisticRegressionCV(
        Cs=10,
        l1_ratios=(1.0,),
        solver="liblinear",
        cv=StratifiedKFold(3, shuffle=True, random_state=seed),
        scoring="neg_log_loss",
        max_iter=1000,
        random_state=seed,
        use_legacy_attributes=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y)
    ours = make_classifier("lasso", seed).fit(X, y)
    assert isinstance(ours, L1LogisticCV)
    assert ours.C_ == pytest.approx(float(np.ravel(ref.C_)[0]), rel=1e-12)
    np.testing.assert_allclose(ours.Cs_, ref.Cs_)
    # liblinear's scores at its tolerance: the same to ~1e-3 where C is not huge
    np.testing.assert_allclose(ours.scores_[:, :7], np.squeeze(ref.scores_)[:, :7], atol=2e-3)
    np.testing.assert_allclose(ours.predict_proba(Xt), ref.predict_proba(Xt), atol=2e-3)
    assert (ours.predict(Xt) == ref.predict(Xt)).mean() > 0.95


def test_neg_log_loss_as_sklearn_scorer():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 50)
    p = rng.uniform(size=50)
    p[:3] = [0.0, 1.0, 1e-20]  # clipped as scikit-learn clips
    assert neg_log_loss(p, y) == pytest.approx(-log_loss(y, np.c_[1 - p, p]), rel=1e-12)


def test_labels_kept_and_one_class_refused():
    X, y = _data(2)
    lab = np.where(y == 1, "event", "none")
    m = L1LogisticCV(random_state=0).fit(X, lab)
    assert set(m.predict(X)) <= {"event", "none"} and list(m.classes_) == ["event", "none"]
    with pytest.raises(InputError, match="two classes"):
        L1LogisticCV().fit(X, np.zeros(len(y)))


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed: one path only")
def test_compiled_and_python_paths_same_numbers(tmp_path):
    # without numba the same loops run as Python (NUMBA_DISABLE_JIT gives that path here)
    import os
    import subprocess
    import sys

    X, y = _data(5, n=40, p=4)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    code = (
        "import numpy as np, sys; from hccstats.signature._lasso import l1_logistic_path; "
        "d = sys.argv[1]; c, _ = l1_logistic_path(np.load(d + '/X.npy'), np.load(d + '/y.npy'), "
        "np.logspace(-4, 4, 10)[:6]); np.save(d + '/py.npy', c)"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    compiled, _ = l1_logistic_path(X, y, CS[:6])
    np.testing.assert_allclose(compiled, np.load(tmp_path / "py.npy"), rtol=1e-12, atol=1e-14)
