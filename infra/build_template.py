#!/usr/bin/env python3
"""Build the merge template for `chalice package` from infra/template.yml.

infra/template.yml is CloudFormation/SAM YAML (short-form tags such as !Sub and !GetAtt
allowed). Any string value "@include <path>" (path relative to the repo root) is replaced
by the parsed JSON of that file; that is how the state machine's Definition becomes an
object (so cfn-lint checks it) while chalicelib/workflows/*.asl.json stays the one source
of the ASL. The ${...} placeholders of every state machine Definition must match its
DefinitionSubstitutions exactly, or the build fails.

Usage:
    python infra/build_template.py [--template infra/template.yml]
                                   [--output out/merge-template.json]
                                   [--sample-asl out/safe_delete_pos_device.sample.asl.json]

--sample-asl also writes the Definition with every placeholder replaced by a dummy Lambda
ARN, as Step Functions would see it after substitution (infra/lint.sh validates it).

Standard library + PyYAML (already a dependency of chalice and cfn-lint).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yml"
DEFAULT_OUTPUT = REPO_ROOT / "out" / "merge-template.json"
INCLUDE_PREFIX = "@include "
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
STATE_MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")


class TemplateError(Exception):
    """The template cannot be built as asked."""


# ------------------------------------------------------------------ YAML with CFN tags
class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::" + tag_suffix: value}


_CfnLoader.add_multi_constructor("!", _construct_cfn_tag)


def load_yaml_template(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: not a template (top level is not a mapping)")
    return data


# ------------------------------------------------------------------ building
def _resolve_includes(node: Any, root: Path) -> Any:
    if isinstance(node, dict):
        return {key: _resolve_includes(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_includes(value, root) for value in node]
    if isinstance(node, str) and node.startswith(INCLUDE_PREFIX):
        path = root / node[len(INCLUDE_PREFIX):].strip()
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise TemplateError(f"cannot include {path}: {exc}") from exc
    return node


def placeholders(obj: Any) -> set[str]:
    """Names of all ${Name} placeholders in the strings of obj."""
    return set(PLACEHOLDER_RE.findall(json.dumps(obj)))


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") in STATE_MACHINE_TYPES
    }


def check_substitutions(template: dict[str, Any]) -> None:
    problems = []
    for name, resource in state_machines(template).items():
        props = resource.get("Properties", {})
        definition = props.get("Definition")
        if not isinstance(definition, dict):
            problems.append(f"{name}: Definition must be an object (use @include)")
            continue
        used = placeholders(definition)
        supplied = set(props.get("DefinitionSubstitutions", {}))
        if used - supplied:
            problems.append(f"{name}: no DefinitionSubstitutions for {sorted(used - supplied)}")
        if supplied - used:
            problems.append(f"{name}: DefinitionSubstitutions not used: {sorted(supplied - used)}")
    if problems:
        raise TemplateError("; ".join(problems))


def build(template_path: Path = DEFAULT_TEMPLATE, root: Path = REPO_ROOT) -> dict[str, Any]:
    """The merge template as a dict, with includes resolved and substitutions checked."""
    template = _resolve_includes(load_yaml_template(template_path), root)
    check_substitutions(template)
    return template


def substitute_dummy_arns(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as Step Functions sees it, each ${Name} replaced by a Lambda ARN."""
    text = PLACEHOLDER_RE.sub(
        lambda m: f"arn:aws:lambda:us-east-1:123456789012:function:{m.group(1)}",
        json.dumps(definition),
    )
    return json.loads(text)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--sample-asl", type=Path, default=None,
                        help="also write the state machine definition with dummy ARNs here")
    args = parser.parse_args(argv)
    try:
        template = build(args.template)
    except (TemplateError, OSError, yaml.YAMLError) as exc:
        print(f"build_template: {exc}", file=sys.stderr)
        return 1
    _write_json(args.output, template)
    print(f"build_template: wrote {args.output}")
    if args.sample_asl is not None:
        machines = state_machines(template)
        if len(machines) != 1:
            print(f"build_template: expected one state machine, found {sorted(machines)}",
                  file=sys.stderr)
            return 1
        (machine,) = machines.values()
        _write_json(args.sample_asl, substitute_dummy_arns(machine["Properties"]["Definition"]))
        print(f"build_template: wrote {args.sample_asl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
