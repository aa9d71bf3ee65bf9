#!/usr/bin/env python3
"""Build the merge template for `chalice package` from infra/template.yml.

infra/template.yml is CloudFormation/SAM YAML (short-form tags such as !Sub and !GetAtt
allowed). Any string value "@include <path>" (path relative to the repo root) is replaced
by the parsed JSON of that file; that is how the state machine's Definition becomes an
object (so cfn-lint checks it) while chalicelib/workflows/*.asl.json stays the one source
of the ASL. The Lambda task ARNs of SafeDeletePosDevice's DefinitionSubstitutions come from the
one registry of workflow tasks (chalicelib/workflows/steps.py), which infra/functions.yml must
declare under the same names. The ${...} placeholders of every state machine Definition must
match its DefinitionSubstitutions exactly, or the build fails.

Usage:
    python infra/build_template.py [--template infra/template.yml]
                                   [--output out/merge-template.json]
                                   [--sample-asl out/safe_delete_pos_device.sample.asl.json]

--sample-asl also writes the Definition with every placeholder replaced by a dummy Lambda
ARN, as Step Functions would see it after substitution (infra/lint.sh validates it).

Standard library + PyYAML (already a dependency of chalice and cfn-lint) + the registry
(pure data: chalicelib/workflows/steps.py imports only the pure domain).
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
if str(REPO_ROOT) not in sys.path:  # run as `python infra/build_template.py`
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.workflows import steps as workflow_steps  # noqa: E402 - after the path is set

DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yml"
DEFAULT_OUTPUT = REPO_ROOT / "out" / "merge-template.json"
DEFAULT_FUNCTIONS = REPO_ROOT / "infra" / "functions.yml"
RUNTIME = "python3.11"
INCLUDE_PREFIX = "@include "
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
STATE_MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
WORKFLOW = "SafeDeletePosDevice"


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


def add_task_substitutions(template: dict[str, Any]) -> None:
    """SafeDeletePosDevice's DefinitionSubstitutions: each task's ${placeholder} -> its function's ARN,
    from the registry (the template names no task itself)."""
    machine = state_machines(template).get(WORKFLOW)
    if machine is None:
        raise TemplateError(f"no state machine {WORKFLOW}")
    substitutions = machine.setdefault("Properties", {}).setdefault("DefinitionSubstitutions", {})
    for task in workflow_steps.TASKS:
        if task.placeholder in substitutions:
            raise TemplateError(f"{WORKFLOW}: {task.placeholder} comes from chalicelib/workflows/steps.py; "
                                "remove it from the template")
        substitutions[task.placeholder] = {"Fn::GetAtt": [task.logical_id, "Arn"]}


def check_task_functions(functions: dict[str, Any]) -> None:
    """infra/functions.yml declares exactly the registry's deletion tasks, under their Chalice names."""
    problems = [f"{task.logical_id}: declare it with name {task.function}" for task in workflow_steps.TASKS
                if (functions.get(task.logical_id) or {}).get("name") != task.function]
    known = {task.logical_id for task in workflow_steps.TASKS}
    problems += [f"{logical} ({spec.get('name')}): not a task of chalicelib/workflows/steps.py"
                 for logical, spec in functions.items()
                 if str(spec.get("name", "")).startswith("deletion_") and logical not in known]
    if problems:
        raise TemplateError("infra/functions.yml: " + "; ".join(problems))


