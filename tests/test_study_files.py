"""The study's files as written by other programs: keys and columns given twice, encodings,
Excel workbooks and tab-separated text passed as CSV, empty tables. Each is one line naming
the file (and the key, line or column), found by ``load`` on real files."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import test_study_errors as base

from hccstats import InputError
from hccstats.study import load

# the loader-error tests' small demo study, a fresh writable copy per test
pristine, study = base.pristine, base.study
_error = base._error


def _yaml_text(folder: Path) -> str:
    return (folder / "study.yaml").read_text(encoding="utf-8")


def _insert_after(folder: Path, anchor: str, lines: str) -> None:
    """Insert raw YAML lines after the first line equal to ``anchor`` (keys PyYAML would merge)."""
    text = _yaml_text(folder)
    assert f"\n{anchor}\n" in text, anchor
    (folder / "study.yaml").write_text(
        text.replace(f"\n{anchor}\n", f"\n{anchor}\n{lines}", 1), encoding="utf-8"
    )


def _without_description(text: str) -> str:
    """study.yaml without its (folded, several-line) ``description:``."""
    lines, out, skip = text.splitlines(), [], False
    for line in lines:
        if line.startswith("description:"):
            skip = True
            continue
        if skip and line.startswith(" "):
            continue
        skip = False
        out.append(line)
    return "\n".join(out) + "\n"


def _line_of(folder: Path, text: str, nth: int = 1) -> int:
    lines = _yaml_text(folder).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if line == text]
    return hits[nth - 1]


# --- a key given twice in study.yaml ------------------------------------------------------


def test_two_models_of_one_name_name_the_key_its_path_and_both_lines(study):
    _insert_after(
        study, "analysis:", "  models:\n    Prespecified: [age, mvi]\n    Prespecified: [afp]\n"
    )
    msg = _error(study)
    first, again = (
        _line_of(study, "    Prespecified: [age, mvi]"),
        _line_of(study, "    Prespecified: [afp]"),
    )
    assert msg.startswith("study.yaml: analysis.models.Prespecified: key 'Prespecified' given")
    assert f"(lines {first} and {again})" in msg


def test_a_top_level_key_and_a_variable_given_twice_are_refused(study):
    _insert_after(study, "variables:", "  age: {type: categorical}\n")
    msg = _error(study)
    assert msg.startswith("study.yaml: variables.age: key 'age' given twice"), msg
    s = _yaml_text(study).replace("\nvariables:\n  age: {type: categorical}\n", "\nvariables:\n")
    (study / "study.yaml").write_text(s + "seed: 5\n", encoding="utf-8")
    first, again = _line_of(study, "seed: 11"), _line_of(study, "seed: 5")
    assert _error(study).startswith(
        f"study.yaml: seed: key 'seed' given twice (lines {first} and {again})"
    )


def test_a_key_given_twice_inside_a_list_names_its_position(study):
    text = _without_description(_yaml_text(study)) + "description: [{a: 1}, {b: 1, b: 2}]\n"
    (study / "study.yaml").write_text(text, encoding="utf-8")
    assert "study.yaml: description[1].b: key 'b' given twice" in _error(study)


def test_yaml_merge_keys_still_override(study):
    """``<<:`` then a key of the merged mapping is an override YAML means, not a duplicate."""
    _insert_after(study, "analysis:", "  <<: {B: 200, alpha: 0.01}\n  B: 50\n")
    analysis = load(study / "study.yaml").config["analysis"]
    assert (analysis["B"], analysis["alpha"]) == (50, 0.01)


# --- a column given twice ------------------------------------------------------------------


def _rename_header(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    head, rest = path.read_text(encoding="utf-8").split("\n", 1)
    cells = head.split(",")
    cells[cells.index(old)] = new
    path.write_text(",".join(cells) + "\n" + rest, encoding="utf-8")


def test_two_clinical_columns_of_one_name_are_refused(study):
    cols = base._csv(study, "clinical.csv").columns.tolist()
    _rename_header(study, "clinical.csv", "alt", "age")
    msg = _error(study)
    assert msg == (
        f"clinical.csv: column 'age' appears twice in the header (columns "
        f"{cols.index('age') + 1} and {cols.index('alt') + 1}); rename or remove one"
    )


def test_unnamed_columns_of_trailing_separators_are_no_duplicates(study):
    path = study / "clinical.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line + ",," for line in lines) + "\n", encoding="utf-8")
    assert len(load(study / "study.yaml").data) == 40


def test_two_reader_columns_of_one_name_are_refused(study):
    _rename_header(study, "readers.csv", "necrosis", "capsule")
    assert _error(study).startswith("readers.csv: column 'capsule' appears twice in the header")


def test_two_feature_columns_of_one_name_are_refused(study):
    s = load(study / "study.yaml")
    ids = list(s.data.index)
    table = pa.table(
        [pa.array(ids), pa.array([0.1] * len(ids)), pa.array([0.2] * len(ids))],
        names=["patient_id", "f1", "f1"],
    )
    (study / "features").mkdir()
    for phase in s.phases:
        pq.write_table(table, study / "features" / f"{phase}.parquet")
    with pytest.raises(InputError, match=r"^AP.parquet: column 'f1' appears twice in the header"):
        s.feature_tables()


# --- encodings -----------------------------------------------------------------------------


def _latin1_clinical(folder: Path, codec: str = "latin-1") -> int:
    """Screen a patient out with an accented reason, saved in ``codec``; returns its line."""
    df = base._csv(folder, "clinical.csv")
    df.loc[4, "exclusion_reason"] = "hépatite fulminante"
    df.to_csv(folder / "clinical.csv", index=False, encoding=codec)
    return 6  # header line 1, data row 5


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_a_latin1_csv_names_the_line_and_says_save_it_as_utf8(study, codec):
    line = _latin1_clinical(study, codec)
    msg = _error(study)
    assert msg.startswith(f"clinical.csv: line {line}: not utf-8 text (byte 0xe9")
    assert "save it as UTF-8" in msg and "clinical: {encoding: latin-1}" in msg


def test_a_latin1_csv_is_read_with_the_encoding_given(study):
    _latin1_clinical(study)
    _insert_after(study, "clinical:", "  encoding: latin-1\n")
    s = load(study / "study.yaml")
    assert s.excluded.loc["HCC0005", "reason"] == "hépatite fulminante"


def test_an_unknown_encoding_is_refused(study):
    _insert_after(study, "clinical:", "  encoding: latin-99\n")
    assert _error(study).startswith("study.yaml: clinical.encoding: unknown encoding 'latin-99'")


def test_a_cp1252_study_file_names_the_line(study):
    text = _yaml_text(study).replace("label: Age,", "label: Âge,")
    line = next(i + 1 for i, t in enumerate(text.splitlines()) if "Âge" in t)
    (study / "study.yaml").write_bytes(text.encode("cp1252"))
    assert _error(study).startswith(f"study.yaml: line {line}: not utf-8 text (byte 0xc2")


def test_an_empty_study_file_says_so(study):
    (study / "study.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert _error(study) == "study.yaml: the study file is empty"


def test_a_utf8_byte_order_mark_is_read(study):
    text = (study / "clinical.csv").read_text(encoding="utf-8")
    (study / "clinical.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert len(load(study / "study.yaml").data) == 40


def test_utf16_text_says_save_it_as_utf8(study):
    text = (study / "readers.csv").read_text(encoding="utf-8")
    (study / "readers.csv").write_bytes(text.encode("utf-16"))
    assert _error(study) == "readers.csv: is UTF-16 text: save it as UTF-8"


# --- not a CSV text file ---------------------------------------------------------------------


def _write_xlsx(path: Path, rows: list[list]) -> None:
    """A minimal Office Open XML workbook (one sheet of inline strings), as Excel saves one."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    body = "".join(
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{escape(str(v))}</t></is></c>' for v in r)
        + "</row>"
        for r in rows
    )
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)


