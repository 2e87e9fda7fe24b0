# The README's two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: demo test readme-check lint bench bench-scale golden mutants clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	@echo "== installing: upgrading pip in $(VENV)"
	$(PIP) install --progress-bar on --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(PY)
	@echo "== installing smallcap-rotation and its libraries into $(VENV) (about a minute the first time)"
	$(PIP) install --progress-bar on -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	@echo "== installing smallcap-rotation with its test and Dask extras into $(VENV) (about a minute the first time)"
	$(PIP) install --progress-bar on -e '.[test,distributed]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(VENV)/bin/smallcap data list
	$(VENV)/bin/smallcap sweep examples/demo.toml --out runs/demo --resume --tearsheets --rank-by sharpe
	@echo "comparison page: $(CURDIR)/runs/demo/comparison.html"

test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	@$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; fi; exit $$rc

readme-check: $(VENV)/.installed-test  ## every README command as written, long ones included (CI runs it after test)
	$(PY) -m pytest -q -m readme_long --durations=0 tests/test_readme_long.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/.installed-test
	@echo "== installing the bench extra (bt, vectorbt) into $(VENV)"
	$(PIP) install --progress-bar on -e '.[test,distributed,bench]'
	touch $@

bench: $(VENV)/.installed-bench  ## bench/ scripts; the peers (bt, vectorbt) come from the bench extra
	$(PY) bench/peers.py
	$(PY) bench/cli_latency.py
	$(PY) bench/tearsheet_speed.py
	$(PY) bench/sweep_scaling.py
	$(PY) bench/sweep_tearsheets.py
	$(PY) bench/runs_index.py

bench-scale: $(VENV)/.installed-test  ## 1,000- and 10,000-variant sweeps, their statistics and pages (an hour or more)
	$(PY) bench/sweep_1000.py
	$(PY) bench/sweep_10000.py

golden: $(VENV)/.installed-test  ## rewrite tests/golden/strategies.json; review the diff before committing
	$(PY) tests/regen_golden.py

mutants: $(VENV)/.installed-test  ## plant each single-line bug of tests/mutants.py in turn; the tests must kill >= 95%
	$(PY) tests/mutants.py

clean:
	rm -rf $(VENV) runs .pytest_cache
