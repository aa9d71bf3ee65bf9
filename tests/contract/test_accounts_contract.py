"""Contract: accounts, tokens, stores and the activity log, the same on the fakes and the real repositories."""
import base64
import json

import pytest

from chalicelib import ports
from chalicelib.errors import Conflict, InvalidCursor
from tests.contract.world import World, employee, event, new_id, stamp


def walk(listing, limit: int) -> tuple[list, int]:
    """Every item of a listing, page by page; and how many pages that took."""
    items, cursor, pages = [], None, 0
    while True:
        page, cursor = listing(limit, cursor)
        items += page
        pages += 1
        assert len(page) <= limit
        if cursor is None:
            return items, pages
        assert isinstance(cursor, str) and cursor
        assert pages < 50


FORGED = ["not a cursor!", base64.urlsafe_b64encode(b'{"merchant_id": {"S": "x"}}').decode(), "e30", "W10"]


def forged_for(cursor: str) -> list[str]:
    """A cursor taken apart and put together with one more key, or cut short."""
    return FORGED + [cursor[:-3], cursor + "x"]


# ---------------------------------------------------------------- merchants and employees


def test_create_merchant_and_read_back(repos):
    world = World(repos, email="Owner@Example.com".lower())
    merchant = repos.accounts.get_merchant(world.merchant_id)
    assert merchant == {"id": world.merchant_id, "business_name": "Cafe", "currency": "EUR", "pos_number_counter": 0,
                        "created_at": stamp(0)}
    owner = repos.accounts.get_employee(world.merchant_id, world.owner["id"])
    assert owner == world.owner  # every attribute, the ones that are None too
    assert repos.accounts.find_employee_by_email("OWNER@example.com") == owner
    assert repos.accounts.find_employee_by_email("nobody@example.com") is None
    assert repos.accounts.get_merchant(new_id()) is None
    assert repos.accounts.get_employee(world.merchant_id, new_id()) is None


def test_email_taken_across_merchants(repos):
    first = World(repos, email="taken@example.com")
    with pytest.raises(Conflict) as caught:
        World(repos, email="taken@example.com")
    assert (caught.value.code, caught.value.field) == ("EMAIL_TAKEN", "email")
    with pytest.raises(Conflict) as caught:
        repos.accounts.save_employee(employee(first.merchant_id, email="taken@example.com"), None,
                                     event(first.merchant_id))
    assert caught.value.code == "EMAIL_TAKEN"
    items, _ = repos.accounts.list_employees(first.merchant_id, 10, None)
    assert [e["id"] for e in items] == [first.owner["id"]]  # nothing of the refused writes landed


def test_pin_taken_within_a_merchant_only(repos):
    world, other = World(repos), World(repos)
    ann = employee(world.merchant_id, pin_hash="pin-1")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    assert repos.accounts.find_employee_by_pin(world.merchant_id, "pin-1") == ann
    assert repos.accounts.find_employee_by_pin(other.merchant_id, "pin-1") is None
    with pytest.raises(Conflict) as caught:
        repos.accounts.save_employee(employee(world.merchant_id, pin_hash="pin-1"), None, event(world.merchant_id))
    assert (caught.value.code, caught.value.field) == ("PIN_TAKEN", "pin")
    repos.accounts.save_employee(employee(other.merchant_id, pin_hash="pin-1"), None, event(other.merchant_id))


def test_changing_email_and_pin_frees_the_old_ones(repos):
    world = World(repos)
    ann = employee(world.merchant_id, email="ann@example.com", pin_hash="pin-1")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    changed = ann | {"email": "ann2@example.com", "pin_hash": "pin-2", "updated_at": stamp(5)}
    repos.accounts.save_employee(changed, ann, event(world.merchant_id))
    assert repos.accounts.find_employee_by_email("ann2@example.com")["id"] == ann["id"]
    assert repos.accounts.find_employee_by_pin(world.merchant_id, "pin-2")["id"] == ann["id"]
    assert repos.accounts.find_employee_by_pin(world.merchant_id, "pin-1") is None
    # The old e-mail and PIN are free for somebody else.
    bob = employee(world.merchant_id, email="ann@example.com", pin_hash="pin-1", name="Bob")
    repos.accounts.save_employee(bob, None, event(world.merchant_id))
    assert repos.accounts.find_employee_by_pin(world.merchant_id, "pin-1")["id"] == bob["id"]


