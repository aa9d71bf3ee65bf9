"""Reading what was synced and logged (services/records.py) on the in-memory fakes: every read is the caller's
merchant's, cursors are the listing's own."""
from datetime import timedelta

import pytest

from chalicelib.errors import InvalidCursor, NotFound
from chalicelib.services import accounts, deletion, devices, records, sync
from tests.conftest import FROZEN_AT
from tests.unit.conftest import PASSWORD, sale, state


def test_receipts_are_listed_newest_first_and_only_the_merchants(shop):
    principal, device, _token = shop.active_device()
    batch = [sale(1, seq, created_at=FROZEN_AT - timedelta(hours=10 - seq)) for seq in (1, 2, 3)]
    sync.sync_batch(principal, device, batch, [], [], state(3))
    items, cursor = records.list_receipts(shop.owner, 2, None)
    assert [r["receipt_number"] for r in items] == ["1-3", "1-2"]
    rest, end = records.list_receipts(shop.owner, 2, cursor)
    assert [r["receipt_number"] for r in rest] == ["1-1"]
    assert end is None
    since = records.list_receipts(shop.owner, 10, None, created_min=FROZEN_AT - timedelta(hours=8))[0]
    assert [r["receipt_number"] for r in since] == ["1-3", "1-2"]
    with pytest.raises(InvalidCursor):
        records.list_receipts(shop.owner, 2, cursor, pos_device_id=device.id)
    stranger = accounts.authenticate_user(accounts.signup("Other", "other@example.com", PASSWORD)["token"])
    assert records.list_receipts(stranger, 10, None) == ([], None)
    with pytest.raises(InvalidCursor):
        records.list_receipts(stranger, 2, cursor)
    with pytest.raises(NotFound):
        records.get_receipt(stranger, "1-1")
    assert records.get_receipt(shop.owner, "1-1")["id"] == batch[0]["id"]
    with pytest.raises(NotFound):
        records.get_receipt(shop.owner, "not a number")


def test_export_reads_page_by_page_with_names(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, seq) for seq in range(1, 6)], [], [], state(5))
    chunks = list(records.export_receipts(shop.owner, 10, None))
    assert sum(len(items) for items, _names in chunks) == 5
    assert chunks[0][1]["stores"] == {shop.store_id: "Main"}


def test_missing_receipt_numbers_per_activation_range(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1), sale(1, 4)], [], [], state(5))
    assert records.missing_receipts(shop.slot(device.id), None) == (["1-2", "1-3", "1-5"], 3)
    assert records.missing_receipt_numbers(shop.slot(device.id), 2) == ["1-2", "1-3"]
    devices.deactivate_device(shop.owner, device.id)
    assert records.missing_receipts(shop.slot(device.id), None) == ([], 0)  # written off


def test_names_for_events_include_deleted_devices(shop):
    till = shop.device("Till 9")
    record = deletion.request_deletion(shop.owner, till.id, False)
    shop.adapters.workflow.drive(record["id"])
    assert shop.slot(till.id).deleted_at
    events, _ = records.list_events(shop.owner, 10, None)
    names = records.names_for_events(shop.owner, events)
    assert names["devices"] == {till.id: {"name": "Till 9", "number": 1}}
    assert names["stores"] == {shop.store_id: "Main"}
    assert names["employees"] == {shop.owner.employee_id: "Cafe"}
