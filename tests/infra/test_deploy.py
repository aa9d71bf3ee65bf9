"""Issue 14.6: the packaged stack, deployed into moto's CloudFormation, runs the product.

`make package`'s SAM template goes through the SAM transform offline (aws-sam-translator, as
CloudFormation's AWS::Serverless transform does), then `create_stack` in moto, with the code zip in an
S3 bucket as `aws cloudformation package` would put it. A story (sign-up -> store -> POS -> activate ->
sync -> safe delete) then runs against the tables and the state machine that the stack created, found by
the stack's outputs (TableNamePrefix, SafeDeletePosDeviceArn). Lambda Task calls of the state machine are
answered in process by local/bridge.py, which maps the stack's function names (<stack>-<name>) to the
chalice functions.

moto's CloudFormation lacks some resource types; the test names them (MOTO_LACKS), checks that each is
in the transformed template with what matters, and leaves them out of the moto stack. Among them the Secrets
Manager secret of the PINs' key: the test makes one in moto's Secrets Manager (DEPLOY_TEST_PIN_KEY) and points
the stack's references to the secret at it, so the moto copy of the API function gets its ARN in
PIN_HASH_SECRET_ARN, and the story sets and checks a PIN with the key read from there. It also lacks the
state machine's `Definition` + `DefinitionSubstitutions`: it reads only `DefinitionString`, so the test
hands it the same definition as `DefinitionString: {"Fn::Sub": [<definition>, <substitutions>]}` (what
CloudFormation does with DefinitionSubstitutions). And moto's CloudFormation writes the state machine into
its plain Step Functions backend, while executions run in its executing one (the `execute_state_machine`
config): the test moves the state machine, as the stack created it (same name and ARN, the definition with
the stack's function ARNs), into the executing backend.
"""
from __future__ import annotations

import copy
import json
import warnings

import boto3
import pytest
from moto import mock_aws

from chalicelib import config
from chalicelib.adapters import models
from local.bridge import LambdaBridge
from tests.conftest import Api, receipt
from tests.infra import infra_script

STACK = "pos-deploy-test"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Types in the transformed template that moto 5.2's CloudFormation cannot create.
MOTO_LACKS = {
    "AWS::CloudWatch::Alarm", "AWS::Logs::MetricFilter", "AWS::ApiGateway::Stage", "AWS::S3::BucketPolicy",
    "AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl", "AWS::SecretsManager::Secret",
    "AWS::ApiGateway::Account", "AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation",
    "AWS::Backup::BackupVault", "AWS::Backup::BackupPlan", "AWS::Backup::BackupSelection",
    "AWS::Lambda::EventInvokeConfig", "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::ApiGateway::GatewayResponse",  # the unknown-path 404 (tests/infra/test_template.py checks it)
}
# The PINs' key in the secret the test makes in moto's Secrets Manager (the stack's own is not created there).
DEPLOY_TEST_PIN_KEY = "deploy-test-pin-key-not-a-secret"
# moto creates AWS::ApiGateway::RestApi but ignores its Body (the routes), so a Deployment of it fails
# ("The REST API doesn't contain any methods"): left out too. The routes are checked in the Body instead,
# and the story calls the same app through chalice.test.Client.
MOTO_CANNOT_DEPLOY = {"AWS::ApiGateway::Deployment"}


def sam_transform(sam: dict, code_uri: str, parameters: dict) -> dict:
    """infra/sam_transform.py's transform (the one `make lint` gives checkov), for this test's stack."""
    return infra_script("sam_transform").sam_transform(sam, code_uri, parameters, stack=STACK, region=REGION,
                                               account=ACCOUNT)


def without_types(template: dict, types: set[str]) -> tuple[dict, set[str]]:
    """The template without resources of `types` and without outputs that refer to them."""
    out = copy.deepcopy(template)
    dropped = {name for name, r in out["Resources"].items() if r["Type"] in types}
    for name in dropped:
        del out["Resources"][name]
    for name, output in list(out.get("Outputs", {}).items()):
        text = json.dumps(output)
        if any(f'"{d}"' in text or "${" + d in text for d in dropped):
            del out["Outputs"][name]
    for resource in out["Resources"].values():
        depends = resource.get("DependsOn")
        if depends:
            resource["DependsOn"] = [d for d in ([depends] if isinstance(depends, str) else depends)
                                     if d not in dropped]
    return out, dropped


