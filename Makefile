# RecLab: one entry point for people and CI. `make help` lists the targets.
# Every target is .PHONY: with a folder named book/ at the root, a target named `book` that is
# not declared phony would be "up to date" and silently do nothing.
.PHONY: help book book-fresh test test-fast lint format lab env env-book env-test env-lab clean

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# Stamps record which extras were installed, and from which pyproject.toml.
STAMP_BOOK := $(VENV)/.reclab-book
STAMP_TEST := $(VENV)/.reclab-test
STAMP_LAB  := $(VENV)/.reclab-lab

help:
	@echo "make book        create .venv if needed, install the book's dependencies, build the executed book"
	@echo "make book-fresh  the same, re-executing every notebook (ignores the cache)"
	@echo "make test        lint, unit and property tests, the book build, checks of the built site"
	@echo "make test-fast   lint and the tests that do not need the built book"
	@echo "make lab         JupyterLab on notebooks/ in the same environment"
	@echo "make format      apply ruff's formatter and safe fixes"
	@echo "make clean       remove _build (keeps .venv)"

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "RecLab needs Python >= 3.10"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_BOOK): pyproject.toml | $(PY)
	$(PIP) install --quiet --editable ".[book]"
	@touch $@

$(STAMP_TEST): pyproject.toml $(STAMP_BOOK)
	$(PIP) install --quiet --editable ".[book,test]"
	@touch $@

$(STAMP_LAB): pyproject.toml $(STAMP_BOOK)
	$(PIP) install --quiet --editable ".[book,lab]"
	@touch $@

env-book: $(STAMP_BOOK)
env-test: $(STAMP_TEST)
env-lab: $(STAMP_LAB)
env: env-test

book: $(STAMP_BOOK)
	$(PY) -m booktools.build

book-fresh: $(STAMP_BOOK)
	$(PY) -m booktools.build --fresh

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP_TEST)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Tests that need no built book run first, so a broken function fails in minutes, not after the
# book build; then the book is built (which executes every notebook once) and the site is checked.
test-fast: lint
	$(PY) -m pytest -m "not site"

test: test-fast
	$(MAKE) book
	RECLAB_REQUIRE_SITE=1 $(PY) -m pytest -m site

lab: $(STAMP_LAB)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf _build
