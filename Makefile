# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck pytest demo bench eval clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The real-browser page test drives Debian's Chromium (no browser download) and needs Korean fonts to
# render the pages as readers see them: both are installed from Debian's packages when missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi nanum; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum; \
	  else echo "chromium/fonts-nanum missing: run 'sudo apt-get install chromium fonts-nanum'"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check briefings bot tests bench alembic
	$(BIN)/ruff format --check briefings bot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/briefings demo

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH)

eval: $(STAMP)
	$(BIN)/python -m bench.eval

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
