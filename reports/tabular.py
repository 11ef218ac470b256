"""CSV and JSON writers: unrounded numbers, no timestamps, sorted keys → same input, same bytes."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["write_csv", "write_json", "to_jsonable", "csv_text", "json_text"]


def csv_text(df: pd.DataFrame) -> str:
    """The CSV text of ``df`` (no index, ``\\n`` line ends, floats at full precision)."""
    out = df.copy()
    for (
        col
    ) in out.columns:  # categoricals and objects as plain text, so the bytes never depend on dtype
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out.to_csv(index=False, lineterminator="\n", na_rep="NA")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(df), encoding="utf-8")
    return path


def to_jsonable(obj: Any) -> Any:
    """Plain JSON values: DataFrames → list of records, dataclasses → dicts, nan/inf → None."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=True)
        return [
            {str(k): to_jsonable(v) for k, v in rec.items()}
            for rec in frame.to_dict(orient="records")
        ]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in (sorted(obj, key=str) if isinstance(obj, set) else obj)]
    if isinstance(obj, Path):
        return obj.as_posix()
    if pd.isna(obj) if not hasattr(obj, "__len__") else False:
        return None
    return str(obj)


def json_text(obj: Any) -> str:
    return (
        json.dumps(to_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def write_json(obj: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(obj), encoding="utf-8")
    return path
