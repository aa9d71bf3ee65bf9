"""Pairing codes (docs/FINAL_SYNC.md): create, replace, revoke, pair once, hashed, 401 alike, 429 on guessing."""
import pytest
import re
from datetime import timedelta

from chalicelib import clock
from chalicelib.adapters.models import TokenModel
from chalicelib.services import pairing
from tests.conftest import FROZEN_AT as T0

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$")



def new_code(client, merchant, device_id, **body):
    status, data = client.post(f"/v1/pos_devices/{device_id}/pairing_code", body or None, token=merchant.token)
    assert status == 201, data
    return data


def pair(client, code, installation_id="tablet-1"):
    return client.post("/v1/pos/pair", {"code": code, "installation_id": installation_id})


def test_code_shape_expiry_and_device_field(client, at):
    merchant = client.signup()
    device = merchant.device()
    data = new_code(client, merchant, device["id"])
    assert CODE.match(data["code"]), data
    assert data["pos_device_id"] == device["id"]
    assert data["expires_at"] == clock.iso(T0 + timedelta(seconds=600))
    status, shown = client.get(f"/v1/pos_devices/{device['id']}", token=merchant.token)
    assert shown["pairing_code_expires_at"] == data["expires_at"]
    longer = new_code(client, merchant, device["id"], expires_in_seconds=86400)
    assert longer["expires_at"] == clock.iso(T0 + timedelta(days=1))
    for bad in (59, 86401, "600", None):
        status, body = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", {"expires_in_seconds": bad},
                                   token=merchant.token)
        assert status == 400, (bad, body)


def test_pair_activates_like_login_and_logs_the_method(client, at):
    merchant = client.signup()
    by_code, by_login = merchant.device("Till 1"), merchant.device("Till 2")
    code = new_code(client, merchant, by_code["id"])["code"]
    status, paired = pair(client, code.lower().replace("-", ""))  # case-insensitive, dash optional
    assert status == 200, paired
    logged_in = merchant.activate(by_login["id"])
    assert set(paired) == set(logged_in) == {"device_token", "pos_device", "next_receipt_seq", "employee"}
    assert (paired["pos_device"]["status"], paired["pos_device"]["installation_id"]) == ("ACTIVATED", "tablet-1")
    assert paired["pos_device"]["pairing_code_expires_at"] is None
    assert (paired["next_receipt_seq"], paired["employee"]["id"]) == (1, merchant.owner["id"])
    # The device token works like any other.
    status, me = client.get("/v1/pos/me", token=paired["device_token"])
    assert (status, me["id"]) == (200, by_code["id"])
    methods = {}
    for device in (by_code, by_login):
        status, events = client.get(f"/v1/events?pos_device_id={device['id']}", token=merchant.token)
        activated = [e for e in events["events"] if e["type"] == "pos_device.activated"]
        assert len(activated) == 1
        methods[device["id"]] = activated[0]["details"]["method"]
        assert set(activated[0]["details"]) >= {"installation_id", "employee_id", "next_receipt_seq", "method"}
    assert methods == {by_code["id"]: "PAIRING_CODE", by_login["id"]: "LOGIN"}


def test_code_works_once_and_every_failure_is_the_same_401(client, at):
    merchant = client.signup()
    device = merchant.device()
    code = new_code(client, merchant, device["id"])["code"]
    assert pair(client, code, "a")[0] == 200
    failures = [pair(client, code, "b"),               # used
                pair(client, "ZZZZ-ZZZZ", "c"),        # wrong
                pair(client, "not a code", "d")]       # cannot be a code
    expired_device = merchant.device("Till 2")
    expired = new_code(client, merchant, expired_device["id"], expires_in_seconds=60)["code"]
    at(seconds=61)
    failures.append(pair(client, expired, "e"))
    for status, body in failures:
        assert (status, body["errors"][0]["code"]) == (401, "PAIRING_CODE_INVALID"), body
    assert len({body["errors"][0]["details"] for _, body in failures}) == 1
    status, shown = client.get(f"/v1/pos_devices/{expired_device['id']}", token=merchant.token)
    assert shown["pairing_code_expires_at"] is None
    assert shown["status"] == "NOT_ACTIVATED"


