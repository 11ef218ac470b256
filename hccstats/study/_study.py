"""The Study object and :func:`load`: every table read and validated once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from extract.screening import screen

from .._errors import InputError, listed
from ._config import Variable, read_config
from ._guards import check_horizon, check_sets_have_both_classes
from ._split import flow_table, random_split
from ._tables import (
    check_header,
    check_unique,
    level_key,
    level_keys,
    read_table,
    require_columns,
    rows_text,
    typed_column,
)
from ._tree import Analysis, build_analysis

__all__ = ["Study", "load"]


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: typed data of the included patients, split, readers, images.

    Made by :func:`hccstats.study.load`; see docs/study-file.md for the file it reads.

    Attributes
    ----------
    root : Path
        Folder of study.yaml; every path in the file is relative to it.
    path : Path
        The study.yaml file.
    config : dict
        The validated, normalised study.yaml (variables as :class:`Variable`).
    data : DataFrame
        One row per included patient, index = patient id (str, named as the id column).
        Continuous variables float64 (NaN = missing); categorical, ordinal and binary
        variables ordered pandas Categoricals (first level = reference); the outcome as
        int 0/1 (1 = the positive level) named as in the file; the centre column
        (Categorical); ``split`` with values "training"/"validation".
    outcome : str
        Outcome column name. ``outcome_label``: its label.
    center : str or None
        Centre column name.
    variables : dict[str, Variable]
        Declared clinical variables in file order.
    readers : DataFrame or None
        Long reader table (id column, reader, session, features) of the included patients.
    reader_features : dict[str, Variable]
        Declared reader features ({} without readers).
    flow : DataFrame
        Patient flow: columns step (screened/excluded/included/training/validation),
        center ("All" or a centre), n, reason (exclusion reason, "" otherwise).
    excluded : DataFrame
        Screened-out patients: index = patient id, columns center, reason.
    missing : Series
        Missing-value count per declared variable among the included patients.
    analysis : Analysis
        Every setting of the analysis (the run seed, bootstrap, screening, models, survival,
        extraction, report layout), each with where it came from; see
        :class:`hccstats.study.Analysis`.
    survival : dict or None
        ``{"time", "event", "horizon"}`` (and ``label``, ``unit`` when given) from the study
        file's ``survival:`` section; the two columns are in ``data`` (time as float, event as
        0/1 int).
    survival_data : DataFrame or None
        With ``survival:``, the patients of the time-to-event analysis: those of ``data`` and
        those excluded only for a missing binary outcome whose time and event are given
        (their outcome ``<NA>``; the binary outcome as nullable ``Int64``), each with its
        ``split`` (one split of them all, so every patient of ``data`` has the same set here).
    """

    root: Path
    path: Path
    config: dict
    data: pd.DataFrame
    outcome: str
    outcome_label: str
    center: str | None
    variables: dict[str, Variable]
    readers: pd.DataFrame | None
    reader_features: dict[str, Variable]
    flow: pd.DataFrame
    excluded: pd.DataFrame
    missing: pd.Series
    analysis: Analysis
    survival: dict | None = None
    survival_data: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.config["name"]

    @property
    def id_column(self) -> str:
        return self.config["clinical"]["id"]

    @property
    def split(self) -> pd.Series:
        return self.data["split"]

    @property
    def training(self) -> pd.DataFrame:
        return self.data[self.data["split"] == "training"]

    @property
    def validation(self) -> pd.DataFrame:
        return self.data[self.data["split"] == "validation"]

    @property
    def labels(self) -> dict[str, str]:
        """Variable name -> "label (unit)" (outcome included), for tables and figures."""
        out = {name: v.display for name, v in self.variables.items()}
        out[self.outcome] = self.outcome_label
        return out

    @property
    def split_spec(self) -> dict:
        """The split as the study file gives it: ``{"method": "column", "column", "training",
        "validation"}`` or ``{"method": "random", "ratio", "stratify", "seed"}`` (its seed is
        ``analysis.split_seed``)."""
        return self.config["split"]

    @property
    def reader_spec(self) -> dict | None:
        """The ``readers:`` section (file, id, reader, session, features), None without one."""
        return self.config["readers"]

    @property
    def has_images(self) -> bool:
        """Whether the study file has an ``images:`` section."""
        return bool(self.config["images"])

    @property
    def has_features(self) -> bool:
        """Whether the study has images or a ``features:`` section (deep features)."""
        return bool(self.config["images"] or self.config["features"])

    @property
    def survival_only(self) -> bool:
        """Whether the study's only endpoint is time to the event (``survival:`` without
        ``outcome:``): its models are Cox models."""
        return self.config.get("endpoint") == "survival"

    @property
    def phases(self) -> list[str]:
        images = self.config["images"]
        if images:
            return list(images["phases"])
        feats = self.config["features"]
        return list(feats["phases"] or []) if feats else []

    def image_paths(self, patient_id: Any) -> dict[str, Path]:
        """{phase: image file} of one patient ({} without an images section)."""
        images = self.config["images"]
        if not images:
            return {}
        pid = str(patient_id)
        return {p: self.root / t.format(patient_id=pid) for p, t in images["phases"].items()}

    def mask_paths(self, patient_id: Any) -> dict[str, Path]:
        """{phase: mask file} of one patient (the same file for every phase with one mask)."""
        images = self.config["images"]
        if not images:
            return {}
        pid = str(patient_id)
        return {p: self.root / t.format(patient_id=pid) for p, t in images["mask"].items()}

    @property
    def tumour_label(self) -> int:
        images = self.config["images"]
        return images["tumour_label"] if images else 1

    @property
    def features_dir(self) -> Path | None:
        feats = self.config["features"]
        return self.root / feats["dir"] if feats else None

    def feature_tables(self) -> dict[str, pd.DataFrame]:
        """{phase: DataFrame} of deep features, read from ``<features.dir>/<phase>.parquet``.

        Each table is indexed by patient id (str, named as the study's id column) in the
        order of ``data``, with only the numeric feature columns. Returns {} when there is
        no features section or its folder does not exist yet. InputError for a table
        without ``patient_id``, with non-numeric columns, or lacking included patients.
        """
        folder = self.features_dir
        if folder is None or not folder.is_dir():
            return {}
        phases = self.config["features"]["phases"] or sorted(
            p.stem for p in folder.glob("*.parquet")
        )
        out: dict[str, pd.DataFrame] = {}
        for phase in phases:
            out[phase] = self._feature_table(folder / f"{phase}.parquet")
        return out

    def _feature_table(self, path: Path) -> pd.DataFrame:
        if not path.is_file():
            raise InputError(f"{path}: feature table not found")
        import pyarrow.parquet as pq

        check_header([str(n) for n in pq.read_schema(path).names], path.name)
        table = pd.read_parquet(path)
        require_columns(table, ["patient_id"], path.name)
        table = table.assign(patient_id=table["patient_id"].astype(str))
        check_unique(table.reset_index(drop=True), ["patient_id"], path.name, "patient_id")
        table = table.set_index("patient_id")
        bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
        if bad:
            raise InputError(f"{path.name}: column {bad[0]!r}: text in a numeric feature column")
        lacking = self.data.index.difference(table.index)
        if len(lacking):
            raise InputError(
                f"{path.name}: column 'patient_id': {len(lacking)} included patient(s) have no "
                f"features: [{listed(lacking)}]"
            )
        out = table.loc[self.data.index].astype("float64")
        out.index.name = self.id_column
        return out

    def input_paths(self) -> tuple[list[Path], list[Path]]:
        """What the study reads: (files, folders).

        Files: study.yaml, the clinical and readers tables. Folders: the features folder,
        the fixed folder part of every image and mask template (``images/`` of
        ``images/{patient_id}/AP.nii.gz``, unless that is the study folder itself) and the
        folder of each included patient's image and mask files. An output folder must hold
        none of them and lie inside none of the folders.
        """
        cfg = self.config
        files = [self.path, self.root / cfg["clinical"]["file"]]
        if cfg["readers"]:
            files.append(self.root / cfg["readers"]["file"])
        folders: list[Path] = []
        if self.features_dir is not None:
            folders.append(self.features_dir)
        images = cfg["images"]
        if images:
            for tmpl in (*images["phases"].values(), *images["mask"].values()):
                fixed = Path(tmpl.split("{", 1)[0])
                head = fixed if tmpl.split("{", 1)[0].endswith(("/", "\\")) else fixed.parent
                if str(head) not in ("", "."):
                    folders.append(self.root / head)
            for pid in self.data.index:
                for p in (*self.image_paths(pid).values(), *self.mask_paths(pid).values()):
                    if p.parent != self.root:
                        folders.append(p.parent)
        return files, list(dict.fromkeys(folders))

    def __repr__(self) -> str:
        n = len(self.data)
        events = int(self.data[self.outcome].sum())
        parts = self.data["split"].value_counts()
        return (
            f"Study {self.name!r} ({self.root})\n"
            f"  {n} patients included, {len(self.excluded)} excluded; "
            f"{self.outcome}: {events} events ({events / max(n, 1):.1%})\n"
            f"  split: {int(parts.get('training', 0))} training / "
            f"{int(parts.get('validation', 0))} validation\n"
            f"  {len(self.variables)} variables, "
            f"{'readers: ' + str(len(self.reader_features)) + ' features' if self.readers is not None else 'no readers'}, "
            f"phases: {', '.join(self.phases) or 'none'}"
        )


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    check_images: bool = True,
    defaults: Mapping[str, Any] | None = None,
) -> Study:
    """Read and validate a study.yaml and its tables once; returns a :class:`Study`.

    Raises :class:`hccstats.InputError` with one line naming the file, column and rows
    for a missing file or column, a non-binary outcome, duplicate patient IDs, patients
    in one table and not another, text in a numeric column, an unknown variable type or
    level, a bad split specification, or a setting refused (an override, two spellings of
    one setting, an extraction value extract refuses). Missing values are counted
    (``Study.missing``) and kept; patients screened out (:func:`extract.screening.screen`:
    the ``clinical.exclude`` column, a missing outcome) are listed in ``Study.flow`` and
    ``Study.excluded``.

    R equivalent: ``read.csv(file, na.strings = c("", "NA"))`` with ``factor(x, levels = ...)``
    per declared variable, and a stratified split as ``caret::createDataPartition(y, p = 0.7)``
    (a different random stream: the same seed does not give R's partition).

    Parameters
    ----------
    path : str or Path
        The study.yaml file (docs/study-file.md).
    overrides : mapping, optional
        The run's options (the command line), winning over the study file: ``seed`` (the
        run seed; the split keeps ``split.seed`` when the file gives one), ``scheduler``,
        and any key of ``analysis:``.
    check_images : bool
        Check that every included patient's image and mask files exist.
    defaults : mapping, optional
        ``analysis:`` keys replacing the schema's defaults (the demo's quick extraction).

    Returns
    -------
    Study
        With ``analysis``, the frozen :class:`~hccstats.study.Analysis` tree of every setting
        and where it came from.

    Examples
    --------
    >>> from hccstats.demo import make_study
    >>> from hccstats.study import load
    >>> study = load(make_study("demo-study", images=False), {"seed": 11})
    >>> study.analysis.bootstrap.seed, study.analysis.provenance("bootstrap.seed")
    (11, 'run seed')
    >>> study.data.groupby("split")["early_recurrence"].mean().round(3)
    split
    training      0.270
    validation    0.259
    Name: early_recurrence, dtype: float64
    """
    path = Path(path)
    cfg = read_config(path)
    analysis = build_analysis(cfg, overrides, defaults, yaml_name=path.name)
    root = path.parent
    table, ids = _clinical_table(root, cfg)
    reasons, y = _screen(table, cfg, ids)
    included = reasons.isna().to_numpy()
    surv = cfg["survival"]
    timed = _time_to_event_patients(table, cfg, reasons) if surv else included
    timed_data, centers = _typed_data(table, cfg, y, included, timed, ids)
    file, out_col = cfg["clinical"]["file"], cfg["outcome"]["column"]
    timed_data["split"] = _split(table, timed_data, timed, cfg, centers, analysis.split_seed, ids)
    data = timed_data[included[timed]].copy()
    data[out_col] = data[out_col].astype("int64")
    check_sets_have_both_classes(data, out_col, file)
    if surv:
        check_horizon(timed_data, surv, file)
    readers = _readers(cfg, root, data.index, set(ids))
    if check_images:
        _check_images(cfg, root, data.index)
    excluded = pd.DataFrame(
        {"center": centers[~included].to_numpy(), "reason": reasons[~included].to_numpy()},
        index=pd.Index(ids[~included], name=cfg["clinical"]["id"]),
    )
    return Study(
        root=root,
        path=path,
        config=cfg,
        data=data,
        outcome=out_col,
        outcome_label=cfg["outcome"]["label"],
        center=cfg["center"],
        variables=cfg["variables"],
        readers=readers,
        reader_features=cfg["readers"]["features"] if cfg["readers"] else {},
        flow=flow_table(centers.set_axis(ids), reasons.set_axis(ids), data["split"]),
        excluded=excluded,
        missing=pd.Series(
            {name: int(data[name].isna().sum()) for name in cfg["variables"] if name in data},
            dtype="int64",
            name="missing",
        ),
        analysis=analysis,
        survival=surv,
        survival_data=timed_data if surv else None,
    )


