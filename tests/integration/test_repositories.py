"""Repositories and services on moto's DynamoDB: conditional writes, races, and all-or-nothing transactions."""
import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from chalicelib import clock
from chalicelib.adapters import models
from chalicelib.adapters.repositories import (
    AccountRepository, DeviceRepository, EventRepository, ReceiptRepository, ShiftRepository, StoreRepository,
    TokenRepository,
)
from chalicelib.domain.devices import Device, Status
from chalicelib.errors import Conflict, DeviceDeactivated, DomainError, IllegalTransition, InvalidInput
from chalicelib.ports import AlreadyStored, SlotRevoked, UnknownStore, VersionConflict
from chalicelib.services import accounts, devices
from chalicelib.services.common import new_event
from chalicelib.services.security import hash_pin, hash_token

THREADS = 8
PASSWORD = "correct horse 1"


# ---------------------------------------------------------------- helpers


@dataclasses.dataclass
class Shop:
    email: str
    principal: object
    merchant_id: str
    store_id: str


def _shop(aws, email="owner@example.com") -> Shop:
    result = accounts.signup("Cafe", email, PASSWORD)
    principal = accounts.authenticate_user(result["token"])
    store = accounts.create_store(principal, "Main", None)
    return Shop(email, principal, principal.merchant_id, store["id"])


@pytest.fixture
def shop(aws):
    return _shop(aws)


