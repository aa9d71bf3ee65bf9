"""Issue 14.4: each function's role grants exactly the DynamoDB actions, tables and indexes its code uses.

The grants are read from the packaged template (the role of each function). What the code uses is
recorded: a story that calls every route of chalicelib.api.http.OPERATIONS (as the API function), then
the writing paths of the newer routes (pairing codes, a store move, a final-sync window ended by the owner,
a deactivation that flags an open shift, the CSV export), runs safe deletions down every route of the
workflow (refused, forced with a shift open, checked, not activated; the task functions, through the Lambda
bridge) and the audit both scheduled (RunAudit fanning out to AuditShard) and from the back office, each
raising, refreshing and resolving a finding, with every DynamoDB request
attributed to the function that made it (tests/infra/dynamo_calls.py). Then, per function:
recorded <= granted (the function works on AWS) and granted <= recorded | JUSTIFIED (nothing spare).
The audit fans out (RunAudit invokes AuditShard once per shard, through the Lambda bridge): the functions
each function invoked are recorded too and must be exactly those its role may invoke.
"""
from __future__ import annotations

import re
import uuid

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.api.http import OPERATIONS
from chalicelib.config import settings
from tests.conftest import Api, local_aws, receipt
from tests.infra.dynamo_calls import DynamoCalls
from tests.infra.test_template import (
    TASK_FUNCTIONS,
    as_list,
    build_template,
    iam_statements,
)
from tests.robustness.conftest import build_world
from tests.robustness.harness import settle_deletions
from tests.robustness.test_auth_isolation import _request

# chalice function name -> logical id in the template
FUNCTIONS = {"api_handler": "APIHandler", "run_audit": "RunAudit", "audit_shard": "AuditShard",
             "audit_merchant": "AuditMerchant", "webhook_outbox": "WebhookOutbox", "webhook_retries": "WebhookRetries",
             **{"_".join(part.lower() for part in re.findall("[A-Z][a-z]+", logical)): logical
                for logical in TASK_FUNCTIONS.values()}}

SCHEDULED_EVENT = {"version": "0", "id": "lp", "detail-type": "Scheduled Event", "source": "aws.events",
                   "account": "123456789012", "time": "2026-11-24T10:00:00Z", "region": "us-east-1",
                   "resources": [], "detail": {}}