def _as_workbook(folder: Path, target: str) -> None:
    df = base._csv(folder, "clinical.csv")
    _write_xlsx(folder / target, [list(df.columns), *df.to_numpy().tolist()])


def test_an_excel_workbook_renamed_csv_is_named_by_its_bytes(study):
    _as_workbook(study, "clinical.csv")
    assert _error(study) == "clinical.csv: is an Excel workbook (.xlsx): save it as CSV (UTF-8)"


def test_an_excel_workbook_named_in_the_study_file_is_refused(study):
    _as_workbook(study, "clinical.xlsx")
    text = _yaml_text(study).replace("file: clinical.csv", "file: clinical.xlsx")
    (study / "study.yaml").write_text(text, encoding="utf-8")
    assert _error(study) == "clinical.xlsx: is an Excel workbook (.xlsx): save it as CSV (UTF-8)"


def test_an_old_excel_workbook_is_named_by_its_bytes(study):
    # the OLE2 compound-file signature every .xls starts with, then a sector of padding
    (study / "clinical.csv").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    assert _error(study) == "clinical.csv: is an Excel workbook (.xls): save it as CSV (UTF-8)"


def test_a_tab_separated_file_says_set_sep_or_is_read_with_it(study):
    df = base._csv(study, "clinical.csv")
    df.to_csv(study / "clinical.csv", index=False, sep="\t")
    msg = _error(study)
    assert msg.startswith("clinical.csv: is tab-separated, not separated by ','")
    assert 'sep: "\\t"' in msg
    _insert_after(study, "clinical:", '  sep: "\\t"\n')
    s = load(study / "study.yaml")
    assert len(s.data) == 40 and s.data["age"].dtype == "float64"


def test_a_semicolon_separated_readers_file_is_read_with_sep(study):
    base._csv(study, "readers.csv").to_csv(study / "readers.csv", index=False, sep=";")
    assert _error(study).startswith("readers.csv: is semicolon-separated, not separated by ','")
    _insert_after(study, "readers:", "  sep: ';'\n")
    assert load(study / "study.yaml").readers is not None


@pytest.mark.parametrize("sep", ["'ab'", "''", "3"])
def test_a_bad_sep_is_refused(study, sep):
    _insert_after(study, "clinical:", f"  sep: {sep}\n")
    assert _error(study).startswith("study.yaml: clinical.sep: expected one character")


def test_a_header_without_rows_and_an_empty_file_say_so(study):
    head = (study / "clinical.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    (study / "clinical.csv").write_text(head + "\n", encoding="utf-8")
    assert _error(study) == "clinical.csv: the clinical table has a header but no rows"
    (study / "clinical.csv").write_text("", encoding="utf-8")
    assert _error(study) == "clinical.csv: the clinical table is empty (no header, no rows)"
    (study / "clinical.csv").write_text("\n  \n", encoding="utf-8")
    assert _error(study) == "clinical.csv: the clinical table is empty (no header, no rows)"


def test_the_read_table_keeps_the_values_of_the_csv(study):
    """The text read through the checks is the CSV pandas reads (no cell changed)."""
    s = load(study / "study.yaml")
    raw = pd.read_csv(study / "clinical.csv", dtype=str).set_index("patient_id")
    got = s.data["afp"].dropna()
    assert (got == pd.to_numeric(raw.loc[got.index, "afp"])).all()
