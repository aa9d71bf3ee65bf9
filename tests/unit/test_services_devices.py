"""POS slot rules (services/devices.py, services/pairing.py) on the in-memory fakes."""
import pytest

from chalicelib import ports
from chalicelib.domain.devices import Status
from chalicelib.errors import (
    Conflict, DeviceDeactivated, Forbidden, IllegalTransition, InvalidCredentials, InvalidInput, NotFound,
    PairingCodeInvalid, TooManyRequests,
)
from chalicelib.services import accounts, devices, pairing, sync
from chalicelib.services.common import Principal
from tests.helpers import raising
from tests.unit.conftest import later, sale, state


def test_create_numbers_slots_and_logs_it(shop):
    one, two = shop.device("Till 1"), shop.device("Till 2")
    assert (one.number, two.number, one.status) == (1, 2, Status.NOT_ACTIVATED)
    assert shop.slot(one.id) == one
    assert shop.adapters.stores.get(shop.merchant_id, shop.store_id)["device_count"] == 2
    assert shop.event_types(one.id) == ["pos_device.created"]


def test_create_refuses_a_taken_name_and_an_unknown_store(shop):
    shop.device("Till 1")
    with pytest.raises(Conflict) as caught:
        shop.device(" TILL  1")
    assert (caught.value.code, caught.value.field) == ("NAME_TAKEN", "name")
    with pytest.raises(InvalidInput) as caught:
        shop.device("Till 2", store_id="no-such-store")
    assert (caught.value.code, caught.value.field) == ("UNKNOWN_STORE", "store_id")
    assert shop.adapters.accounts.get_merchant(shop.merchant_id)["pos_number_counter"] == 1


def test_create_takes_the_next_number_when_another_create_won(shop, monkeypatch):
    real_create = shop.adapters.devices.create
    raced = []

    def racing(device, counter_was, event):
        if not raced:  # another request numbered a slot between our read and our write
            raced.append(True)
            with shop.adapters.devices.db.write() as conn:
                conn.execute("UPDATE merchants SET doc = json_set(doc, '$.pos_number_counter',"
                             " json_extract(doc, '$.pos_number_counter') + 1) WHERE id = ?", (shop.merchant_id,))
        return real_create(device, counter_was, event)

    monkeypatch.setattr(shop.adapters.devices, "create", racing)
    assert shop.device("Till").number == 2


def test_store_deleted_between_check_and_write_is_unknown_store(shop, monkeypatch):
    monkeypatch.setattr(shop.adapters.devices, "create", raising(ports.UnknownStore()))
    with pytest.raises(InvalidInput) as caught:
        shop.device("Till")
    assert caught.value.code == "UNKNOWN_STORE"


def test_cashiers_cannot_manage_slots(shop):
    cashier = Principal(merchant_id=shop.merchant_id, employee_id="c", role="CASHIER")
    with pytest.raises(Forbidden):
        devices.create_device(cashier, "Till", shop.store_id)
    till = shop.device()
    with pytest.raises(Forbidden):
        devices.rename_device(cashier, till.id, "New")


def test_rename_frees_the_old_name(shop):
    one, two = shop.device("One"), shop.device("Two")
    renamed = devices.update_device(shop.owner, one.id, name="Uno")
    assert (renamed.name, renamed.version) == ("Uno", one.version + 1)
    with pytest.raises(Conflict) as caught:
        devices.update_device(shop.owner, two.id, name="uno")
    assert caught.value.code == "NAME_TAKEN"
    assert devices.update_device(shop.owner, two.id, name="one").name == "one"
    assert sorted(shop.event_types(one.id)) == ["pos_device.created", "pos_device.renamed"]


def test_move_only_while_no_app_is_bound(shop):
    other = accounts.create_store(shop.owner, "Other", None)
    till = shop.device()
    moved = devices.update_device(shop.owner, till.id, store_id=other["id"])
    assert moved.store_id == other["id"]
    assert shop.adapters.stores.get(shop.merchant_id, other["id"])["device_count"] == 1
    with pytest.raises(InvalidInput) as caught:
        devices.update_device(shop.owner, till.id, store_id="nowhere")
    assert caught.value.code == "UNKNOWN_STORE"
    shop.activate(till.id)
    with pytest.raises(IllegalTransition) as caught:
        devices.update_device(shop.owner, till.id, store_id=shop.store_id)
    assert caught.value.code == "STILL_ACTIVATED"


def test_a_slot_changed_on_every_attempt_answers_edit_conflict(shop, monkeypatch):
    till = shop.device()

    monkeypatch.setattr(shop.adapters.devices, "save_transition", raising(ports.VersionConflict))
    with pytest.raises(Conflict) as caught:
        devices.rename_device(shop.owner, till.id, "New")
    assert caught.value.code == "EDIT_CONFLICT"


def test_unknown_slot_is_not_found(shop):
    with pytest.raises(NotFound):
        devices.get_device(shop.owner, "nope")
    with pytest.raises(NotFound):
        devices.rename_device(shop.owner, "nope", "x")


# ---------------------------------------------------------------- activation and deactivation


