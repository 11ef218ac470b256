"""A cohort's features, in this process (:mod:`extract.pipeline`: patients in parallel worker
processes, VGG19 in batches, resumable) or as shards on a Dask cluster
(:mod:`extract.cluster`); both check their inputs with :mod:`extract.run_setup`.
"""

from __future__ import annotations

from .run_setup import Summary

__all__ = ["run_study", "Summary"]


def run_study(
    study_yaml, out_dir, *, scheduler: str | None = None, shards: int | None = None, **options
) -> Summary:
    """Extract the deep features of every patient of a study.

    Reads ``images:`` (and the patient ids of ``clinical:``) from ``study_yaml``;
    writes ``<out_dir>/<phase>.parquet`` (``patient_id`` + 1472 float32 columns)
    and ``<out_dir>/manifest.json``.  With ``shard="i/n"`` only every n-th patient
    (from the i-th) is done, into ``<out_dir>/shards/i-of-n/``; join the shards
    with :func:`extract.merge_shards`.  The run's keywords (all below but ``scheduler``,
    ``shards`` and the settings) are :func:`extract.pipeline.run_local`'s, with its defaults.

    Parameters
    ----------
    study_yaml : path
    out_dir : path
        Created if needed; refused if it holds a different run's features.
    weights : path, optional
        torchvision's VGG19 file; default: the one in ``$TORCH_HOME/hub/checkpoints``.
    random_weights : bool
        Seeded random weights (``seed``) instead: tests and the demo.
    device, dtype, channels_last, batch_size
        CNN stage: ``"cpu"``/``"cuda"``, ``"fp32"``/``"bf16"``/``"fp16"`` (autocast),
        memory format, images per forward pass.
    jobs : int
        Worker processes preparing patients (joblib; 1 = in this process).
    quiet : bool
        No progress bar on stderr.
    threads : int, optional
        torch threads of the CNN stage on CPU (default: torch's own choice).
    itk_threads : int, optional
        ITK threads of the preprocessing (N4's fit sums per thread, so the count changes
        the features' last bits; recorded in the manifest's ``runtime``).  Default: ITK's
        (the cores) with ``jobs=1``, 1 in each worker process with ``jobs > 1``.
    patients : list of str, optional
        The patient ids to extract (e.g. those a study includes); default every
        id of the clinical file.
    scheduler : str, optional
        A Dask scheduler's address (``tcp://head:8786``): the run's ``shards`` are
        Dask tasks on its workers, then merged into ``out_dir``
        (:func:`extract.cluster.run_on_cluster`).
    shards : int, optional
        With ``scheduler``: how many shards (default: the count already in
        ``out_dir/shards``, else one per worker thread, at least one per 100 patients).
    **options
        :class:`extract.config.Settings`: ``size`` (224), ``margin``, ``n4``,
        ``n4_shrink``, ``n4_iterations``, ``percentiles``, ``components``,
        ``resample_mask``, ``tumour_label`` (default the study's) …

    Returns
    -------
    Summary
        A patient that fails is in ``summary.failures`` with the reason; the
        others are extracted.

    Raises
    ------
    ExtractError
        Bad study file, weights, settings or output folder (nothing is extracted).

    Examples
    --------
    >>> s = run_study("study.yaml", "features", random_weights=True, size=64, jobs=2)  # doctest: +SKIP
    >>> s.n_failed
    0
    """
    if scheduler is not None or shards is not None:
        from .cluster import run_on_cluster

        return run_on_cluster(study_yaml, out_dir, scheduler, shards=shards, **options)
    from .pipeline import run_local

    return run_local(study_yaml, out_dir, **options)