# Granted but not reached by the story, with the reason (function -> resource -> actions).
JUSTIFIED: dict[str, dict[str, set[str]]] = {
    # Lambda's event source mapping reads the events table's stream with the function's role; the code never does.
    "webhook_outbox": {"events": {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"}},
    # pending_before reads an earlier delivery of the same POS that the index still shows as pending; in the story
    # no retried delivery has one.
    "webhook_retries": {"webhook_deliveries": {"GetItem"}},
}


def _story(api, recorder: DynamoCalls, bridge) -> None:
    with recorder.running("api_handler"):
        world = build_world(api)
        status, spare = api.post("/v1/employees", {"name": "Spare", "role": "MANAGER",
                                                   "email": f"spare-{uuid.uuid4().hex[:8]}@example.com"},
                                 token=world.owner.token)
        assert status == 201, spare
        # Every route once, as the owner (or the device), deletions last.
        called = set()
        for op in sorted(OPERATIONS, key=lambda o: o.method == "DELETE"):
            path, body = _request(op, world, spare["id"])
            token = world.owner.token if op.auth == "user" else world.device_token if op.auth == "device" else None
            if op.path == "/v1/auth/logout":
                token = world.manager_token  # it ends the caller's session: not the owner's, used below
            if op.auth is None:
                body = _public_body(op, world)
            status, answer = api.call(op.method, path, body=body, token=token)
            assert status < 500, (op.method, op.path, status, answer)
            called.add((op.method, op.path))
        assert called == {(op.method, op.path) for op in OPERATIONS}
        # The routes of issues 16 and 17 once more, down their writing paths (the calls above are generic).
        _pairing_store_move_and_final_sync(api, world)
        # Failed logins (the guards), a PIN switch, a deactivation with lost receipts.
        for _ in range(2):
            api.post("/v1/auth/login", {"email": world.owner.email, "password": "wrong password 1"})
            api.post("/v1/pos/login", {"email": world.owner.email, "password": "wrong password 1"})
        api.post("/v1/pos/switch_user", {"employee_id": world.cashier["id"], "pin": "2222"}, token=world.device_token)
        # Deletions: refused (shift open) -> checked and deleted -> forced -> not activated.
        owner = world.owner
        status, _ = api.delete(f"/v1/pos_devices/{world.device['id']}", token=owner.token)
        assert status == 202
    deletion = _wait(api, owner.token, world.device["id"], recorder)
    assert deletion["error"]["code"] == "SHIFT_OPEN", deletion
    with recorder.running("api_handler"):
        status, body = api.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 4, "open_tickets": 0, "shift_open": False},
            "shifts": [{"id": world.shift_id, "opened_at": "2026-11-24T08:00:00Z",
                        "closed_at": "2026-11-24T18:00:00Z", "starting_cash": 10000}],
            "receipts": [receipt(world.device["number"], 4, shift_id=world.shift_id)]}, token=world.device_token)
        assert status == 200, body
        assert api.delete(f"/v1/pos_devices/{world.device['id']}", token=owner.token)[0] == 202
    assert _wait(api, owner.token, world.device["id"], recorder)["status"] == "SUCCEEDED"
    with recorder.running("api_handler"):
        forced, forced_token = owner.active_device("Till 7")  # forced with a shift open: it is flagged
        status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 2, "open_tickets": 1,
                                                           "shift_open": True},
                                                 "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z",
                                                             "starting_cash": 0}], "receipts": []}, token=forced_token)
        assert status == 200, body
        assert api.delete(f"/v1/pos_devices/{forced['id']}?force=true", token=owner.token)[0] == 202
    assert _wait(api, owner.token, forced["id"], recorder)["status"] == "SUCCEEDED"
    with recorder.running("api_handler"):
        waiting, waiting_token = owner.active_device("Till 8")
        status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0,
                                                           "shift_open": False}, "receipts": []}, token=waiting_token)
        assert status == 200, body
        assert api.delete(f"/v1/pos_devices/{waiting['id']}", token=owner.token)[0] == 202
    assert _wait(api, owner.token, waiting["id"], recorder)["error"]["code"] == "RECEIPTS_NOT_SYNCED"
    with recorder.running("api_handler"):
        idle = owner.device("Till 10", store_id=world.store["id"])  # "Till 9" is the route call's
        assert api.delete(f"/v1/pos_devices/{idle['id']}", token=owner.token)[0] == 202
    assert _wait(api, owner.token, idle["id"], recorder)["status"] == "SUCCEEDED"
    # The scheduled audit, three runs on Till 8 (receipts 1-3 issued, none synced).
    def scheduled_run():
        before = len(bridge.calls)
        with recorder.running("run_audit"):
            summary = app_module.run_audit(SCHEDULED_EVENT, None)
        assert not summary["failed_shards"], summary
        shards = [event["shard"] for _, event in bridge.calls[before:]]
        assert len(shards) == len(set(shards)) == summary["shards"], shards
        recorder.invoked["run_audit"] |= {name for name, _ in bridge.calls[before:]}
        return summary

    _gap_then_fill(api, recorder, waiting, waiting_token, scheduled_run)
    # The same from the back office (POST /v1/audit/runs, the API function) on another POS.
    with recorder.running("api_handler"):
        other, other_token = owner.active_device("Till 15")
        status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0,
                                                           "shift_open": False}, "receipts": []}, token=other_token)
        assert status == 200, body

    def back_office_run():
        before = len(bridge.calls)
        with recorder.running("api_handler"):  # the run itself is audit_merchant's (invoked asynchronously)
            status, summary = api.post("/v1/audit/runs", token=owner.token)
        assert status == 202 and summary["status"] == "SUCCEEDED", summary
        recorder.invoked["api_handler"] |= {name for name, _ in bridge.calls[before:]}
        return summary

    _gap_then_fill(api, recorder, other, other_token, back_office_run)
    with recorder.running("api_handler"):
        settle_deletions(api, owner.token)
    _integrations(api, recorder, owner)