def _clinical_table(root: Path, cfg: dict) -> tuple[pd.DataFrame, pd.Series]:
    """The clinical table with every column the study names, and its patient ids (text)."""
    cl = cfg["clinical"]
    file = cl["file"]
    table = read_table(root / file, "clinical", encoding=cl["encoding"], sep=cl["sep"])
    id_col, out_col, center = cl["id"], cfg["outcome"]["column"], cfg["center"]
    surv = cfg["survival"]
    survival_cols = [surv["time"], surv["event"]] if surv else []
    needed = [id_col, out_col, *([center] if center else []), *cfg["variables"]]
    needed += [c for c in (cl["exclude"], cfg["split"].get("column")) if c] + survival_cols
    require_columns(table, dict.fromkeys(needed), file)
    if "split" in [out_col, center, *cfg["variables"], *survival_cols]:
        raise InputError(
            f"{file}: column 'split': the name holds each patient's training/validation set in "
            "the analysis data; rename the column (and its key in study.yaml)"
        )
    check_unique(table, [id_col], file, id_col)
    return table, table[id_col].astype(str)


def _screen(table: pd.DataFrame, cfg: dict, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each patient's reason to be screened out (NaN: included; the rule extract applies
    too), and the outcome as 0/1 (NaN where missing)."""
    file, out_col, surv = cfg["clinical"]["file"], cfg["outcome"]["column"], cfg["survival"]
    survival_only = cfg.get("endpoint") == "survival"
    reasons = screen(
        table,
        exclude=cfg["clinical"]["exclude"],
        outcome=out_col,
        survival=surv if survival_only else None,
    )
    if survival_only:  # time and event are the outcome: the included patients' values checked
        _survival(table, surv, reasons.isna().to_numpy(), file, ids)
    y = _outcome(table[out_col], cfg["outcome"]["positive"], file, out_col, ids)
    return reasons, y


def _typed_data(
    table, cfg: dict, y: pd.Series, included, timed, ids
) -> tuple[pd.DataFrame, pd.Series]:
    """The typed columns (variables, outcome as nullable ``Int64``, centre, survival) of the
    patients ``timed`` holds (the included ones and, with ``survival:``, those excluded only for
    a missing binary outcome), and every patient's centre ("All" without a centre column)."""
    file, out_col, center = cfg["clinical"]["file"], cfg["outcome"]["column"], cfg["center"]
    surv = cfg["survival"]
    data = pd.DataFrame(index=pd.Index(ids, name=cfg["clinical"]["id"]))
    for name, var in cfg["variables"].items():
        if name in (out_col, center):
            continue
        data[name] = typed_column(table[name], var, file, ids).array
    data[out_col] = y.to_numpy()
    centers = pd.Series("All", index=table.index, dtype=object)
    if center:
        miss = table[center].isna().to_numpy() & included
        if miss.any():
            raise InputError(
                f"{file}: column {center!r}: missing centre at {rows_text(np.flatnonzero(miss), ids)}"
            )
        centers = table[center].astype(object)
        data[center] = pd.Categorical(
            table[center].to_numpy(), categories=sorted(table[center].dropna().unique())
        )
    if surv:
        time, event = _survival(table, surv, timed, file, ids)
        data[surv["time"]], data[surv["event"]] = time, event
    timed_data = data[timed].copy()  # the included patients and those only without the outcome
    timed_data[out_col] = timed_data[out_col].astype("Int64")
    if surv:
        timed_data[surv["event"]] = timed_data[surv["event"]].astype("int64")
    in_binary = included[timed]
    if timed_data[out_col][in_binary].nunique() < 2:
        raise InputError(
            f"{file}: column {out_col!r}: the included patients have only one outcome class"
        )
    return timed_data, centers