def resolve_secret_references(template: dict, dropped: set[str], secret_arn: str) -> dict:
    """Point the references to the dropped secret (its ARN: the API function's PIN_HASH_SECRET_ARN and its role's
    GetSecretValue) at the secret made in moto; then no kept resource may refer to a dropped one."""
    from tests.infra.test_template import ref_names

    def walk(node):
        if isinstance(node, dict):
            if node == {"Ref": "PinHashSecret"} and "PinHashSecret" in dropped:
                return secret_arn
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    template = walk(template)
    for name, resource in template["Resources"].items():
        assert not ref_names(resource) & dropped, f"{name} refers to {ref_names(resource) & dropped}, left out of moto"
    return template


def definition_as_string(template: dict) -> dict:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            props = resource["Properties"]
            props["DefinitionString"] = {"Fn::Sub": [json.dumps(props.pop("Definition")),
                                                     props.pop("DefinitionSubstitutions")]}
            props.pop("LoggingConfiguration", None)  # moto keeps no log deliveries
            props.pop("TracingConfiguration", None)
    return template


@pytest.fixture
def deployed(packaged, monkeypatch):
    sam, out = packaged
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        for name in ("TABLE_NAME_PREFIX", "STATE_MACHINE_ARN", "DYNAMODB_HOST", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        config.reload()
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="deploy-artifacts")
        s3.upload_file(str(out / "deployment.zip"), "deploy-artifacts", "pos/deployment.zip")
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="pos-alarms")["TopicArn"]
        parameters = {"AlarmTopicArn": topic}
        transformed = sam_transform(sam, "s3://deploy-artifacts/pos/deployment.zip", parameters)
        assert "Transform" not in transformed
        types = {r["Type"] for r in transformed["Resources"].values()}
        assert not {t for t in types if t.startswith("AWS::Serverless::")}, "the SAM transform ran"
        moto_template, dropped = without_types(transformed, MOTO_LACKS | MOTO_CANNOT_DEPLOY)
        secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=f"{STACK}-pin-key", SecretString=DEPLOY_TEST_PIN_KEY)["ARN"]
        moto_template = resolve_secret_references(moto_template, dropped, secret_arn)
        cfn = boto3.client("cloudformation", region_name=REGION)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(definition_as_string(moto_template)),
                             Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                             Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
        (stack,) = cfn.describe_stacks(StackName=STACK)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        _into_the_executing_backend(outputs["SafeDeletePosDeviceArn"])
        monkeypatch.setenv("TABLE_NAME_PREFIX", outputs["TableNamePrefix"])
        monkeypatch.setenv("STATE_MACHINE_ARN", outputs["SafeDeletePosDeviceArn"])
        api_function = boto3.client("lambda", region_name=REGION).get_function_configuration(
            FunctionName=f"{STACK}-api_handler")
        monkeypatch.delenv("PIN_HASH_SECRET", raising=False)
        monkeypatch.setenv("PIN_HASH_SECRET_ARN", api_function["Environment"]["Variables"]["PIN_HASH_SECRET_ARN"])
        assert not any("SECRET" in name and not name.endswith("_ARN")
                       for name in api_function["Environment"]["Variables"]), "no secret in the environment"
        run_audit = boto3.client("lambda", region_name=REGION).get_function_configuration(
            FunctionName=f"{STACK}-run_audit")
        monkeypatch.setenv("AUDIT_SHARD_FUNCTION", run_audit["Environment"]["Variables"]["AUDIT_SHARD_FUNCTION"])
        config.reload()
        models.bind()
        from app import app as chalice_app

        bridge = LambdaBridge(chalice_app).register()
        try:
            yield {"transformed": transformed, "dropped": dropped, "outputs": outputs, "bridge": bridge,
                   "resources": cfn.describe_stack_resources(StackName=STACK)["StackResources"]}
        finally:
            bridge.unregister()
            _settle(outputs["SafeDeletePosDeviceArn"])
    config.reload()


def _into_the_executing_backend(arn: str) -> None:
    from moto.stepfunctions.models import stepfunctions_backends

    created = stepfunctions_backends[ACCOUNT][REGION].describe_state_machine(arn)
    moved = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=created.name, definition=created.definition, roleArn=created.roleArn)
    assert moved["stateMachineArn"] == arn


def _settle(machine_arn: str) -> None:
    import time

    sfn = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = sfn.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING")["executions"]
        if not running:
            return
        time.sleep(0.05)


