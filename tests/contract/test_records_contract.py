"""Contract: receipts, shifts and audit findings, the same on the fakes and the real repositories."""
import dataclasses

import pytest

from chalicelib import ports
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Status
from chalicelib.errors import InvalidCursor
from tests.contract.test_accounts_contract import walk
from tests.contract.world import World, finding, new_id, receipt, shift, stamp


def _numbers(items) -> list[str]:
    return [r["receipt_number"] for r in items]


# ---------------------------------------------------------------- receipts


def test_store_batch_lands_with_the_slot_counter(repos):
    world = World(repos)
    till = world.active_device()
    batch = [receipt(till, 1, minute=1), receipt(till, 2, minute=2, employee_id="emp")]
    repos.receipts.store_batch(till, batch)
    after = repos.devices.get(world.merchant_id, till.id)
    assert (after.synced_receipts, after.version) == (2, till.version + 1)
    stored = repos.receipts.get(world.merchant_id, "1-1")
    assert stored == {k: v for k, v in batch[0].items() if v is not None}  # as given, None attributes absent
    assert repos.receipts.get_many(world.merchant_id, ["1-1", "1-2", "1-3"]) == {
        "1-1": stored, "1-2": {k: v for k, v in batch[1].items() if v is not None}}
    assert repos.receipts.get_many(world.merchant_id, []) == {}
    assert repos.receipts.get(new_id(), "1-1") is None
    assert repos.receipts.ids_taken(world.merchant_id, [batch[0]["id"], batch[1]["id"], new_id()]) == {
        batch[0]["id"]: "1-1", batch[1]["id"]: "1-2"}
    assert repos.receipts.ids_taken(new_id(), [batch[0]["id"]]) == {}  # ids are unique per merchant
    assert repos.receipts.ids_taken(world.merchant_id, []) == {}


def test_store_batch_is_all_or_nothing(repos):
    world = World(repos)
    till = world.active_device()
    first = receipt(till, 1)
    repos.receipts.store_batch(till, [first])
    till = repos.devices.get(world.merchant_id, till.id)
    with pytest.raises(ports.AlreadyStored):  # a number stored meanwhile (by another id)
        repos.receipts.store_batch(till, [receipt(till, 2), receipt(till, 1)])
    with pytest.raises(ports.AlreadyStored):  # an id stored meanwhile (under another number)
        repos.receipts.store_batch(till, [receipt(till, 3), receipt(till, 4, receipt_id=first["id"])])
    assert repos.receipts.get_many(world.merchant_id, ["1-2", "1-3", "1-4"]) == {}
    assert repos.receipts.ids_taken(world.merchant_id, [first["id"]]) == {first["id"]: "1-1"}
    assert repos.devices.get(world.merchant_id, till.id) == till  # the counter did not move either


def test_store_batch_refused_once_the_slot_is_revoked(repos):
    world = World(repos)
    till = world.active_device()
    world.change(till, status=Status.INACTIVE, activation_id=None, deactivated_at=stamp(5))
    with pytest.raises(ports.SlotRevoked):
        repos.receipts.store_batch(till, [receipt(till, 1)])
    reactivated = world.activate(repos.devices.get(world.merchant_id, till.id))
    with pytest.raises(ports.SlotRevoked):  # another activation of the same slot
        repos.receipts.store_batch(till, [receipt(till, 1)])
    repos.receipts.store_batch(reactivated, [receipt(reactivated, 1)])
    with pytest.raises(ports.SlotRevoked):  # slot revoked wins over a taken number: the writes are void
        repos.receipts.store_batch(till, [receipt(till, 1)])
    assert repos.receipts.get(world.merchant_id, "1-1")["pos_device_id"] == till.id
    assert repos.receipts.held_seqs(world.merchant_id, 1, [1]) == {1}


