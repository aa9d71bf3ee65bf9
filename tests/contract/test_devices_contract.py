"""Contract: POS slots (conditional writes, name guards, counters, the sparse audit index), the same on the fakes
and the real repositories."""
import dataclasses

import pytest

from chalicelib import ports
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Device, Status
from chalicelib.errors import Conflict, InvalidCursor
from tests.contract.test_accounts_contract import walk
from tests.contract.world import World, event, new_id, receipt, stamp

DUE_BY_FAR = "9999-12-31T00:00:00Z~"


def _device(world: World, store_id: str, name: str, number: int) -> Device:
    return Device(merchant_id=world.merchant_id, id=new_id(), name=name, store_id=store_id, number=number,
                  created_at=stamp(0), updated_at=stamp(0))


def test_create_counts_the_number_and_the_store(repos):
    world = World(repos)
    store = world.store()
    till = world.device(store["id"], "Till 1")
    assert repos.devices.get(world.merchant_id, till.id) == till
    assert repos.accounts.get_merchant(world.merchant_id)["pos_number_counter"] == 1
    assert repos.stores.get(world.merchant_id, store["id"])["device_count"] == 1
    second = world.device(store["id"], "Till 2")
    assert repos.devices.get_many(world.merchant_id, [till.id, second.id, new_id()]) == {till.id: till,
                                                                                          second.id: second}
    assert repos.devices.get_many(world.merchant_id, []) == {}
    assert repos.devices.get(new_id(), till.id) is None
    types = [e["type"] for e in repos.events.list(world.merchant_id, 10, None, pos_device_id=till.id)[0]]
    assert types == ["pos_device.created"]


def test_create_refusals_write_nothing(repos):
    world = World(repos)
    store = world.store()
    world.device(store["id"], "Till 1")
    with pytest.raises(ports.VersionConflict):  # another create took number 1 meanwhile
        repos.devices.create(_device(world, store["id"], "Till 9", 1), 0, event(world.merchant_id))
    with pytest.raises(ports.UnknownStore):
        repos.devices.create(_device(world, new_id(), "Till 9", 2), 1, event(world.merchant_id))
    with pytest.raises(Conflict) as caught:  # names are unique per store: case, width and spacing do not count
        repos.devices.create(_device(world, store["id"], "  till   1 ", 2), 1, event(world.merchant_id))
    assert (caught.value.code, caught.value.field, caught.value.params) == ("NAME_TAKEN", "name",
                                                                            {"name": "  till   1 "})
    assert repos.accounts.get_merchant(world.merchant_id)["pos_number_counter"] == 1
    assert repos.stores.get(world.merchant_id, store["id"])["device_count"] == 1
    assert len(repos.devices.list(world.merchant_id, 10, None)[0]) == 1
    other_store = world.store("Other")
    world.device(other_store["id"], "Till 1")  # the same name in another store is fine


def test_list_in_number_order_with_filters_and_paging(repos):
    world, other = World(repos), World(repos)
    main, side = world.store(), world.store("Side")
    tills = [world.device(main["id"] if i % 2 == 0 else side["id"]) for i in range(5)]
    other.device(other.store()["id"])
    listed, pages = walk(lambda limit, cursor: repos.devices.list(world.merchant_id, limit, cursor), 2)
    assert [d.number for d in listed] == [1, 2, 3, 4, 5]
    assert pages == 3
    in_side, _ = walk(lambda limit, cursor: repos.devices.list(world.merchant_id, limit, cursor,
                                                                store_id=side["id"]), 1)
    assert [d.id for d in in_side] == [tills[1].id, tills[3].id]
    world.activate(tills[2])
    activated, _ = repos.devices.list(world.merchant_id, 10, None, status="ACTIVATED")
    assert [d.id for d in activated] == [tills[2].id]
    gone = world.change(tills[0], deleted_at=stamp(9))
    assert gone.deleted_at == stamp(9)
    assert [d.number for d in repos.devices.list(world.merchant_id, 10, None)[0]] == [2, 3, 4, 5]
    assert [d.number for d in repos.devices.list(world.merchant_id, 10, None, show_deleted=True)[0]] == [1, 2, 3, 4, 5]
    _, cursor = repos.devices.list(world.merchant_id, 1, None)
    with pytest.raises(InvalidCursor):
        repos.devices.list(other.merchant_id, 1, cursor)


