# Insight: `make run` starts everything locally; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev

.PHONY: run test lint package model-code bench clean

# Offline engines that PyPI has no wheel for come from Debian (local runtime only, never shipped).
DEBIAN_PACKAGES := apertium-eng-spa

$(VENV)/.system: Makefile
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	    || { echo "could not install $$missing: install them with apt-get (offline Translate needs them)"; exit 1; }; \
	fi
	@mkdir -p $(VENV) && touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt $(VENV)/.system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

## Start the local runtime and the API on 127.0.0.1:8000, push the samples through, keep serving.
run: $(VENV)/.installed
	$(PY) -m insight_local

## Run every test (unit, integration against moto, end to end through the local runtime).
test: $(VENV)/.installed
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib

## The CloudFormation/SAM template and bundles for STAGE (dev or prod), in build/$(STAGE)/.
package: $(VENV)/.installed
	$(PY) -m infra.package --stage $(STAGE)

## After deploying: the models' scripts and sourcedir.tar.gz to the stack's model bucket (BUCKET=...).
model-code: $(VENV)/.installed
	@test -n "$(BUCKET)" || { echo "usage: make model-code BUCKET=<the stack's ModelData output>"; exit 1; }
	$(PY) -m infra.model_code --bucket $(BUCKET)

## Cold start, bundle sizes and local end-to-end figures.
bench: $(VENV)/.installed
	$(PY) -m bench

clean:
	rm -rf build .pytest_cache