def _integrations(api, recorder, owner) -> None:
    """Issue 24: an API token used (its last use recorded) and revoked; a webhook whose events reach the outbox
    function as the events table's stream delivers them, and the retries function sends what is due again."""
    import json as _json

    from chalicelib.adapters.models import EventModel
    from tests.helpers import serve_posts

    answers = [500]
    server = serve_posts(lambda _path, _headers, _body: answers.pop(0) if answers else 200)
    try:
        with recorder.running("api_handler"):
            status, token = api.post("/v1/api_tokens", {"name": "ERP", "access": "WRITE"}, token=owner.token)
            assert status == 201, token
            assert api.get("/v1/stores", token=token["token"])[0] == 200
            assert api.delete(f"/v1/api_tokens/{token['id']}", token=owner.token)[0] == 204
            status, hook = api.post("/v1/webhooks", {
                "url": f"http://127.0.0.1:{server.server_address[1]}/h",
                "event_types": ["pos_device.created", "receipts.created", "shift.closed"]}, token=owner.token)
            assert status == 201, hook
            till, till_token = owner.active_device("Till 20")
            status, body = api.post("/v1/pos/sync", {
                "state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": False},
                "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z",
                            "closed_at": "2026-11-24T09:00:00Z", "starting_cash": 0}],
                "receipts": [receipt(till["number"], 1)]}, token=till_token)
            assert status == 200, body
        with recorder.running("api_handler"):  # (the test's own read of what the stream would carry)
            items = list(EventModel.query(owner.merchant["id"]))
        records = [{"eventID": str(n), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1", "eventSourceARN": app_module.EVENTS_STREAM_ARN,
                    "dynamodb": {"ApproximateCreationDateTime": 1764000000, "Keys": {}, "NewImage": item.serialize(),
                                 "SequenceNumber": str(n), "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"}}
                   for n, item in enumerate(items)]
        with recorder.running("webhook_outbox"):
            result = app_module.webhook_outbox({"Records": records}, None)
        assert result["deliveries_added"] >= 3 and result["failed_attempts"] >= 1, result
        import time as _time
        _time.sleep(0.1)
        with recorder.running("webhook_retries"):
            from datetime import timedelta

            from chalicelib import clock
            from chalicelib.services import webhooks
            result = webhooks.deliver_due(clock.now() + timedelta(minutes=5), limit=40)
            app_module.webhook_retries(SCHEDULED_EVENT, None)
        assert result["delivered"] >= 1, result
        with recorder.running("api_handler"):
            status, log = api.get(f"/v1/webhooks/{hook['id']}/deliveries", token=owner.token)
            assert status == 200 and {d["status"] for d in log["deliveries"]} == {"DELIVERED"}, _json.dumps(log)
    finally:
        server.shutdown()
        server.server_close()


def _gap_then_fill(api, recorder, device, token, run_audit) -> None:
    """A POS that issued receipts 1-3 and synced none, audited by `run_audit` after each sync: with receipt 2
    synced the audit looks the others up and raises a finding, with 1 it refreshes it, with 3 it resolves it."""
    outcomes = []
    for seq in (2, 1, 3):
        with recorder.running("api_handler"):
            status, body = api.post("/v1/pos/sync", {
                "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
                "receipts": [receipt(device["number"], seq)]}, token=token)
            assert (status, body["accepted"]) == (200, 1), body
        summary = run_audit()
        outcomes.append({name: summary[name] for name in ("devices_checked", "raised", "refreshed", "resolved")})
    assert [(o["raised"] >= 1, o["refreshed"] >= 1, o["resolved"] >= 1) for o in outcomes] == [
        (True, False, False), (False, True, False), (False, False, True)], outcomes