def test_save_transition_bumps_the_version_and_checks_it(repos):
    world = World(repos)
    till = world.device(world.store()["id"], "Till 1")
    renamed = dataclasses.replace(till, name="Till A", updated_at=stamp(2))
    repos.devices.save_transition(till, renamed, event(world.merchant_id, "pos_device.renamed", till.id),
                                  extra_events=[event(world.merchant_id, "x.extra", till.id)])
    stored = repos.devices.get(world.merchant_id, till.id)
    assert stored == dataclasses.replace(renamed, version=till.version + 1)
    with pytest.raises(ports.VersionConflict):  # `till` is stale now
        repos.devices.save_transition(till, dataclasses.replace(till, name="Till B"), None)
    assert repos.devices.get(world.merchant_id, till.id).name == "Till A"
    types = [e["type"] for e in repos.events.list(world.merchant_id, 10, None, pos_device_id=till.id)[0]]
    assert types == ["x.extra", "pos_device.renamed", "pos_device.created"]
    with pytest.raises(ports.VersionConflict):  # a slot that does not exist
        ghost = _device(world, till.store_id, "Ghost", 99)
        repos.devices.save_transition(ghost, dataclasses.replace(ghost, name="Ghost 2"), None)


def test_rename_claims_the_new_name_and_frees_the_old(repos):
    world = World(repos)
    store = world.store()
    one, two = world.device(store["id"], "One"), world.device(store["id"], "Two")
    with pytest.raises(Conflict) as caught:
        repos.devices.save_transition(two, dataclasses.replace(two, name="ONE"), None)
    assert (caught.value.code, caught.value.params) == ("NAME_TAKEN", {"name": "ONE"})
    assert repos.devices.get(world.merchant_id, two.id).version == two.version  # nothing written
    repos.devices.save_transition(one, dataclasses.replace(one, name="Uno"), None)
    two = repos.devices.get(world.merchant_id, two.id)
    repos.devices.save_transition(two, dataclasses.replace(two, name="one"), None)  # "One" is free again
    assert repos.devices.get(world.merchant_id, two.id).name == "one"


def test_move_counts_devices_and_needs_the_new_store(repos):
    world = World(repos)
    main, side = world.store(), world.store("Side")
    till = world.device(main["id"], "Till")
    world.device(side["id"], "Till 2")
    repos.devices.save_transition(till, dataclasses.replace(till, store_id=side["id"]), None)
    assert repos.stores.get(world.merchant_id, main["id"])["device_count"] == 0
    assert repos.stores.get(world.merchant_id, side["id"])["device_count"] == 2
    till = repos.devices.get(world.merchant_id, till.id)
    with pytest.raises(ports.UnknownStore):  # the new store is gone
        repos.devices.save_transition(till, dataclasses.replace(till, store_id=new_id()), None)
    with pytest.raises(ports.VersionConflict):  # a stale slot is the answer first: read it again
        stale = dataclasses.replace(till, version=till.version - 1)
        repos.devices.save_transition(stale, dataclasses.replace(stale, store_id=new_id()), None)
    world.device(main["id"], "till")  # its old name in its old store is free, and taken now
    with pytest.raises(Conflict) as caught:
        repos.devices.save_transition(till, dataclasses.replace(till, store_id=main["id"]), None)
    assert caught.value.code == "NAME_TAKEN"
    assert repos.stores.get(world.merchant_id, side["id"])["device_count"] == 2
    assert repos.stores.get(world.merchant_id, main["id"])["device_count"] == 1