def test_new_code_replaces_the_old_and_revoke_stops_it_at_once(client, at):
    merchant = client.signup()
    device = merchant.device()
    first = new_code(client, merchant, device["id"])["code"]
    second = new_code(client, merchant, device["id"])["code"]
    assert pair(client, first, "a")[1]["errors"][0]["code"] == "PAIRING_CODE_INVALID"
    status, _ = client.delete(f"/v1/pos_devices/{device['id']}/pairing_code", token=merchant.token)
    assert status == 204
    assert pair(client, second, "b")[0] == 401
    status, shown = client.get(f"/v1/pos_devices/{device['id']}", token=merchant.token)
    assert shown["pairing_code_expires_at"] is None
    assert shown["status"] == "NOT_ACTIVATED"
    assert client.delete(f"/v1/pos_devices/{device['id']}/pairing_code", token=merchant.token)[0] == 204


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_only_the_hash_is_stored(client, at):
    merchant = client.signup()
    device = merchant.device()
    code = new_code(client, merchant, device["id"])["code"]
    plain = code.replace("-", "")
    records = [t.attribute_values for t in TokenModel.scan() if t.kind == "pairing"]
    assert len(records) == 1
    assert records[0]["token_hash"] == pairing.code_hash(plain)
    assert plain not in str(records)
    assert code not in str(records)
    from chalicelib.adapters.models import PosDeviceModel
    assert plain not in str([d.attribute_values for d in PosDeviceModel.scan()])
    assert pair(client, code)[0] == 200
    assert not [t for t in TokenModel.scan() if t.kind == "pairing"]  # used up


def test_roles_and_slot_states(client, at):
    merchant = client.signup()
    device = merchant.device()
    merchant.employee("Cas", "CASHIER", email="cas@example.com", password="cashier pass 1")
    status, login = client.post("/v1/auth/login", {"email": "cas@example.com", "password": "cashier pass 1"})
    assert status == 403, login  # a cashier has no back-office session, so no pairing codes
    manager = merchant.employee("Man", "MANAGER", email="man@example.com", password="manager pass 1",
                                store_ids=[device["store_id"]])
    status, login = client.post("/v1/auth/login", {"email": "man@example.com", "password": "manager pass 1"})
    code = new_code(client, type("M", (), {"token": login["token"]}), device["id"])["code"]
    status, paired = pair(client, code)
    assert (status, paired["employee"]["id"]) == (200, manager["id"])
    # ACTIVATED: 409 SLOT_TAKEN; INACTIVE again: allowed.
    status, body = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", token=merchant.token)
    assert (status, body["errors"][0]["code"]) == (409, "SLOT_TAKEN"), body
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=merchant.token)[0] == 200
    new_code(client, merchant, device["id"])
    other = client.signup()
    assert client.post(f"/v1/pos_devices/{device['id']}/pairing_code", token=other.token)[0] == 404


def test_a_code_dies_when_the_slot_is_activated_by_login(client, at):
    merchant = client.signup()
    device = merchant.device()
    code = new_code(client, merchant, device["id"])["code"]
    merchant.activate(device["id"])
    status, body = pair(client, code)
    assert (status, body["errors"][0]["code"]) == (401, "PAIRING_CODE_INVALID")


def test_guessing_is_answered_429_per_installation_and_per_source(client, at, monkeypatch):
    merchant = client.signup()
    device = merchant.device()
    code = new_code(client, merchant, device["id"])["code"]
    for _ in range(pairing.PAIR_INSTALLATION_LIMIT):
        assert pair(client, "ZZZZ-ZZZZ", "guesser")[0] == 401
    status, body = pair(client, code, "guesser")  # even the right code: this installation is locked out
    assert (status, body["errors"][0]["code"]) == (429, "TOO_MANY_ATTEMPTS"), body
    # A fresh installation id per guess does not help: the source address's window stops it (all requests of the
    # test client come from 127.0.0.1; tests/robustness/test_issue22_access.py shows other addresses go on).
    monkeypatch.setattr(pairing, "PAIR_SOURCE_LIMIT", 8)
    answers = [pair(client, "ZZZZ-ZZZZ", f"g{i}")[0] for i in range(6)]
    assert (answers[:3], answers[3:]) == ([401, 401, 401], [429, 429, 429]), answers
    status, _ = pair(client, code, "honest")
    assert status == 429
    at(minutes=11)  # the window passes
    status, paired = pair(client, code, "honest")
    assert status == 401  # the code itself expired after 10 minutes
    code = new_code(client, merchant, device["id"])["code"]
    assert pair(client, code, "honest")[0] == 200