def test_activate_binds_the_slot_once(shop):
    till = shop.device()
    principal, device, token = shop.activate(till.id)
    assert (device.status, device.next_receipt_seq, principal.activation_id) == (
        Status.ACTIVATED, 1, device.activation_id)
    login = devices.pos_login(shop.email, "correct horse 1")
    assert till.id not in [d.id for d in login["pos_devices"]]  # an activated slot is not offered
    with pytest.raises(IllegalTransition) as caught:
        devices.activate_device(login["login_token"], till.id, "another")
    assert caught.value.code == "SLOT_TAKEN"
    assert sorted(shop.event_types(till.id)) == ["pos_device.activated", "pos_device.created"]


def test_deactivate_writes_off_what_was_never_synced(shop):
    principal, device, token = shop.active_device()
    result = sync.sync_batch(principal, device, [sale(1, 1), sale(1, 2)], [], [], state(5))
    assert (result.accepted, result.device.unsynced_receipts) == (2, 3)
    inactive, lost = devices.deactivate_device(shop.owner, device.id)
    assert (lost, inactive.status, inactive.lost_receipts, inactive.written_off_upto) == (3, Status.INACTIVE, 3, 5)
    with pytest.raises(DeviceDeactivated):
        devices.authenticate_device(token)
    with pytest.raises(IllegalTransition) as caught:
        devices.deactivate_device(shop.owner, device.id)
    assert caught.value.code == "ALREADY_INACTIVE"
    # Activated again, it numbers on after what was written off.
    _principal, again, _token = shop.activate(device.id)
    assert again.next_receipt_seq == 6


def test_switch_user_by_pin_locks_after_five_wrong_pins(shop):
    cashier = accounts.create_employee(shop.owner, {"name": "Cal", "role": "CASHIER", "pin": "1234"})
    principal, device, _token = shop.active_device()
    switched = devices.switch_user(principal, device, {"employee_id": cashier["id"], "pin": "1234"})
    assert switched["id"] == cashier["id"]
    assert shop.slot(device.id).current_employee_id == cashier["id"]
    for _ in range(5):
        with pytest.raises(InvalidCredentials) as caught:
            devices.switch_user(principal, device, {"employee_id": cashier["id"], "pin": "9999"})
        assert caught.value.code == "INVALID_PIN"
    with pytest.raises(TooManyRequests):
        devices.switch_user(principal, device, {"employee_id": cashier["id"], "pin": "1234"})
    later(minutes=16)
    assert devices.switch_user(principal, device, {"employee_id": cashier["id"], "pin": "1234"})["id"] == cashier["id"]


# ---------------------------------------------------------------- pairing codes


def test_pairing_code_activates_once(shop):
    till = shop.device()
    code = pairing.create_code(shop.owner, till.id, None)
    answer = pairing.pair(code["code"].lower(), "install-1")
    assert answer["pos_device"].status == Status.ACTIVATED
    assert shop.slot(till.id).pairing_code_hash is None
    devices.deactivate_device(shop.owner, till.id)
    with pytest.raises(PairingCodeInvalid):  # used up with the activation
        pairing.pair(code["code"], "install-2")
    assert "pos_device.activated" in shop.event_types(till.id)


def test_new_code_replaces_the_old_and_revoke_drops_it(shop):
    till = shop.device()
    first = pairing.create_code(shop.owner, till.id, 600)
    second = pairing.create_code(shop.owner, till.id, 600)
    with pytest.raises(PairingCodeInvalid):
        pairing.pair(first["code"], "install-1")
    pairing.revoke_code(shop.owner, till.id)
    with pytest.raises(PairingCodeInvalid):
        pairing.pair(second["code"], "install-1")
    assert shop.slot(till.id).pairing_code_hash is None


def test_expired_code_and_taken_slot(shop):
    till = shop.device()
    code = pairing.create_code(shop.owner, till.id, 60)
    later(seconds=61)
    with pytest.raises(PairingCodeInvalid):
        pairing.pair(code["code"], "install-1")
    shop.activate(till.id)
    with pytest.raises(IllegalTransition) as caught:  # no code for a slot an app is bound to
        pairing.create_code(shop.owner, till.id, 60)
    assert caught.value.code == "SLOT_TAKEN"


def test_pairing_guesses_are_limited_per_installation(shop):
    shop.device()
    for _ in range(pairing.PAIR_INSTALLATION_LIMIT):
        with pytest.raises(PairingCodeInvalid):
            pairing.pair("ABCD-EFGH", "guesser")
    with pytest.raises(TooManyRequests):
        pairing.pair("ABCD-EFGH", "guesser")
    with pytest.raises(PairingCodeInvalid):  # another installation still may try
        pairing.pair("ABCD-EFGH", "honest")


def test_slot_revoked_between_read_and_write_is_void(shop):
    principal, device, _token = shop.active_device()
    devices.deactivate_device(shop.owner, device.id)
    with pytest.raises(DeviceDeactivated):  # the request was authenticated before the deactivation landed
        sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(1))
    assert shop.adapters.receipts.get(shop.merchant_id, "1-1") is None
    assert shop.slot(device.id).synced_receipts == 0