@pytest.fixture
def serialized_moto(monkeypatch):
    """DynamoDB applies each request atomically; moto's in-process backend does not lock, and a failed
    transaction even restores a deep copy of the whole table, undoing other threads' writes. Serializing
    moto's request handling gives the threads real DynamoDB semantics (requests still interleave freely)."""
    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def locked(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", locked)


def _events(merchant_id, device_id=None) -> list[dict]:
    items, cursor = EventRepository.list(merchant_id, 250, None, pos_device_id=device_id)
    assert cursor is None
    return items


def _event_types(merchant_id, device_id=None) -> list[str]:
    return [e["type"] for e in _events(merchant_id, device_id)]


@pytest.fixture
def fail_transactions():
    """Inject a fault at the AWS boundary: give one item of every TransactWriteItems call (the first one that
    `pick(item)` selects) a condition that cannot hold, so DynamoDB itself cancels the whole transaction."""
    events = models.connection().client.meta.events
    picks = []

    def handler(params, **_):
        if not picks:
            return
        pick = picks[-1]
        for item in params.get("TransactItems", []):
            (op, body), = item.items()
            if pick(op, body):
                impossible = "attribute_exists(#never_there)"
                existing = body.get("ConditionExpression")
                body["ConditionExpression"] = f"({existing}) AND {impossible}" if existing else impossible
                body.setdefault("ExpressionAttributeNames", {})["#never_there"] = "never_there"
                return

    events.register("before-parameter-build.dynamodb.TransactWriteItems", handler, unique_id="test-fault")
    yield picks.append
    events.unregister("before-parameter-build.dynamodb.TransactWriteItems", unique_id="test-fault")


# ---------------------------------------------------------------- conditional writes


def test_save_transition_refuses_a_stale_version(shop):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    before = DeviceRepository.get(shop.merchant_id, device.id)
    first = dataclasses.replace(before, name="Renamed once")
    DeviceRepository.save_transition(before, first, new_event(shop.merchant_id, "test.first", {}, device.id))
    assert DeviceRepository.get(shop.merchant_id, device.id).version == before.version + 1

    # A second writer that read the same version loses, and its log entry does not land either.
    stale = dataclasses.replace(before, name="Renamed from a stale read")
    with pytest.raises(VersionConflict):
        DeviceRepository.save_transition(before, stale, new_event(shop.merchant_id, "test.stale", {}, device.id))
    stored = DeviceRepository.get(shop.merchant_id, device.id)
    assert (stored.name, stored.version) == ("Renamed once", before.version + 1)
    assert "test.stale" not in _event_types(shop.merchant_id, device.id)
    assert "test.first" in _event_types(shop.merchant_id, device.id)


def test_change_device_retries_a_lost_race_on_a_fresh_read(shop):
    """A rename that raced with another write is re-applied on the new version (no lost update).

    The race is injected at the AWS boundary: right after the service's first read of the slot, another
    writer (a plain boto3 client) changes it and bumps its version."""
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    events = models.PosDeviceModel._get_connection().connection.client.meta.events
    raced = []

    def race(**_):
        if raced:
            return
        raced.append(True)
        boto3.client("dynamodb", region_name="us-east-1").update_item(
            TableName=models.PosDeviceModel.Meta.table_name,
            Key={"merchant_id": {"S": shop.merchant_id}, "id": {"S": device.id}},
            UpdateExpression="SET open_tickets = :three ADD version :one",
            ExpressionAttributeValues={":three": {"N": "3"}, ":one": {"N": "1"}})

    events.register("after-call.dynamodb.GetItem", race, unique_id="test-race")
    try:
        renamed = devices.rename_device(shop.principal, device.id, "Till A")
    finally:
        events.unregister("after-call.dynamodb.GetItem", unique_id="test-race")
    assert raced
    stored = DeviceRepository.get(shop.merchant_id, device.id)
    assert (stored.name, renamed.name) == ("Till A", "Till A")
    assert stored.open_tickets == 3  # the other writer's change survived
    assert (stored.version, renamed.version) == (2, 2)
    assert _event_types(shop.merchant_id, device.id).count("pos_device.renamed") == 1


def test_create_with_a_stale_counter_writes_nothing(shop):
    devices.create_device(shop.principal, "Till 1", shop.store_id)
    clash = Device(merchant_id=shop.merchant_id, id="clash", name="Clash", store_id=shop.store_id, number=1,
                   created_at=clock.iso(), updated_at=clock.iso())
    with pytest.raises(VersionConflict):
        DeviceRepository.create(clash, 0, new_event(shop.merchant_id, "pos_device.created", {}, "clash"))
    assert DeviceRepository.get(shop.merchant_id, "clash") is None
    assert AccountRepository.get_merchant(shop.merchant_id)["pos_number_counter"] == 1
    assert StoreRepository.get(shop.merchant_id, shop.store_id)["device_count"] == 1
    assert "clash" not in {e.get("pos_device_id") for e in _events(shop.merchant_id)}


def test_create_in_an_unknown_store_is_a_400_and_writes_nothing(shop):
    with pytest.raises(InvalidInput) as caught:
        devices.create_device(shop.principal, "Till 1", "no-such-store")
    assert caught.value.code == "UNKNOWN_STORE"
    assert DeviceRepository.list(shop.merchant_id, 50, None)[0] == []
    assert AccountRepository.get_merchant(shop.merchant_id)["pos_number_counter"] == 0


def test_create_in_a_store_deleted_meanwhile_is_unknown_store(shop, fail_transactions):
    """The store vanished between the check and the write: its update's condition fails in the transaction."""
    stores_table = models.StoreModel.Meta.table_name
    fail_transactions(lambda op, body: op == "Update" and body["TableName"] == stores_table)
    with pytest.raises(InvalidInput) as caught:
        devices.create_device(shop.principal, "Till 1", shop.store_id)
    assert caught.value.code == "UNKNOWN_STORE"
    assert DeviceRepository.list(shop.merchant_id, 50, None)[0] == []
    assert AccountRepository.get_merchant(shop.merchant_id)["pos_number_counter"] == 0
    assert "pos_device.created" not in _event_types(shop.merchant_id)


# ---------------------------------------------------------------- what a refused transaction means


def _clash(shop, name="Clash", store_id=None) -> Device:
    return Device(merchant_id=shop.merchant_id, id=f"clash-{name}", name=name, store_id=store_id or shop.store_id,
                  number=1, created_at=clock.iso(), updated_at=clock.iso())


def test_create_names_the_refusal_that_matters_when_several_conditions_fail(shop):
    """The adapter knows which item failed: a taken name wins over a stale counter; a store that is gone wins
    over a stale counter; a stale counter alone asks the caller to read it again."""
    devices.create_device(shop.principal, "Till 1", shop.store_id)  # the counter is now 1, "Till 1" is taken
    event = new_event(shop.merchant_id, "pos_device.created", {}, "clash")
    with pytest.raises(Conflict) as caught:
        DeviceRepository.create(_clash(shop, "Till 1"), 0, event)
    assert (caught.value.code, caught.value.field) == ("NAME_TAKEN", "name")
    with pytest.raises(UnknownStore):
        DeviceRepository.create(_clash(shop, "Till 2", store_id="gone"), 0, event)
    with pytest.raises(VersionConflict):
        DeviceRepository.create(_clash(shop, "Till 2"), 0, event)
    assert DeviceRepository.list(shop.merchant_id, 50, None)[0][0].name == "Till 1"
    assert AccountRepository.get_merchant(shop.merchant_id)["pos_number_counter"] == 1


def test_save_transition_refusals_name_store_and_version(shop):
    first = devices.create_device(shop.principal, "Till 1", shop.store_id)
    devices.create_device(shop.principal, "Till 2", shop.store_id)
    before = DeviceRepository.get(shop.merchant_id, first.id)
    with pytest.raises(Conflict) as caught:  # also stale: the taken name is still the answer
        DeviceRepository.save_transition(dataclasses.replace(before, version=7),
                                         dataclasses.replace(before, name="Till 2"), None)
    assert caught.value.code == "NAME_TAKEN"
    with pytest.raises(UnknownStore):
        DeviceRepository.save_transition(before, dataclasses.replace(before, store_id="gone"), None)
    with pytest.raises(VersionConflict):  # a pairing code that must still exist, used meanwhile
        DeviceRepository.save_transition(before, dataclasses.replace(before, name="Till 3"), None,
                                         token_deletes=[("no-such-code", True)])
    assert DeviceRepository.get(shop.merchant_id, first.id) == before
    assert StoreRepository.get(shop.merchant_id, shop.store_id)["device_count"] == 2


def _receipt(device: Device, seq: int, receipt_id: str) -> dict:
    now = clock.iso()
    number = f"{device.number}-{seq}"
    return {"merchant_id": device.merchant_id, "receipt_number": number, "id": receipt_id, "receipt_type": "SALE",
            "pos_device_id": device.id, "pos_device_name": device.name, "store_id": device.store_id,
            "created_at": now, "created_sk": f"{now}#{number}", "synced_at": now, "line_items": [], "payments": [],
            "total_money": 0, "total_tax": 0}


def _shift(device: Device, shift_id: str, closed: bool = False) -> dict:
    now = clock.iso()
    return {"merchant_id": device.merchant_id, "id": shift_id, "pos_device_id": device.id,
            "store_id": device.store_id, "opened_at": now, "opened_sk": f"{now}#{shift_id}",
            "closed_at": now if closed else None}


def test_receipts_and_shifts_refusals_tell_a_revoked_slot_from_records_stored_meanwhile(shop):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    devices.activate_device(devices.pos_login(shop.email, PASSWORD)["login_token"], device.id, "inst")
    slot = DeviceRepository.get(shop.merchant_id, device.id)
    ReceiptRepository.store_batch(slot, [_receipt(slot, 1, "r1")])
    with pytest.raises(AlreadyStored):  # the number is taken
        ReceiptRepository.store_batch(slot, [_receipt(slot, 1, "r1-again"), _receipt(slot, 2, "r2")])
    with pytest.raises(AlreadyStored):  # the id is taken
        ReceiptRepository.store_batch(slot, [_receipt(slot, 3, "r1")])
    ShiftRepository.store(slot, [_shift(slot, "s1", closed=True)])
    with pytest.raises(AlreadyStored):  # a closed shift is final
        ShiftRepository.store(slot, [_shift(slot, "s1")])

    devices.deactivate_device(shop.principal, device.id)
    with pytest.raises(SlotRevoked):  # revoked, and the number is taken too: the slot is the answer
        ReceiptRepository.store_batch(slot, [_receipt(slot, 1, "r1"), _receipt(slot, 4, "r4")])
    with pytest.raises(SlotRevoked):
        ShiftRepository.store(slot, [_shift(slot, "s1"), _shift(slot, "s2")])
    assert ReceiptRepository.get(shop.merchant_id, f"{slot.number}-2") is None
    assert ReceiptRepository.get(shop.merchant_id, f"{slot.number}-4") is None
    assert set(ShiftRepository.get_many(shop.merchant_id, ["s1", "s2"])) == {"s1"}
    assert DeviceRepository.get(shop.merchant_id, device.id).synced_receipts == 1


def test_employee_writes_refuse_a_stale_edit_and_name_a_taken_email(shop):
    other = accounts.create_employee(shop.principal, {"name": "Ann", "email": "ann@example.com",
                                                      "role": "CASHIER", "password": PASSWORD})
    stale = dict(other)
    accounts.update_employee(shop.principal, other["id"], {"name": "Ann B"})
    event = new_event(shop.merchant_id, "employee.updated", shop.principal.actor)
    with pytest.raises(VersionConflict):
        AccountRepository.save_employee(stale | {"name": "Ann C"}, stale, event)
    current = AccountRepository.get_employee(shop.merchant_id, other["id"])
    with pytest.raises(Conflict) as caught:
        AccountRepository.save_employee(current | {"email": shop.email}, current, event)
    assert (caught.value.code, caught.value.field) == ("EMAIL_TAKEN", "email")
    assert AccountRepository.get_employee(shop.merchant_id, other["id"]) == current


def test_a_store_with_devices_cannot_be_deleted(shop):
    devices.create_device(shop.principal, "Till 1", shop.store_id)
    with pytest.raises(Conflict) as caught:
        accounts.delete_store(shop.principal, shop.store_id)
    assert caught.value.code == "STORE_HAS_POS_DEVICES"
    assert StoreRepository.get(shop.merchant_id, shop.store_id) is not None
    assert "store.deleted" not in _event_types(shop.merchant_id)


def test_email_and_pin_guards(aws):
    shop = _shop(aws, "first@example.com")
    with pytest.raises(Conflict) as caught:
        accounts.signup("Other", "FIRST@example.com", PASSWORD)
    assert (caught.value.code, caught.value.field) == ("EMAIL_TAKEN", "email")
    accounts.create_employee(shop.principal, {"name": "Ann", "role": "CASHIER", "pin": "1234"})
    with pytest.raises(Conflict) as caught:
        accounts.create_employee(shop.principal, {"name": "Bob", "role": "CASHIER", "pin": "1234"})
    assert (caught.value.code, caught.value.field) == ("PIN_TAKEN", "pin")
    employees, _ = AccountRepository.list_employees(shop.merchant_id, 50, None)
    assert sorted(e["name"] for e in employees) == ["Ann", "Cafe"]  # Bob did not land
    # Another merchant may use the same PIN.
    other = _shop(aws, "second@example.com")
    accounts.create_employee(other.principal, {"name": "Cid", "role": "CASHIER", "pin": "1234"})
    # Looked up by the PIN's keyed hash (issue 12.2); the plain PIN finds nothing.
    assert AccountRepository.find_employee_by_pin(other.merchant_id, hash_pin(other.merchant_id, "1234"))["name"] == "Cid"
    assert AccountRepository.find_employee_by_pin(shop.merchant_id, hash_pin(shop.merchant_id, "1234"))["name"] == "Ann"
    assert AccountRepository.find_employee_by_pin(shop.merchant_id, "1234") is None


# ---------------------------------------------------------------- races


def _run_in_threads(work, count=THREADS):
    barrier = threading.Barrier(count)

    def start(i):
        barrier.wait()
        try:
            return ("ok", work(i))
        except DomainError as error:
            return ("error", error)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_concurrent_activation_of_one_slot_has_exactly_one_winner(shop, serialized_moto):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    login_tokens = [devices.pos_login(shop.email, PASSWORD)["login_token"] for _ in range(THREADS)]

    results = _run_in_threads(lambda i: devices.activate_device(login_tokens[i], device.id, f"install-{i}"))

    winners = [(i, value) for i, (kind, value) in enumerate(results) if kind == "ok"]
    losers = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1, results
    assert len(losers) == THREADS - 1
    for error in losers:
        assert isinstance(error, IllegalTransition), error
        assert (error.status, error.code) == (409, "SLOT_TAKEN")

    index, won = winners[0]
    stored = DeviceRepository.get(shop.merchant_id, device.id)
    assert stored.status == Status.ACTIVATED
    assert stored.installation_id == f"install-{index}"
    assert stored.activation_id == won["pos_device"].activation_id
    assert stored.version == 1
    assert _event_types(shop.merchant_id, device.id).count("pos_device.activated") == 1
    # Only the winner's device token works.
    authed = devices.authenticate_device(won["device_token"]).device
    assert authed.installation_id == f"install-{index}"
    assert TokenRepository.get(hash_token(won["device_token"]))["activation_id"] == stored.activation_id


def test_concurrent_creation_numbers_devices_1_to_n_without_gaps(shop, serialized_moto):
    results = _run_in_threads(lambda i: devices.create_device(shop.principal, f"Till {i}", shop.store_id))
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(device.number for _, device in results)
    assert numbers == list(range(1, THREADS + 1))

    stored, _ = DeviceRepository.list(shop.merchant_id, 250, None)
    assert sorted(d.number for d in stored) == list(range(1, THREADS + 1))
    assert {d.id for d in stored} == {device.id for _, device in results}
    assert AccountRepository.get_merchant(shop.merchant_id)["pos_number_counter"] == THREADS
    assert StoreRepository.get(shop.merchant_id, shop.store_id)["device_count"] == THREADS
    created = [e for e in _events(shop.merchant_id) if e["type"] == "pos_device.created"]
    assert sorted(e["details"]["number"] for e in created) == list(range(1, THREADS + 1))


def test_concurrent_deactivation_writes_one_entry(shop, serialized_moto):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    devices.activate_device(devices.pos_login(shop.email, PASSWORD)["login_token"], device.id, "install-1")

    results = _run_in_threads(lambda i: devices.deactivate_device(shop.principal, device.id))

    assert [kind for kind, _ in results].count("ok") == 1, results
    codes = {value.code for kind, value in results if kind == "error"}
    assert codes == {"ALREADY_INACTIVE"}
    assert _event_types(shop.merchant_id, device.id).count("pos_device.deactivated") == 1
    assert DeviceRepository.get(shop.merchant_id, device.id).status == Status.INACTIVE


# ---------------------------------------------------------------- all or nothing


def test_a_failing_log_entry_rolls_back_the_device_change(shop, fail_transactions):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    activation = devices.activate_device(devices.pos_login(shop.email, PASSWORD)["login_token"], device.id, "inst")
    before = DeviceRepository.get(shop.merchant_id, device.id)
    after, _lost = before.deactivated(clock.iso())
    event = new_event(shop.merchant_id, "pos_device.deactivated", shop.principal.actor, device.id)
    events_table = models.EventModel.Meta.table_name
    fail_transactions(lambda op, body: op == "Put" and body["TableName"] == events_table)

    with pytest.raises(VersionConflict):  # an item without a condition of its own: "changed meanwhile"
        DeviceRepository.save_transition(before, after, event)

    stored = DeviceRepository.get(shop.merchant_id, device.id)
    assert stored == before  # status, version, token hash: nothing changed
    assert stored.status == Status.ACTIVATED
    assert "pos_device.deactivated" not in _event_types(shop.merchant_id, device.id)
    devices.authenticate_device(activation["device_token"])  # the device still works


def test_a_failing_token_write_rolls_back_deactivation_at_the_service_level(shop, fail_transactions):
    """The revocation (token), the slot and the log entry are one transaction: if the token write fails,
    the use case reports a conflict (never a half-deactivated slot) and the device keeps working."""
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    activation = devices.activate_device(devices.pos_login(shop.email, PASSWORD)["login_token"], device.id, "inst")
    before = DeviceRepository.get(shop.merchant_id, device.id)
    tokens_table = models.TokenModel.Meta.table_name
    fail_transactions(lambda op, body: op == "Put" and body["TableName"] == tokens_table)

    with pytest.raises(Conflict) as caught:
        devices.deactivate_device(shop.principal, device.id)
    assert caught.value.status == 409

    assert DeviceRepository.get(shop.merchant_id, device.id) == before
    assert "pos_device.deactivated" not in _event_types(shop.merchant_id, device.id)
    token = TokenRepository.get(hash_token(activation["device_token"]))
    assert token["kind"] == "device"
    assert token.get("expires_at_epoch") is None  # not revoked
    devices.authenticate_device(activation["device_token"])


def test_a_failing_device_write_leaves_no_token_and_no_log_entry(shop, fail_transactions):
    """Activation: the new device token and the log entry do not land when the slot write fails."""
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    login = devices.pos_login(shop.email, PASSWORD)["login_token"]
    devices_table = models.PosDeviceModel.Meta.table_name
    fail_transactions(lambda op, body: op == "Put" and body["TableName"] == devices_table)

    with pytest.raises(Conflict):
        devices.activate_device(login, device.id, "inst")

    stored = DeviceRepository.get(shop.merchant_id, device.id)
    assert (stored.status, stored.version) == (Status.NOT_ACTIVATED, 0)
    assert "pos_device.activated" not in _event_types(shop.merchant_id, device.id)
    scanned = [t for t in models.TokenModel.scan() if t.kind == "device"]
    assert scanned == []


def test_revoked_token_answers_device_deactivated(shop):
    device = devices.create_device(shop.principal, "Till 1", shop.store_id)
    activation = devices.activate_device(devices.pos_login(shop.email, PASSWORD)["login_token"], device.id, "inst")
    devices.deactivate_device(shop.principal, device.id)
    with pytest.raises(DeviceDeactivated):
        devices.authenticate_device(activation["device_token"])