def test_employee_update_refused_when_changed_meanwhile(repos):
    world = World(repos)
    ann = employee(world.merchant_id, email="ann@example.com")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    first = ann | {"name": "Ann B", "updated_at": stamp(5)}
    repos.accounts.save_employee(first, ann, event(world.merchant_id))
    with pytest.raises(ports.VersionConflict):
        repos.accounts.save_employee(ann | {"name": "Ann C", "email": "c@example.com", "updated_at": stamp(6)}, ann,
                                     event(world.merchant_id))
    assert repos.accounts.get_employee(world.merchant_id, ann["id"])["name"] == "Ann B"
    assert repos.accounts.find_employee_by_email("c@example.com") is None  # the guard did not land either
    with pytest.raises(ports.VersionConflict):  # an employee that already exists cannot be created again
        repos.accounts.save_employee(ann | {"email": None}, None, event(world.merchant_id))


def test_delete_employee_frees_guards(repos):
    world = World(repos)
    ann = employee(world.merchant_id, email="ann@example.com", pin_hash="pin-1")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    repos.accounts.delete_employee(ann, event(world.merchant_id, "employee.deleted"))
    assert repos.accounts.get_employee(world.merchant_id, ann["id"]) is None
    assert repos.accounts.find_employee_by_pin(world.merchant_id, "pin-1") is None
    repos.accounts.save_employee(employee(world.merchant_id, email="ann@example.com", pin_hash="pin-1"), None,
                                 event(world.merchant_id))


def test_get_employees_and_listing(repos):
    world, other = World(repos), World(repos)
    staff = [employee(world.merchant_id, name=f"E{i}") for i in range(4)]
    for one in staff:
        repos.accounts.save_employee(one, None, event(world.merchant_id))
    repos.accounts.save_employee(employee(other.merchant_id), None, event(other.merchant_id))
    found = repos.accounts.get_employees(world.merchant_id, [staff[0]["id"], staff[1]["id"], new_id(),
                                                              other.owner["id"]])
    assert set(found) == {staff[0]["id"], staff[1]["id"]}
    assert found[staff[0]["id"]]["name"] == "E0"
    assert repos.accounts.get_employees(world.merchant_id, []) == {}
    everyone, pages = walk(lambda limit, cursor: repos.accounts.list_employees(world.merchant_id, limit, cursor), 2)
    assert sorted(e["id"] for e in everyone) == sorted([world.owner["id"]] + [e["id"] for e in staff])
    assert [e["id"] for e in everyone] == sorted(e["id"] for e in everyone)  # in id order
    assert pages >= 3
    assert all(e["pin_hash"] is None for e in everyone)  # the listing fills what the item lacks


# ---------------------------------------------------------------- attempt windows


def test_attempts_are_counted_then_locked_then_a_new_window(repos):
    key = f"Ann-{new_id()}@example.com"
    assert [repos.accounts.reserve_attempt(key, 1000 + i, 3, 60) for i in range(3)] == [None, None, None]
    assert repos.accounts.reserve_attempt(key, 1010, 3, 60) == 1000  # locked: the window's start
    assert repos.accounts.reserve_attempt(key.upper(), 1059, 3, 60) == 1000  # keys are case-insensitive
    assert repos.accounts.reserve_attempt(key, 1060, 3, 60) is None  # the window is over: a new one opens
    assert repos.accounts.reserve_attempt(key, 1061, 3, 60) is None
    assert repos.accounts.reserve_attempt(key, 1062, 3, 60) is None
    assert repos.accounts.reserve_attempt(key, 1063, 3, 60) == 1060


def test_release_gives_one_back_and_clear_resets(repos):
    key = f"pair#{new_id()}"
    for i in range(3):
        repos.accounts.reserve_attempt(key, 1000 + i, 3, 60)
    repos.accounts.release_attempt(key)
    assert repos.accounts.reserve_attempt(key, 1005, 3, 60) is None
    assert repos.accounts.reserve_attempt(key, 1006, 3, 60) == 1000
    repos.accounts.clear_attempts(key)
    assert repos.accounts.reserve_attempt(key, 1007, 3, 60) is None
    repos.accounts.release_attempt(f"never-{new_id()}")  # nothing counted: nothing to give back, no error
    repos.accounts.clear_attempts(f"never-{new_id()}")


# ---------------------------------------------------------------- tokens