# ------------------------------------------------------------------ per function: role, logs, alarm
def _table_id(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_")) + "Table"


def _alarm_actions() -> dict[str, Any]:
    return {"AlarmActions": [{"Ref": "AlarmTopicArn"}], "OKActions": [{"Ref": "AlarmTopicArn"}]}


def _function_role_policies(logical: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    name = spec["name"]
    policies = [
        {"PolicyName": "Logs", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "OwnLogGroup", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                     f"/aws/lambda/${{AWS::StackName}}-{name}:*"}]}]}},
        {"PolicyName": "Tracing", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "XRay", "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*"}]}},  # X-Ray has no resource-level permissions for these actions
    ]
    statements = []
    for resource, actions in (spec.get("dynamodb") or {}).items():
        table, _, index = resource.partition("/")
        if index not in ("", "index"):
            raise TemplateError(f"{logical}: {resource!r}: use <table> or <table>/index")
        arn: Any = ({"Fn::GetAtt": [_table_id(table), "Arn"]} if not index
                    else {"Fn::Sub": "${%s.Arn}/index/*" % _table_id(table)})
        sid = _table_id(table)[:-len("Table")] + ("Indexes" if index else "Table")
        statements.append({"Sid": sid, "Effect": "Allow",
                           "Action": [f"dynamodb:{action}" for action in sorted(actions)], "Resource": [arn]})
    if statements:
        policies.append({"PolicyName": "Tables",
                         "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}})
    states = set(spec.get("states") or ())
    if states - {"StartExecution", "DescribeExecution"}:
        raise TemplateError(f"{logical}: unknown states actions {sorted(states)}")
    workflow = []
    if "StartExecution" in states:
        workflow.append({"Sid": "StartSafeDeletion", "Effect": "Allow", "Action": ["states:StartExecution"],
                         "Resource": [{"Ref": "SafeDeletePosDevice"}]})
    if "DescribeExecution" in states:
        workflow.append({"Sid": "ReadSafeDeletionExecutions", "Effect": "Allow",
                         "Action": ["states:DescribeExecution"],
                         "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
                                                  ":execution:${SafeDeletePosDevice.Name}:*"}]})
    if workflow:
        policies.append({"PolicyName": "SafeDeletionWorkflow",
                         "PolicyDocument": {"Version": "2012-10-17", "Statement": workflow}})
    streams = spec.get("streams") or []
    if streams:  # a DynamoDB Stream the function's event source mapping reads (issue 24: the events table's)
        policies.append({"PolicyName": "ReadStreams", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "Read" + "".join(_table_id(t)[:-len("Table")] for t in streams) + "Stream", "Effect": "Allow",
            "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                       "dynamodb:ListStreams"],
            "Resource": [{"Fn::GetAtt": [_table_id(t), "StreamArn"]} for t in streams]}]}})
    queues = spec.get("send_to") or []
    if queues:
        policies.append({"PolicyName": "SendToQueues", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "Send" + "".join(queues), "Effect": "Allow", "Action": ["sqs:SendMessage"],
            "Resource": [{"Fn::GetAtt": [queue, "Arn"]} for queue in queues]}]}})
    secrets = spec.get("secrets") or []
    if secrets:
        policies.append({"PolicyName": "ReadSecrets", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "Read" + "".join(secrets), "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [{"Ref": secret} for secret in secrets]}]}})
    mail_from = spec.get("mail_from")
    if mail_from:  # SES SendEmail from the address in that template parameter only (empty: from nothing at all)
        policies.append({"PolicyName": "SendMail", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "SendFrom" + mail_from, "Effect": "Allow", "Action": ["ses:SendEmail"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}],
            "Condition": {"StringEquals": {"ses:FromAddress": {"Ref": mail_from}}}}]}})
    invoked = spec.get("invoke") or []
    if invoked:
        policies.append({"PolicyName": "InvokeFunctions", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "Invoke" + "".join(invoked), "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
            "Resource": [{"Fn::GetAtt": [function, "Arn"]} for function in invoked]}]}})
    return policies


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _errors_alarm(logical: str, spec: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    """An alarm on the function's Errors. A deletion check that refuses (open tickets ...) raises, which
    Lambda counts as an error: for those (`refusals: true`) the alarm counts Errors minus the refusals
    the function logged ({"event": "deletion_step", "outcome": "refused"}), so it fires on faults only."""
    name = spec["name"]
    errors = {"Namespace": "AWS/Lambda", "MetricName": "Errors",
              "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical}}]}
    period, evaluation_periods, datapoints = _window(spec)
    common = {"EvaluationPeriods": evaluation_periods, "DatapointsToAlarm": datapoints, "Threshold": 1,
              "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
              **_alarm_actions()}
    if not spec.get("refusals"):
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": f"{name} failed (an invocation raised, timed out or crashed; see its log group)"
                                f"{_window_text(spec)}.",
            **errors, "Statistic": "Sum", "Period": period, **common}}
    namespace = {"Fn::Sub": "PosBackoffice/${AWS::StackName}"}
    resources[f"{logical}RefusalsMetric"] = {
        "Type": "AWS::Logs::MetricFilter",
        "Properties": {"LogGroupName": {"Ref": f"{logical}LogGroup"},
                       "FilterPattern": '{ $.event = "deletion_step" && $.outcome = "refused" }',
                       "MetricTransformations": [{"MetricNamespace": namespace, "MetricName": f"{logical}Refusals",
                                                  "MetricValue": "1", "Unit": "Count"}]}}
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": f"{name} failed (raised, timed out or crashed), not counting its refusals "
                            "(a deletion refused for open tickets, an open shift or unsynced receipts).",
        "Metrics": [
            {"Id": "errors", "ReturnData": False, "MetricStat": {"Metric": errors, "Period": period, "Stat": "Sum"}},
            {"Id": "refusals", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": f"{logical}Refusals"}, "Period": period,
                "Stat": "Sum"}},
            {"Id": "faults", "Label": "Errors that are not refusals", "ReturnData": True,
             "Expression": "FILL(errors, 0) - FILL(refusals, 0)"}],
        **common}}