def test_final_sync_batch_needs_the_window_open(repos):
    world = World(repos)
    till = world.device(world.store()["id"])
    till = world.change(till, final_sync_activation_id="old", final_sync_until=stamp(100), final_sync_upto=1000)
    repos.receipts.store_batch(till, [receipt(till, 1), receipt(till, 2)], final_sync=("old", stamp(50)))
    after = repos.devices.get(world.merchant_id, till.id)
    assert (after.synced_receipts, after.final_sync_held, after.final_sync_received, after.version) == (
        2, 2, 2, till.version + 1)
    with pytest.raises(ports.SlotRevoked):  # the window is over
        repos.receipts.store_batch(after, [receipt(after, 3)], final_sync=("old", stamp(100)))
    with pytest.raises(ports.SlotRevoked):  # another installation's window
        repos.receipts.store_batch(after, [receipt(after, 3)], final_sync=("other", stamp(50)))
    with pytest.raises(ports.SlotRevoked):  # not activated: a plain sync of the slot is void
        repos.receipts.store_batch(after, [receipt(after, 3)])
    assert repos.receipts.seqs_of_device(world.merchant_id, 1) == {1, 2}


def test_store_batch_raises_the_slot_high_water_mark_and_never_lowers_it(repos):
    """Issue 22: the transaction that stores receipts raises the slot's mark of stored seqs to the batch's
    highest seq (stored_seq_high for its activation, final_sync_last_seq for an old installation's upload),
    whatever the caller believed the mark to be (its copy of the slot may be stale)."""
    world = World(repos)
    stale = world.active_device()  # stored_seq_high 0 in this copy, whatever is stored later
    repos.receipts.store_batch(stale, [receipt(stale, 3), receipt(stale, 5)])
    after = repos.devices.get(world.merchant_id, stale.id)
    assert (after.stored_seq_high, after.last_receipt_number, after.synced_receipts) == (5, 0, 2)
    repos.receipts.store_batch(stale, [receipt(stale, 2)])  # lower: the mark stays
    repos.receipts.store_batch(after, [receipt(after, 4)])
    assert repos.devices.get(world.merchant_id, stale.id).stored_seq_high == 5
    repos.receipts.store_batch(stale, [receipt(stale, 9)])  # higher, from a stale copy: raised
    after = repos.devices.get(world.merchant_id, stale.id)
    assert (after.stored_seq_high, after.synced_receipts, after.version) == (9, 5, stale.version + 4)
    assert after.numbering_top == 9 and after.next_receipt_seq == 10
    world.change(after, status=Status.INACTIVE, activation_id=None)
    with pytest.raises(ports.SlotRevoked):  # revoked, whatever the mark: nothing written
        repos.receipts.store_batch(stale, [receipt(stale, 20)])
    with pytest.raises(ports.SlotRevoked):
        repos.receipts.store_batch(stale, [receipt(stale, 6)])
    assert repos.devices.get(world.merchant_id, stale.id).stored_seq_high == 9
    assert repos.receipts.get_many(world.merchant_id, ["1-20", "1-6"]) == {}


def test_final_sync_upload_raises_the_old_installations_last_seq(repos):
    world = World(repos)
    till = world.device(world.store()["id"])
    till = world.change(till, final_sync_activation_id="old", final_sync_until=stamp(100), final_sync_last_seq=5,
                        final_sync_upto=1005)
    repos.receipts.store_batch(till, [receipt(till, 6), receipt(till, 40)], final_sync=("old", stamp(50)))
    repos.receipts.store_batch(till, [receipt(till, 7)], final_sync=("old", stamp(50)))  # stale copy, lower
    after = repos.devices.get(world.merchant_id, till.id)
    assert (after.final_sync_last_seq, after.stored_seq_high, after.final_sync_held) == (40, 0, 3)


def test_held_seqs_and_seqs_of_device(repos):
    world = World(repos)
    store = world.store()
    one, two = world.activate(world.device(store["id"])), world.activate(world.device(store["id"]))
    repos.receipts.store_batch(one, [receipt(one, seq) for seq in (1, 2, 5, 10, 11)])
    repos.receipts.store_batch(two, [receipt(two, seq) for seq in (1, 3)])
    assert repos.receipts.held_seqs(world.merchant_id, 1, [1, 3, 5, 10, 100]) == {1, 5, 10}
    assert repos.receipts.held_seqs(world.merchant_id, 1, []) == set()
    assert repos.receipts.seqs_of_device(world.merchant_id, 1) == {1, 2, 5, 10, 11}  # not 2-x, not 11-x
    assert repos.receipts.seqs_of_device(world.merchant_id, 2) == {1, 3}
    assert repos.receipts.seqs_of_device(world.merchant_id, 3) == set()
    assert repos.receipts.seqs_of_device(new_id(), 1) == set()


