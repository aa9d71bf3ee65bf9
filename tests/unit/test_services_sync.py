"""Sync rules (services/sync.py, services/final_sync.py) on the in-memory fakes."""
import pytest

from chalicelib.domain.devices import Status
from chalicelib.errors import Conflict, DeviceDeactivated, InvalidInput
from chalicelib.services import devices, final_sync, sync
from tests.unit.conftest import later, sale, shift_in, state


def codes(result) -> list[str]:
    return [item["code"] for item in result.rejected]


def test_receipts_are_stored_exactly_once(shop):
    principal, device, _token = shop.active_device()
    batch = [sale(1, 1), sale(1, 2), sale(1, 3)]
    first = sync.sync_batch(principal, device, batch, [], [], state(3, open_tickets=2))
    assert (first.accepted, first.duplicates, first.rejected) == (3, 0, [])
    assert (first.device.synced_receipts, first.device.last_receipt_number, first.device.open_tickets,
            first.device.complete_upto) == (3, 3, 2, 3)
    again = sync.sync_batch(principal, first.device, batch, [], [], state(3))
    assert (again.accepted, again.duplicates) == (0, 3)
    assert shop.adapters.devices.get(shop.merchant_id, device.id).synced_receipts == 3
    stored = shop.adapters.receipts.get(shop.merchant_id, "1-2")
    assert (stored["id"], stored["pos_device_id"], stored["store_id"]) == (batch[1]["id"], device.id, shop.store_id)


def test_per_receipt_rejections(shop):
    principal, device, _token = shop.active_device()
    unbalanced = sale(1, 2, payments=[{"type": "CASH", "money_amount": 1}])
    twice = sale(1, 3)
    result = sync.sync_batch(principal, device, [
        sale(7, 1), unbalanced, twice, twice | {"receipt_number": "1-4"}, sale(1, 3), sale(1, 100_001),
        sale(1, 5)], [], [], None)
    assert result.accepted == 2  # 1-3 and 1-5
    assert codes(result) == ["WRONG_POS_NUMBER", "PAYMENTS_MISMATCH", "RECEIPT_ID_REUSED", "RECEIPT_NUMBER_TAKEN",
                             "RECEIPT_NUMBER_OUT_OF_RANGE"]
    assert result.device.last_receipt_number == 5


def test_an_id_already_stored_under_another_number_is_reused(shop):
    principal, device, _token = shop.active_device()
    first = sale(1, 1)
    sync.sync_batch(principal, device, [first], [], [], None)
    result = sync.sync_batch(principal, shop.slot(device.id), [sale(1, 2, id=first["id"])], [], [], None)
    assert codes(result) == ["RECEIPT_ID_REUSED"]
    assert result.rejected[0]["params"] == {"id": first["id"], "held_by": "1-1"}


def test_a_number_stored_meanwhile_by_another_request_is_sorted_again(shop, monkeypatch):
    principal, device, _token = shop.active_device()
    mine, theirs = sale(1, 1), sale(1, 2)
    original = shop.adapters.receipts.store_batch
    calls = []

    def raced(slot, items, final=None, event=None):
        if not calls:  # another request of the same device stored 1-2 (a retry with another id) just before
            calls.append(1)
            original(slot, [dict(items[1], id="other-id")], final)
        return original(slot, items, final, event)

    monkeypatch.setattr(shop.adapters.receipts, "store_batch", raced)
    result = sync.sync_batch(principal, device, [mine, theirs], [], [], None)
    assert result.accepted == 1
    assert codes(result) == ["RECEIPT_NUMBER_TAKEN"]


def test_the_state_report_is_checked_before_anything_is_written(shop):
    principal, device, _token = shop.active_device()
    with pytest.raises(InvalidInput) as caught:
        sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(sync.MAX_SEQ_AHEAD + 1))
    assert caught.value.code == "LAST_RECEIPT_NUMBER_OUT_OF_RANGE"
    assert shop.adapters.receipts.get(shop.merchant_id, "1-1") is None


def test_slot_revoked_mid_sync_keeps_what_landed(shop, monkeypatch):
    principal, device, _token = shop.active_device()
    original = shop.adapters.receipts.store_batch

    def then_revoked(slot, items, final=None, event=None):
        original(slot, items, final)
        devices.deactivate_device(shop.owner, slot.id)  # lands between the first and second transaction

    monkeypatch.setattr(shop.adapters.receipts, "store_batch", then_revoked)
    monkeypatch.setattr(shop.adapters.receipts, "per_transaction", 43)  # as on DynamoDB: the batch takes two
    batch = [sale(1, seq) for seq in range(1, 43 + 11)]
    result = sync.sync_batch(principal, device, batch, [], [], state(len(batch)))
    assert result.accepted == 43
    assert codes(result) == ["DEVICE_DEACTIVATED"] * 10
    assert result.device.status == Status.INACTIVE


