"""The deployment template: infra/template.yml + the ASL -> out/merge-template.json -> chalice package.

Checks what cfn-lint cannot: the state machine's placeholders and substitutions agree, every
transition of the ASL lands on a state, the tables are exactly those of docs/INTERNALS.md, and
IAM grants DynamoDB / Step Functions / Lambda actions on this project's own resources only.
The packaged template is built offline from a copy of the project without requirements.txt
(the template does not depend on it; the project's .chalice/deployments cache is not touched).
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chalicelib.workflows import steps as workflow_steps
from tests.infra import infra_script

ROOT = Path(__file__).resolve().parents[2]


build_template = infra_script("build_template")
ASL_PATH = ROOT / "chalicelib" / "workflows" / "safe_delete_pos_device.asl.json"
INTERNALS = ROOT / "docs" / "INTERNALS.md"
BIN = Path(sys.executable).parent

# Placeholder -> chalice logical id of the @app.lambda_function it stands for, from the one registry of the
# workflow's tasks (tests/infra/test_workflow_registry.py checks the ASL and the app against it).
TASK_FUNCTIONS = {task.placeholder: task.logical_id for task in workflow_steps.TASKS}
TRANSIENT_ERRORS = {"TransientError", "Lambda.ServiceException", "Lambda.AWSLambdaException",
                    "Lambda.SdkClientException", "Lambda.TooManyRequestsException",
                    "Lambda.ClientExecutionTimeoutException"}
BUSINESS_ERRORS = {"OpenTickets", "ShiftOpen", "ReceiptsNotSynced"}
STATE_MACHINE = "SafeDeletePosDevice"
STACK_PREFIX = {"Fn::Sub": "${AWS::StackName}-"}


# ------------------------------------------------------------------ helpers
def logical_table_id(logical: str) -> str:
    return "".join(part.capitalize() for part in logical.split("_")) + "Table"


def internals_tables() -> dict[str, dict]:
    """The tables table of docs/INTERNALS.md: logical -> {keys, gsis, ttl}."""
    tables = {}
    section = INTERNALS.read_text(encoding="utf-8").split("## Tables", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("logical", "") or set(cells[0]) <= {"-"}:
            continue
        logical, keys, gsis, ttl = cells
        index_specs = {}
        numeric = set()
        projections = {}
        if gsis != "-":
            for spec in gsis.split(";"):
                name, _, index_keys = spec.partition(":")
                projections[name.strip()] = next((p for p in ("KEYS_ONLY", "INCLUDE") if p in index_keys), "ALL")
                numeric |= set(re.findall(r"(\w+) \(N\)", index_keys))
                index_keys = re.sub(r"\(.*?\)", "", index_keys)
                index_specs[name.strip()] = [k.strip() for k in index_keys.split("/")]
        tables[logical] = {
            "keys": [k.strip() for k in keys.split("/")],
            "gsis": index_specs,
            "ttl": None if ttl == "-" else ttl,
            "numeric": numeric,
            "projections": projections,
        }
    return tables


def key_names(key_schema: list[dict]) -> list[str]:
    order = {"HASH": 0, "RANGE": 1}
    return [k["AttributeName"] for k in sorted(key_schema, key=lambda k: order[k["KeyType"]])]


def ref_names(value) -> set[str]:
    """Logical ids (and their attributes' owners) referenced by a CFN value."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)
                      if not name.startswith("AWS::")}
        for inner in value.values():
            found |= ref_names(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= ref_names(inner)
    return found


def as_list(value):
    return value if isinstance(value, list) else [value]


def iam_statements(template: dict):
    """(role or policy logical id, statement) for every IAM statement in the template."""
    for name, resource in template["Resources"].items():
        kind = resource.get("Type")
        props = resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        else:
            continue
        for document in documents:
            for statement in as_list(document["Statement"]):
                yield name, statement


def services_of(statement) -> set[str]:
    return {action.split(":")[0] for action in as_list(statement["Action"])}


def effective_variables(template: dict, function: str) -> dict:
    globals_vars = (template.get("Globals", {}).get("Function", {})
                    .get("Environment", {}).get("Variables", {}))
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    return {**globals_vars, **own}


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def asl() -> dict:
    return json.loads(ASL_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def merge_template() -> dict:
    return build_template.build()


# ------------------------------------------------------------------ the ASL
def test_placeholders_match_definition_substitutions(asl, merge_template):
    machine = merge_template["Resources"][STATE_MACHINE]["Properties"]
    assert build_template.placeholders(asl) == set(TASK_FUNCTIONS)
    assert set(machine["DefinitionSubstitutions"]) == set(TASK_FUNCTIONS)
    assert machine["Definition"] == asl, "the template must inline the ASL file unchanged"
    for placeholder, function in TASK_FUNCTIONS.items():
        assert machine["DefinitionSubstitutions"][placeholder] == {"Fn::GetAtt": [function, "Arn"]}


def test_builder_rejects_a_missing_or_unused_substitution(tmp_path, asl):
    template = (ROOT / "infra" / "template.yml").read_text(encoding="utf-8")
    include = '"@include chalicelib/workflows/safe_delete_pos_device.asl.json"\n'
    assert include in template
    # A Task whose placeholder no registry task supplies.
    spare_asl = tmp_path / "spare.asl.json"
    spare_asl.write_text(json.dumps(asl).replace("${DeleteArn}", "${SpareDeleteArn}"))
    missing = tmp_path / "missing.yml"
    missing.write_text(template.replace(include, f'"@include {spare_asl}"\n'))
    with pytest.raises(build_template.TemplateError, match="no DefinitionSubstitutions for .'SpareDeleteArn'"):
        build_template.build(missing)
    # A substitution the ASL never uses (and, with it, the registry's DeleteArn left unused).
    unused = tmp_path / "unused.yml"
    unused.write_text(template.replace(include, include + "      DefinitionSubstitutions:\n"
                                                          "        SpareArn: !GetAtt DeletionDelete.Arn\n"))
    with pytest.raises(build_template.TemplateError, match="SpareArn"):
        build_template.build(unused)


def test_builder_takes_the_task_arns_from_the_registry_only(tmp_path):
    template = (ROOT / "infra" / "template.yml").read_text(encoding="utf-8")
    include = '"@include chalicelib/workflows/safe_delete_pos_device.asl.json"\n'
    twice = tmp_path / "twice.yml"
    twice.write_text(template.replace(include, include + "      DefinitionSubstitutions:\n"
                                                         "        DeleteArn: !GetAtt DeletionDelete.Arn\n"))
    with pytest.raises(build_template.TemplateError, match="DeleteArn comes from chalicelib/workflows/steps.py"):
        build_template.build(twice)


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace("  name: deletion_delete\n", "  name: deletion_remove\n"),
     "DeletionDelete: declare it with name deletion_delete"),
    (lambda text: text + "\nDeletionArchive:\n  name: deletion_archive\n",
     r"DeletionArchive \(deletion_archive\): not a task"),
])
def test_builder_requires_functions_yml_to_declare_exactly_the_registry_tasks(tmp_path, change, message):
    functions = tmp_path / "functions.yml"
    functions.write_text(change((ROOT / "infra" / "functions.yml").read_text(encoding="utf-8")))
    with pytest.raises(build_template.TemplateError, match=message):
        build_template.build(functions_path=functions)