def test_receipt_listing_newest_first_with_filters(repos):
    world, other = World(repos), World(repos)
    main, side = world.store(), world.store("Side")
    one, two = world.activate(world.device(main["id"])), world.activate(world.device(side["id"]))
    repos.receipts.store_batch(one, [receipt(one, 1, minute=1, employee_id="ann"),
                                     receipt(one, 2, minute=3, payment="CARD"),
                                     receipt(one, 10, minute=5, employee_id="ann")])
    repos.receipts.store_batch(two, [receipt(two, 1, minute=2, employee_id="ann"), receipt(two, 2, minute=4)])
    stranger = other.activate(other.device(other.store()["id"]))
    repos.receipts.store_batch(stranger, [receipt(stranger, 1, minute=6)])

    def listed(limit=2, **filters):
        return _numbers(walk(lambda lim, cursor: repos.receipts.list(world.merchant_id, lim, cursor, **filters),
                             limit)[0])

    assert listed() == ["1-10", "2-2", "1-2", "2-1", "1-1"]
    assert listed(pos_device_id=one.id) == ["1-10", "1-2", "1-1"]
    assert listed(store_id=side["id"]) == ["2-2", "2-1"]
    assert listed(pos_device_id=one.id, store_id=side["id"]) == []
    assert listed(employee_id="ann") == ["1-10", "2-1", "1-1"]
    assert listed(payment_type="CARD") == ["1-2"]
    assert listed(receipt_number="1-1") == ["1-10", "1-1"]  # a prefix
    from_min = "2026-11-24T10:02:00.000000Z"
    to_max = "2026-11-24T10:04:00.000000Z"
    assert listed(created_min=from_min) == ["1-10", "2-2", "1-2", "2-1"]
    assert listed(created_max=to_max) == ["2-2", "1-2", "2-1", "1-1"]  # the bound's whole instant
    assert listed(created_min=from_min, created_max=to_max) == ["2-2", "1-2", "2-1"]
    first, _ = repos.receipts.list(world.merchant_id, 1, None)
    assert "created_sk" not in first[0]
    assert first[0]["payments"] == [{"type": "CASH", "money_amount": 700}]


def test_receipt_cursors_belong_to_their_listing(repos):
    world, other = World(repos), World(repos)
    store = world.store()
    till = world.activate(world.device(store["id"]))
    repos.receipts.store_batch(till, [receipt(till, seq, minute=seq) for seq in (1, 2, 3)])
    _, by_merchant = repos.receipts.list(world.merchant_id, 1, None)
    _, by_device = repos.receipts.list(world.merchant_id, 1, None, pos_device_id=till.id)
    _, by_store = repos.receipts.list(world.merchant_id, 1, None, store_id=store["id"])
    assert by_merchant and by_device and by_store
    for call in (lambda: repos.receipts.list(world.merchant_id, 1, by_device),
                 lambda: repos.receipts.list(world.merchant_id, 1, by_merchant, pos_device_id=till.id),
                 lambda: repos.receipts.list(world.merchant_id, 1, by_device, store_id=store["id"]),
                 lambda: repos.receipts.list(world.merchant_id, 1, by_store, pos_device_id=till.id),
                 lambda: repos.receipts.list(other.merchant_id, 1, by_merchant),
                 lambda: repos.receipts.list(other.merchant_id, 1, by_device, pos_device_id=till.id),
                 lambda: repos.receipts.list(world.merchant_id, 1, by_device, pos_device_id=new_id()),
                 lambda: repos.shifts.list(world.merchant_id, 1, by_merchant)):
        with pytest.raises(InvalidCursor):
            call()
    # A filter that keeps the listing's index keeps its cursors.
    page, _ = repos.receipts.list(world.merchant_id, 5, by_device, pos_device_id=till.id, employee_id=None)
    assert _numbers(page) == ["1-2", "1-1"]


