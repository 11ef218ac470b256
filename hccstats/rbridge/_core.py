"""rpy2 plumbing: lazy start of R, value conversion both ways, warnings and errors."""

from __future__ import annotations

import contextlib
import functools
import locale
import os
import signal
import threading
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._errors import HccstatsWarning, RNotAvailableError

__all__ = ["run", "to_py", "r_available", "require_r", "r_versions", "RError", "RWarning"]

INSTALL_HINT = (
    "install R and its packages (Debian: apt-get install r-base-core r-cran-rms r-cran-proc "
    "r-cran-car) and rpy2 (pip install 'hccstats[r]')"
)


class RError(RuntimeError):
    """R signalled an error while running hccstats's R code."""


class RWarning(HccstatsWarning):
    """A warning that R emitted, re-issued in Python."""


@functools.cache
def _rpy2():
    saved = os.environ.get("LD_LIBRARY_PATH")
    try:
        import rpy2.rinterface as ri  # noqa: F401
        import rpy2.robjects as ro
        from rpy2.robjects import numpy2ri, pandas2ri
    except Exception as exc:  # ImportError, or R's shared library failing to load
        raise RNotAvailableError(f"rpy2/R cannot be loaded ({exc}); {INSTALL_HINT}") from exc
    finally:
        # Starting R exports R's LD_LIBRARY_PATH (with /usr/lib/<arch>) into this process's
        # environment; Python subprocesses started later would then load the system's
        # libraries in place of their own (e.g. `_ssl: undefined symbol`). R is loaded by now.
        if saved is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = saved
    _R_CTYPE.append(locale.setlocale(locale.LC_CTYPE))
    return ri, ro, numpy2ri, pandas2ri


_R_CTYPE: list[str] = []  # the character-type locale R started in (a UTF-8 one normally)


def _restore_ctype() -> None:
    """Put back the character-type locale R started in. A library in this process may have
    changed it (GDCM, reading DICOM through SimpleITK, sets "C"); R then can no longer parse
    a non-ASCII name ("invalid multibyte character in parser")."""
    if _R_CTYPE and locale.setlocale(locale.LC_CTYPE) != _R_CTYPE[0]:
        locale.setlocale(locale.LC_CTYPE, _R_CTYPE[0])


def r_available(*packages: str) -> bool:
    """True when R starts through rpy2 and every named R package loads."""
    try:
        require_r(*packages)
    except RNotAvailableError:
        return False
    return True


@functools.cache
def _require_one(package: str) -> None:
    ok = run(
        f'isTRUE(suppressWarnings(suppressMessages(requireNamespace("{package}", quietly=TRUE))))'
    )
    if not ok:
        raise RNotAvailableError(f"R package '{package}' is not installed; {INSTALL_HINT}")


def require_r(*packages: str) -> None:
    """Raise :class:`RNotAvailableError` (with install instructions) unless R and ``packages`` load."""
    _rpy2()
    for p in packages:
        _require_one(p)


def r_versions(*packages: str) -> dict[str, str]:
    """R's version and each named package's version, as strings."""
    require_r(*packages)
    out = {"R": str(run("paste(R.version$major, R.version$minor, sep='.')"))}
    for p in packages:
        out[p] = str(run(f'as.character(packageVersion("{p}"))'))
    return out


def _to_r(value: Any):
    """Convert a Python value to an R object."""
    ri, ro, numpy2ri, pandas2ri = _rpy2()
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.dtype == object:
        value = value.astype(str)
    if isinstance(value, np.ndarray) and value.dtype.kind == "b":
        return ro.vectors.BoolVector(value.tolist())
    conv = ro.default_converter + numpy2ri.converter + pandas2ri.converter
    with ro.conversion.localconverter(conv):
        return ro.conversion.get_conversion().py2rpy(value)


def to_py(obj: Any) -> Any:
    """Convert an R object to Python.

    data.frame → DataFrame; named list → dict; unnamed list → list; factor → list of
    labels; a matrix → 2-D ndarray; a named vector → Series; a length-1 unnamed vector
    → a Python scalar; other vectors → ndarray (NA → nan for numbers, None for strings).
    """
    ri, ro, numpy2ri, pandas2ri = _rpy2()
    if obj is ri.NULL or obj is None:
        return None
    rclass = list(obj.rclass) if hasattr(obj, "rclass") else []
    if "data.frame" in rclass:
        conv = ro.default_converter + pandas2ri.converter
        with ro.conversion.localconverter(conv):
            return ro.conversion.get_conversion().rpy2py(obj)
    if isinstance(obj, ri.ListSexpVector):
        names = obj.names
        items = [to_py(v) for v in obj]
        if names is not ri.NULL:
            return dict(zip([str(n) for n in names], items))
        return items
    if "factor" in rclass:
        levels = list(obj.do_slot("levels"))
        return [levels[i - 1] if i != ri.NA_Integer else None for i in obj]
    if isinstance(obj, ri.StrSexpVector):
        values: np.ndarray = np.array(
            [None if v is ri.NA_Character else str(v) for v in obj], dtype=object
        )
    elif isinstance(obj, (ri.IntSexpVector, ri.BoolSexpVector)):
        ints = np.asarray(obj.memoryview(), dtype=np.int64)
        na = ints == _NA_INT
        if na.any():
            values = np.where(na, np.nan, ints.astype(np.float64))
        else:
            values = ints.astype(bool) if isinstance(obj, ri.BoolSexpVector) else ints
    elif isinstance(obj, ri.FloatSexpVector):
        values = np.array(obj.memoryview(), dtype=np.float64)
    else:
        return obj  # closures, environments, S4 objects: returned as rpy2 objects
    dim = obj.do_slot("dim") if "dim" in [str(a) for a in obj.list_attrs()] else None
    if dim is not None:
        return values.reshape(tuple(dim), order="F")
    names = obj.names
    if names is not ri.NULL:
        return pd.Series(values, index=[str(n) for n in names])
    if values.size == 1:
        return values[0].item() if hasattr(values[0], "item") else values[0]
    return values


