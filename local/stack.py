"""Bootstrap shared by `make run` and the tests: settings, tables, the state machine, the bridge."""
import contextlib
import copy
import os
from pathlib import Path

import boto3
from moto import mock_aws

from chalicelib import clock, config
from chalicelib.adapters import models
from chalicelib.workflows import steps
from local.bridge import LambdaBridge, function_arn

ASL_PATH = Path(__file__).resolve().parent.parent / "chalicelib" / "workflows" / "safe_delete_pos_device.asl.json"
PLACEHOLDER_FUNCTIONS = steps.PLACEHOLDER_FUNCTIONS  # ${...Arn} -> the Chalice function moto's Lambda calls
STATE_MACHINE_NAME = "SafeDeletePosDevice"


def local_environment(endpoint: str | None = None, dynamodb_endpoint: str | None = None) -> None:
    """Fake credentials and a region, so nothing ever reaches a real AWS account.

    `endpoint` (moto's server) answers every AWS call; `dynamodb_endpoint` (DynamoDB Local), when given,
    answers DynamoDB's instead. Step Functions stays on moto either way."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    dynamodb = dynamodb_endpoint or endpoint
    if dynamodb:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb
        os.environ["DYNAMODB_HOST"] = dynamodb
        # A local engine may queue a burst of requests for seconds: a longer read timeout than on AWS.
        os.environ.setdefault("DYNAMODB_READ_TIMEOUT_SECONDS", "20")
    config.reload()


def definition(region: str) -> str:
    text = ASL_PATH.read_text()
    for placeholder, function in PLACEHOLDER_FUNCTIONS.items():
        text = text.replace("${" + placeholder + "}", function_arn(function, region))
    return text


def create_state_machine() -> str:
    region = config.settings().region
    client = boto3.client("stepfunctions", region_name=region)
    for machine in client.list_state_machines()["stateMachines"]:
        if machine["name"] == STATE_MACHINE_NAME:
            client.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition(region))
            arn = machine["stateMachineArn"]
            break
    else:
        arn = client.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition(region),
            roleArn=f"arn:aws:iam::123456789012:role/{STATE_MACHINE_NAME}-role")["stateMachineArn"]
    os.environ["STATE_MACHINE_ARN"] = arn
    config.reload()
    return arn


def bootstrap(chalice_app, make_tables=None) -> LambdaBridge:
    """Tables, state machine and bridge, on whatever moto is running (in-process mock or server)."""
    config.reload()
    models.bind()
    (make_tables or models.create_tables)()
    create_state_machine()
    return LambdaBridge(chalice_app).register()


# The tables made on each DynamoDB Local endpoint by this process (creating ten tables and their twelve
# indexes costs 1.4-2.8 s there; emptying them between tests costs a few scans).
_made_on: set[tuple[str, str]] = set()
ENGINE_VARIABLES = ("DYNAMODB_HOST", "AWS_ENDPOINT_URL_DYNAMODB", "TABLE_NAME_PREFIX")


@contextlib.contextmanager
def engine_environment(dynamodb_endpoint: str | None = None):
    """moto (Step Functions executing), with the data in moto's DynamoDB or in DynamoDB Local at
    `dynamodb_endpoint`; there the tables of this process (prefix `pos-test-<pid>-`), once made, are emptied on
    every entry. The engine's variables, the clock and the settings are restored on the way out."""
    saved = {name: os.environ.get(name) for name in ENGINE_VARIABLES}
    try:
        if dynamodb_endpoint:
            os.environ.update({"DYNAMODB_HOST": dynamodb_endpoint, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
                               "TABLE_NAME_PREFIX": f"pos-test-{os.getpid()}-"})
        else:
            for name in ENGINE_VARIABLES:
                os.environ.pop(name, None)
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            config.reload()
            if dynamodb_endpoint:
                key = (dynamodb_endpoint, config.settings().table_name_prefix)
                if key in _made_on:
                    empty_tables()
                _made_on.add(key)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clock.set_now(None)
        config.reload()


@contextlib.contextmanager
def local_aws(dynamodb_endpoint: str | None = None):
    """A fresh, empty AWS with tables, state machine and Lambda bridge (see engine_environment), so each test
    (and each module fixture) starts from empty tables of its own."""
    from app import app as chalice_app

    with engine_environment(dynamodb_endpoint):
        bridge = bootstrap(chalice_app, None if dynamodb_endpoint else _tables_of_a_fresh_moto)
        try:
            yield bridge
        finally:
            bridge.unregister()


# The tables of a fresh in-process moto, as moto made them through the API the first time in this process;
# each later fresh mock gets a copy (0.5 ms instead of 30 API calls, about 40 ms, on every test).
_moto_tables: dict[tuple, dict] = {}


def _tables_of_a_fresh_moto() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    names = tuple(model.Meta.table_name for model in models.ALL_MODELS)
    key = (DEFAULT_ACCOUNT_ID, config.settings().region, names)
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][key[1]].tables
    fresh, template = not tables, _moto_tables.get(key)
    if fresh and template is not None:
        tables.update(copy.deepcopy(template))
        return
    models.create_tables()
    if fresh and set(names) <= set(tables):
        _moto_tables[key] = copy.deepcopy({name: tables[name] for name in names})


def empty_tables() -> None:
    """Delete every item of every table (DynamoDB Local between tests)."""
    models.bind()
    client = models.connection().client
    for model in models.ALL_MODELS:
        name = model.Meta.table_name
        keys = [attr.attr_name for attr in (model._hash_key_attribute(), model._range_key_attribute()) if attr]
        names = {f"#k{i}": key for i, key in enumerate(keys)}
        paginator = client.get_paginator("scan")
        for page in paginator.paginate(TableName=name, ProjectionExpression=", ".join(names),
                                       ExpressionAttributeNames=names):
            items = page["Items"]
            for start in range(0, len(items), 25):
                pending = {name: [{"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]}
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