# ---------------------------------------------------------------- shifts


def test_shifts_store_get_and_rules(repos):
    world = World(repos)
    store = world.store()
    till, neighbour = world.activate(world.device(store["id"])), world.activate(world.device(store["id"]))
    opened = shift(till, minute=1)
    repos.shifts.store(till, [opened])
    assert repos.shifts.get_many(world.merchant_id, [opened["id"], new_id()]) == {  # with the writer's activation
        opened["id"]: {k: v for k, v in opened.items() if v is not None} | {"activation_id": till.activation_id}}
    assert repos.shifts.get_many(world.merchant_id, []) == {}
    closed = opened | {"closed_at": stamp(9), "expected_cash": 700, "actual_cash": 700}
    repos.shifts.store(till, [closed])  # this slot's open shift may be written again
    assert repos.shifts.get_many(world.merchant_id, [opened["id"]])[opened["id"]]["closed_at"] == stamp(9)
    with pytest.raises(ports.AlreadyStored):  # a closed shift is final
        repos.shifts.store(till, [opened])
    with pytest.raises(ports.AlreadyStored):  # another slot's shift is never taken over (all or nothing)
        other = shift(neighbour, minute=2)
        repos.shifts.store(neighbour, [other])
        repos.shifts.store(till, [shift(till, minute=3, shift_id="new-one"), other | {"pos_device_id": till.id}])
    assert repos.shifts.get_many(world.merchant_id, ["new-one"]) == {}
    assert repos.shifts.get_many(world.merchant_id, [closed["id"]])[closed["id"]]["closed_at"] == stamp(9)


def test_shifts_store_needs_the_slot_or_its_window(repos):
    world = World(repos)
    till = world.active_device()
    world.change(till, status=Status.INACTIVE, activation_id=None, final_sync_activation_id=till.activation_id,
                 final_sync_until=stamp(100))
    with pytest.raises(ports.SlotRevoked):
        repos.shifts.store(till, [shift(till)])
    repos.shifts.store(till, [shift(till, shift_id="late")], final_sync=(till.activation_id, stamp(50)))
    with pytest.raises(ports.SlotRevoked):
        repos.shifts.store(till, [shift(till)], final_sync=(till.activation_id, stamp(100)))
    assert set(repos.shifts.get_many(world.merchant_id, ["late"])) == {"late"}


def test_a_shift_belongs_to_the_activation_that_stored_it(repos):
    """Issue 22: during a final-sync window the old installation cannot write the new installation's shift, nor
    the reverse; each shift is stored with its writer's activation id."""
    world = World(repos)
    till = world.active_device()
    old_activation = till.activation_id
    old_shift = shift(till, minute=1)
    repos.shifts.store(till, [old_shift])
    windowed = world.change(till, status=Status.INACTIVE, activation_id=None, final_sync_activation_id=old_activation,
                            final_sync_until=stamp(100))
    new = world.activate(windowed)
    new_shift = shift(new, minute=2)
    repos.shifts.store(new, [new_shift])
    with pytest.raises(ports.AlreadyStored):  # the old installation closing the new one's shift
        repos.shifts.store(new, [new_shift | {"closed_at": stamp(9), "actual_cash": 1}],
                           final_sync=(old_activation, stamp(50)))
    with pytest.raises(ports.AlreadyStored):  # the new installation closing the old one's shift
        repos.shifts.store(new, [old_shift | {"closed_at": stamp(9)}])
    repos.shifts.store(new, [old_shift | {"closed_at": stamp(9)}], final_sync=(old_activation, stamp(50)))
    stored = repos.shifts.get_many(world.merchant_id, [old_shift["id"], new_shift["id"]])
    assert (stored[old_shift["id"]]["closed_at"], stored[old_shift["id"]]["activation_id"]) == (stamp(9),
                                                                                                 old_activation)
    assert "closed_at" not in stored[new_shift["id"]] and "actual_cash" not in stored[new_shift["id"]]
    assert stored[new_shift["id"]]["activation_id"] == new.activation_id