_NA_INT = -(2**31)  # R's NA_integer_ and NA (logical) as stored

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _interruptible():
    """Run R so that Ctrl-C (SIGINT) and SIGTERM stop it and are never lost; yields the list
    of signals caught (the body may add SIGINT when R reports that its own handler stopped it).

    While R runs, Python's own handlers could only run inside rpy2's callbacks, where an
    exception they raise is swallowed (``Exception ignored from cffi callback``) and R goes
    on. Here a signal only records itself and asks R to stop at its next interrupt check
    (``R_interrupts_pending``); once R has returned, the handlers in place before get the
    signal: KeyboardInterrupt for Ctrl-C, the report's exit for SIGTERM, or the default
    action. Outside the main thread (no Python signal handler can run there) R runs as it is.
    """
    caught: list[int] = []
    old = {s: signal.getsignal(s) for s in _SIGNALS}
    if (
        os.name == "nt"  # R's flag is UserBreak there; rpy2's own Ctrl-C handling stays
        or threading.current_thread() is not threading.main_thread()
        or None in old.values()
    ):
        yield caught
        return
    from rpy2.rinterface_lib import openrlib

    def stop_r(signum, frame):
        caught.append(signum)
        openrlib.rlib.R_interrupts_pending = 1

    for s in _SIGNALS:
        signal.signal(s, stop_r)
    try:
        yield caught
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if caught:
            openrlib.rlib.R_interrupts_pending = 0  # R may have returned before its check
            _deliver(caught[0], old[caught[0]])


def _deliver(signum: int, handler) -> None:
    """Hand a signal caught while R ran to the handler that was in place."""
    if handler is signal.SIG_IGN:
        return
    if callable(handler):
        handler(signum, None)
    else:  # SIG_DFL: the signal's default action ends the process; R's tempdir() goes first
        from rpy2.rinterface_lib import openrlib

        openrlib.rlib.R_CleanTempDir()
        signal.raise_signal(signum)


_WRAP = """
local({{
  .hcc_w <- character(0)
  .hcc_e <- NULL
  .hcc_i <- FALSE
  .hcc_v <- tryCatch(withCallingHandlers(
    {{ {code}
    }},
    warning = function(w) {{ .hcc_w <<- c(.hcc_w, conditionMessage(w)); invokeRestart("muffleWarning") }}
  ), error = function(e) {{ .hcc_e <<- conditionMessage(e); NULL }},
  interrupt = function(i) {{ .hcc_i <<- TRUE; NULL }})
  list(value = .hcc_v, warnings = .hcc_w, error = .hcc_e, interrupted = .hcc_i)
}}, envir = .hcc_env)
"""


def run(code: str, *, convert: bool = True, **values: Any) -> Any:
    """Evaluate R ``code`` with ``values`` bound as R variables; return the last value.

    Python values are converted (numpy arrays and lists → vectors, DataFrames →
    data.frames, categoricals → factors). R warnings are re-issued as :class:`RWarning`;
    an R error raises :class:`RError` carrying R's message. With ``convert=False`` the
    rpy2 object is returned as is (to pass it back into another call).
    """
    ri, ro, _, _ = _rpy2()
    _restore_ctype()
    env = ro.r("new.env(parent = globalenv())")
    for name, value in values.items():
        env[name] = value if _is_r_object(value) else _to_r(value)
    genv = ro.globalenv
    genv[".hcc_env"] = env
    try:
        with _interruptible() as caught:
            out = ro.r(_WRAP.format(code=code))
            if out[3][0] and not caught:  # R's own SIGINT handler (Sys.sleep, select) stopped it
                caught.append(signal.SIGINT)
    except ri.embedded.RRuntimeError as exc:
        raise RError(f"R error: {str(exc).strip()}") from None
    finally:
        ro.r("rm('.hcc_env', envir = globalenv())")
    value, warns, error, interrupted = out[0], out[1], out[2], out[3][0]
    if interrupted:  # stopped, and the signal ignored here: no value to return
        raise RError("R error: interrupted")
    for w in warns:
        warnings.warn(f"R: {w}", RWarning, stacklevel=2)
    if error is not ri.NULL:
        raise RError(f"R error: {str(error[0]).strip()}")
    return to_py(value) if convert else value


def _is_r_object(value: Any) -> bool:
    ri = _rpy2()[0]
    return isinstance(value, ri.Sexp)
