#!/usr/bin/env bash
# Build the deployable SAM template and code package into out/ (or the directory given).
#   out/merge-template.json   infra/template.yml with the ASL inlined (infra/build_template.py)
#   out/sam.json              chalice's SAM template deep-merged with it
#   out/deployment.zip        the Lambda code, with CPython 3.11 bytecode added (infra/precompile.py)
#   out/safe_delete_pos_device.sample.asl.json   the ASL with dummy ARNs (for asl-validator)
# Env: CHALICE_STAGE (dev), AWS_DEFAULT_REGION (us-east-1; chalice needs one, nothing is called).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"
py="${PYTHON:-.venv/bin/python}"
chalice="${CHALICE:-.venv/bin/chalice}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

"$py" infra/build_template.py --stage "${CHALICE_STAGE:-dev}" \
  --output "$out/merge-template.json" \
  --sample-asl "$out/safe_delete_pos_device.sample.asl.json"
"$chalice" package --stage "${CHALICE_STAGE:-dev}" \
  --merge-template "$out/merge-template.json" "$out"
# chalice ships sources only: without bytecode each cold start compiles the whole package again.
"$py" infra/precompile.py "$out/deployment.zip"
echo "package: wrote $out/sam.json and $out/deployment.zip"
