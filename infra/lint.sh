#!/usr/bin/env bash
# Package (infra/package.sh), then lint what would be deployed:
#   cfn-lint on out/sam.json (resources, IAM, the state machine Definition, dependency cycles)
#   asl-validator on the ASL source (with its ${...} placeholders) and on the same definition
#   with dummy Lambda ARNs, as Step Functions sees it after DefinitionSubstitutions.
# Needs .venv with cfn-lint and node/npm (asl-validator from package.json; `npm ci` if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
asl=chalicelib/workflows/safe_delete_pos_device.asl.json

bash infra/package.sh "$out"

cfn_lint=.venv/bin/cfn-lint
[ -x "$cfn_lint" ] || cfn_lint=cfn-lint
"$cfn_lint" --version
"$cfn_lint" "$out/sam.json"
echo "lint: cfn-lint passed on $out/sam.json"

if [ ! -x node_modules/.bin/asl-validator ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/asl-validator \
  --json-path "$asl" \
  --json-path "$out/safe_delete_pos_device.sample.asl.json"
echo "lint: asl-validator passed"