def _time_to_event_patients(table, cfg: dict, reasons: pd.Series) -> np.ndarray:
    """The patients of the time-to-event analysis: the included ones and those excluded only
    for a missing binary outcome whose time and event are given (censored before the outcome
    could be judged: censored, not excluded, in the Cox analysis) and, with a split column,
    a valid set."""
    surv, split = cfg["survival"], cfg["split"]
    given = table[surv["time"]].notna() & table[surv["event"]].notna()
    if split["method"] == "column":
        given &= table[split["column"]].isin([split["training"], split["validation"]])
    no_outcome = (reasons == f"missing outcome ({cfg['outcome']['column']})") & given
    return (reasons.isna() | no_outcome).to_numpy()


def _survival(table, surv: dict, included, file: str, ids: pd.Series):
    """Follow-up time (>= 0) and event indicator (0/1) of the included patients, checked."""
    out = []
    for role in ("time", "event"):
        col = surv[role]
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
        text = table[col].notna().to_numpy() & np.isnan(values) & included
        if text.any():
            raise InputError(
                f"{file}: column {col!r} (survival.{role}): not a number at "
                f"{rows_text(np.flatnonzero(text), ids)}"
            )
        miss = np.isnan(values) & included
        if miss.any():
            raise InputError(
                f"{file}: column {col!r} (survival.{role}): missing at "
                f"{rows_text(np.flatnonzero(miss), ids)}; give it or exclude the patient"
            )
        bad = ~(values >= 0) | np.isinf(values) if role == "time" else ~np.isin(values, (0, 1))
        bad &= included
        if bad.any():
            need = "a finite time >= 0" if role == "time" else "0 (censored) or 1 (event)"
            raise InputError(
                f"{file}: column {col!r} (survival.{role}): expected {need} at "
                f"{rows_text(np.flatnonzero(bad), ids)}"
            )
        out.append(values)
    return out[0], out[1]


