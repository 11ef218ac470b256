"""The report's stages as typed parts: each declares what it needs, computes a frozen result
that later stages receive by name, and no stage may change an earlier stage's result."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing

import numpy as np
import pandas as pd
import pytest

from hccstats.report._stages import STAGES, _unchanged, fingerprint

MODULES = {m[3:]: importlib.import_module(f"hccstats.report.{m}") for m, _ in STAGES}


@pytest.mark.parametrize("key", list(MODULES))
def test_stage_has_the_four_parts_and_declares_earlier_stages_only(key):
    mod = MODULES[key]
    for part in ("compute", "render", "methods"):
        assert callable(getattr(mod, part, None)), f"{key}: no {part}()"
    earlier = list(MODULES)[: list(MODULES).index(key)]
    needs = [*mod.REQUIRES, *getattr(mod, "USES", ())]
    assert all(n in earlier for n in needs), f"{key} needs {needs}; earlier: {earlier}"
    # compute's parameters are exactly ctx and the declared results: a renamed stage or a
    # dependency not declared cannot be read silently
    params = list(inspect.signature(mod.compute).parameters)
    assert params[0] == "ctx" and sorted(params[1:]) == sorted(needs), (key, params)
    for name in getattr(mod, "USES", ()):  # optional results may be absent: default None
        assert inspect.signature(mod.compute).parameters[name].default is None


@pytest.mark.parametrize("key", list(MODULES))
def test_stage_result_is_a_frozen_dataclass(key):
    mod = MODULES[key]
    hints = typing.get_type_hints(mod.compute, vars(mod))
    result = hints["return"]
    assert dataclasses.is_dataclass(result) and result.__dataclass_params__.frozen, key
    with pytest.raises(dataclasses.FrozenInstanceError):
        fields = {f.name: None for f in dataclasses.fields(result)}
        obj = result(**fields)
        obj.__setattr__(dataclasses.fields(result)[0].name, 1)


def _flow():
    from hccstats.report._s_flow import FlowResult

    data = pd.DataFrame(
        {"age": [50.0, 61.0, 70.0], "split": ["training", "training", "validation"]},
        index=pd.Index(["p1", "p2", "p3"], name="id"),
    )
    flow = pd.DataFrame({"step": ["included"], "reason": [""], "center": ["All"], "n": [3]})
    return FlowResult(data, flow, (), (), {})


def test_a_later_change_to_a_result_stops_the_run():
    flow = _flow()
    prints = {"flow": fingerprint(flow)}
    _unchanged({"flow": flow}, prints)  # untouched: fine
    flow.data.loc["p1", "age"] = 51.0  # a stage writing into the flow's data in place
    with pytest.raises(RuntimeError, match="'flow' was changed after it was computed"):
        _unchanged({"flow": flow}, prints)


def test_fingerprint_sees_new_columns_and_arrays_in_mappings():
    flow = _flow()
    before = fingerprint(flow)
    flow.data["sig_AP"] = np.nan  # a column added in place
    assert fingerprint(flow) != before
    from hccstats.report._km_groups import KmGroups

    g = KmGroups(np.zeros(3), np.ones(3), np.array(["Low risk"] * 3), None, None)
    before = fingerprint(g)
    g.time[0] = 5.0
    assert fingerprint(g) != before


def test_split_data_gives_each_set_from_the_result():
    flow = _flow()
    assert list(flow.training().index) == ["p1", "p2"]
    assert list(flow.validation().index) == ["p3"]


def test_fingerprint_of_cells_pandas_cannot_hash():
    from hccstats.report._s_flow import FlowResult

    flow = _flow()
    odd = FlowResult(flow.data, pd.DataFrame({"x": [[1, 2], {"a": 1}]}), (), (), {})
    before = fingerprint(odd)
    odd.flow.loc[0, "x"].append(3)
    assert fingerprint(odd) != before


def test_fingerprint_sees_changed_categories_text_and_index_and_not_copies():
    from hccstats.report._s_flow import FlowResult

    def frame():
        return pd.DataFrame(
            {
                "grade": pd.Categorical(["I", "II", "I"], categories=["I", "II"], ordered=True),
                "centre": pd.array(["A", "B", None], dtype="string"),
                "n": pd.array([1, None, 3], dtype="Int64"),
            },
            index=pd.Index(["p1", "p2", "p3"], name="id"),
        )

    flow = FlowResult(frame(), frame(), (), (), {})
    before = fingerprint(flow)
    assert fingerprint(FlowResult(frame(), frame(), (), (), {})) == before  # by value
    for change in (
        lambda d: d.__setitem__("grade", d["grade"].cat.set_categories(["I", "II", "III"])),
        lambda d: d.loc.__setitem__(("p2", "grade"), "I"),
        lambda d: d.loc.__setitem__(("p3", "centre"), "C"),
        lambda d: d.loc.__setitem__(("p2", "n"), 2),
        lambda d: d.rename(index={"p1": "p0"}, inplace=True),
    ):
        flow = FlowResult(frame(), frame(), (), (), {})
        change(flow.data)
        assert fingerprint(flow) != before
