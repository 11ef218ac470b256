"""Column names as code: any name a CSV can hold, quoted for patsy formulas and for R.

A column may be called ``class`` (a Python keyword), ``biopsy result``, ``recur.5y``,
``rfs-5y``, ``µmol/L``, ``1st tumour`` or ``O'Brien score``. Every formula hccstats builds
from names goes through :func:`quote_name` (patsy: ``Q('...')`` unless a plain ASCII
identifier) or :func:`r_quote` (R: backticks unless a plain ASCII R name); every name read
back from a formula or a model term goes through :func:`unquote_name`.
"""

from __future__ import annotations

import ast
import keyword
import re

__all__ = [
    "quote_name",
    "r_quote",
    "unquote_name",
    "term_label",
    "patsy_to_r",
    "term_to_patsy",
    "r_unquote",
    "r_rename",
]

# R's reserved words (?Reserved): valid identifiers that still need backticks
_R_RESERVED = frozenset(
    "if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ "
    "NA_real_ NA_character_ NA_complex_ in ...".split()
)
_R_PLAIN = re.compile(r"^(?!\.\.[0-9]+$)(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$")
# Python string literals as repr writes them (escapes inside)
_STRING = r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"'
_Q_CALL = re.compile(rf"\bQ\(\s*({_STRING})\s*\)")
# patsy code, left to right: a Q() call, another string literal, or a bare name that is not a
# function called or a module (np.log) or an attribute
_CODE = re.compile(
    rf"(?P<q>\bQ\(\s*(?P<s>{_STRING})\s*\))|(?:{_STRING})"
    r"|(?<![\w.])(?P<name>[A-Za-z_]\w*)(?![\w.(])"
)
_BACKTICKED = re.compile(r"`((?:[^`\\]|\\.)*)`")
# R code, left to right: a backticked name, a string, or a bare name (not a call)
_R_NAME = re.compile(
    r"`((?:[^`\\]|\\.)*)`|" + _STRING + r"|(?<![\w.])((?:[A-Za-z]|\.(?![0-9]))[\w.]*)(?![\w.(])"
)


def quote_name(name: str) -> str:
    """A column name as patsy reads it: bare when an ASCII identifier, else ``Q('...')``.

    Keywords (``class``, ``if``) and non-ASCII identifiers are quoted too: Python folds the
    latter (NFKC, 'µ' to 'μ') before the lookup, so 'µmol' bare would not find its column.

    >>> quote_name("age"), quote_name("class"), quote_name("biopsy result")
    ('age', "Q('class')", "Q('biopsy result')")
    """
    name = str(name)
    if name.isidentifier() and name.isascii() and not keyword.iskeyword(name):
        return name
    return "Q(" + repr(name) + ")"


def r_quote(name: str) -> str:
    """A column name as R code reads it: bare when a plain ASCII R name, else in backticks
    (backslashes and backticks inside escaped).

    >>> print(r_quote("class"), r_quote("recur.5y"), r_quote("biopsy result"), r_quote("a`b"))
    class recur.5y `biopsy result` `a\\`b`
    """
    name = str(name)
    if _R_PLAIN.match(name) and name not in _R_RESERVED:
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quoted_literal(code: str) -> str | None:
    """The name inside ``Q('...')`` (the whole of ``code``), else None."""
    try:
        node = ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        return None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Q"
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def unquote_name(code: str) -> str:
    """The column name a patsy factor or term names: ``Q('biopsy result')`` -> ``biopsy result``;
    anything else (a bare name, an expression) is returned as it is."""
    code = str(code)
    if "Q(" not in code:
        return code
    name = _quoted_literal(code)
    return code if name is None else name


def term_label(term: str) -> str:
    """A model term or design column with every ``Q('...')`` replaced by the name it quotes:
    ``Q('biopsy result')[T.yes]`` -> ``biopsy result[T.yes]`` (for tables and messages)."""
    term = str(term)
    if "Q(" not in term:
        return term
    return _Q_CALL.sub(lambda m: ast.literal_eval(m.group(1)), term)


def patsy_to_r(code: str) -> str:
    """patsy formula or term code as R code: ``Q('biopsy result')`` becomes the backticked name,
    a bare name R would not read as a name (``_x``, ``TRUE``) gets backticks; the rest (calls,
    numbers, operators) is left as written."""

    def one(m: re.Match) -> str:
        if m.group("q"):
            return r_quote(ast.literal_eval(m.group("s")))
        if m.group("name"):
            return r_quote(m.group("name"))
        return m.group(0)

    return _CODE.sub(one, str(code))


def term_to_patsy(term: str, names) -> str:
    """A model term as a statistician writes it in the study file, as patsy code: a name in
    R's backticks (``log(`albumin g/dL`)``) and a bare name of ``names`` that patsy cannot
    read bare (``log(class)``: a keyword) become ``Q('...')``; a term that is one of
    ``names`` is returned as it is (the fits quote it), the rest is left as written.

    >>> term_to_patsy("log(class)", ["class"]), term_to_patsy("rcs(`a b`, 3)", ["a b"])
    ("log(Q('class'))", "rcs(Q('a b'), 3)")
    """
    term, names = str(term), set(map(str, names))
    if term in names:
        return term
    term = _BACKTICKED.sub(lambda m: quote_name(re.sub(r"\\(.)", r"\1", m.group(1))), term)

    def one(m: re.Match) -> str:
        name = m.group("name")
        return quote_name(name) if name and name in names else m.group(0)

    return _CODE.sub(one, term)


def r_unquote(code: str) -> str:
    """R code with every backticked name written plainly (```a\\`b``` -> ``a`b``): the text to
    look column names up in."""
    return _BACKTICKED.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), str(code))


def r_rename(code: str, mapping: dict[str, str]) -> str:
    """R code with the names of ``mapping`` (written bare or in backticks) replaced by its
    values, written as :func:`r_quote` writes them."""

    def one(m: re.Match) -> str:
        name = re.sub(r"\\(.)", r"\1", m.group(1)) if m.group(1) is not None else m.group(2)
        return r_quote(mapping[name]) if name in mapping else m.group(0)

    return _R_NAME.sub(one, str(code))


def columns_in(code: str, columns) -> list:
    """The ``columns`` that patsy or R code refers to (bare, in ``Q('...')`` or in backticks), in
    the order of ``columns``: the column itself when the code is one."""
    columns = list(columns)
    name = unquote_name(code)
    if name in columns:
        return [name]
    text = r_unquote(term_label(code))
    return [c for c in columns if re.search(rf"(?<![\w.]){re.escape(str(c))}(?![\w])", text)]
