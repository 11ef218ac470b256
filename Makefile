# The two commands of the README. Both bootstrap the machine first (idempotent, fast when done).
PY := .venv/bin/python
# UTF-8 I/O whatever the machine's locale (reports print "0.949 (0.919–0.980)")
export PYTHONUTF8 := 1

.PHONY: demo test lint doctest bootstrap bench clean

demo: bootstrap
	$(PY) -m hccstats.report --demo --out demo-report --force

# the suite on one pytest-xdist worker per core (setup.cfg: each test file on one worker)
test:
	bash scripts/bootstrap.sh --test
	$(PY) -m pytest -n auto $(PYTEST_ARGS)
	$(MAKE) doctest

# the examples in the docstrings, run as written (those that need R are marked +SKIP)
doctest: bootstrap
	$(PY) -m pytest -q -p no:cacheprovider --doctest-modules hccstats reports

# lint and format check (rules in pyproject.toml: line length 100, complexity 15)
lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bootstrap:
	bash scripts/bootstrap.sh

bench: bootstrap
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf demo-report build *.egg-info .pytest_cache
