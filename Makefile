# The project's vocabulary: make install | run | test | lint | eval | bench | audit
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
AUDIT_STAMP := $(VENV)/.installed-audit
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export UNSTRUCTURED_DISABLE_NOTICE := 1
export SCARF_NO_ANALYTICS := true
export DO_NOT_TRACK := true

.PHONY: install run test test-deps lint eval bench audit clean load

install: $(STAMP)  ## create .venv and install the exact pinned dependencies

$(STAMP): requirements.lock requirements-bootstrap.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	@echo "make install: creating $(VENV) and installing the pinned packages (about 2-3 minutes the first time, quiet; once)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# pip and setuptools pinned as well (requirements-bootstrap.lock); this package and any sdist in the locks are
	# then built with them (--no-build-isolation), so no build fetches an unpinned setuptools
	$(BIN)/python -m pip install --disable-pip-version-check -q --require-hashes --no-deps -r requirements-bootstrap.lock
	# every pin is in the lock, so install it as is (--no-deps keeps the resolver from swapping in a CUDA torch
	# or the layout-model extras unstructured does not need for the fast paths); --require-hashes: each file must
	# match one of its pin's sha256 (tools/lock_hashes.py writes them)
	$(BIN)/pip install --disable-pip-version-check -q --require-hashes --no-deps --no-build-isolation -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install  ## ingest the bundled corpus if needed, then serve on http://127.0.0.1:8000
	@echo "make run: ingesting the bundled corpus (first time: the embedding model is exported once, about 15 s, then a minute or two of parsing and embedding; later runs only changed files)"
	$(BIN)/cstassist ingest || echo "some files failed to ingest (see above); serving what was indexed"
	$(BIN)/cstassist serve --host 127.0.0.1 --port 8000

test-deps: install $(LLM_STAMP) $(AUDIT_STAMP)  ## what only the tests need: Chromium for the widget, a local LLM server, pip-audit, PostgreSQL
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@# the multi-host tests start their own PostgreSQL 15 cluster (initdb/pg_ctl as the package's non-root postgres user)
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; }

$(LLM_STAMP): requirements-llm.lock requirements-llm-build.lock
	@echo "make test-deps: compiling llama-cpp-python from source for the local-LLM tests (about 8 minutes on 2 cores, quiet; once)"
	# its build backend, pinned and hashed, then the build without isolation: pip's isolated build environment
	# ignores --require-hashes and would fetch the latest scikit-build-core
	$(BIN)/pip install --disable-pip-version-check -q --require-hashes --no-deps -r requirements-llm-build.lock
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" $(BIN)/pip install --disable-pip-version-check -q --require-hashes --no-deps --no-build-isolation -r requirements-llm.lock
	touch $(LLM_STAMP)

$(AUDIT_STAMP): requirements-audit.lock
	$(BIN)/pip install --disable-pip-version-check -q --require-hashes --no-deps --no-build-isolation -r requirements-audit.lock
	touch $(AUDIT_STAMP)

test: test-deps  ## the whole suite, slow tests included
	@echo "make test: the whole suite, real parsers, Chromium and servers included (tens of minutes on 2 cores; a dot per test)"
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check src ingest api evals cli tests benchmarks tools
	$(BIN)/ruff format --check src ingest api evals cli tests benchmarks tools

eval: install  ## retrieval and answer quality on the gold set, with baselines; reports in evals/reports/
	$(BIN)/cstassist eval

bench: install  ## speed at scale against the plain LangChain stack (see benchmarks/README.md)
	$(BIN)/python -m benchmarks.run

audit: install $(AUDIT_STAMP)  ## known vulnerabilities in the pinned packages; needs PyPI's JSON API, fails in one line without it
	$(BIN)/python tools/audit.py requirements.lock requirements-llm.lock requirements-llm-build.lock requirements-audit.lock requirements-bootstrap.lock

clean:
	rm -rf data evals/reports test-artifacts

load: install  ## 60 s load test at concurrency 16 against a fresh local service (loopback only)
	@set -e; $(BIN)/cstassist ingest >/dev/null || true; \
	CSTASSIST_LIMITS__RATE_PER_MINUTE=1000000 $(BIN)/cstassist serve --port 8010 --log-level warning 2>/dev/null & pid=$$!; \
	trap "kill $$pid" EXIT; for i in $$(seq 1 120); do curl -sf http://127.0.0.1:8010/readyz >/dev/null && break; sleep 0.5; done; \
	$(BIN)/cstassist loadtest --url http://127.0.0.1:8010 --concurrency 16 --seconds 60
