# Every target bootstraps .venv from the pinned requirements, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STACK ?= dev
ARGS ?=

.PHONY: preview diff test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## make preview: the credential-free preview of the dev stack (resources, policy verdicts); STACK=name for another
preview: $(STAMP)
	$(PY) -m offline preview --stack $(STACK) $(ARGS)

## make diff BASE=origin/main: the offline preview of this tree against a git ref, and what would change
BASE ?= origin/main
diff: $(STAMP)
	$(PY) -m offline diff --stack $(STACK) --base $(BASE) $(ARGS)

## make test: the whole test suite
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## make bench: benchmarks (ratios on this machine), not tests
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