def test_tokens(repos):
    repos.tokens.put("hash-1", kind="user", merchant_id="m", employee_id="e", pos_device_id=None,
                     expires_at_epoch=123)
    assert repos.tokens.get("hash-1") == {"token_hash": "hash-1", "kind": "user", "merchant_id": "m",
                                          "employee_id": "e", "expires_at_epoch": 123}
    repos.tokens.put("hash-1", kind="device", merchant_id="m", pos_device_id="d", activation_id="a")
    assert repos.tokens.get("hash-1") == {"token_hash": "hash-1", "kind": "device", "merchant_id": "m",
                                          "pos_device_id": "d", "activation_id": "a"}  # replaced whole
    assert repos.tokens.get("hash-2") is None
    repos.tokens.delete("hash-1")
    repos.tokens.delete("hash-2")  # a token gone already (a second logout) is no error
    assert repos.tokens.get("hash-1") is None


def test_an_employees_session_epoch_is_kept_and_read_back(repos):
    world = World(repos)
    ann = employee(world.merchant_id, email=f"ann-{new_id()[:8]}@example.com") | {"session_epoch": 3}
    repos.accounts.save_employee(ann, None, event(world.merchant_id, "employee.created"))
    assert repos.accounts.get_employee(world.merchant_id, ann["id"])["session_epoch"] == 3
    plain = employee(world.merchant_id, name="Bob")
    repos.accounts.save_employee(plain, None, event(world.merchant_id, "employee.created"))
    assert repos.accounts.get_employee(world.merchant_id, plain["id"])["session_epoch"] is None


# ---------------------------------------------------------------- stores


def test_stores_save_get_list(repos):
    world, other = World(repos), World(repos)
    stores = [world.store(f"S{i}") for i in range(5)]
    other.store()
    assert repos.stores.get(world.merchant_id, stores[0]["id"]) == stores[0]
    assert repos.stores.get(other.merchant_id, stores[0]["id"]) is None
    found = repos.stores.get_many(world.merchant_id, [s["id"] for s in stores[:2]] + [new_id()])
    assert set(found) == {stores[0]["id"], stores[1]["id"]}
    assert repos.stores.get_many(world.merchant_id, []) == {}
    listed, pages = walk(lambda limit, cursor: repos.stores.list(world.merchant_id, limit, cursor), 2)
    assert sorted(s["id"] for s in listed) == sorted(s["id"] for s in stores)
    assert [s["id"] for s in listed] == sorted(s["id"] for s in listed)
    assert pages == 3
    assert listed[0]["address"] is None


def test_store_update_needs_the_version_read(repos):
    world = World(repos)
    store = world.store()
    repos.stores.save(store | {"name": "New", "updated_at": stamp(3)}, event(world.merchant_id),
                      expected_updated_at=store["updated_at"])
    with pytest.raises(ports.VersionConflict):
        repos.stores.save(store | {"name": "Late", "updated_at": stamp(4)}, event(world.merchant_id),
                          expected_updated_at=store["updated_at"])
    with pytest.raises(ports.VersionConflict):  # a create of an id that exists
        repos.stores.save(store, event(world.merchant_id))
    assert repos.stores.get(world.merchant_id, store["id"])["name"] == "New"


def test_store_with_pos_devices_cannot_be_deleted(repos):
    world = World(repos)
    store, empty = world.store(), world.store("Empty")
    world.device(store["id"])
    with pytest.raises(Conflict) as caught:
        repos.stores.delete(store, event(world.merchant_id, "store.deleted"))
    assert caught.value.code == "STORE_HAS_POS_DEVICES"
    assert repos.stores.get(world.merchant_id, store["id"])["device_count"] == 1
    repos.stores.delete(empty, event(world.merchant_id, "store.deleted"))
    assert repos.stores.get(world.merchant_id, empty["id"]) is None


# ---------------------------------------------------------------- cursors