DEFAULT_WINDOW = {"period": 300, "evaluation_periods": 1, "datapoints_to_alarm": 1}
DURATION_ALARM_SHARE = 0.8  # a function's Duration alarm fires at this share of its timeout


def _window(spec: dict[str, Any]) -> tuple[int, int, int]:
    """(period, evaluation periods, datapoints to alarm) of the function's alarms (functions.yml alarm_window)."""
    window = {**DEFAULT_WINDOW, **(spec.get("alarm_window") or {})}
    if window["datapoints_to_alarm"] > window["evaluation_periods"]:
        raise TemplateError(f"{spec['name']}: alarm_window datapoints_to_alarm > evaluation_periods")
    return window["period"], window["evaluation_periods"], window["datapoints_to_alarm"]


def _window_text(spec: dict[str, Any]) -> str:
    period, evaluation_periods, datapoints = _window(spec)
    if evaluation_periods == 1:
        return ""
    return f", in {datapoints} of {evaluation_periods} periods of {period} s"


def _duration_alarm(logical: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Invocations running close to the timeout (a timeout is a failure the caller sees: a 502/504, a retried
    task, a failed shard): Maximum Duration (p99 for the API) at DURATION_ALARM_SHARE of it."""
    period, evaluation_periods, datapoints = _window(spec)
    timeout = spec["timeout"]
    statistic = spec.get("duration_statistic", "Maximum")
    stat = {"ExtendedStatistic": statistic} if statistic.startswith("p") else {"Statistic": statistic}
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": f"{spec['name']} runs close to its {timeout} s timeout ({statistic} Duration at "
                            f"{int(DURATION_ALARM_SHARE * 100)} % of it{_window_text(spec)}).",
        "Namespace": "AWS/Lambda", "MetricName": "Duration",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical}}], **stat, "Period": period,
        "EvaluationPeriods": evaluation_periods, "DatapointsToAlarm": datapoints,
        "Threshold": int(timeout * 1000 * DURATION_ALARM_SHARE), "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching", **_alarm_actions()}}


def _throttles_alarm(logical: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Lambda refused invocations of the function (its reserved concurrency, or the account's, is used up)."""
    period, evaluation_periods, datapoints = _window(spec)
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": f"Lambda throttled invocations of {spec['name']} (concurrency used up"
                            f"{_window_text(spec)}).",
        "Namespace": "AWS/Lambda", "MetricName": "Throttles",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": logical}}], "Statistic": "Sum", "Period": period,
        "EvaluationPeriods": evaluation_periods, "DatapointsToAlarm": datapoints, "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching", **_alarm_actions()}}