def _outcome(raw: pd.Series, positive: Any, file: str, col: str, ids: pd.Series) -> pd.Series:
    keys = level_keys(raw)
    values = keys.dropna().unique().tolist()
    if len(values) > 2:
        rare = keys.value_counts().index[2:]
        bad = np.flatnonzero(keys.isin(list(rare)).to_numpy())
        raise InputError(
            f"{file}: column {col!r}: outcome is not binary: {len(values)} distinct values "
            f"[{listed(values)}] (the rarer ones at {rows_text(bad, ids)})"
        )
    pos = level_key(positive)
    if pos not in values:
        raise InputError(
            f"{file}: column {col!r}: positive level {positive!r} (outcome.positive) not among "
            f"the values [{listed(values)}]"
        )
    positive_rows = (keys == pos).to_numpy(dtype=bool, na_value=False)
    y = np.where(keys.isna().to_numpy(), np.nan, positive_rows.astype("float64"))
    return pd.Series(y, index=keys.index, name=keys.name, dtype="float64")


def _split(table, data, included, cfg, centers, seed, ids) -> np.ndarray:
    """Each included patient's set: the split column's, or a stratified random split by
    ``seed`` (the tree's ``split_seed``)."""
    spec, file = cfg["split"], cfg["clinical"]["file"]
    if spec["method"] == "column":
        col = spec["column"]
        raw = table[col][included]
        mapping = {spec["training"]: "training", spec["validation"]: "validation"}
        bad = ~raw.isin(list(mapping)).to_numpy()
        if bad.any():
            pos = np.flatnonzero(included)[bad]
            raise InputError(
                f"{file}: column {col!r}: split values must be {spec['training']!r} or "
                f"{spec['validation']!r}; got [{listed(raw[bad].unique(), 3)}] at "
                f"{rows_text(pos, ids)}"
            )
        return raw.map(mapping).to_numpy()
    strata = {}
    for name in spec["stratify"]:
        if name == "outcome":  # patients without it (time to event only): a stratum of theirs
            y = data[cfg["outcome"]["column"]]
            strata[name] = y.astype(object).where(y.notna(), "unknown")
        elif name == "center":
            if cfg["center"]:
                strata[name] = data[cfg["center"]]
        elif name in data.columns:
            strata[name] = data[name]
        elif name in table.columns:
            strata[name] = table[name][included].set_axis(data.index)
        else:
            raise InputError(
                f"{cfg['clinical']['file']}: missing column {name!r} named in split.stratify"
            )
    frame = pd.DataFrame(strata, index=data.index)
    return random_split(frame, spec["ratio"], seed).to_numpy()


