# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test reset package lint bench install clean

$(STAMP): requirements.txt requirements-dev.txt requirements-sam.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-sam.txt
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m local.server

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

reset:
	rm -rf "$${POS_LOCAL_STATE_DIR:-.local}"

package: $(STAMP) $(NODE_STAMP)
	bash infra/package.sh

lint: $(STAMP) $(NODE_STAMP)
	bash infra/lint.sh

bench: $(STAMP)
	$(PY) -m bench.sync_bench
	$(PY) -m bench.audit_bench
	$(PY) -m bench.deletion_bench
	$(PY) -m bench.cold_start
	$(PY) -m bench.final_sync_bench

clean:
	rm -rf $(VENV) node_modules out