def test_delete_leaves_the_store_and_frees_the_name(repos):
    world = World(repos)
    store = world.store()
    till = world.device(store["id"], "Till")
    repos.devices.save_transition(till, dataclasses.replace(till, deleted_at=stamp(5), updated_at=stamp(5)),
                                  event(world.merchant_id, "pos_device.deleted", till.id), leaves_store=True)
    assert repos.stores.get(world.merchant_id, store["id"])["device_count"] == 0
    assert repos.devices.get(world.merchant_id, till.id).deleted_at == stamp(5)
    world.device(store["id"], "Till")  # its name is free


def test_token_writes_and_deletes_go_with_the_slot(repos):
    world = World(repos)
    till = world.device(world.store()["id"])
    code = {"token_hash": f"code-{new_id()}", "kind": "pairing", "merchant_id": world.merchant_id,
            "pos_device_id": till.id, "employee_id": None, "expires_at_epoch": 99}
    repos.devices.save_transition(till, dataclasses.replace(till, pairing_code_hash=code["token_hash"]), None,
                                  token_writes=[code])
    assert repos.tokens.get(code["token_hash"]) == {k: v for k, v in code.items() if v is not None}
    till = repos.devices.get(world.merchant_id, till.id)
    # A pairing code works once: its record must still exist when the activation is written.
    repos.devices.save_transition(till, dataclasses.replace(till, pairing_code_hash=None), None,
                                  token_deletes=[(code["token_hash"], True)])
    assert repos.tokens.get(code["token_hash"]) is None
    till = repos.devices.get(world.merchant_id, till.id)
    with pytest.raises(ports.VersionConflict):
        repos.devices.save_transition(till, dataclasses.replace(till, name="Used"), None,
                                      token_deletes=[(code["token_hash"], True)])
    assert repos.devices.get(world.merchant_id, till.id).name == till.name
    repos.devices.save_transition(till, dataclasses.replace(till, name="Fine"), None,
                                  token_deletes=[(code["token_hash"], False)])  # need not exist


# ---------------------------------------------------------------- the device's own report


def test_record_sync_state(repos):
    world = World(repos)
    till = world.active_device()
    written = repos.devices.record_sync_state(till, {"last_receipt_number": 5, "open_tickets": 2, "shift_open": True,
                                                     "open_shift_id": "s-1", "shift_opened_at": stamp(3)}, stamp(4))
    assert written == repos.devices.get(world.merchant_id, till.id)
    assert (written.version, written.last_receipt_number, written.open_tickets, written.shift_open,
            written.open_shift_id, written.last_sync_at, written.updated_at) == (
        till.version + 1, 5, 2, True, "s-1", stamp(4), stamp(4))
    assert written.complete_upto == 0  # five receipts owed
    lower = repos.devices.record_sync_state(written, {"last_receipt_number": 3, "shift_open": False,
                                                      "open_shift_id": None, "shift_opened_at": None}, stamp(5))
    assert (lower.last_receipt_number, lower.shift_open, lower.open_shift_id, lower.shift_opened_at) == (
        5, False, None, None)  # the last receipt number never goes down
    assert lower.version == written.version + 1
    # `expected`: the slot as the caller believes it is; a stale belief is caught and the state lands on top.
    stale = repos.devices.record_sync_state(till, {"open_tickets": 7}, stamp(6), expected=till)
    assert (stale.open_tickets, stale.last_receipt_number, stale.version) == (7, 5, lower.version + 1)


def test_record_sync_state_completes_when_nothing_is_owed(repos):
    world = World(repos)
    till = world.active_device()
    written = repos.devices.record_sync_state(till, {"last_receipt_number": 0}, stamp(4))
    assert written.complete_upto == 0
    owing = repos.devices.record_sync_state(written, {"last_receipt_number": 2}, stamp(5))
    assert owing.complete_upto == 0
    repos.receipts.store_batch(owing, [receipt(owing, 1), receipt(owing, 2)])
    done = repos.devices.record_sync_state(owing, {"last_receipt_number": 2}, stamp(6))
    assert (done.complete_upto, done.synced_receipts, done.last_sync_at) == (2, 2, stamp(6))