def expand_functions(template: dict[str, Any], functions: dict[str, Any]) -> dict[str, Any]:
    """Add each declared function's role, log group and Errors alarm, and its name/runtime/tracing/role."""
    resources = template.setdefault("Resources", {})
    for logical, spec in functions.items():
        invoked = set(spec.get("invoke") or ())
        if invoked - set(functions) or logical in invoked:
            raise TemplateError(f"{logical}: may invoke only the other functions of infra/functions.yml, "
                                f"not {sorted(invoked - set(functions) | invoked & {logical})}")
    for logical, spec in functions.items():
        unknown = [s for s in spec.get("secrets") or () if (resources.get(s) or {}).get("Type") != "AWS::SecretsManager::Secret"]
        if unknown:
            raise TemplateError(f"{logical}: secrets {unknown} are not AWS::SecretsManager::Secret resources of the template")
        if spec.get("mail_from") and spec["mail_from"] not in template.get("Parameters", {}):
            raise TemplateError(f"{logical}: mail_from {spec['mail_from']!r} is not a parameter of the template")
    for logical, spec in functions.items():
        name = spec["name"]
        role = spec.get("role") or f"{logical}Role"
        log_group = f"{logical}LogGroup"
        role_props = {
            "Description": f"{logical} ({name}): only what its code uses (infra/functions.yml).",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": _function_role_policies(logical, spec),
        }
        _merge(resources.setdefault(role, {}), {"Type": "AWS::IAM::Role", "Properties": role_props})
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"},
                           "RetentionInDays": {"Ref": "LogRetentionInDays"}}}
        if not isinstance(spec.get("timeout"), int) or not 1 <= spec["timeout"] <= 900:
            raise TemplateError(f"{logical}: timeout (seconds, 1-900) is required in infra/functions.yml")
        _merge(resources.setdefault(logical, {}), {
            "DependsOn": [log_group],
            "Properties": {"FunctionName": {"Fn::Sub": f"${{AWS::StackName}}-{name}"}, "Runtime": RUNTIME,
                           "Tracing": "Active", "Role": {"Fn::GetAtt": [role, "Arn"]}, "Timeout": spec["timeout"]}})
        resources[f"{logical}ErrorsAlarm"] = _errors_alarm(logical, spec, resources)
        resources[f"{logical}DurationAlarm"] = _duration_alarm(logical, spec)
        resources[f"{logical}ThrottlesAlarm"] = _throttles_alarm(logical, spec)
    return template


def add_table_alarms(template: dict[str, Any]) -> dict[str, Any]:
    """One throttling alarm per DynamoDB table (reads or writes throttled, the table or its indexes)."""
    resources = template["Resources"]
    for logical in [n for n, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"]:
        metrics = [{"Id": metric_id, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": metric,
                       "Dimensions": [{"Name": "TableName", "Value": {"Ref": logical}}]},
            "Period": 300, "Stat": "Sum"}}
            for metric_id, metric in (("reads", "ReadThrottleEvents"), ("writes", "WriteThrottleEvents"))]
        resources[f"{logical}ThrottlesAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"DynamoDB throttled requests on {logical}.",
                "Metrics": [*metrics, {"Id": "throttled", "Label": "Throttled requests",
                                       "Expression": "FILL(reads, 0) + FILL(writes, 0)", "ReturnData": True}],
                "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching", **_alarm_actions()}}
    return template


def find_nulls(node: Any, path: str = "") -> list[str]:
    """Paths of every JSON null in node (CloudFormation rejects them)."""
    if node is None:
        return [path or "<root>"]
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in find_nulls(value, f"{path}.{key}" if path else key)]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in find_nulls(value, f"{path}[{i}]")]
    return []


STAGES = ("dev", "prod")


def retain_logs(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """In prod every log group (functions, state machine, API access log) outlives the stack: logs are what is
    left to read after an accident. In dev they go with the stack (a re-created dev stack would otherwise fail
    on "log group already exists"); their retention expires them either way."""
    if stage not in STAGES:
        raise TemplateError(f"unknown stage {stage!r} (one of {STAGES})")
    if stage == "prod":
        for resource in template["Resources"].values():
            if resource.get("Type") == "AWS::Logs::LogGroup":
                resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain"
    return template


def build(template_path: Path = DEFAULT_TEMPLATE, root: Path = REPO_ROOT,
          functions_path: Path = DEFAULT_FUNCTIONS, stage: str = "dev") -> dict[str, Any]:
    """The merge template as a dict, with includes resolved and substitutions checked."""
    template = _resolve_includes(load_yaml_template(template_path), root)
    add_task_substitutions(template)
    check_substitutions(template)
    with open(functions_path, encoding="utf-8") as handle:
        functions = yaml.safe_load(handle)
    check_task_functions(functions)
    expand_functions(template, functions)
    add_table_alarms(template)
    retain_logs(template, stage)
    nulls = find_nulls(template)
    if nulls:
        raise TemplateError(f"JSON null in the template (CloudFormation rejects it): {nulls}")
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
    parser.add_argument("--stage", default="dev", choices=STAGES, help="the chalice stage (prod retains logs)")
    parser.add_argument("--sample-asl", type=Path, default=None,
                        help="also write the state machine definition with dummy ARNs here")
    args = parser.parse_args(argv)
    try:
        template = build(args.template, stage=args.stage)
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
