"""The sync audit (services/audit.py) on the in-memory fakes: findings raised, refreshed and resolved, the
scheduled run fanned out over the shards (FakeFanout runs each shard in process)."""
import pytest

from chalicelib.domain import audit as rules
from chalicelib.services import audit, devices, sync
from tests.unit.conftest import later, sale, shift_in, state


def open_findings(shop) -> dict[str, dict]:
    return {f["type"]: f for f in shop.adapters.findings.open_for_merchant(shop.merchant_id)}


def test_missing_receipts_are_found_listed_and_resolved(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1), sale(1, 3)], [], [], state(5))
    summary = audit.run_for_merchant(shop.owner.merchant_id)
    assert (summary["raised"], summary["devices_checked"]) == (1, 1)
    finding = open_findings(shop)[rules.UNSYNCED_RECEIPTS]
    assert (finding["missing_receipt_numbers"], finding["missing_count"]) == (["1-2", "1-4", "1-5"], 3)
    again = audit.run_for_merchant(shop.owner.merchant_id)
    assert (again["raised"], again["refreshed"]) == (0, 1)
    sync.sync_batch(principal, shop.slot(device.id), [sale(1, 2)], [], [], state(5))
    assert open_findings(shop)[rules.UNSYNCED_RECEIPTS]["missing_count"] == 3  # until the audit looks again
    audit.run_for_merchant(shop.owner.merchant_id)
    assert open_findings(shop)[rules.UNSYNCED_RECEIPTS]["missing_receipt_numbers"] == ["1-4", "1-5"]
    sync.sync_batch(principal, shop.slot(device.id), [sale(1, 4), sale(1, 5)], [], [], state(5))
    assert audit.run_for_merchant(shop.owner.merchant_id)["resolved"] == 1
    assert open_findings(shop) == {}


def test_scheduled_run_reads_only_the_devices_that_need_a_look(shop):
    principal, device, _token = shop.active_device("Till 1")
    quiet_principal, quiet, _t = shop.active_device("Till 2")
    sync.sync_batch(principal, device, [], [], [], state(2))
    sync.sync_batch(quiet_principal, quiet, [sale(2, 1)], [], [], state(1))  # nothing owed: not indexed
    summary = audit.run_all()
    assert (summary["shards"], summary["devices_checked"], summary["raised"], summary["failed_shards"]) == (
        rules.SHARDS, 1, 1, [])
    assert sorted(shop.adapters.fanout.invoked) == rules.all_shards()
    [finding] = shop.adapters.findings.open_in_shard(rules.shard_of(device.id))
    assert (finding["pos_device_id"], finding["type"]) == (device.id, rules.UNSYNCED_RECEIPTS)


def test_a_failing_shard_fails_the_run_after_the_others(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [], state(1))
    shard = rules.shard_of(device.id)
    other = next(s for s in rules.all_shards() if s != shard)
    shop.adapters.fanout.failing.add(other)
    with pytest.raises(audit.AuditShardsFailed):
        audit.run_all()
    assert shop.adapters.fanout.invoked.count(other) >= 2  # retried
    assert rules.UNSYNCED_RECEIPTS in open_findings(shop)  # the other shards ran


def test_a_silent_device_with_an_open_shift(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [shift_in()], state(0, shift_open=True))
    assert audit.run_all()["raised"] == 0
    later(hours=25)
    audit.run_all()
    assert set(open_findings(shop)) == {rules.DEVICE_SILENT, rules.SHIFT_OPEN_TOO_LONG}
    sync.sync_batch(principal, shop.slot(device.id), [], [], [], state(0, shift_open=False))
    audit.run_for_merchant(shop.owner.merchant_id)
    assert open_findings(shop) == {}


def test_deactivation_resolves_the_findings_and_flags_the_shift(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [shift_in()], state(3, shift_open=True))
    audit.run_for_merchant(shop.owner.merchant_id)
    assert set(open_findings(shop)) == {rules.UNSYNCED_RECEIPTS}
    devices.deactivate_device(shop.owner, device.id)
    assert set(open_findings(shop)) == {rules.SHIFT_LEFT_OPEN}
    assert shop.adapters.findings.open_ids_for_device(shop.merchant_id, device.id) == []
    assert audit.run_all()["devices_checked"] == 0  # nothing left to audit
    listed, _ = shop.adapters.findings.list(shop.merchant_id, 10, None, status="resolved")
    assert [f["type"] for f in listed] == [rules.UNSYNCED_RECEIPTS]
