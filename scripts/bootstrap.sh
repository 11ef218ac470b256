#!/usr/bin/env bash
# Sets up everything hccstats needs on a fresh Debian-like machine, idempotently:
#   - R with rms, pROC and car from Debian's packages (when missing and we are root),
#   - with --test: Debian's chromium (the report's screenshot test),
#   - .venv with hccstats and all its extras (torch/torchvision pinned, rpy2 pinned).
# A second run with nothing to do returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
STAMP="$VENV/.hccstats-installed"
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if [ ! -f /tmp/.hccstats-apt-updated ]; then apt-get update -qq && touch /tmp/.hccstats-apt-updated; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "bootstrap: not root or no apt-get; please install: $*" >&2
    return 1
  fi
}

r_ok() {
  command -v Rscript >/dev/null &&
    Rscript -e 'for (p in c("rms","pROC","car","vcd","brglm2")) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' >/dev/null 2>&1
}
if ! r_ok; then
  echo "bootstrap: installing R, rms, pROC, car, vcd and brglm2 from Debian's packages ..."
  apt_install r-base-core r-base-dev r-cran-rms r-cran-proc r-cran-car r-cran-vcd r-cran-brglm2 ||
    echo "bootstrap: continuing without R (R-checked steps will say so)" >&2
fi
if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null; then
  echo "bootstrap: installing chromium (for the report screenshot test) ..."
  apt_install chromium fonts-dejavu-core || true
fi

hash=$( (cat setup.cfg pyproject.toml scripts/bootstrap.sh; command -v R || true) | sha256sum | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$hash" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi
echo "bootstrap: creating $VENV and installing hccstats[all,dev] (torch takes about a minute) ..."
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip setuptools wheel
# torch and torchvision pinned exactly, before anything that depends on them picks another
"$VENV/bin/pip" install -q torch==2.14.1 torchvision==0.29.1
"$VENV/bin/pip" install -q -e '.[all,dev]'
echo "$hash" > "$STAMP"
echo "bootstrap: done"