def test_cursors_are_refused_when_forged_or_from_another_listing(repos):
    world, other = World(repos), World(repos)
    for i in range(3):
        world.store(f"S{i}")
        other.store(f"S{i}")
        repos.accounts.save_employee(employee(world.merchant_id), None, event(world.merchant_id))
    _, store_cursor = repos.stores.list(world.merchant_id, 1, None)
    _, employee_cursor = repos.accounts.list_employees(world.merchant_id, 1, None)
    _, event_cursor = repos.events.list(world.merchant_id, 1, None)
    assert store_cursor and employee_cursor and event_cursor
    refused = [
        lambda: repos.stores.list(world.merchant_id, 1, employee_cursor),  # another table's cursor of the same shape
        lambda: repos.accounts.list_employees(world.merchant_id, 1, store_cursor),
        lambda: repos.stores.list(other.merchant_id, 1, store_cursor),  # another merchant's
        lambda: repos.events.list(world.merchant_id, 1, store_cursor),
        lambda: repos.devices.list(world.merchant_id, 1, store_cursor),
        lambda: repos.receipts.list(world.merchant_id, 1, event_cursor),
        lambda: repos.shifts.list(world.merchant_id, 1, event_cursor),
        lambda: repos.findings.list(world.merchant_id, 1, event_cursor),
    ] + [lambda bad=bad: repos.stores.list(world.merchant_id, 1, bad) for bad in forged_for(store_cursor)]
    for call in refused:
        with pytest.raises(InvalidCursor):
            call()
    page, _ = repos.stores.list(world.merchant_id, 1, store_cursor)
    assert len(page) == 1


# ---------------------------------------------------------------- the activity log


def test_events_newest_first_per_merchant_and_device(repos):
    world, other = World(repos), World(repos)
    store = world.store()
    till = world.device(store["id"])
    mine = [event(world.merchant_id, "x.one", till.id, {"n": 1}), event(world.merchant_id, "x.two"),
            event(world.merchant_id, "x.three", till.id)]
    for position, one in enumerate(mine):
        repos.stores.save(world.store_record(f"Store {position}"), one)
    repos.stores.save(other.store_record(), event(other.merchant_id, "x.other", till.id))
    everything, pages = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor), 2)
    assert [e["type"] for e in everything[:3]] == ["x.three", "x.two", "x.one"]
    assert everything[2] == {k: v for k, v in mine[0].items() if k not in ("merchant_id", "sort_at")}
    assert "pos_device_id" not in everything[1]  # an event of no device has none
    of_till, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor, till.id), 1)
    assert [e["type"] for e in of_till] == ["x.three", "x.one", "pos_device.created"]
    _, cursor = repos.events.list(world.merchant_id, 1, None, pos_device_id=till.id)
    with pytest.raises(InvalidCursor):
        repos.events.list(world.merchant_id, 1, cursor)  # the device listing's cursor is not the merchant's
    with pytest.raises(InvalidCursor):
        repos.events.list(other.merchant_id, 1, cursor, pos_device_id=till.id)
    with pytest.raises(InvalidCursor):
        repos.events.list(world.merchant_id, 1, cursor, pos_device_id=new_id())


def test_events_of_one_actor_in_old_and_new_shapes(repos):
    """`actor_ids` (GET /v1/events?actor_id=, issue 23): the events whose actor has one of those ids, whatever shape
    the actor was stored in (v1.2's {type: EMPLOYEE, id, name, role}, or the lowercase {type: employee, id} of older events);
    another id in the actor (a DEVICE's employee_id) does not count; pages may be short, the walk ends all the same."""
    world = World(repos)
    store = world.store()
    till = world.device(store["id"])
    anna, bob = new_id(), new_id()
    shapes = [("a.old", {"type": "employee", "id": anna}),
              ("a.new", {"type": "EMPLOYEE", "id": anna, "name": "Anna Nowak", "role": "MANAGER"}),
              ("b.new", {"type": "EMPLOYEE", "id": bob, "name": "Bob", "role": "OWNER"}),
              ("till.signed_in_anna", {"type": "DEVICE", "id": till.id, "name": "Till", "employee_id": anna}),
              ("system", {"type": "SYSTEM", "name": "WORKFLOW", "id": "safe-deletion"}),
              ("system.old", {"type": "system", "id": "final-sync"})]
    for type_, actor in shapes:
        repos.stores.save(world.store_record(f"Store {type_}"), event(world.merchant_id, type_, till.id) | {"actor": actor})
    of_anna, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor, actor_ids=(anna,)), 1)
    assert [e["type"] for e in of_anna] == ["a.new", "a.old"]
    assert of_anna[0]["actor"] == shapes[1][1]  # stored as written
    of_till, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor, actor_ids=(till.id,)), 2)
    assert [e["type"] for e in of_till] == ["till.signed_in_anna"]
    by_device, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor, pos_device_id=till.id,
                                                                actor_ids=(bob,)), 2)
    assert [e["type"] for e in by_device] == ["b.new"]
    system, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor,
                                                             actor_ids=("safe-deletion",)), 3)
    assert [e["type"] for e in system] == ["system"]
    either, _ = walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor,
                                                             actor_ids=("final-sync", bob)), 2)
    assert [e["type"] for e in either] == ["system.old", "b.new"]
    assert walk(lambda limit, cursor: repos.events.list(world.merchant_id, limit, cursor, actor_ids=(new_id(),)), 2)[0] == []


