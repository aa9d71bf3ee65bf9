"""Bootstrap shared by `make run` and the tests: settings, storage, the state machine, the bridge."""
import contextlib
import copy
import os
import tempfile
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
# What moto names it (its account is 123456789012): known before it is made.
STATE_MACHINE_ARN = "arn:aws:states:{region}:123456789012:stateMachine:" + STATE_MACHINE_NAME


def local_environment(endpoint: str, sqlite_path: Path | None, dynamodb_endpoint: str | None = None) -> None:
    """Step Functions and Lambda on `endpoint` (moto's server) with fake credentials, so the workflow never
    reaches a real AWS account; the data in SQLite at `sqlite_path`, or (sqlite_path None: POS_STORAGE=dynamodb)
    on the DynamoDB endpoint the user gave (`dynamodb_endpoint`), or real DynamoDB with the user's credentials."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    region = os.environ["AWS_DEFAULT_REGION"]
    os.environ["AWS_ENDPOINT_URL"] = endpoint  # every AWS call but DynamoDB's (its host is explicit below)
    if sqlite_path is not None or not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        # Nothing but a user's own DynamoDB account needs real credentials: moto takes any.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    if sqlite_path is not None:
        os.environ.update({"POS_STORAGE": "sqlite", "POS_SQLITE_PATH": str(sqlite_path)})
        os.environ.pop("AWS_PROFILE", None)
    else:
        os.environ["POS_STORAGE"] = "dynamodb"
        os.environ["DYNAMODB_HOST"] = dynamodb_endpoint or f"https://dynamodb.{region}.amazonaws.com"
    config.reload()


def definition(region: str) -> str:
    text = ASL_PATH.read_text()
    for placeholder, function in PLACEHOLDER_FUNCTIONS.items():
        text = text.replace("${" + placeholder + "}", function_arn(function, region))
    return text


def create_state_machine() -> str:
    region = config.settings().region
    # A session of its own: the local server makes it on a thread beside others making clients.
    client = boto3.session.Session().client("stepfunctions", region_name=region)
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


def create_tables() -> None:
    """The DynamoDB tables that are missing (POS_STORAGE=dynamodb); SQLite makes its schema on first use."""
    if config.settings().storage == "dynamodb":
        models.create_tables()


def bootstrap(chalice_app, make_tables=None) -> LambdaBridge:
    """Storage, state machine and bridge, on whatever moto is running (in-process mock or server)."""
    config.reload()
    (make_tables or create_tables)()
    create_state_machine()
    return LambdaBridge(chalice_app).register()


# Where the tests keep the data: moto's DynamoDB, SQLite (a fresh file per use), or (`make test-dynamodb`) the
# DynamoDB endpoint in POS_TEST_DYNAMODB_ENDPOINT: tables `pos-test-<pid>-*` made once per process, emptied per use.
ENGINES = ("moto", "sqlite", "dynamodb")
ENGINE_VARIABLES = ("POS_STORAGE", "POS_SQLITE_PATH", "DYNAMODB_HOST", "TABLE_NAME_PREFIX")
_made_on: set[tuple[str, str]] = set()
# Test databases on tmpfs where there is one: synchronous=FULL's fsyncs then cost nothing.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@contextlib.contextmanager
def engine_environment(engine: str = "moto"):
    """moto (Step Functions executing), with the data in moto's DynamoDB or in a fresh SQLite file. The engine's
    variables, the clock, the settings and the adapters are restored on the way out."""
    from chalicelib import wiring

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    saved = {name: os.environ.get(name) for name in ENGINE_VARIABLES}
    scratch = tempfile.TemporaryDirectory(prefix="pos-test-", dir=_SCRATCH) if engine == "sqlite" else None
    mock_config: dict = {"stepfunctions": {"execute_state_machine": True}}
    try:
        for name in ENGINE_VARIABLES:
            os.environ.pop(name, None)
        if scratch is not None:
            os.environ.update({"POS_STORAGE": "sqlite", "POS_SQLITE_PATH": f"{scratch.name}/pos.sqlite3"})
        if engine == "dynamodb":
            endpoint = os.environ.get("POS_TEST_DYNAMODB_ENDPOINT")
            if not endpoint:
                raise RuntimeError("the dynamodb engine needs POS_TEST_DYNAMODB_ENDPOINT (make test-dynamodb)")
            os.environ.update({"DYNAMODB_HOST": endpoint, "TABLE_NAME_PREFIX": f"pos-test-{os.getpid()}-"})
            # moto answers Step Functions; DynamoDB's requests go out to the endpoint, with the user's credentials.
            mock_config["core"] = {"mock_credentials": False, "passthrough": {"services": ["dynamodb"]}}
        with mock_aws(config=mock_config):
            config.reload()
            wiring.reset()
            if engine == "dynamodb":
                key = (os.environ["DYNAMODB_HOST"], config.settings().table_name_prefix)
                if key in _made_on:
                    empty_tables()
                else:
                    models.create_tables()
                    _made_on.add(key)
            yield
    finally:
        wiring.reset()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clock.set_now(None)
        config.reload()
        if scratch is not None:
            scratch.cleanup()


@contextlib.contextmanager
def local_aws(engine: str = "moto"):
    """A fresh, empty AWS with storage, state machine and Lambda bridge (see engine_environment), so each test
    (and each module fixture) starts from empty tables of its own."""
    from app import app as chalice_app

    with engine_environment(engine):
        bridge = bootstrap(chalice_app, _tables_of_a_fresh_moto if engine == "moto" else lambda: None)
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
    """Delete every item of every table (the dynamodb engine, between tests)."""
    models.bind()
    client = models.connection().client
    for model in models.ALL_MODELS:
        name = model.Meta.table_name
        keys = [attr.attr_name for attr in (model._hash_key_attribute(), model._range_key_attribute()) if attr]
        names = {f"#k{i}": key for i, key in enumerate(keys)}
        for page in client.get_paginator("scan").paginate(TableName=name, ProjectionExpression=", ".join(names),
                                                          ExpressionAttributeNames=names):
            items = page["Items"]
            for start in range(0, len(items), 25):
                pending = {name: [{"DeleteRequest": {"Key": item}} for item in items[start:start + 25]]}
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
