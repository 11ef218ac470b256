"""Ctrl-C and SIGTERM while R computes: the run ends at once, says so in one line, leaves nothing.

Real processes, real signals, real R (through rpy2): a Python script whose R call sleeps, and a
`python -m hccstats.report` run whose R is held inside the loading of rms by an R profile hook
(R_PROFILE_USER, read by the embedded R at start-up). Each subprocess gets its own TMPDIR, where
R makes its ``Rtmp*`` folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

pytestmark = pytest.mark.r

SLOW_R = """\
import sys
from hccstats import rbridge

rbridge.run("1")
print("R ready", flush=True)
try:
    rbridge.run(sys.argv[1])
except BaseException as exc:
    print("stopped by", type(exc).__name__, flush=True)
    print("R still answers", rbridge.run("1 + 1"), flush=True)
    raise
print("R finished", flush=True)
"""

# R loops in its evaluator (our handler stops it) or sleeps in select() (R's own SIGINT handler)
R_BUSY = ["Sys.sleep(30)", "x <- 0; for (i in 1:1e9) x <- x + 1; x"]


@pytest.fixture(scope="module")
def r_ready():
    rbridge = pytest.importorskip("hccstats.rbridge")
    if not rbridge.r_available() and os.environ.get("HCCSTATS_REQUIRE_R") != "1":
        pytest.skip("R is not available")


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    tmp.mkdir(exist_ok=True)
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": path, **extra}


def _stop(proc: subprocess.Popen, sig: int) -> tuple[float, str, str]:
    t0 = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return time.monotonic() - t0, out, err


@pytest.mark.parametrize("code", R_BUSY, ids=["sleep", "loop"])
@pytest.mark.parametrize(
    ("sig", "raised", "rc"),
    # an uncaught KeyboardInterrupt ends Python by SIGINT itself (return code -2)
    [(signal.SIGINT, "KeyboardInterrupt", -signal.SIGINT), (signal.SIGTERM, "SystemExit", 143)],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_while_r_computes_reaches_python_at_once(r_ready, tmp_path, code, sig, raised, rc):
    script = tmp_path / "slow.py"
    # the SIGTERM handler of a program that cleans up (the report's): SystemExit(143)
    script.write_text(
        "import signal\n"
        "signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(143)))\n"
        + SLOW_R
    )
    tmp = tmp_path / "tmp"
    proc = subprocess.Popen(
        [PY, str(script), code],
        env=_env(tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "R ready", proc.stderr.read()
    assert list(tmp.glob("Rtmp*")), "R makes its tempdir() in TMPDIR"
    time.sleep(1.5)  # R is inside the call now
    seconds, out, err = _stop(proc, sig)
    assert proc.returncode == rc, (out, err)
    assert seconds < 10, f"{seconds:.1f} s to stop"
    assert f"stopped by {raised}" in out and "R still answers 2" in out, (out, err)
    assert "R finished" not in out and "Exception ignored" not in err, err
    assert not list(tmp.glob("Rtmp*")), "R's tempdir() removed at exit"


def test_sigterm_with_the_default_action_still_removes_rs_tempdir(r_ready, tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_R)  # no SIGTERM handler: the signal's default action ends it
    tmp = tmp_path / "tmp"
    proc = subprocess.Popen(
        [PY, str(script), R_BUSY[1]], env=_env(tmp), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "R ready"
    time.sleep(1.5)
    seconds, out, _ = _stop(proc, signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM and seconds < 10
    assert "R finished" not in out
    assert not list(tmp.glob("Rtmp*"))


# R's profile holds R inside the loading of rms (as a slow network file system would), after
# marking that it got there: the report is then certainly inside R when the signal comes
PROFILE = """\
setHook(packageEvent("rms", "onLoad"), function(...) {
  file.create(Sys.getenv("HCC_TEST_IN_R"))
  Sys.sleep(120)
})
"""


@pytest.fixture(scope="module")
def birthwt_study(tmp_path_factory) -> Path:
    from test_report_pipeline import STUDY_YAML, _birthwt

    folder = tmp_path_factory.mktemp("birthwt")
    _birthwt().to_csv(folder / "clinical.csv", index=False)
    (folder / "study.yaml").write_text(STUDY_YAML + "analysis: {B: 20}\n")
    return folder / "study.yaml"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "rc", "says"),
    [
        (signal.SIGINT, 130, "error: interrupted; no report was written"),
        (signal.SIGTERM, 143, "error: terminated (SIGTERM); no report was written"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_report_interrupted_inside_r_exits_at_once_and_publishes_nothing(
    r_ready, birthwt_study, tmp_path, sig, rc, says
):
    profile, mark = tmp_path / "Rprofile", tmp_path / "in-r"
    profile.write_text(PROFILE)
    tmp, out = tmp_path / "tmp", tmp_path / "report"
    env = _env(tmp, R_PROFILE_USER=str(profile), HCC_TEST_IN_R=str(mark))
    cmd = [PY, "-m", "hccstats.report", "--config", str(birthwt_study), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not mark.exists():
        time.sleep(0.1)
    assert mark.exists(), proc.communicate()[1].decode()[-2000:]
    time.sleep(0.5)
    seconds, _, err = _stop(proc, sig)
    err = err.decode()
    assert proc.returncode == rc, err[-2000:]
    assert seconds < 10, f"{seconds:.1f} s to stop"
    assert err.strip().splitlines() == [says], err[-2000:]
    assert not out.exists()
    assert not list(tmp_path.glob(".report.partial-*"))
    assert not list(tmp.glob("Rtmp*"))