def test_forged_cursor_shapes(repos):
    world = World(repos)
    garbage = base64.urlsafe_b64encode(json.dumps({"merchant_id": {"S": world.merchant_id},
                                                   "sk": {"S": "x" * 2000}}).encode()).decode()
    for bad in FORGED + [garbage]:
        with pytest.raises(InvalidCursor):
            repos.events.list(world.merchant_id, 5, bad)


def test_a_stale_employee_wins_over_a_taken_email(repos):
    world = World(repos)
    ann = employee(world.merchant_id, email="ann@example.com")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    repos.accounts.save_employee(ann | {"updated_at": stamp(5)}, ann, event(world.merchant_id))
    with pytest.raises(ports.VersionConflict):
        repos.accounts.save_employee(ann | {"email": world.owner["email"], "updated_at": stamp(6)}, ann,
                                     event(world.merchant_id))


def test_ids_that_exist_or_are_gone_are_version_conflicts(repos):
    world = World(repos)
    merchant = repos.accounts.get_merchant(world.merchant_id)
    with pytest.raises(ports.VersionConflict):  # the same merchant again
        repos.accounts.create_merchant(merchant, employee(world.merchant_id), event(world.merchant_id))
    ann = employee(world.merchant_id, email="ann@example.com")
    repos.accounts.save_employee(ann, None, event(world.merchant_id))
    repos.accounts.delete_employee(ann, event(world.merchant_id, "employee.deleted"))
    with pytest.raises(ports.VersionConflict):  # deleted meanwhile
        repos.accounts.delete_employee(ann, event(world.merchant_id, "employee.deleted"))
    types = [e["type"] for e in repos.events.list(world.merchant_id, 10, None)[0]]
    assert types.count("employee.deleted") == 1  # the refused delete logged nothing


def test_create_merchant_with_its_first_store_in_one_write(repos):
    merchant_id = new_id()
    owner = employee(merchant_id, email=f"{new_id()}@example.com")
    store = {"merchant_id": merchant_id, "id": new_id(), "name": "Cafe", "address": None, "device_count": 0,
             "created_at": stamp(0), "updated_at": stamp(0)}
    merchant = {"id": merchant_id, "business_name": "Cafe", "currency": "PLN", "time_zone": "Europe/Warsaw",
                "pos_number_counter": 0, "created_at": stamp(0)}
    repos.accounts.create_merchant(merchant, owner, event(merchant_id), store)
    assert repos.accounts.get_merchant(merchant_id)["time_zone"] == "Europe/Warsaw"
    assert repos.stores.get(merchant_id, store["id"]) == store
    # Refused (the e-mail is taken): neither the merchant nor its store is written.
    other_id = new_id()
    with pytest.raises(Conflict):
        repos.accounts.create_merchant(merchant | {"id": other_id}, employee(other_id, email=owner["email"]),
                                       event(other_id), store | {"merchant_id": other_id})
    assert repos.accounts.get_merchant(other_id) is None
    assert repos.stores.list(other_id, 10, None)[0] == []


def test_store_names_are_claimed_per_merchant(repos):
    world = World(repos)
    north = world.store("North")
    with pytest.raises(Conflict) as caught:
        repos.stores.save(world.store_record("north"), event(world.merchant_id))
    assert (caught.value.code, caught.value.field) == ("NAME_TAKEN", "name")
    south = world.store("South")
    with pytest.raises(Conflict):  # a rename onto a taken name
        repos.stores.save(south | {"name": "NORTH", "updated_at": stamp(1)}, event(world.merchant_id),
                          expected_updated_at=south["updated_at"], previous_name="South")
    repos.stores.save(north | {"name": "West", "updated_at": stamp(1)}, event(world.merchant_id),
                      expected_updated_at=north["updated_at"], previous_name="North")
    world.store("North")  # freed by the rename
    repos.stores.delete(south, event(world.merchant_id))
    world.store("South")  # freed by the delete
    World(repos).store("North")  # another merchant's names are its own