def test_revoked_device_report_is_void(repos):
    world = World(repos)
    till = world.active_device()
    inactive = world.change(till, status=Status.INACTIVE, activation_id=None)
    answer = repos.devices.record_sync_state(till, {"last_receipt_number": 9}, stamp(5))
    assert answer == inactive  # the slot as it now is, unchanged
    assert repos.devices.get(world.merchant_id, till.id).last_receipt_number == 0
    assert repos.devices.record_sync_state(_device(world, till.store_id, "Ghost", 9), {}, stamp(5)) is None


def test_record_final_sync_state_only_goes_up_in_its_window(repos):
    world = World(repos)
    till = world.device(world.store()["id"])
    till = world.change(till, final_sync_activation_id="old", final_sync_until=stamp(100), final_sync_last_seq=3,
                        final_sync_upto=1003)
    repos.devices.record_final_sync_state(till, "old", 7, stamp(10))
    current = repos.devices.get(world.merchant_id, till.id)
    assert (current.final_sync_last_seq, current.updated_at, current.version) == (7, stamp(10), till.version + 1)
    repos.devices.record_final_sync_state(current, "old", 5, stamp(11))  # lower: nothing
    repos.devices.record_final_sync_state(current, "another", 9, stamp(11))  # another window: nothing
    assert repos.devices.get(world.merchant_id, till.id) == current


# ---------------------------------------------------------------- the sparse audit index


def test_audit_index_follows_the_state_written(repos):
    world = World(repos)
    till = world.active_device()
    shard = audit_rules.shard_of(till.id)
    assert (world.merchant_id, till.id) not in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    owing = repos.devices.record_sync_state(till, {"last_receipt_number": 2}, stamp(4))
    assert repos.devices.keys_needing_audit(shard, DUE_BY_FAR).count((world.merchant_id, till.id)) == 1
    assert repos.devices.keys_needing_audit(shard, "0000-00-00T00:00:00Z") == []  # nothing is due before it
    assert repos.devices.get_for_audit([(world.merchant_id, till.id)]) == [owing]
    assert repos.devices.get_for_audit([]) == []
    assert repos.devices.drop_stale_audit_key(owing) is False  # it does need a look
    # A shift open: due only once it has been open long enough.
    shift_open = repos.devices.record_sync_state(
        owing, {"last_receipt_number": 0, "shift_open": True, "open_shift_id": "s", "shift_opened_at": stamp(0)},
        stamp(5))
    current = world.change(shift_open, synced_receipts=2)  # nothing owed; the shift is open since 10:00
    assert current.unsynced_receipts == 0
    assert (world.merchant_id, till.id) in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    assert (world.merchant_id, till.id) not in repos.devices.keys_needing_audit(shard, "2026-11-25T09:59:59Z~")
    assert (world.merchant_id, till.id) in repos.devices.keys_needing_audit(shard, "2026-11-25T10:00:00Z~")
    closed = world.change(current, shift_open=False, open_shift_id=None, shift_opened_at=None)
    assert (world.merchant_id, till.id) not in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    assert repos.devices.drop_stale_audit_key(closed) is False  # not indexed: nothing to drop


def test_drop_stale_audit_key_only_for_the_version_read(repos):
    world = World(repos)
    till = world.active_device()
    key = (world.merchant_id, till.id)
    shard = audit_rules.shard_of(till.id)
    owing = repos.devices.record_sync_state(till, {"last_receipt_number": 2}, stamp(4))
    # Storing receipts writes the counters only: the key stays although nothing is owed any more.
    repos.receipts.store_batch(owing, [receipt(owing, 1), receipt(owing, 2)])
    settled = repos.devices.get(world.merchant_id, till.id)
    assert settled.unsynced_receipts == 0 and not audit_rules.needs_audit(settled)
    assert key in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    assert repos.devices.drop_stale_audit_key(owing) is False  # what it read still needs a look
    assert repos.devices.drop_stale_audit_key(dataclasses.replace(settled, version=settled.version - 1)) is False
    assert key in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    assert repos.devices.drop_stale_audit_key(settled) is True
    assert key not in repos.devices.keys_needing_audit(shard, DUE_BY_FAR)
    assert repos.devices.drop_stale_audit_key(settled) is False  # gone already
    assert repos.devices.get(world.merchant_id, till.id) == settled  # nothing else changed