def _pairing_store_move_and_final_sync(api, world) -> None:
    """A pairing code made, revoked, made again, guessed wrong and used; a POS moved to another store; a slot
    deactivated with a final-sync window, activated on a new installation while the old one uploads, and the
    window ended by the owner; the receipts exported as CSV."""
    owner, store = world.owner, world.store
    slot = owner.device("Till 11", store_id=store["id"])
    code = f"/v1/pos_devices/{slot['id']}/pairing_code"
    assert api.post(code, None, token=owner.token)[0] == 201
    assert api.delete(code, token=owner.token)[0] < 300
    status, made = api.post(code, {"expires_in_seconds": 3600}, token=owner.token)
    assert status == 201, made
    assert api.post("/v1/pos/pair", {"code": "2222-2222", "installation_id": "lp-guess"})[0] == 401
    status, paired = api.post("/v1/pos/pair", {"code": made["code"], "installation_id": "lp-paired"})
    assert status == 200, paired

    moved = owner.device("Till 12", store_id=store["id"])
    other = owner.store("Second store")
    status, body = api.patch(f"/v1/pos_devices/{moved['id']}", {"store_id": other["id"]}, token=owner.token)
    assert (status, body["store_id"]) == (200, other["id"]), body

    old, old_token = owner.active_device("Till 13")  # deactivated with a shift open: it is flagged
    status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": True},
                                             "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z",
                                                         "starting_cash": 0}],
                                             "receipts": [receipt(old["number"], seq) for seq in (1, 2)]},
                            token=old_token)
    assert (status, body["accepted"]) == (200, 2), body
    status, body = api.post(f"/v1/pos_devices/{old['id']}/deactivate", {"final_sync_hours": 72}, token=owner.token)
    assert status == 200, body
    assert body["final_sync_until"], body
    new = owner.activate(old["id"], "lp-new-tablet")
    status, body = api.post("/v1/pos/sync", {
        "state": {"last_receipt_number": new["next_receipt_seq"], "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(old["number"], new["next_receipt_seq"])]}, token=new["device_token"])
    assert (status, body["accepted"]) == (200, 1), body
    for seqs in ((3,), (3, 4)):  # 3 again: a duplicate in the window, by its number
        status, body = api.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(old["number"], seq) for seq in seqs]}, token=old_token)
        assert status == 200, body
    status, body = api.post(f"/v1/pos_devices/{old['id']}/end_final_sync", None, token=owner.token)
    assert status == 200, body
    assert body["final_sync_until"] is None, body

    status, csv = api.call("GET", f"/v1/receipts/export?pos_device_id={old['id']}", token=owner.token)
    assert status == 200, csv

    left, left_token = owner.active_device("Till 14")  # deactivated at once with a shift open: it is flagged
    status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": True},
                                             "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z",
                                                         "starting_cash": 0}], "receipts": []}, token=left_token)
    assert status == 200, body
    status, body = api.post(f"/v1/pos_devices/{left['id']}/deactivate", None, token=owner.token)
    assert (status, body["status"]) == (200, "INACTIVE"), body
    status, findings = api.get(f"/v1/audit/findings?pos_device_id={left['id']}", token=owner.token)
    assert [f["type"] for f in findings["findings"]] == ["SHIFT_LEFT_OPEN"], findings


def _public_body(op, world) -> dict | None:
    if op.body is None:
        return None
    email = f"lp-{uuid.uuid4().hex[:8]}@example.com"
    return {("POST", "/v1/signup"): {"business_name": "Other", "email": email, "password": "correct horse 1"},
            ("POST", "/v1/auth/login"): {"email": world.owner.email, "password": world.owner.password},
            ("POST", "/v1/pos/login"): {"email": world.owner.email, "password": world.owner.password},
            ("POST", "/v1/pos/activate"): {"login_token": world.login_token(), "pos_device_id": world.idle_device["id"],
                                           "installation_id": f"lp-{uuid.uuid4().hex[:8]}"},
            }.get((op.method, op.path), {})


def _wait(api, token, device_id, recorder):
    with recorder.running("api_handler"):
        return api.wait_for_deletion(token, device_id)


PIN_KEY = "least-privilege-pin-key"


@pytest.fixture(scope="module")
def story() -> DynamoCalls:
    """The story, told once in a fresh AWS for the module's tests: they only read what it recorded. The PINs' key
    is in a Secrets Manager secret, as on AWS (PIN_HASH_SECRET_ARN, no PIN_HASH_SECRET)."""
    import os

    import boto3

    from chalicelib import config

    saved = {name: os.environ.get(name) for name in ("PIN_HASH_SECRET", "PIN_HASH_SECRET_ARN")}
    with local_aws() as aws, Client(app_module.app) as http:
        arn = boto3.client("secretsmanager", region_name=settings().region).create_secret(
            Name=f"lp-pin-key-{uuid.uuid4().hex[:8]}", SecretString=PIN_KEY)["ARN"]
        os.environ.pop("PIN_HASH_SECRET", None)
        os.environ["PIN_HASH_SECRET_ARN"] = arn
        config.reload()
        try:
            recorder = DynamoCalls(settings().table_name_prefix)
            recorder.pin_secret_arn = arn
            aws.functions = {name: recorder.wrap(name, func) for name, func in aws.functions.items()}
            with recorder.installed():
                _story(Api(http), recorder, aws)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            config.reload()
    return recorder


@pytest.fixture
def recorded(story):
    return story.as_grants()