def transitions(state: dict) -> list[str]:
    targets = [state[key] for key in ("Next", "Default") if key in state]
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    return targets


def test_every_transition_lands_on_a_state_and_every_state_is_reachable(asl):
    states = asl["States"]
    assert asl["StartAt"] in states
    assert asl.get("Comment")
    for name, state in states.items():
        for target in transitions(state):
            assert target in states, f"{name} -> {target}: no such state"
        if state["Type"] not in ("Choice", "Succeed", "Fail"):
            assert "Next" in state or state.get("End") is True, f"{name} never ends"
    seen, todo = set(), [asl["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(transitions(states[name]))
    assert seen == set(states), f"unreachable: {set(states) - seen}"


def test_the_designed_flow(asl):
    states = asl["States"]
    route = states["ChooseRoute"]
    assert route["Type"] == "Choice"
    assert {(c["Variable"], c["StringEquals"], c["Next"]) for c in route["Choices"]} == {
        ("$.route", "DELETE", "Delete"), ("$.route", "DEACTIVATE", "Deactivate")}
    assert route["Default"] == "CheckOpenTickets"
    assert states["CheckOpenTickets"]["Next"] == "CheckShiftClosed"
    assert states["CheckShiftClosed"]["Next"] == "VerifyReceiptsSynced"
    assert states["VerifyReceiptsSynced"]["ResultPath"] == "$.sync"
    assert states["VerifyReceiptsSynced"]["Next"] == "ReceiptsSynced"
    synced = states["ReceiptsSynced"]
    assert synced["Choices"] == [{"Variable": "$.sync.synced", "BooleanEquals": True, "Next": "Deactivate"}]
    assert synced["Default"] == "WaitForLateSync"
    assert states["WaitForLateSync"] == {**states["WaitForLateSync"], "Type": "Wait",
                                         "SecondsPath": "$.wait_seconds", "Next": "VerifyReceiptsSynced"}
    assert states["Deactivate"]["Next"] == "Delete"
    assert states["Delete"]["Next"] == "Deleted"
    assert states["Deleted"]["Type"] == "Succeed"
    assert states["RecordFailure"]["Next"] == "DeletionFailed"
    assert states["RecordRefusal"]["Next"] == "DeletionRefused"
    assert states["DeletionRefused"]["Type"] == "Succeed"
    assert states["DeletionFailed"]["Type"] == "Fail"
    assert states["DeletionFailed"]["Error"] == "DeletionFailed"


def test_tasks_retry_transient_errors_only_and_catch_everything(asl):
    tasks = {name: s for name, s in asl["States"].items() if s["Type"] == "Task"}
    assert {s["Resource"] for s in tasks.values()} == {"${%s}" % p for p in TASK_FUNCTIONS}
    for name, state in tasks.items():
        # Not null (CloudFormation has rejected JSON nulls): results of checks go to a scratch field.
        expected_result_path = {"VerifyReceiptsSynced": "$.sync", "RecordRefusal": "$.recorded"}.get(
            name, "$.last_step_result")
        assert state["ResultPath"] == expected_result_path, name
        assert [set(r["ErrorEquals"]) for r in state["Retry"]] == [TRANSIENT_ERRORS], name
        retry = state["Retry"][0]
        assert (retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"]) == (1, 3, 2), name
        retried = {error for r in state["Retry"] for error in r["ErrorEquals"]}
        assert not retried & (BUSINESS_ERRORS | {"States.ALL", "States.TaskFailed"}), name
        *refusals, catcher = state["Catch"]
        assert catcher["ErrorEquals"] == ["States.ALL"], name
        if name in ("RecordFailure", "RecordRefusal"):
            assert catcher["Next"] == "DeletionFailed", name
            assert not refusals, name
        else:
            assert (catcher["Next"], catcher["ResultPath"]) == ("RecordFailure", "$.error"), name
        # A refusal is an outcome (docs/CONTRACT.md section 5): recorded, then the Succeed state DeletionRefused.
        if name in ("CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced"):
            assert [(set(r["ErrorEquals"]), r["ResultPath"], r["Next"]) for r in refusals] == [
                (BUSINESS_ERRORS, "$.error", "RecordRefusal")], name
        elif name not in ("RecordFailure", "RecordRefusal"):
            assert not refusals, name


# ------------------------------------------------------------------ tables
def test_tables_are_those_of_internals(merge_template):
    expected = internals_tables()
    assert len(expected) == 14
    resources = merge_template["Resources"]
    tables = {name: r for name, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert set(tables) == {logical_table_id(logical) for logical in expected}
    for logical, spec in expected.items():
        table = tables[logical_table_id(logical)]
        props = table["Properties"]
        assert props["TableName"] == {"Fn::Sub": "${AWS::StackName}-" + logical}
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        assert key_names(props["KeySchema"]) == spec["keys"], logical
        gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        assert set(gsis) == set(spec["gsis"]), logical
        for index_name, index_keys in spec["gsis"].items():
            assert key_names(gsis[index_name]["KeySchema"]) == index_keys, (logical, index_name)
            assert gsis[index_name]["Projection"]["ProjectionType"] == spec["projections"][index_name], index_name
        key_attributes = set(spec["keys"]) | {k for keys in spec["gsis"].values() for k in keys}
        assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == \
            {name: "N" if name in spec["numeric"] else "S" for name in key_attributes}, logical
        if spec["ttl"]:
            assert props["TimeToLiveSpecification"] == {"AttributeName": spec["ttl"], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props, logical


def _index_spec(index: dict) -> tuple:
    """(hash/range key names, projection type, sorted non-key attributes) of a GSI, from either side."""
    projection = index.get("Projection") or index["projection"]
    return (key_names(index.get("KeySchema") or index["key_schema"]), projection["ProjectionType"],
            sorted(projection.get("NonKeyAttributes", [])))


def test_tables_match_the_pynamodb_models(merge_template):
    """The deployed tables are what the code reads and writes: the same keys, attribute types and indexes
    (names, keys, projection and its attributes) as chalicelib/adapters/models.py, and no index more."""
    from chalicelib.adapters import models

    resources = merge_template["Resources"]
    tables = {name for name, r in resources.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert tables == {logical_table_id(m.Meta.logical_name) for m in models.ALL_MODELS}
    for model in models.ALL_MODELS:
        schema = model._get_schema()
        props = resources[logical_table_id(model.Meta.logical_name)]["Properties"]
        logical = model.Meta.logical_name
        assert key_names(props["KeySchema"]) == key_names(schema["key_schema"]), logical
        assert not schema["local_secondary_indexes"], logical
        assert "LocalSecondaryIndexes" not in props, logical
        in_template = {g["IndexName"]: _index_spec(g) for g in props.get("GlobalSecondaryIndexes", [])}
        in_model = {g["index_name"]: _index_spec(g) for g in schema["global_secondary_indexes"]}
        assert in_template == in_model, logical
        assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == \
            {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}, logical


# ------------------------------------------------------------------ the packaged template
def test_packaged_template_has_every_resource_complete(packaged):
    template, out = packaged
    assert (out / "deployment.zip").is_file()
    for name, resource in template["Resources"].items():
        assert "Type" in resource, f"{name}: merged into nothing (chalice generated no such resource)"
    functions = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(TASK_FUNCTIONS.values()) | {"APIHandler", "RunAudit"} <= functions
    for task in workflow_steps.TASKS:  # app.py registers them in a loop: each still has its own handler
        assert template["Resources"][task.logical_id]["Properties"]["Handler"] == f"app.{task.function}"
    machine = template["Resources"][STATE_MACHINE]["Properties"]
    assert isinstance(machine["Definition"], dict)
    for placeholder, function in TASK_FUNCTIONS.items():
        assert machine["DefinitionSubstitutions"][placeholder] == {"Fn::GetAtt": [function, "Arn"]}
    assert build_template.placeholders(machine["Definition"]) == set(machine["DefinitionSubstitutions"])


def test_audit_schedule_comes_from_chalice(packaged):
    template, _ = packaged
    events = template["Resources"]["RunAudit"]["Properties"]["Events"]
    assert [e["Properties"]["Schedule"] for e in events.values() if e["Type"] == "Schedule"] == \
        ["rate(15 minutes)"]


def test_the_audit_run_outlasts_its_shards_in_every_stage(packaged):
    """RunAudit waits for its shards: it gets Lambda's longest timeout, a shard well under it (a shard that times
    out is retried within the run), in the packaged stack and in every stage of .chalice/config.json."""
    template, _ = packaged
    timeouts = {f: template["Resources"][f]["Properties"]["Timeout"] for f in ("RunAudit", "AuditShard")}
    assert timeouts["RunAudit"] == 900, timeouts
    assert 2 * timeouts["AuditShard"] < timeouts["RunAudit"], timeouts
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"]
    declared = build_template.yaml.safe_load((ROOT / "infra" / "functions.yml").read_text())
    for stage, settings in stages.items():
        for logical, spec in declared.items():
            chalice = settings.get("lambda_functions", {}).get(spec["name"], {}).get("lambda_timeout")
            assert (chalice or json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_timeout"]) == \
                spec["timeout"] == template["Resources"][logical]["Properties"]["Timeout"], (stage, logical)


def test_functions_get_the_stack_prefix_and_the_state_machine(packaged):
    template, _ = packaged
    functions = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    for name in functions:
        variables = effective_variables(template, name)
        assert variables["TABLE_NAME_PREFIX"] == STACK_PREFIX, name
        arn = variables["STATE_MACHINE_ARN"]
        assert arn == {"Ref": STATE_MACHINE} or arn == {"Fn::Sub": (
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
            ":stateMachine:${AWS::StackName}-SafeDeletePosDevice")}, name
        for reserved in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID"):
            assert reserved not in variables, f"{name}: {reserved} is reserved by Lambda"
    assert effective_variables(template, "APIHandler")["STATE_MACHINE_ARN"] == {"Ref": STATE_MACHINE}
    machine_props = template["Resources"][STATE_MACHINE]["Properties"]
    assert machine_props["StateMachineName"] == {"Fn::Sub": "${AWS::StackName}-SafeDeletePosDevice"}


def test_iam_touches_only_the_projects_own_resources(packaged):
    template, _ = packaged
    resources = template["Resources"]
    tables = {n for n, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    own = {"dynamodb": tables, "states": {STATE_MACHINE}, "lambda": set(TASK_FUNCTIONS.values()) | {"AuditShard", "AuditMerchant"}}
    for role, statement in iam_statements(template):
        services = services_of(statement) & set(own)
        if not services:
            continue
        assert len(services_of(statement)) == 1, f"{role}: one service per statement"
        (service,) = services
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{role}: {action}"
        for resource in as_list(statement["Resource"]):
            assert isinstance(resource, dict), f"{role}: literal resource {resource!r} for {service}"
            names = ref_names(resource)
            assert names, f"{role}: {service} on {resource}"
            assert names <= own[service], f"{role}: {service} on {resource}"
            if "Fn::Sub" in resource:
                text = resource["Fn::Sub"]
                assert re.fullmatch(r"\$\{\w+\.Arn\}/index/\*", text) or (
                    service == "states" and ":execution:${SafeDeletePosDevice.Name}:*" in text), text


def test_roles_are_split_by_need(packaged):
    template, _ = packaged
    resources = template["Resources"]

    def role_of(function):
        return resources[function]["Properties"]["Role"]

    def services(role):
        return {s for r, st in iam_statements(template) if r == role for s in services_of(st)}

    assert role_of("APIHandler") == {"Fn::GetAtt": ["DefaultRole", "Arn"]}
    every = ["APIHandler", "RunAudit", "AuditShard", "AuditMerchant", "WebhookOutbox", "WebhookRetries",
             *TASK_FUNCTIONS.values()]
    assert set(every) == set(functions_of(template))
    roles = {role_of(f)["Fn::GetAtt"][0] for f in every}
    assert len(roles) == 12, "one role per function"
    for worker in ["RunAudit", "AuditShard", "AuditMerchant", "WebhookOutbox", "WebhookRetries",
                   *TASK_FUNCTIONS.values()]:
        assert role_of(worker) == {"Fn::GetAtt": [f"{worker}Role", "Arn"]}, worker
    for worker in ["AuditShard", "AuditMerchant", "WebhookRetries", *TASK_FUNCTIONS.values()]:
        assert services(f"{worker}Role") == {"logs", "xray", "dynamodb"}, worker
    # The outbox's reader: the events stream (and tables), and its on-failure queue; the stream is the only one.
    assert services("WebhookOutboxRole") == {"logs", "xray", "dynamodb", "sqs"}
    stream_reads = {(role, resource["Fn::GetAtt"][0], resource["Fn::GetAtt"][1]) for role, st in iam_statements(template)
                    if "dynamodb:GetRecords" in as_list(st["Action"]) for resource in as_list(st["Resource"])}
    assert stream_reads == {("WebhookOutboxRole", "EventsTable", "StreamArn")}
    mapping = resources["WebhookOutbox"]["Properties"]["Events"]["WebhookOutboxDynamodbEventSource"]["Properties"]
    assert mapping["Stream"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["WebhookOutboxFailuresQueue", "Arn"]}
    assert resources["EventsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    # the PIN key; lambda: POST /v1/audit/runs starts AuditMerchant
    assert services("DefaultRole") == {"logs", "xray", "dynamodb", "states", "secretsmanager", "lambda", "ses"}
    # The scheduled audit only fans out: it invokes the shard function (by the name in its environment), and
    # reads or writes nothing itself; the API starts a merchant's run; nobody else invokes a function.
    assert services("RunAuditRole") == {"logs", "xray", "lambda", "sqs"}  # sqs: its on-failure destination
    invokes = {(role, resource["Fn::GetAtt"][0], action) for role, st in iam_statements(template)
               if "lambda" in services_of(st) for resource in as_list(st["Resource"]) for action in as_list(st["Action"])}
    assert {(role, function, action) for role, function, action in invokes if role != machine_role_of(template)} == {
        ("RunAuditRole", "AuditShard", "lambda:InvokeFunction"), ("DefaultRole", "AuditMerchant", "lambda:InvokeFunction")}
    assert effective_variables(template, "RunAudit")["AUDIT_SHARD_FUNCTION"] == {"Ref": "AuditShard"}
    assert effective_variables(template, "APIHandler")["AUDIT_MERCHANT_FUNCTION"] == {"Ref": "AuditMerchant"}
    machine_role = resources[STATE_MACHINE]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    assert services(machine_role) == {"lambda", "logs", "xray"}
    invoked = {resource["Fn::GetAtt"][0] for role, st in iam_statements(template) if role == machine_role
               for resource in as_list(st["Resource"]) if services_of(st) == {"lambda"}}
    assert invoked == set(TASK_FUNCTIONS.values())
    states_actions = {a for r, st in iam_statements(template) if r == "DefaultRole"
                      for a in as_list(st["Action"]) if a.startswith("states:")}
    assert states_actions == {"states:StartExecution", "states:DescribeExecution"}
    principal = resources[machine_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "states.amazonaws.com"}
    # Nobody may Scan, batch-write or describe tables: the code does none of it on AWS.
    granted = {a for _, st in iam_statements(template) for a in as_list(st["Action"])}
    assert not granted & {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable", "dynamodb:*"}


def functions_of(template: dict) -> list[str]:
    return [n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]


def machine_role_of(template: dict) -> str:
    return template["Resources"][STATE_MACHINE]["Properties"]["RoleArn"]["Fn::GetAtt"][0]


def test_no_json_null_anywhere_in_the_packaged_template(packaged):
    """CloudFormation has rejected nulls (e.g. "ResultPath": null inside a state machine Definition)."""
    template, out = packaged
    assert build_template.find_nulls(template) == []
    assert build_template.find_nulls(json.loads((out / "merge-template.json").read_text())) == []
    assert build_template.find_nulls({"a": [1, {"b": None}]}) == ["a[1].b"]  # the walk does look inside


def test_builder_grants_invoke_only_on_declared_functions(tmp_path):
    functions = (ROOT / "infra" / "functions.yml").read_text(encoding="utf-8")
    assert "  invoke: [AuditShard]\n" in functions
    for bad in ("Nowhere", "RunAudit"):  # not a function of the file; itself
        path = tmp_path / f"{bad}.yml"
        path.write_text(functions.replace("  invoke: [AuditShard]\n", f"  invoke: [AuditShard, {bad}]\n"))
        with pytest.raises(build_template.TemplateError, match=bad):
            build_template.build(functions_path=path)


def test_builder_rejects_a_null(tmp_path):
    template = (ROOT / "infra" / "template.yml").read_text(encoding="utf-8")
    broken = tmp_path / "null.yml"
    broken.write_text(template.replace("      StateMachineType: STANDARD\n",
                                       "      StateMachineType: STANDARD\n      Comment: null\n"))
    with pytest.raises(build_template.TemplateError, match="null"):
        build_template.build(broken)


def test_functions_run_python311_traced_with_their_own_log_group(packaged):
    template, _ = packaged
    resources = template["Resources"]
    declared = build_template.yaml.safe_load((ROOT / "infra" / "functions.yml").read_text())
    assert set(functions_of(template)) == set(declared), "every function is declared in infra/functions.yml"
    for function, spec in declared.items():
        props = resources[function]["Properties"]
        assert props["Runtime"] == "python3.11", function
        assert props["Tracing"] == "Active", function
        assert props["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-" + spec["name"]}, function
        group = resources[f"{function}LogGroup"]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"] == {"LogGroupName": {"Fn::Sub": "/aws/lambda/${AWS::StackName}-" + spec["name"]},
                                       "RetentionInDays": {"Ref": "LogRetentionInDays"}}
        assert f"{function}LogGroup" in resources[function]["DependsOn"]
        role = props["Role"]["Fn::GetAtt"][0]
        log_resources = [r for name, st in iam_statements(template) if name == role and services_of(st) == {"logs"}
                         for r in as_list(st["Resource"])]
        assert log_resources == [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                             "/aws/lambda/${AWS::StackName}-" + spec["name"] + ":*"}], function
    machine = resources[STATE_MACHINE]["Properties"]
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    (destination,) = machine["LoggingConfiguration"]["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert resources["RestAPI"]["Properties"]["TracingEnabled"] is True


def test_alarms_cover_the_stack_and_notify_the_topic(packaged):
    template, _ = packaged
    resources = template["Resources"]
    assert template["Parameters"]["AlarmTopicArn"]["Type"] == "String"
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopicArn"}], name
        assert props["AlarmDescription"], name
    expected = {"ApiServerErrorsAlarm", "ApiUnhandledErrorsAlarm", "DeletionFaultsAlarm", "AuditFailuresAlarm",
                "RunAuditHeartbeatAlarm", "AuditRunFailuresAlarm", "ApiThrottledRequestsAlarm", "ApiLatencyAlarm",
                "DeletionOverdueAlarm", "WebhookOutboxFailuresAlarm"}
    expected |= {f"{f}{kind}Alarm" for f in functions_of(template) for kind in ("Errors", "Duration", "Throttles")}
    expected |= {f"{t}ThrottlesAlarm" for t, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert set(alarms) == expected

    def metrics(props):
        if "MetricName" in props:
            return {(json.dumps(props["Namespace"]), props["MetricName"])}
        return {(json.dumps(m["MetricStat"]["Metric"]["Namespace"]), m["MetricStat"]["Metric"]["MetricName"])
                for m in props["Metrics"] if "MetricStat" in m}

    assert metrics(alarms["ApiServerErrorsAlarm"]) == {('"AWS/ApiGateway"', "5XXError"), ('"AWS/ApiGateway"', "Count")}
    # Real faults only: refusals end in Succeed (docs/CONTRACT.md section 5), so ExecutionsFailed is not an owner's refusal.
    assert {m for _, m in metrics(alarms["DeletionFaultsAlarm"])} == {
        "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    assert {m for _, m in metrics(alarms["AuditFailuresAlarm"])} == {"AuditDeviceFailures", "Errors"}
    # A shard failing for good makes RunAudit raise (AuditShardsFailed): its Errors are the audit's failures.
    assert [m["MetricStat"]["Metric"]["Dimensions"] for m in alarms["AuditFailuresAlarm"]["Metrics"]
            if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "Errors"] == [
        [{"Name": "FunctionName", "Value": {"Ref": "RunAudit"}}]]
    assert {m for _, m in metrics(alarms["PosDevicesTableThrottlesAlarm"])} == {
        "ReadThrottleEvents", "WriteThrottleEvents"}
    for name, props in alarms.items():
        assert len(props.get("Metrics", [])) <= 10, name  # CloudWatch's limit per alarm
    filters = {(r["Properties"]["FilterPattern"], r["Properties"]["LogGroupName"]["Ref"])
               for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"}
    refused = '{ $.event = "deletion_step" && $.outcome = "refused" }'
    checks = ("DeletionCheckOpenTickets", "DeletionCheckShiftClosed", "DeletionVerifyReceiptsSynced")
    assert filters == {('{ $.event = "unhandled_error" }', "APIHandlerLogGroup"),
                       ("{ $.status = 429 }", "ApiAccessLogGroup"),
                       ('{ $.event = "audit_device_failed" }', "AuditShardLogGroup"),
                       *((refused, f"{check}LogGroup") for check in checks)}
    # A check's refusal raises (a Lambda error) but is no fault: its alarm subtracts the refusals it logged.
    for check in checks:
        expression = [m for m in alarms[f"{check}ErrorsAlarm"]["Metrics"] if "Expression" in m]
        assert [m["Expression"] for m in expression] == ["FILL(errors, 0) - FILL(refusals, 0)"]
    assert alarms["DeletionDeleteErrorsAlarm"]["MetricName"] == "Errors"


def test_spa_is_served_on_the_api_origin(packaged):
    template, _ = packaged
    resources = template["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["spa"]["DomainName"] == {"Fn::GetAtt": ["SpaBucket", "RegionalDomainName"]}
    assert origins["api"]["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert origins["api"]["OriginPath"] == "/" + template["Resources"]["RestAPI"]["Properties"]["StageName"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "spa"
    (api,) = config["CacheBehaviors"]
    assert (api["PathPattern"], api["TargetOriginId"]) == ("/v1/*", "api")
    assert {"POST", "PATCH", "DELETE", "OPTIONS"} <= set(api["AllowedMethods"])
    bucket = resources["SpaBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())
    assert effective_variables(template, "APIHandler")["CORS_ALLOW_ORIGIN"] == {"Ref": "CorsAllowOrigin"}
    assert template["Parameters"]["CorsAllowOrigin"]["Default"] == ""


def test_the_spa_calls_the_api_on_its_own_origin_unless_configured():
    """No API host is written into the SPA: the base is the meta tag, empty (same origin) by default."""
    web = ROOT / "web"
    index = (web / "index.html").read_text(encoding="utf-8")
    assert '<meta name="pos-api-base" content="">' in index
    api = (web / "api.js").read_text(encoding="utf-8")
    assert "meta[name=\"pos-api-base\"]" in api
    for source in web.rglob("*.js"):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"https?://(localhost|127\.0\.0\.1|[\w.-]+\.amazonaws\.com)", text), source
    deploy = (ROOT / "infra" / "deploy.sh").read_text(encoding="utf-8")
    assert "SPA_API_BASE" in deploy
    assert 'name=\\"pos-api-base\\"' in deploy


def test_package_dependencies_are_the_tested_pins():
    """chalice package puts requirements.txt into the zip: boto3/botocore too (not the Lambda runtime's copy),
    each at the version the tests run with."""
    from importlib.metadata import version

    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    assert {"boto3", "botocore"} <= set(pins)
    for package, pinned in pins.items():
        assert version(package) == pinned, package
    assert "boto3" not in (ROOT / "requirements-dev.txt").read_text(), "pinned once, in requirements.txt"


# ------------------------------------------------------------------ bytecode in the package (issue 13.3)
CPYTHON_311_MAGIC = (3495).to_bytes(2, "little") + b"\r\n"  # importlib.util.MAGIC_NUMBER of every 3.11.x
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


def _cached_name(source: str) -> str:
    folder, _, file = source.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{file.removesuffix('.py')}.cpython-311.pyc"


def test_the_package_ships_python311_bytecode_for_every_module(packaged):
    """chalice package ships sources only; infra/precompile.py adds the bytecode Lambda would otherwise compile on
    every cold start: for app.py and each chalicelib module, CPython 3.11's, hash-based and unchecked (a zip's
    timestamps cannot invalidate it), compiled from exactly the source shipped next to it."""
    import marshal
    import zipfile

    _, out = packaged
    with zipfile.ZipFile(out / "deployment.zip") as package:
        names = set(package.namelist())
        ours = sorted(n for n in names if n.endswith(".py") and (n == "app.py" or n.startswith("chalicelib/")))
        assert "app.py" in ours, ours
        assert len(ours) > 30, ours
        for source in ours:
            assert _cached_name(source) in names, source
            data, code = package.read(_cached_name(source)), package.read(source)
            assert data[:4] == CPYTHON_311_MAGIC, source
            assert int.from_bytes(data[4:8], "little") == UNCHECKED_HASH, source
            assert data[8:16] == importlib.util.source_hash(code), source
            assert marshal.loads(data[16:]) == compile(code, f"/var/task/{source}", "exec", dont_inherit=True), source
        assert all(n.endswith(".cpython-311.pyc") for n in names if n.endswith(".pyc"))
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # deterministic


def test_the_packaged_app_imports_from_its_bytecode(packaged, tmp_path):
    """Unpacked as Lambda does (read-only, nothing written), `import app` reads every module of the package
    from the .pyc files: `python -v` names each code object's file."""
    import zipfile

    _, out = packaged
    with zipfile.ZipFile(out / "deployment.zip") as package:
        package.extractall(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-v", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import app"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(re.findall(r"# code object from '?([^'\n]+)'?", result.stderr))
    ours = {str(p) for p in tmp_path.rglob("*.pyc")}
    from_package = {path for path in loaded if path.startswith(str(tmp_path))}
    assert str(tmp_path / "__pycache__" / "app.cpython-311.pyc") in from_package
    assert len(from_package) > 20, sorted(from_package - ours)[:5]
    assert from_package <= ours, sorted(from_package - ours)[:5]
    assert not any(p.suffix == ".pyc" and str(p) not in ours for p in tmp_path.rglob("*"))  # nothing compiled now


def test_precompile_targets_the_functions_runtime_and_refuses_another_python(packaged, tmp_path, monkeypatch):
    """Bytecode is version-specific: precompile.py compiles for the functions' runtime and refuses to run on
    any other version (a .pyc of the wrong version would be ignored and recompiled on every cold start)."""
    precompile = infra_script("precompile")
    template, out = packaged
    runtimes = {resource["Properties"]["Runtime"] for resource in template["Resources"].values()
                if resource["Type"] == "AWS::Serverless::Function"}
    assert runtimes == {"python{}.{}".format(*precompile.RUNTIME)}

    shutil.copy2(out / "deployment.zip", tmp_path / "deployment.zip")
    monkeypatch.setattr(precompile, "RUNTIME", (3, 12))
    with pytest.raises(SystemExit, match="python3.12"):
        precompile.precompile(tmp_path / "deployment.zip")


# ------------------------------------------------------------------ linters
def test_cfn_lint_and_asl_validator_pass(packaged):
    """What infra/lint.sh runs, on the template packaged above (about 5 s)."""
    template, out = packaged
    cfn_lint = BIN / "cfn-lint"
    assert cfn_lint.exists(), "cfn-lint is a dev dependency: pip install it into .venv"
    started = time.monotonic()
    result = subprocess.run([str(cfn_lint), str(out / "sam.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr

    validator = _asl_validator()
    result = subprocess.run(
        [str(validator), "--json-path", str(ASL_PATH),
         "--json-path", str(out / "safe_delete_pos_device.sample.asl.json")],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 60


def _asl_validator() -> Path:
    """npm's asl-validator (make test installs it with `npm ci`; .ci/run installs npm)."""
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    if not validator.exists():
        assert shutil.which("npm"), "npm is needed for asl-validator: apt-get install npm (see .ci/run)"
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True,
                       timeout=300)
    return validator


def test_asl_validator_catches_a_dangling_transition(tmp_path, asl):
    validator = _asl_validator()
    broken = json.loads(json.dumps(asl))
    broken["States"]["Delete"]["Next"] = "Nowhere"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run([str(validator), "--json-path", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


def test_unknown_paths_answer_404_in_the_error_shape_without_quoting_the_authorization_header(merge_template):
    """Issue 22, item 20: API Gateway's own answer to an unknown path quotes the Authorization header."""
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in merge_template["Resources"].values()
                 if r.get("Type") == "AWS::ApiGateway::GatewayResponse"}
    assert set(responses) >= {"MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"}
    from chalicelib.i18n.en import MESSAGES

    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INVALID_SIGNATURE"):
        props = responses[kind]
        assert (props["StatusCode"], props["RestApiId"]) == ("404", {"Ref": "RestAPI"})
        body = json.loads(props["ResponseTemplates"]["application/json"])
        assert body == {"errors": [{"code": "NOT_FOUND", "details": MESSAGES["NOT_FOUND.path"], "field": None}]}
        assert "$" not in props["ResponseTemplates"]["application/json"]  # no $context / header echoed
