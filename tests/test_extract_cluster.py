"""Extraction on a Dask cluster (``run_study(..., scheduler=...)``, ``--scheduler``) against the
one-process run, on a local cluster: two workers of one thread, seeded random weights, a small
synthetic NIfTI study of four patients, one of them with a phase missing."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("distributed")

import SimpleITK as sitk  # noqa: E402
from _dask import local_cluster  # noqa: E402

from extract import ExtractError, run_study  # noqa: E402
from extract.__main__ import main  # noqa: E402
from extract.cluster import run_on_cluster  # noqa: E402
from extract.synthetic import make_study, make_volume  # noqa: E402

# batch_size 3 = the three phases of one patient per forward pass in both runs: each
# patient's numbers then go through the same kernels whichever shard it is in
FAST = {
    "random_weights": True,
    "size": 32,
    "n4_shrink": 8,
    "n4_iterations": (10, 10),
    "batch_size": 3,
    "quiet": True,
}


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def study(tmp_path):
    yaml = make_study(tmp_path / "study", n=4, shape=(8, 48, 48), seed=3)
    (yaml.parent / "images" / "P003" / "PVP.nii.gz").unlink()  # fails in both runs
    return yaml


def test_cluster_tables_byte_identical_to_one_process_run(study, tmp_path):
    one = run_study(study, tmp_path / "one", **FAST)
    with local_cluster() as scheduler:
        dask = run_study(study, tmp_path / "dask", scheduler=scheduler, shards=2, **FAST)
        # run again: both shards finished, neither is sent; then one image rewritten
        again = run_study(study, tmp_path / "dask", scheduler=scheduler, **FAST)
        image = study.parent / "images" / "P004" / "AP.nii.gz"
        sitk.WriteImage(make_volume((8, 48, 48), rng=np.random.default_rng(9))[0], str(image))
        changed = run_study(study, tmp_path / "dask", scheduler=scheduler, **FAST)
        single = run_study(study, tmp_path / "one", **FAST)
    assert sorted(os.listdir(tmp_path / "dask" / "shards")) == ["1-of-2", "2-of-2"]
    for phase in ("AP", "PVP", "HBP"):
        # byte for byte the same parquet file, hence the same table
        assert _sha(dask.tables[phase]) == _sha(one.tables[phase])
        pd.testing.assert_frame_equal(
            pd.read_parquet(dask.tables[phase]),
            pd.read_parquet(one.tables[phase]),
            check_exact=True,
        )
    assert pd.read_parquet(one.tables["AP"])["patient_id"].tolist() == ["P001", "P002", "P004"]
    # the failed patient: the same reason, in the summary and in the manifest
    assert dask.failures == one.failures and list(one.failures) == ["P003"]
    assert "PVP" in one.failures["P003"]
    assert (dask.n_patients, dask.n_extracted, dask.n_failed) == (4, 3, 1)
    m_one, m_dask = (
        json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("one", "dask")
    )
    assert m_dask["failed"] == m_one["failed"]
    assert m_dask["patients"] == m_one["patients"]  # order, ROI, inputs' size and SHA-256
    assert m_dask["fingerprint"] == m_one["fingerprint"]
    assert m_dask["runtime"]["scheduler"] == scheduler and m_dask["runtime"]["shards"] == 2
    # N4 ran with the submitting process's number of ITK threads (its round-off depends on it)
    assert m_dask["runtime"]["itk_threads"] == m_one["runtime"]["itk_threads"] >= 1
    # the shard holding P003 has a failure: sent again (P003 retried, fails again, the other
    # patients from its cache); the complete shard is not sent
    assert (again.n_extracted, again.n_cached, again.n_failed) == (0, 3, 1)
    # P004 (shard 2 of 2: P002, P004) recomputed from its new image, the rest cached
    assert (changed.n_extracted, changed.n_changed, changed.n_cached) == (1, 1, 2)
    assert (single.n_extracted, single.n_changed) == (1, 1)
    for phase in ("AP", "PVP", "HBP"):
        assert _sha(changed.tables[phase]) == _sha(single.tables[phase])


def test_unreachable_scheduler_refused_naming_it(study, tmp_path):
    with pytest.raises(ExtractError, match=r"--scheduler tcp://127\.0\.0\.1:9: no Dask scheduler"):
        run_on_cluster(study, tmp_path / "f", "tcp://127.0.0.1:9", timeout=1, **FAST)
    assert not (tmp_path / "f").exists()  # nothing claimed, nothing extracted


def test_cli_shard_options_checked(study, tmp_path, capsys):
    base = ["--study", str(study), "--out", str(tmp_path / "f"), "--random-weights", "--quiet"]
    assert main([*base, "--shards", "2"]) == 2
    assert "--shards needs --scheduler" in capsys.readouterr().err
    assert main([*base, "--shard", "1/2", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--shard i/n" in capsys.readouterr().err
    assert main([*base, "--itk-threads", "0", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--itk-threads must be at least 1, not 0" in capsys.readouterr().err
    with local_cluster() as scheduler:
        assert main([*base, "--scheduler", scheduler, "--shards", "0"]) == 2
        assert "--shards must be a positive" in capsys.readouterr().err
        (tmp_path / "f" / "shards" / "1-of-3").mkdir(parents=True)
        assert main([*base, "--scheduler", scheduler, "--shards", "2"]) == 2
        err = capsys.readouterr().err
        assert "run in 3 shards; run with --shards 3" in err and err.count("\n") == 1
