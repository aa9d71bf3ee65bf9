"""The POS device story through the public HTTP API (chalice.test.Client on moto).

create -> activate -> switch user -> deactivate -> old token refused -> re-activate -> activity log,
and the device list: pagination, filters, show_deleted.
"""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clock
from tests.conftest import receipt

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def ticking(aws):
    """A controlled clock: every `tick()` moves it one minute on, so log times are known and distinct."""
    moments = [T0]
    clock.set_now(T0)

    def tick(minutes=1):
        moments.append(moments[-1] + timedelta(minutes=minutes))
        clock.set_now(moments[-1])
        return clock.iso(moments[-1])

    yield tick
    clock.set_now(None)


def test_the_whole_story(client, ticking):
    """One POS slot's life, phase by phase (a failure names its phase); each phase starts where the last ended."""
    story = Story(client, ticking)
    story.create_the_slot()
    story.hire_a_manager_and_a_cashier()
    story.activate_with_the_owners_credentials()
    story.sync_two_of_three_receipts()
    story.switch_user_by_email_and_password()
    story.switch_user_by_employee_id_and_pin()
    story.deactivate_the_lost_device()
    story.reactivate_on_a_new_installation()
    story.read_the_activity_log()
    story.page_the_activity_log()


class Story:
    """create -> activate -> sync -> switch user -> deactivate -> old token refused -> re-activate -> activity log.
    The phases share the merchant, the slot, the tokens and the moments the clock showed."""

    def __init__(self, client, ticking):
        self.client, self.ticking = client, ticking
        self.m = client.signup()
        self.owner_id = self.m.owner["id"]
        self.store = self.m.store("Downtown")

    def create_the_slot(self):
        client, m, store = self.client, self.m, self.store
        self.at_created = self.ticking()
        status, device = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)
        assert status == 201, device
        assert device["status"] == "NOT_ACTIVATED"
        assert device["activated"] is False
        assert (device["number"], device["name"], device["store_id"]) == (1, "Till 1", store["id"])
        assert device["installation_id"] is None
        assert device["deletion"] is None
        assert device["deleted_at"] is None
        assert device["created_at"] == self.at_created
        self.device_id = device["id"]

    def hire_a_manager_and_a_cashier(self):
        """Employees to switch to."""
        client, m, store = self.client, self.m, self.store
        self.manager = m.employee("Mia", "MANAGER", email="mia@example.com", password="manager pass 1")
        status, self.cashier = client.post("/v1/employees", {"name": "Carl", "role": "CASHIER", "pin": "4321",
                                                             "store_ids": [store["id"]]}, token=m.token)
        assert status == 201, self.cashier

    def activate_with_the_owners_credentials(self):
        """Log in with the owner's credentials, pick the slot."""
        client, m, device_id, owner_id = self.client, self.m, self.device_id, self.owner_id
        status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
        assert status == 200, login
        assert [(d["id"], d["status"], d["store_name"]) for d in login["pos_devices"]] == [
            (device_id, "NOT_ACTIVATED", "Downtown")]
        self.at_activated = self.ticking()
        status, activation = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                              "pos_device_id": device_id,
                                                              "installation_id": "phone-A"})
        assert status == 200, activation
        assert activation["next_receipt_seq"] == 1
        assert activation["employee"]["id"] == owner_id
        assert activation["pos_device"]["status"] == "ACTIVATED"
        assert activation["pos_device"]["activated"] is True
        assert activation["pos_device"]["installation_id"] == "phone-A"
        assert activation["pos_device"]["activated_at"] == self.at_activated
        self.old_token = activation["device_token"]

        # the slot is no longer offered to other devices
        status, login2 = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
        assert (status, login2["pos_devices"]) == (200, [])

        status, me = client.get("/v1/pos/me", token=self.old_token)
        assert status == 200, me
        assert (me["id"], me["current_employee_id"], me["next_receipt_seq"]) == (device_id, owner_id, 1)

    def sync_two_of_three_receipts(self):
        """The device issues 3 receipts and syncs 2 of them."""
        self.ticking()
        status, synced = self.client.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(1, 1), receipt(1, 2)]}, token=self.old_token)
        assert status == 200, synced
        assert (synced["accepted"], synced["duplicates"], synced["rejected"]) == (2, 0, [])
        assert synced["pos_device"]["unsynced_receipts"] == 1

    def switch_user_by_email_and_password(self):
        client, old_token, manager = self.client, self.old_token, self.manager
        self.at_switch_1 = self.ticking()
        status, body = client.post("/v1/pos/switch_user", {"email": "MIA@example.com", "password": "manager pass 1"},
                                   token=old_token)
        assert status == 200, body
        assert body["employee"]["id"] == manager["id"]
        assert client.get("/v1/pos/me", token=old_token)[1]["current_employee_id"] == manager["id"]

        status, body = client.post("/v1/pos/switch_user", {"email": "mia@example.com", "password": "wrong password"},
                                   token=old_token)
        assert (status, body["errors"][0]["code"]) == (401, "INVALID_CREDENTIALS"), body

    def switch_user_by_employee_id_and_pin(self):
        client, old_token, cashier, owner_id = self.client, self.old_token, self.cashier, self.owner_id
        self.at_switch_2 = self.ticking()
        status, body = client.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4321"},
                                   token=old_token)
        assert status == 200, body
        assert body["employee"]["id"] == cashier["id"]
        assert "pin" not in body["employee"]
        assert body["employee"]["has_pin"] is True
        assert client.get("/v1/pos/me", token=old_token)[1]["current_employee_id"] == cashier["id"]

        status, body = client.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "0000"},
                                   token=old_token)
        assert status == 401, body
        assert body["errors"][0]["code"] == "INVALID_PIN"
        # the right PIN of the wrong employee is wrong too
        status, body = client.post("/v1/pos/switch_user", {"employee_id": owner_id, "pin": "4321"}, token=old_token)
        assert (status, body["errors"][0]["code"]) == (401, "INVALID_PIN"), body
        for _ in range(3):  # five wrong PINs in all
            assert client.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "1111"},
                               token=old_token)[0] == 401
        status, body = client.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4321"},
                                   token=old_token)
        assert status == 429, body
        assert body["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
        assert body["errors"][0]["details"]
        assert client.get("/v1/pos/me", token=old_token)[1]["current_employee_id"] == cashier["id"]

    def deactivate_the_lost_device(self):
        """Token revoked at once, the unsynced receipt is written off."""
        client, m, device_id, old_token, cashier = self.client, self.m, self.device_id, self.old_token, self.cashier
        self.at_deactivated = self.ticking()
        status, deactivated = client.post(f"/v1/pos_devices/{device_id}/deactivate", token=m.token)
        assert status == 200, deactivated
        assert deactivated["status"] == "INACTIVE"
        assert deactivated["activated"] is False
        assert deactivated["installation_id"] is None
        assert deactivated["current_employee_id"] is None
        assert deactivated["deactivated_at"] == self.at_deactivated
        assert (deactivated["lost_receipts"], deactivated["unsynced_receipts"]) == (1, 0)
        assert (deactivated["synced_receipts"], deactivated["last_receipt_number"]) == (2, 3)

        for method, path, body in (("GET", "/v1/pos/me", None),
                                   ("POST", "/v1/pos/sync", {"receipts": [receipt(1, 3)]}),
                                   ("POST", "/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4321"})):
            status, error = client.call(method, path, body=body, token=old_token)
            assert status == 401, (path, error)
            assert error["errors"][0]["code"] == "DEVICE_DEACTIVATED", (path, error)
        # nothing the old device sent after its deactivation was stored
        assert client.get("/v1/receipts/1-3", token=m.token)[0] == 404

        status, again = client.post(f"/v1/pos_devices/{device_id}/deactivate", token=m.token)
        assert (status, again["errors"][0]["code"]) == (409, "ALREADY_INACTIVE"), again

    def reactivate_on_a_new_installation(self):
        """Numbering continues; the old device stays locked out."""
        client, m, device_id, old_token = self.client, self.m, self.device_id, self.old_token
        status, login3 = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
        assert [(d["id"], d["status"]) for d in login3["pos_devices"]] == [(device_id, "INACTIVE")]
        self.at_reactivated = self.ticking()
        status, second = client.post("/v1/pos/activate", {"login_token": login3["login_token"],
                                                          "pos_device_id": device_id, "installation_id": "tablet-B"})
        assert status == 200, second
        assert second["next_receipt_seq"] == 4
        assert second["pos_device"]["installation_id"] == "tablet-B"
        assert second["pos_device"]["number"] == 1
        new_token = second["device_token"]
        assert new_token != old_token
        status, me = client.get("/v1/pos/me", token=new_token)
        assert (status, me["next_receipt_seq"], me["installation_id"]) == (200, 4, "tablet-B")
        # the old device stays locked out even though its slot is active again
        status, error = client.get("/v1/pos/me", token=old_token)
        assert (status, error["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")

        status, synced = client.post("/v1/pos/sync", {"receipts": [receipt(1, 3), receipt(1, 4)]}, token=new_token)
        assert status == 200, synced
        assert synced["accepted"] == 1
        assert [r["code"] for r in synced["rejected"]] == ["RECEIPT_WRITTEN_OFF"]

    def read_the_activity_log(self):
        """Newest first, with actor and time."""
        client, m, device_id, owner_id = self.client, self.m, self.device_id, self.owner_id
        manager, cashier = self.manager, self.cashier
        status, log = client.get(f"/v1/events?pos_device_id={device_id}", token=m.token)
        assert status == 200, log
        assert log["cursor"] is None
        events = self.events = log["events"]
        assert [e["type"] for e in events] == [
            "pos_device.activated", "pos_device.deactivated", "pos_device.user_switched", "pos_device.user_switched",
            "pos_device.activated", "pos_device.created"]
        assert [e["at"] for e in events] == [self.at_reactivated, self.at_deactivated, self.at_switch_2,
                                             self.at_switch_1, self.at_activated, self.at_created]
        assert all(e["pos_device_id"] == device_id for e in events)
        # the actor as DESIGN.md 3.2 shapes it: names as they were then (an employee's with the role)
        owner_actor = {"type": "EMPLOYEE", "id": owner_id, "name": m.owner["name"], "role": "OWNER"}
        assert (events[0]["actor"], events[0]["details"]["installation_id"]) == (owner_actor, "tablet-B")
        assert events[1]["actor"] == owner_actor
        assert (events[1]["details"]["lost_receipts"], events[1]["details"]["installation_id"]) == (1, "phone-A")
        till = {"type": "DEVICE", "id": device_id, "name": events[2]["actor"]["name"]}
        assert till["name"], events[2]
        assert events[2]["actor"] == till | {"employee_id": manager["id"]}
        assert events[2]["details"] == {"from": manager["id"], "to": cashier["id"]}
        assert events[3]["actor"] == till | {"employee_id": owner_id}
        assert events[3]["details"] == {"from": owner_id, "to": manager["id"]}
        assert (events[4]["actor"], events[4]["details"]["installation_id"]) == (owner_actor, "phone-A")
        assert (events[5]["actor"], events[5]["details"]["number"]) == (owner_actor, 1)

    def page_the_activity_log(self):
        """Paging the log one by one gives the same, in the same order."""
        seen, cursor = [], None
        while True:
            path = f"/v1/events?pos_device_id={self.device_id}&limit=1" + (f"&cursor={cursor}" if cursor else "")
            status, page = self.client.get(path, token=self.m.token)
            assert status == 200, page
            seen += [e["id"] for e in page["events"]]
            cursor = page["cursor"]
            if not cursor:
                break
        assert seen == [e["id"] for e in self.events]


def test_a_token_from_one_activation_dies_with_that_activation_only(client):
    m = client.signup()
    first, first_token = m.active_device("Till 1")
    second, second_token = m.active_device("Till 2")
    assert client.post(f"/v1/pos_devices/{first['id']}/deactivate", token=m.token)[0] == 200
    assert client.get("/v1/pos/me", token=first_token)[0] == 401
    status, me = client.get("/v1/pos/me", token=second_token)
    assert (status, me["id"]) == (200, second["id"])


# ---------------------------------------------------------------- the device list


def _all_pages(client, token, query, limit):
    ids, cursor, pages = [], None, 0
    while True:
        path = f"/v1/pos_devices?limit={limit}" + (f"&{query}" if query else "")
        path += f"&cursor={cursor}" if cursor else ""
        status, page = client.get(path, token=token)
        assert status == 200, page
        assert len(page["pos_devices"]) <= limit
        ids += [d["id"] for d in page["pos_devices"]]
        pages += 1
        cursor = page["cursor"]
        assert pages < 20, "the cursor never ends"
        if cursor is None:
            return ids, pages


def test_list_pagination_filters_and_show_deleted(client):
    m = client.signup()
    north, south = m.store("North"), m.store("South")
    created = [m.device(f"Till {i}", store_id=(north if i % 2 else south)["id"]) for i in range(1, 8)]
    by_id = {d["id"]: d for d in created}
    assert sorted(d["number"] for d in created) == list(range(1, 8))

    ids, pages = _all_pages(client, m.token, "", 3)
    assert (len(ids), set(ids)) == (7, set(by_id))  # no repeats, no gaps
    assert pages == 3

    status, everything = client.get("/v1/pos_devices", token=m.token)
    assert status == 200
    assert everything["cursor"] is None
    assert len(everything["pos_devices"]) == 7

    # store filter, also across pages
    ids, _ = _all_pages(client, m.token, f"store_id={north['id']}", 2)
    assert sorted(ids) == sorted(d["id"] for d in created if d["store_id"] == north["id"])
    assert len(ids) == 4

    # status filter
    activated = m.activate(created[2]["id"])["pos_device"]
    m.activate(created[3]["id"])
    assert client.post(f"/v1/pos_devices/{created[3]['id']}/deactivate", token=m.token)[0] == 200
    status, page = client.get("/v1/pos_devices?status=ACTIVATED", token=m.token)
    assert (status, [d["id"] for d in page["pos_devices"]]) == (200, [activated["id"]])
    status, page = client.get("/v1/pos_devices?status=INACTIVE", token=m.token)
    assert [d["id"] for d in page["pos_devices"]] == [created[3]["id"]]
    ids, _ = _all_pages(client, m.token, "status=NOT_ACTIVATED", 2)
    assert sorted(ids) == sorted(d["id"] for d in created if d["id"] not in (created[2]["id"], created[3]["id"]))
    status, page = client.get(f"/v1/pos_devices?status=ACTIVATED&store_id={north['id']}", token=m.token)
    assert [d["id"] for d in page["pos_devices"]] == ([activated["id"]] if activated["store_id"] == north["id"] else [])

    # show_deleted: a deleted POS leaves the list but still answers GET
    gone = created[0]["id"]
    status, body = client.delete(f"/v1/pos_devices/{gone}", token=m.token)
    assert status == 202, body
    assert client.wait_for_deletion(m.token, gone)["status"] == "SUCCEEDED"
    ids, _ = _all_pages(client, m.token, "", 3)
    assert len(ids) == 6
    assert gone not in ids
    ids, _ = _all_pages(client, m.token, "show_deleted=true", 3)
    assert len(ids) == 7
    assert gone in ids
    status, page = client.get("/v1/pos_devices?show_deleted=false", token=m.token)
    assert gone not in [d["id"] for d in page["pos_devices"]]
    status, device = client.get(f"/v1/pos_devices/{gone}", token=m.token)
    assert status == 200
    assert device["deleted_at"]
    assert device["deletion"]["status"] == "SUCCEEDED"
    # a deleted POS cannot be renamed or deactivated
    status, body = client.patch(f"/v1/pos_devices/{gone}", {"name": "Back"}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (409, "DEVICE_DELETED"), body


def test_rename_is_logged_and_shown(client):
    m = client.signup()
    device = m.device("Till 1")
    status, renamed = client.patch(f"/v1/pos_devices/{device['id']}", {"name": "  Front desk  "}, token=m.token)
    assert status == 200, renamed
    assert renamed["name"] == "Front desk"
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["name"] == "Front desk"
    log = client.get(f"/v1/events?pos_device_id={device['id']}", token=m.token)[1]["events"]
    assert log[0]["type"] == "pos_device.renamed"
    assert log[0]["details"] == {"from": "Till 1", "to": "Front desk"}


# ---------------------------------------------------------------- issue 22 items 18 and 21


def test_patch_with_a_new_name_and_a_deleted_store_changes_nothing(client):
    """Item 18: before, the answer was 400 UNKNOWN_STORE but the rename had been applied."""
    m = client.signup()
    till = m.device("Till 1")
    gone = m.store("Gone")
    assert client.delete(f"/v1/stores/{gone['id']}", token=m.token)[0] == 204
    status, body = client.patch(f"/v1/pos_devices/{till['id']}", {"name": "Till 9", "store_id": gone["id"]},
                                token=m.token)
    assert (status, body["errors"][0]["code"]) == (400, "UNKNOWN_STORE"), body
    status, shown = client.get(f"/v1/pos_devices/{till['id']}", token=m.token)
    assert (shown["name"], shown["store_id"], shown["updated_at"]) == ("Till 1", till["store_id"], till["updated_at"])
    types = [e["type"] for e in client.get(f"/v1/events?pos_device_id={till['id']}", token=m.token)[1]["events"]]
    assert types == ["pos_device.created"]
    # An activated POS cannot move: a rename sent with the move is not applied either.
    activation = m.activate(till["id"])
    other = m.store("Other")
    status, body = client.patch(f"/v1/pos_devices/{till['id']}", {"name": "Till 9", "store_id": other["id"]},
                                token=m.token)
    assert status == 409, body
    assert client.get(f"/v1/pos_devices/{till['id']}", token=m.token)[1]["name"] == "Till 1"
    # Both at once, when both are allowed: one write, both events.
    assert client.post(f"/v1/pos_devices/{till['id']}/deactivate", token=m.token)[0] == 200
    status, body = client.patch(f"/v1/pos_devices/{till['id']}", {"name": "Till 9", "store_id": other["id"]},
                                token=m.token)
    assert (status, (body["name"], body["store_id"])) == (200, ("Till 9", other["id"])), body
    types = [e["type"] for e in client.get(f"/v1/events?pos_device_id={till['id']}", token=m.token)[1]["events"]]
    assert sorted(types[:2]) == ["pos_device.moved", "pos_device.renamed"], types
    assert activation["pos_device"]["id"] == till["id"]


def test_an_activation_retried_by_the_same_installation_succeeds(client):
    """Item 21: before, a retried activate (its first answer lost) got 409 SLOT_TAKEN. The same installation
    gets the same activation again, with a new token; the token of the lost answer no longer works."""
    m = client.signup()
    till = m.device("Till 1")
    first = m.activate(till["id"], "tablet-1")
    again = m.activate(till["id"], "tablet-1")  # asserts 200
    assert set(again) == set(first)
    assert again["device_token"] != first["device_token"]
    assert again["next_receipt_seq"] == first["next_receipt_seq"] == 1
    assert again["pos_device"]["installation_id"] == "tablet-1"
    assert again["pos_device"]["activated_at"] == first["pos_device"]["activated_at"]
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(till["number"], 1)]},
                               token=again["device_token"])
    assert (status, body["accepted"]) == (200, 1), body
    assert client.get("/v1/pos/me", token=first["device_token"])[0] == 401
    events = client.get(f"/v1/events?pos_device_id={till['id']}", token=m.token)[1]["events"]
    assert [e["type"] for e in events].count("pos_device.activated") == 1
    # Another installation still finds the slot taken.
    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"], "pos_device_id": till["id"],
                                                    "installation_id": "tablet-2"})
    assert (status, body["errors"][0]["code"]) == (409, "SLOT_TAKEN"), body
