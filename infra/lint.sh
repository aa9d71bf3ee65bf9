#!/usr/bin/env bash
# Package (infra/package.sh), then lint what would be deployed:
#   cfn-lint on out/sam.json (resources, IAM, the state machine Definition, dependency cycles)
#   asl-validator on the ASL source (with its ${...} placeholders) and on the same definition
#   with dummy Lambda ARNs, as Step Functions sees it after DefinitionSubstitutions.
#   cfn-lint-serverless's rules, findings checked against infra/lint-baseline.json (infra/lint_baseline.py)
#   cfn-lint on infra/edge-waf.yml
#   checkov on the SAM-transformed template (infra/sam_transform.py -> out/sam-transformed.json) and on
#   infra/edge-waf.yml, failed checks against infra/lint-baseline.json's "checkov" section (infra/lint_baseline.py)
#   openapi-spec-validator on GET /v1/openapi.json as the app serves it (issue 28).
# Needs .venv with cfn-lint, cfn-lint-serverless (make lint installs requirements-lint.txt),
# aws-sam-translator and openapi-spec-validator; checkov ($CHECKOV, default .venv-checkov/bin/checkov: make
# lint installs requirements-checkov.txt there); and node/npm (asl-validator from package.json; `npm ci` if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
asl=chalicelib/workflows/safe_delete_pos_device.asl.json
py=.venv/bin/python
[ -x "$py" ] || py=python3

# The served document (no AWS needed to serve it), through the app's own routing.
"$py" - <<'PY'
import json

from chalice.test import Client
from openapi_spec_validator import validate

from app import app

with Client(app) as client:
    response = client.http.get("/v1/openapi.json")
assert response.status_code == 200, response.status_code
document = json.loads(response.body)
validate(document)
print(f"lint: openapi-spec-validator passed on GET /v1/openapi.json (OpenAPI {document['openapi']}, "
      f"{sum(len(item) for item in document['paths'].values())} operations)")
PY

bash infra/package.sh "$out"

cfn_lint=.venv/bin/cfn-lint
[ -x "$cfn_lint" ] || cfn_lint=cfn-lint
"$cfn_lint" --version
"$cfn_lint" "$out/sam.json"
echo "lint: cfn-lint passed on $out/sam.json"
# cfn-lint-serverless's rules (requirements-lint.txt): every finding must be one infra/lint-baseline.json keeps
# on purpose, with its reason. cfn-lint exits non-zero whenever it reports something; the baseline decides.
"$cfn_lint" --append-rules cfn_lint_serverless.rules --format json -- "$out/sam.json" > "$out/lint-serverless.json" || true
"${PYTHON:-.venv/bin/python}" infra/lint_baseline.py "$out/lint-serverless.json"
# The CloudFront side (us-east-1): cfn-lint's own rules.
"$cfn_lint" infra/edge-waf.yml
echo "lint: cfn-lint passed on infra/edge-waf.yml"

# checkov (its own venv: requirements-checkov.txt) on what CloudFormation deploys: the template after the SAM
# transform (the API stage, invoke configs, schedules and the stream mapping SAM generates), and the edge stack.
# Offline (--skip-download: no Prisma Cloud guidelines), soft-fail: as above, the baseline decides.
"$py" infra/sam_transform.py "$out/sam.json" "$out/sam-transformed.json"
checkov="${CHECKOV:-.venv-checkov/bin/checkov}"
[ -x "$checkov" ] || { echo "lint: no checkov at $checkov (make lint installs it into .venv-checkov)" >&2; exit 2; }
echo "lint: checkov $("$checkov" --version)"
"$checkov" --framework cloudformation -f "$out/sam-transformed.json" -f infra/edge-waf.yml \
  --output json --compact --quiet --soft-fail --skip-download > "$out/checkov.json"
"${PYTHON:-.venv/bin/python}" infra/lint_baseline.py --checkov "$out/checkov.json"

if [ ! -x node_modules/.bin/asl-validator ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/asl-validator \
  --json-path "$asl" \
  --json-path "$out/safe_delete_pos_device.sample.asl.json"
echo "lint: asl-validator passed"