def _readers(cfg, root: Path, included: pd.Index, all_ids: set) -> pd.DataFrame | None:
    spec = cfg["readers"]
    if not spec:
        return None
    file = spec["file"]
    table = read_table(root / file, "readers", encoding=spec["encoding"], sep=spec["sep"])
    keys = [spec["id"], spec["reader"], spec["session"]]
    require_columns(table, [*keys, *spec["features"]], file)
    check_unique(table, keys, file, spec["id"])
    ids = table[spec["id"]].astype(str)
    # looked up as objects: pandas' isin on Arrow strings makes a scalar of every value sought
    as_objects = ids.astype(object)
    unknown = ~as_objects.isin(all_ids).to_numpy()
    if unknown.any():
        raise InputError(
            f"{file}: column {spec['id']!r}: patients not in {cfg['clinical']['file']}: "
            f"{rows_text(np.flatnonzero(unknown), ids)}"
        )
    lacking = included.difference(pd.Index(ids.unique()))
    if len(lacking):
        raise InputError(
            f"{file}: column {spec['id']!r}: {len(lacking)} included patient(s) of "
            f"{cfg['clinical']['file']} have no readings: [{listed(lacking)}]"
        )
    out = pd.DataFrame({spec["id"]: ids})
    out[spec["reader"]] = table[spec["reader"]].astype(str)
    session = pd.to_numeric(table[spec["session"]], errors="coerce")
    out[spec["session"]] = (
        session.astype("int64")
        if session.notna().all() and (session % 1 == 0).all()
        else table[spec["session"]]
    )
    for name, var in spec["features"].items():
        out[name] = typed_column(table[name], var, file, ids).array
    return out[as_objects.isin(set(included)).to_numpy()].reset_index(drop=True)


def _check_images(cfg, root: Path, included: pd.Index) -> None:
    images = cfg["images"]
    if not images:
        return
    templates = {
        **{f"images.phases.{p}": t for p, t in images["phases"].items()},
        **{f"images.mask.{p}": t for p, t in images["mask"].items()},
    }
    for where, tmpl in templates.items():
        lacking = [pid for pid in included if not (root / tmpl.format(patient_id=pid)).is_file()]
        if lacking:
            first = root / tmpl.format(patient_id=lacking[0])
            raise InputError(
                f"{first}: image file not found ({where}); {len(lacking)} included patient(s) "
                f"lack it: [{listed(lacking)}]"
            )