def test_shifts_belong_to_the_slot_that_sent_them_first(shop):
    principal, device, _token = shop.active_device("Till 1")
    other_principal, other_device, _t = shop.active_device("Till 2")
    opened = shift_in()
    result = sync.sync_batch(principal, device, [sale(1, 1)], [], [opened], state(1, shift_open=True))
    assert result.device.shift_open
    assert result.device.open_shift_id == opened["id"]
    assert shop.adapters.receipts.get(shop.merchant_id, "1-1")["shift_id"] == opened["id"]
    stolen = sync.sync_batch(other_principal, other_device, [], [], [opened], None)
    assert [r["code"] for r in stolen.rejected_shifts] == ["SHIFT_NOT_OWNED"]
    closed = opened | {"closed_at": opened["opened_at"].replace(hour=11)}
    done = sync.sync_batch(principal, result.device, [], [], [closed], None)
    assert (done.device.shift_open, done.device.open_shift_id) == (False, None)
    stale = sync.sync_batch(principal, done.device, [], [], [opened], None)  # an old open copy: final
    assert stale.device.shift_open is False


def test_shifts_of_a_revoked_slot_are_void(shop):
    principal, device, _token = shop.active_device()
    devices.deactivate_device(shop.owner, device.id)
    with pytest.raises(DeviceDeactivated):
        sync.sync_batch(principal, device, [], [], [shift_in()], None)


# ---------------------------------------------------------------- the final-sync window


def test_final_sync_window_takes_the_old_installations_receipts(shop):
    principal, device, old_token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(3))
    inactive, lost = devices.deactivate_device(shop.owner, device.id, final_sync_hours=2)
    assert (lost, inactive.status, inactive.final_sync_open, inactive.final_sync_owed) == (0, Status.INACTIVE,
                                                                                            True, 2)
    old_principal = devices.authenticate_device(old_token, allow_final_sync=True)
    slot = old_principal.device
    assert old_principal.final_sync
    with pytest.raises(DeviceDeactivated):
        devices.authenticate_device(old_token)  # anything but sync and me
    # A new installation may start at once: it numbers above the old one's reservation.
    _new_principal, new_device, _t = shop.activate(device.id)
    assert new_device.next_receipt_seq == 3 + 1000 + 1
    result = final_sync.final_sync_batch(old_principal, shop.slot(device.id), [sale(1, 2), sale(1, 5000)], [], [],
                                         None)
    assert result.accepted == 1
    assert codes(result) == ["RECEIPT_OUTSIDE_FINAL_SYNC"]
    last = final_sync.final_sync_batch(old_principal, result.device, [sale(1, 3)], [], [], state(3))
    assert last.device.final_sync_open is False  # everything it reported is in: the window closed
    assert "pos_device.final_sync_closed" in shop.event_types(device.id)
    assert last.device.lost_receipts == 0


def test_final_sync_window_closes_when_its_time_is_up(shop):
    principal, device, old_token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [], state(2))
    devices.deactivate_device(shop.owner, device.id, final_sync_hours=1)
    later(hours=1, seconds=1)
    closed = devices.get_device(shop.owner, device.id)  # read after its time: it closes
    assert (closed.final_sync_open, closed.lost_receipts) == (False, 2)
    with pytest.raises(DeviceDeactivated):
        devices.authenticate_device(old_token, allow_final_sync=True)


def test_window_closed_meanwhile_voids_the_upload(shop):
    principal, device, old_token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [], state(2))
    devices.deactivate_device(shop.owner, device.id, final_sync_hours=1)
    old_principal = devices.authenticate_device(old_token, allow_final_sync=True)
    slot = old_principal.device
    final_sync.end_final_sync(shop.owner, device.id)
    with pytest.raises(DeviceDeactivated):
        final_sync.final_sync_batch(old_principal, slot, [sale(1, 1)], [], [], None)
    with pytest.raises(Conflict) as caught:
        final_sync.end_final_sync(shop.owner, device.id)
    assert caught.value.code == "NO_FINAL_SYNC"
