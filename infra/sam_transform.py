#!/usr/bin/env python3
"""The SAM transform, offline: out/sam.json -> the plain CloudFormation template CloudFormation would deploy.

    python infra/sam_transform.py out/sam.json out/sam-transformed.json

What `make lint` gives checkov (infra/lint.sh), so that it sees the resources SAM generates (the API stage
and deployment, the functions' event invoke configs, schedules, permissions, the stream mapping) as they are
deployed. tests/infra/test_deploy.py runs the same transform before it creates the stack in moto.
Needs aws-sam-translator (requirements-sam.txt, in .venv). Nothing is called: the region, account, stack
and the required parameters get placeholder values.
"""
from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "pos-backoffice-lint"
# Parameters without a default: a placeholder is enough for the transform (it only resolves a few intrinsics).
PLACEHOLDER_PARAMETERS = {"AlarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:pos-backoffice-alarms"}
PLACEHOLDER_CODE_URI = "s3://deploy-artifacts/pos/deployment.zip"


class _NoManagedPolicies:
    """The template names no AWS managed policy; the loader must never be asked for one."""

    def load(self):
        raise AssertionError("the template should not reference managed policies by name")


def sam_transform(sam: dict, code_uri: str = PLACEHOLDER_CODE_URI, parameters: dict | None = None, *,
                  stack: str = STACK, region: str = REGION, account: str = ACCOUNT) -> dict:
    """`sam` through the AWS::Serverless transform, with each function's CodeUri set to `code_uri` (what
    `aws cloudformation package` does)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)  # the translator's boto session wants one
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(sam)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri
    values = {**PLACEHOLDER_PARAMETERS, **(parameters or {}), "AWS::Region": region, "AWS::AccountId": account,
              "AWS::Partition": "aws", "AWS::StackName": stack, "AWS::URLSuffix": "amazonaws.com"}
    return transform(template, values, _NoManagedPolicies())


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    sam = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    transformed = sam_transform(sam)
    Path(argv[2]).write_text(json.dumps(transformed, indent=1) + "\n", encoding="utf-8")
    print(f"sam_transform: wrote {argv[2]} ({len(transformed['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