def _table_of(logical_id: str) -> str:
    """PosDevicesTable -> pos_devices (the names of docs/INTERNALS.md)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Table")).lower()


def granted() -> dict[str, dict[str, set[str]]]:
    """function (chalice name) -> resource -> DynamoDB actions, as the built template grants them."""
    template = build_template.build()
    result: dict[str, dict[str, set[str]]] = {}
    for function, logical in FUNCTIONS.items():
        role = template["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        grants: dict[str, set[str]] = {}
        for name, statement in iam_statements(template):
            if name != role or not any(a.startswith("dynamodb:") for a in as_list(statement["Action"])):
                continue
            for resource in as_list(statement["Resource"]):
                if "Fn::GetAtt" in resource:
                    key = _table_of(resource["Fn::GetAtt"][0])
                else:
                    key = _table_of(re.fullmatch(r"\$\{(\w+)\.Arn\}/index/\*", resource["Fn::Sub"]).group(1)) + "/index"
                grants.setdefault(key, set()).update(a.removeprefix("dynamodb:") for a in as_list(statement["Action"]))
        result[function] = grants
    return result


def granted_invokes() -> dict[str, set[str]]:
    """function (chalice name) -> the functions (chalice names) its role may lambda:InvokeFunction."""
    template = build_template.build()
    names = {logical: function for function, logical in FUNCTIONS.items()}
    result = {}
    for function, logical in FUNCTIONS.items():
        role = template["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        result[function] = {names[resource["Fn::GetAtt"][0]] for name, statement in iam_statements(template)
                            if name == role and "lambda:InvokeFunction" in as_list(statement["Action"])
                            for resource in as_list(statement["Resource"])}
    return {function: invoked for function, invoked in result.items() if invoked}


def compare(grants, recorded) -> list[str]:
    problems = []
    for function, tables in grants.items():
        calls = recorded.get(function, {})
        for resource, actions in calls.items():
            missing = actions - tables.get(resource, set())
            if missing:
                problems.append(f"{function} calls {sorted(missing)} on {resource} but is not granted it")
        for resource, actions in tables.items():
            spare = actions - calls.get(resource, set()) - JUSTIFIED.get(function, {}).get(resource, set())
            if spare:
                problems.append(f"{function} is granted {sorted(spare)} on {resource} but never calls it")
    return problems


def test_every_function_is_granted_what_its_code_calls_and_nothing_more(recorded):
    grants = granted()
    assert None not in recorded, f"DynamoDB calls outside any function: {recorded.get(None)}"
    assert set(recorded) == set(grants), "every function ran in the story"
    problems = compare(grants, recorded)
    assert not problems, "infra/functions.yml and the code disagree:\n" + "\n".join(problems)


def test_the_comparison_reports_a_missing_and_a_spare_grant(recorded):
    grants = granted()
    grants["deletion_delete"]["stores"].discard("UpdateItem")
    grants["run_audit"].setdefault("receipts", set()).add("Scan")
    assert sorted(compare(grants, recorded)) == sorted([
        "run_audit is granted ['Scan'] on receipts but never calls it",
        "deletion_delete calls ['UpdateItem'] on stores but is not granted it"])


def test_a_function_invokes_exactly_the_functions_its_role_may(story):
    """RunAudit only fans out: it invokes AuditShard (every shard once) and is granted no other function."""
    assert dict(story.invoked) == granted_invokes() == {"run_audit": {"audit_shard"},
                                                        "api_handler": {"audit_merchant"}}


def granted_secrets() -> dict[str, list]:
    """function (chalice name) -> the secrets (template values) its role may secretsmanager:GetSecretValue."""
    template = build_template.build()
    result = {}
    for function, logical in FUNCTIONS.items():
        role = template["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [st for name, st in iam_statements(template) if name == role
                      and any(a.startswith("secretsmanager:") for a in as_list(st["Action"]))]
        for statement in statements:
            assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"], (function, statement)
        resources = [r for st in statements for r in as_list(st["Resource"])]
        if resources:
            result[function] = resources
    return result


def test_only_the_api_function_reads_the_pin_key_once_and_may_read_nothing_else(story):
    """The PINs' HMAC key is read from Secrets Manager by the API function only, once per container (the story
    sets PINs and switches users many times), and that function may read that one secret only."""
    assert dict(story.secret_reads) == {"api_handler": [story.pin_secret_arn]}
    assert granted_secrets() == {"api_handler": [{"Ref": "PinHashSecret"}]}