def test_flag_open_shifts_of_one_activation(repos):
    world = World(repos)
    till = world.active_device()
    old_activation = till.activation_id
    old_shift = shift(till, minute=1)
    repos.shifts.store(till, [old_shift])
    new = world.activate(world.change(till, status=Status.INACTIVE, activation_id=None))
    repos.shifts.store(new, [shift(new, minute=2)])
    flagged = repos.shifts.flag_open_of_device(world.merchant_id, till.id, stamp(10), old_activation)
    assert [s["id"] for s in flagged] == [old_shift["id"]]
    assert repos.shifts.flag_open_of_device(world.merchant_id, till.id, stamp(11), old_activation) == []
    assert len(repos.shifts.flag_open_of_device(world.merchant_id, till.id, stamp(12))) == 1  # the new one's


def test_flag_open_shifts_of_a_device(repos):
    world = World(repos)
    store = world.store()
    till, neighbour = world.activate(world.device(store["id"])), world.activate(world.device(store["id"]))
    early, late = shift(till, minute=1), shift(till, minute=5)
    repos.shifts.store(till, [late, early, shift(till, minute=0, closed_minute=2)])
    repos.shifts.store(neighbour, [shift(neighbour, minute=3)])
    flagged = repos.shifts.flag_open_of_device(world.merchant_id, till.id, stamp(10))
    assert [s["id"] for s in flagged] == [early["id"], late["id"]]  # oldest first
    assert flagged[0] == {k: v for k, v in early.items() if v is not None and k != "opened_sk"} | {
        "orphaned_at": stamp(10), "activation_id": till.activation_id}
    assert repos.shifts.flag_open_of_device(world.merchant_id, till.id, stamp(11)) == []  # flagged once
    assert repos.shifts.flag_open_of_device(new_id(), neighbour.id, stamp(11)) == []


def test_shift_listing(repos):
    world = World(repos)
    main, side = world.store(), world.store("Side")
    one, two = world.activate(world.device(main["id"])), world.activate(world.device(side["id"]))
    shifts = [shift(one, minute=1), shift(two, minute=2), shift(one, minute=3, closed_minute=4)]
    repos.shifts.store(one, [shifts[0], shifts[2]])
    repos.shifts.store(two, [shifts[1]])

    def listed(**filters):
        return [s["id"] for s in walk(lambda lim, cursor: repos.shifts.list(world.merchant_id, lim, cursor, **filters),
                                      1)[0]]

    assert listed() == [shifts[2]["id"], shifts[1]["id"], shifts[0]["id"]]
    assert listed(pos_device_id=one.id) == [shifts[2]["id"], shifts[0]["id"]]
    assert listed(store_id=side["id"]) == [shifts[1]["id"]]
    page, _ = repos.shifts.list(world.merchant_id, 5, None)
    assert "opened_sk" not in page[0]
    _, cursor = repos.shifts.list(world.merchant_id, 1, None, store_id=main["id"])
    with pytest.raises(InvalidCursor):
        repos.shifts.list(world.merchant_id, 1, cursor)


# ---------------------------------------------------------------- findings


