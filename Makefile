# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCAL_STAMP := $(VENV)/.installed-local
NODE_STAMP := node_modules/.installed
PIP := $(PY) -m pip install --disable-pip-version-check --progress-bar on

.PHONY: run test test-fast test-dynamodb reset package lint bench install clean

# `make run` needs only requirements-local.txt; the test tools come with `make test`.
$(LOCAL_STAMP): requirements.txt requirements-local.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing what the local server needs into $(VENV) ..."
	$(PIP) -r requirements-local.txt
	@touch $(LOCAL_STAMP)

$(STAMP): $(LOCAL_STAMP) requirements-dev.txt requirements-sam.txt
	@echo "Installing the test tools into $(VENV) ..."
	$(PIP) -r requirements-dev.txt
	$(PIP) --no-deps -r requirements-sam.txt
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

install: $(STAMP)

run: $(LOCAL_STAMP)
	$(PY) -m local.server

# Every test, on pytest-xdist workers (one per core, at most 4; TEST_WORKERS=0 runs them in this process).
# Each worker takes a module, or a directory (tests/e2e, tests/infra) at a time: see tests/conftest.py.
TEST_WORKERS ?= auto
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

# The inner loop: the service tests and the contract suite on SQLite; no AWS emulator, no browser.
FAST_TESTS := tests/unit tests/contract
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not moto" $(FAST_TESTS) $(PYTEST_ARGS)

# The contract suite and the main stories on a real DynamoDB endpoint you provide (not part of `make test`):
# AWS_ENDPOINT_URL_DYNAMODB=https://dynamodb.eu-central-1.amazonaws.com AWS_PROFILE=dev make test-dynamodb
test-dynamodb: $(STAMP)
	@test -n "$$AWS_ENDPOINT_URL_DYNAMODB" || { echo "make test-dynamodb needs a DynamoDB endpoint: set AWS_ENDPOINT_URL_DYNAMODB (your development account's regional endpoint with AWS credentials, or a DynamoDB-compatible server). Tables named pos-test-* are created there and emptied between tests." >&2; exit 2; }
	POS_TEST_DYNAMODB_ENDPOINT="$$AWS_ENDPOINT_URL_DYNAMODB" $(PY) -m pytest -p no:xdist -m dynamodb $(DYNAMODB_TESTS) $(PYTEST_ARGS)
DYNAMODB_TESTS := tests/contract tests/functional/test_lifecycle.py tests/functional/test_sync.py \
	tests/functional/test_deletion.py tests/functional/test_final_sync.py tests/functional/test_pairing.py

# Refuses while a `make run` uses the data.
reset:
	$(PYTHON) -m local.reset

package: $(STAMP) $(NODE_STAMP)
	bash infra/package.sh

# Only the linters need requirements-lint.txt (cfn-lint-serverless, MIT-0; no dependency but the pinned cfn-lint).
LINT_STAMP := $(VENV)/.installed-lint
$(LINT_STAMP): $(STAMP) requirements-lint.txt
	$(PIP) -r requirements-lint.txt
	@touch $(LINT_STAMP)

# checkov (Apache-2.0) in a virtualenv of its own: it cannot be installed next to .venv's pins (requirements-checkov.txt).
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@echo "Installing checkov into $(CHECKOV_VENV) (lint only) ..."
	$(CHECKOV_VENV)/bin/python -m pip install --disable-pip-version-check --progress-bar on -r requirements-checkov.txt
	@touch $(CHECKOV_STAMP)

lint: $(LINT_STAMP) $(CHECKOV_STAMP) $(NODE_STAMP)
	CHECKOV=$(CHECKOV_VENV)/bin/checkov bash infra/lint.sh

bench: $(STAMP)
	$(PY) -m bench.sync_bench
	$(PY) -m bench.local_server_bench
	$(PY) -m bench.audit_bench
	$(PY) -m bench.deletion_bench
	$(PY) -m bench.cold_start
	$(PY) -m bench.final_sync_bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules out