def test_scan_with_deletion_running(repos):
    world = World(repos)
    store = world.store()
    running = world.change(world.device(store["id"]), deletion={"id": "d", "status": "RUNNING", "steps": []})
    world.change(world.device(store["id"]), deletion={"id": "e", "status": "FAILED", "steps": []})
    found = [d for d in repos.devices.scan_with_deletion_running() if d.merchant_id == world.merchant_id]
    assert found == [running]


def test_which_refusal_wins_when_several_conditions_fail(repos):
    """A taken name is the answer whatever else failed; then a gone store; then a stale counter or slot."""
    world = World(repos)
    store = world.store()
    till = world.device(store["id"], "Till 1")
    with pytest.raises(Conflict) as caught:  # name taken and counter stale
        repos.devices.create(_device(world, store["id"], "Till 1", 1), 0, event(world.merchant_id))
    assert caught.value.code == "NAME_TAKEN"
    with pytest.raises(ports.UnknownStore):  # store gone and counter stale
        repos.devices.create(_device(world, new_id(), "Till 1", 1), 0, event(world.merchant_id))
    other = world.device(store["id"], "Till 2")
    world.change(other, name="Till 3")  # `other` is stale now
    with pytest.raises(Conflict) as caught:  # name taken and version stale
        repos.devices.save_transition(other, dataclasses.replace(other, name="till 1"), None)
    assert caught.value.code == "NAME_TAKEN"
    assert repos.devices.get(world.merchant_id, till.id).name == "Till 1"


def test_audit_keys_of_a_shard_come_in_due_order(repos):
    world = World(repos)
    store = world.store()
    first = world.device(store["id"])
    shard = audit_rules.shard_of(first.id)
    others = []
    while len(others) < 2:  # two more slots in the same shard
        candidate = _device(world, store["id"], f"Till {world.counter + 1}", world.counter + 1)
        if audit_rules.shard_of(candidate.id) == shard:
            repos.devices.create(candidate, world.counter, event(world.merchant_id))
            world.counter += 1
            others.append(candidate)
    late, early, owing = (world.activate(d) for d in (first, *others))
    repos.devices.record_sync_state(late, {"shift_open": True, "open_shift_id": "a", "shift_opened_at": stamp(30)},
                                    stamp(31))
    repos.devices.record_sync_state(early, {"shift_open": True, "open_shift_id": "b", "shift_opened_at": stamp(10)},
                                    stamp(31))
    repos.devices.record_sync_state(owing, {"last_receipt_number": 1}, stamp(31))
    keys = [key for key in repos.devices.keys_needing_audit(shard, DUE_BY_FAR) if key[0] == world.merchant_id]
    assert keys == [(world.merchant_id, d.id) for d in (owing, early, late)]
    assert len(repos.devices.get_for_audit(keys + [(new_id(), first.id)])) == 3


def test_the_numbering_and_window_attributes_are_kept(repos):
    """Issue 22: the slot's stored-seq mark and the old installation's store, cashier and activation time (set by
    a version-checked write) come back as written."""
    world = World(repos)
    till = world.active_device()
    changed = world.change(till, stored_seq_high=41, final_sync_store_id="store-old", final_sync_employee_id="ann",
                           final_sync_activated_at=stamp(3), final_sync_activation_id="old", final_sync_last_seq=7)
    assert (changed.stored_seq_high, changed.final_sync_store_id, changed.final_sync_employee_id,
            changed.final_sync_activated_at) == (41, "store-old", "ann", stamp(3))
    assert changed.numbering_top == 41 and changed.next_receipt_seq == 42
    cleared = world.change(changed, final_sync_store_id=None, final_sync_employee_id=None,
                           final_sync_activated_at=None, final_sync_activation_id=None)
    assert (cleared.final_sync_store_id, cleared.final_sync_employee_id, cleared.final_sync_activated_at) == (
        None, None, None)
    assert cleared.stored_seq_high == 41