def test_raise_refresh_resolve(repos):
    world = World(repos)
    till = world.active_device()
    raised = finding(till, audit_rules.UNSYNCED_RECEIPTS, minute=1, missing_receipt_numbers=["1-1"], missing_count=1,
                     checked_from=1, checked_upto=3)
    assert repos.findings.raise_finding(raised, till.activation_id) is True
    shard = audit_rules.shard_of(till.id)
    assert repos.findings.open_in_shard(shard) == [{
        "merchant_id": world.merchant_id, "id": raised["id"], "open_shard": shard, "pos_device_id": till.id,
        "type": audit_rules.UNSYNCED_RECEIPTS, "missing_receipt_numbers": ["1-1"], "missing_count": 1,
        "checked_from": 1, "checked_upto": 3}]
    assert repos.findings.open_ids_for_device(world.merchant_id, till.id) == [
        (audit_rules.UNSYNCED_RECEIPTS, raised["id"])]
    # One open finding per device and type; only for the activation audited.
    assert repos.findings.raise_finding(finding(till, audit_rules.UNSYNCED_RECEIPTS), till.activation_id) is False
    assert repos.findings.raise_finding(finding(till, audit_rules.DEVICE_SILENT), "another activation") is False
    assert repos.findings.refresh(world.merchant_id, raised["id"], {"missing_count": 2, "checked_upto": None,
                                                                    "last_seen_at": stamp(2)}) is True
    [now_open] = repos.findings.open_for_merchant(world.merchant_id)
    assert (now_open["missing_count"], now_open["last_seen_at"], "checked_upto" in now_open) == (2, stamp(2), False)
    assert repos.findings.resolve(world.merchant_id, till.id, audit_rules.UNSYNCED_RECEIPTS, raised["id"],
                                  stamp(3)) is True
    assert repos.findings.resolve(world.merchant_id, till.id, audit_rules.UNSYNCED_RECEIPTS, raised["id"],
                                  stamp(4)) is False  # already resolved
    assert repos.findings.refresh(world.merchant_id, raised["id"], {"missing_count": 5}) is False
    assert repos.findings.refresh(world.merchant_id, new_id(), {"missing_count": 5}) is False
    assert repos.findings.open_in_shard(shard) == []
    assert repos.findings.open_for_merchant(world.merchant_id) == []
    assert repos.findings.open_ids_for_device(world.merchant_id, till.id) == []
    again = finding(till, audit_rules.UNSYNCED_RECEIPTS, minute=5)
    assert repos.findings.raise_finding(again, till.activation_id) is True  # the claim was freed
    listed, _ = repos.findings.list(world.merchant_id, 10, None)
    assert [f["id"] for f in listed] == [again["id"], raised["id"]]
    assert listed[1]["resolved_at"] == stamp(3)


def test_no_finding_for_a_revoked_slot(repos):
    world = World(repos)
    till = world.active_device()
    world.change(till, status=Status.INACTIVE)
    assert repos.findings.raise_finding(finding(till, audit_rules.DEVICE_SILENT), till.activation_id) is False
    assert repos.findings.raise_finding(finding(dataclasses.replace(till, id=new_id()), audit_rules.DEVICE_SILENT),
                                        till.activation_id) is False  # no such slot
    assert repos.findings.list(world.merchant_id, 10, None) == ([], None)


def test_put_finding_is_outside_the_audit(repos):
    world = World(repos)
    till = world.active_device()
    left = finding(till, audit_rules.SHIFT_LEFT_OPEN)
    repos.findings.put(left)
    assert repos.findings.open_in_shard(audit_rules.shard_of(till.id)) == []
    assert repos.findings.open_ids_for_device(world.merchant_id, till.id) == []
    assert [f["id"] for f in repos.findings.open_for_merchant(world.merchant_id)] == [left["id"]]
    assert repos.findings.resolve(world.merchant_id, till.id, audit_rules.SHIFT_LEFT_OPEN, left["id"], stamp(5))


def test_finding_listing(repos):
    world, other = World(repos), World(repos)
    store = world.store()
    one, two = world.activate(world.device(store["id"])), world.activate(world.device(store["id"]))
    a = finding(one, audit_rules.DEVICE_SILENT, minute=1)
    b = finding(two, audit_rules.DEVICE_SILENT, minute=2, missing_count=3, checked_from=1)
    c = finding(one, audit_rules.SHIFT_OPEN_TOO_LONG, minute=3)
    for f, device in ((a, one), (b, two), (c, one)):
        assert repos.findings.raise_finding(f, device.activation_id)
    repos.findings.resolve(world.merchant_id, one.id, audit_rules.DEVICE_SILENT, a["id"], stamp(4))
    stranger = other.active_device()
    repos.findings.raise_finding(finding(stranger, audit_rules.DEVICE_SILENT, minute=9), stranger.activation_id)

    def listed(**filters):
        return [f["id"] for f in walk(lambda lim, cursor: repos.findings.list(world.merchant_id, lim, cursor,
                                                                              **filters), 1)[0]]

    assert listed() == [c["id"], b["id"], a["id"]]
    assert listed(status="open") == [c["id"], b["id"]]
    assert listed(status="resolved") == [a["id"]]
    assert listed(pos_device_id=one.id) == [c["id"], a["id"]]
    assert listed(pos_device_id=one.id, status="open") == [c["id"]]
    page, _ = repos.findings.list(world.merchant_id, 10, None, pos_device_id=two.id)
    assert page == [{k: v for k, v in b.items() if v is not None and k not in ("merchant_id", "checked_from")}]
    _, cursor = repos.findings.list(world.merchant_id, 1, None, pos_device_id=one.id)
    with pytest.raises(InvalidCursor):
        repos.findings.list(world.merchant_id, 1, cursor)
    with pytest.raises(InvalidCursor):
        repos.findings.list(other.merchant_id, 1, cursor, pos_device_id=one.id)


