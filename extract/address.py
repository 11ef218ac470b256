"""A Dask scheduler's address: its form checked before any connection, and a quick probe.

``python -m extract --scheduler`` and ``python -m hccstats.report --scheduler`` share
:func:`address_problem`, so a mistyped address is one line and exit code 2 at start-up in
both; :func:`probe` tells within seconds that nothing answers at a well-formed address
(Dask's client would wait its whole timeout, twice).  Neither imports Dask.
"""

from __future__ import annotations

import re
import socket
import time

__all__ = ["address_problem", "probe", "SCHEMES"]

#: the protocols of ``distributed``'s communication layer
SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")

_HOST = (
    r"(?:\[[0-9A-Fa-f:.]+\]"  # [IPv6]
    r"|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}))*)"
)
_HOST_PORT = re.compile(rf"(?P<host>{_HOST}):(?P<port>\d{{1,5}})")
_INPROC = re.compile(r"[^/\s]+/\d+/\d+")  # inproc://<ip>/<pid>/<n>: a scheduler in this process


def _split(address: str) -> tuple[str, str]:
    scheme, sep, rest = address.partition("://")
    return (scheme.lower(), rest) if sep else ("tcp", address)


def address_problem(address, flag: str = "--scheduler") -> str | None:
    """What is wrong with the form of a scheduler address (one line naming ``flag``), or None.

    Accepted: ``[SCHEME://]HOST:PORT`` with SCHEME one of :data:`SCHEMES` (tcp when left
    out), HOST a host name, an IPv4 address or a bracketed IPv6 address, PORT 1 to 65535; and
    Dask's in-process ``inproc://IP/PID/N``.

    >>> address_problem("tcp://head:8786") is None
    True
    >>> address_problem("head")
    "--scheduler 'head': not a Dask scheduler address (no :PORT); expected tcp://HOST:PORT, e.g. tcp://head:8786"
    """
    expected = "expected tcp://HOST:PORT, e.g. tcp://head:8786"
    if not isinstance(address, str) or not address.strip():
        return f"{flag}: no scheduler address given; {expected}"
    scheme, rest = _split(address)
    why = None
    if scheme not in SCHEMES:
        why = f"unknown protocol {scheme!r}; one of {', '.join(SCHEMES)}"
    elif scheme == "inproc":
        why = None if _INPROC.fullmatch(rest) else "inproc:// needs IP/PID/N"
    elif ":" not in rest.rsplit("]", 1)[-1]:
        why = "no :PORT"
    else:
        match = _HOST_PORT.fullmatch(rest)
        if match is None:
            why = f"{rest.rsplit(':', 1)[0]!r} is not a host name or IP address"
        elif not 1 <= int(match["port"]) <= 65535:
            why = f"port {match['port']} is not between 1 and 65535"
    if why is None:
        return None
    return f"{flag} {address!r}: not a Dask scheduler address ({why}); {expected}"


def probe(address: str, timeout: float = 2.0, flag: str = "--scheduler") -> str | None:
    """Why no Dask scheduler answers at a well-formed ``address`` (one line), or None.

    Within ``timeout`` seconds in all: the host must resolve and its port accept a
    connection; over plain tcp the scheduler must also send its greeting (a Dask server
    speaks first), which a firewall or a proxy that accepts every connection never does.
    inproc and ucx addresses are not tried (None).
    """
    scheme, rest = _split(address)
    match = _HOST_PORT.fullmatch(rest)
    if scheme in ("inproc", "ucx") or match is None:
        return None
    host, deadline = match["host"].strip("[]"), time.monotonic() + timeout
    try:
        with socket.create_connection((host, int(match["port"])), timeout=timeout) as conn:
            if scheme != "tcp":  # tls, ws, wss: the client speaks first
                return None
            conn.settimeout(max(deadline - time.monotonic(), 0.1))
            if conn.recv(1):
                return None
            why = "the connection was closed without a greeting"
    except socket.gaierror as exc:
        why = f"unknown host {host!r}: {exc.strerror or exc}"
    except TimeoutError:
        why = f"no Dask greeting within {timeout:g} s"
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
    return f"{flag} {address}: no Dask scheduler reachable there ({why})"