def test_moto_lacks_only_the_named_types_and_they_are_in_the_template(deployed):
    transformed = deployed["transformed"]
    from moto.cloudformation.parsing import get_model_map

    types = {r["Type"] for r in transformed["Resources"].values()}
    lacking = {t for t in types if t not in get_model_map()}
    print("moto's CloudFormation lacks, so checked in the template only:", sorted(lacking))
    assert lacking == MOTO_LACKS
    by_type: dict[str, list[dict]] = {}
    for resource in transformed["Resources"].values():
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    alarms = by_type["AWS::CloudWatch::Alarm"]
    assert len(alarms) >= 4 + 8 + 10
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopicArn"}] for a in alarms)
    assert len(by_type["AWS::Logs::MetricFilter"]) == 3 + 3
    # The scheduled run: no retry, its failures to the alarmed queue (moto creates the queue, not the config).
    configs = {c["FunctionName"]["Ref"]: c for c in by_type["AWS::Lambda::EventInvokeConfig"]}
    assert set(configs) == {"RunAudit", "AuditMerchant"}  # a back-office run records its own failure in the run
    assert configs["AuditMerchant"]["MaximumRetryAttempts"] == 0
    invoke_config = configs["RunAudit"]
    assert invoke_config["MaximumRetryAttempts"] == 0
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["AuditRunFailuresQueue", "Arn"]}
    (selection,) = by_type["AWS::Backup::BackupSelection"]
    assert len(selection["BackupSelection"]["Resources"]) == 3
    (stage,) = by_type["AWS::ApiGateway::Stage"]
    assert stage["StageName"] == "api"
    assert stage["TracingEnabled"] is True
    (distribution,) = by_type["AWS::CloudFront::Distribution"]
    assert [b["PathPattern"] for b in distribution["DistributionConfig"]["CacheBehaviors"]] == ["/v1/*"]
    assert by_type["AWS::S3::BucketPolicy"]
    assert by_type["AWS::CloudFront::OriginAccessControl"]
    # The PINs' key: generated into Secrets Manager at the first deploy, kept; the API function gets its ARN only.
    (secret,) = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::SecretsManager::Secret"]
    assert secret["DeletionPolicy"] == secret["UpdateReplacePolicy"] == "Retain"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in secret["Properties"], "the key is generated, never written into the template"
    variables = transformed["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["PIN_HASH_SECRET_ARN"] == {"Ref": "PinHashSecret"}
    assert "PIN_HASH_SECRET" not in variables
    assert len(by_type["AWS::ApiGateway::Deployment"]) == 1
    (rest_api,) = by_type["AWS::ApiGateway::RestApi"]
    assert rest_api["Name"] == {"Ref": "AWS::StackName"}  # the ApiName of ApiServerErrorsAlarm's metric
    from chalicelib.api.http import OPERATIONS

    paths = rest_api["Body"]["paths"]
    for op in OPERATIONS:
        assert op.method.lower() in paths[op.path], (op.method, op.path)
        assert "options" in paths[op.path], op.path  # the CORS preflight reaches the function


def test_the_stack_creates_the_tables_functions_and_state_machine(deployed):
    resources = {r["LogicalResourceId"]: r for r in deployed["resources"]}
    prefix = deployed["outputs"]["TableNamePrefix"]
    assert prefix == f"{STACK}-"
    tables = set(boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"])
    assert {t for t in tables if t.startswith(prefix)} == {
        prefix + name for name in ("merchants", "employees", "stores", "pos_devices", "tokens", "guards", "events",
                                   "receipts", "shifts", "findings", "api_tokens", "webhooks", "webhook_deliveries",
                                   "sales_counters")}
    functions = {f["FunctionName"]: f for f in boto3.client("lambda", region_name=REGION).list_functions()["Functions"]}
    for name in ("api_handler", "run_audit", "audit_shard", "deletion_check_open_tickets", "deletion_delete",
                 "webhook_outbox", "webhook_retries"):
        function = functions[f"{STACK}-{name}"]
        assert function["Runtime"] == "python3.11"
    # The webhooks' outbox: the events table's stream feeds webhook_outbox (issue 24).
    stream_arn = boto3.client("dynamodb", region_name=REGION).describe_table(
        TableName=prefix + "events")["Table"].get("LatestStreamArn")
    assert stream_arn
    mappings = boto3.client("lambda", region_name=REGION).list_event_source_mappings(
        FunctionName=f"{STACK}-webhook_outbox")["EventSourceMappings"]
    assert [m["EventSourceArn"] for m in mappings] == [stream_arn], mappings
    assert resources["SafeDeletePosDevice"]["PhysicalResourceId"] == deployed["outputs"]["SafeDeletePosDeviceArn"]
    definition = json.loads(boto3.client("stepfunctions", region_name=REGION).describe_state_machine(
        stateMachineArn=deployed["outputs"]["SafeDeletePosDeviceArn"])["definition"])
    arns = {s["Resource"] for s in definition["States"].values() if s["Type"] == "Task"}
    assert arns, arns
    assert all(f":function:{STACK}-deletion_" in arn for arn in arns), arns
    assert {deployed["bridge"].resolve(arn) for arn in arns} <= set(deployed["bridge"].functions)


def test_a_story_runs_on_the_deployed_stack(deployed):
    from chalice.test import Client

    import app as app_module
    from app import app as chalice_app
    from tests.infra.test_least_privilege import SCHEDULED_EVENT

    outputs = deployed["outputs"]
    assert config.settings().audit_shard_function == f"{STACK}-audit_shard"  # RunAudit's, as the stack set it
    with Client(chalice_app) as http:
        api = Api(http)
        owner = api.signup(name="Deployed cafe")
        device, device_token = owner.active_device("Till 1")
        status, body = api.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 2, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(device["number"], seq) for seq in (1, 2)]}, token=device_token)
        assert (status, body["accepted"]) == (200, 2), body
        # A PIN set and used: its HMAC key is read from the stack's secret (PIN_HASH_SECRET_ARN), once.
        status, cashier = api.post("/v1/employees", {"name": "Cashier", "role": "CASHIER", "pin": "4321"},
                                   token=owner.token)
        assert status == 201, cashier
        status, body = api.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4321"},
                                token=device_token)
        assert status == 200, body
        from chalicelib.adapters import secrets
        assert secrets._values[config.settings().pin_hash_secret_arn] == DEPLOY_TEST_PIN_KEY
        status, body = api.delete(f"/v1/pos_devices/{device['id']}", token=owner.token)
        assert status == 202, body
        deletion = api.wait_for_deletion(owner.token, device["id"])
        assert deletion["status"] == "SUCCEEDED", deletion
        status, gone = api.get(f"/v1/pos_devices/{device['id']}", token=owner.token)
        assert status == 200, gone
        assert gone["deleted_at"], gone
        status, receipts = api.get(f"/v1/receipts?pos_device_id={device['id']}", token=owner.token)
        assert (status, len(receipts["receipts"])) == (200, 2)
        deletion_calls = [name for name, _ in deployed["bridge"].calls]
        # The scheduled audit fans out to the stack's AuditShard, once per shard, and finds a POS's gap.
        gap, gap_token = owner.active_device("Till 2")
        status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 2, "open_tickets": 0,
                                                           "shift_open": False},
                                                 "receipts": [receipt(gap["number"], 2)]}, token=gap_token)
        assert (status, body["accepted"]) == (200, 1), body
        summary = app_module.run_audit(SCHEDULED_EVENT, None)
        assert summary["raised"] == 1, summary
        assert not summary["failed_shards"], summary
        shards = [event["shard"] for name, event in deployed["bridge"].calls[len(deletion_calls):]
                  if name == "audit_shard"]
        assert len(shards) == len(set(shards)) == summary["shards"] == len(deployed["bridge"].calls) - len(deletion_calls)
        status, findings = api.get("/v1/audit/findings?status=open", token=owner.token)
        assert [(f["pos_device_id"], f["type"], f["missing_receipt_numbers"]) for f in findings["findings"]] == [
            (gap["id"], "UNSYNCED_RECEIPTS", [f"{gap['number']}-1"])], findings
    # The data is in the stack's tables, and the deletion ran on the stack's state machine.
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    prefix = outputs["TableNamePrefix"]
    assert dynamodb.scan(TableName=prefix + "receipts", Select="COUNT")["Count"] == 2 + 1
    assert dynamodb.scan(TableName=prefix + "findings", Select="COUNT")["Count"] == 1
    assert dynamodb.scan(TableName=prefix + "merchants", Select="COUNT")["Count"] == 1
    executions = boto3.client("stepfunctions", region_name=REGION).list_executions(
        stateMachineArn=outputs["SafeDeletePosDeviceArn"])["executions"]
    assert [(e["name"], e["status"]) for e in executions] == [(deletion["id"], "SUCCEEDED")]
    called = deletion_calls
    assert called[:2] == ["deletion_check_open_tickets", "deletion_check_shift_closed"]
    assert called[-1] == "deletion_delete"