def test_a_revoked_slot_wins_over_a_closed_shift(repos):
    world = World(repos)
    till = world.active_device()
    closed = shift(till, minute=1, closed_minute=2)
    repos.shifts.store(till, [closed])
    world.change(till, status=Status.INACTIVE, activation_id=None)
    with pytest.raises(ports.SlotRevoked):
        repos.shifts.store(till, [closed])


# ---------------------------------------------------------------- the sales summary's counters


def test_store_batch_adds_to_the_sales_counters_in_the_same_write(repos):
    world = World(repos)
    till = world.active_device()
    batch = [receipt(till, 1, employee_id="emp", sales_day="2026-11-24"),
             receipt(till, 2, payment="CARD", sales_day="2026-11-25"),
             receipt(till, 3, receipt_type="REFUND", total_money=200,
                     payments=[{"type": "CASH", "money_amount": 200}], sales_day="2026-11-25")]
    repos.receipts.store_batch(till, batch)
    rows = repos.receipts.sales_counters(world.merchant_id, "all", "2026-11-01", "2026-11-30")
    assert [day for day, _ in rows] == ["2026-11-24", "2026-11-25"]
    first, second = rows[0][1], rows[1][1]
    assert (first["n"], first["g"], first.get("r", 0)) == (1, 700, 0)
    assert (second["n"], second["g"], second["r"]) == (2, 700, 200)
    assert first["e#emp#g"] == 700 and second["e#-#n"] == 2 and second["p#CARD#g"] == 700
    assert second["p#CASH#r"] == 200 and second[f"d#{till.id}#n"] == 2 and second[f"s#{till.store_id}#r"] == 200
    for scope in (f"store#{till.store_id}", f"pos#{till.id}"):
        assert [(day, c["n"]) for day, c in repos.receipts.sales_counters(
            world.merchant_id, scope, "2026-11-24", "2026-11-25")] == [("2026-11-24", 1), ("2026-11-25", 2)]
    # A day range bounds the rows; another merchant or scope sees nothing.
    assert [d for d, _ in repos.receipts.sales_counters(world.merchant_id, "all", "2026-11-25", "2026-11-25")] == [
        "2026-11-25"]
    assert repos.receipts.sales_counters(new_id(), "all", "2026-11-01", "2026-11-30") == []
    assert repos.receipts.sales_counters(world.merchant_id, f"pos#{new_id()}", "2026-11-01", "2026-11-30") == []
    # A second batch adds to the same rows.
    till = repos.devices.get(world.merchant_id, till.id)
    repos.receipts.store_batch(till, [receipt(till, 4, sales_day="2026-11-24")])
    assert repos.receipts.sales_counters(world.merchant_id, "all", "2026-11-24", "2026-11-24")[0][1]["g"] == 1400


def test_a_refused_batch_counts_nothing(repos):
    world = World(repos)
    till = world.active_device()
    first = receipt(till, 1, sales_day="2026-11-24")
    repos.receipts.store_batch(till, [first])
    till = repos.devices.get(world.merchant_id, till.id)
    with pytest.raises(ports.AlreadyStored):
        repos.receipts.store_batch(till, [receipt(till, 2, sales_day="2026-11-24"), receipt(till, 1)])
    revoked = dataclasses.replace(till, activation_id="another")
    with pytest.raises(ports.SlotRevoked):
        repos.receipts.store_batch(revoked, [receipt(till, 3, sales_day="2026-11-24")])
    rows = repos.receipts.sales_counters(world.merchant_id, "all", "2026-11-24", "2026-11-24")
    assert rows[0][1]["n"] == 1 and rows[0][1]["g"] == 700
