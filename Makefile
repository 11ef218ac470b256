# The two commands of the README. Both bootstrap the machine first (idempotent, fast when done).
PY := .venv/bin/python

.PHONY: demo test bootstrap bench clean

demo: bootstrap
	$(PY) -m hccstats.report --demo --out demo-report --force

test:
	bash scripts/bootstrap.sh --test
	$(PY) -m pytest $(PYTEST_ARGS)

bootstrap:
	bash scripts/bootstrap.sh

bench: bootstrap
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf demo-report build *.egg-info .pytest_cache
