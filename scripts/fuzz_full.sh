#!/usr/bin/env bash
# The larger, documented fuzz run of the HTTP contract (issue 8.1); `make test` runs a small one.
#
#   bash scripts/fuzz_full.sh            # 300 examples per operation (positive), 150 (negative)
#   FUZZ_EXAMPLES=1000 bash scripts/fuzz_full.sh
#
# What it does: for every operation of GET /v1/openapi.json, schemathesis generates requests (schema-valid
# ones, a share with real ids of a populated merchant, then schema-violating ones), sends them to the app in
# process (Chalice's API Gateway emulation, moto's DynamoDB and Step Functions), and checks each answer:
# no 5xx, a documented status, content type, headers and body schema, invalid data refused, auth enforced.
# Generation is derandomized: the same examples every run, so a failure reproduces; the failing request is
# printed as a curl command. Offline; takes a few minutes at the default size.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export FUZZ_EXAMPLES=${FUZZ_EXAMPLES:-300}
exec "$PY" -m pytest -q -p no:cacheprovider -s tests/robustness/test_contract_fuzz.py "$@"
