"""POS names: unique within a store (409 NAME_TAKEN, a guard item in the device's transaction), at most 100
characters (400, never cut); moving a POS to another store (PATCH store_id) while no app is bound to it."""
import pytest

from tests.conftest import at_once


def test_two_pos_in_one_store_cannot_share_a_name(client):
    m = client.signup()
    store = m.store()
    m.device("Till 1", store["id"])
    for name in ("Till 1", "till 1", "  TILL   1 "):
        status, body = client.post("/v1/pos_devices", {"name": name, "store_id": store["id"]}, token=m.token)
        assert status == 409, body
        assert body["errors"] == [{"code": "NAME_TAKEN", "field": "name",
                                   "details": f"Another POS in this store is already called '{name.strip()}'; "
                                              "choose another name."}]
    status, body = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token,
                               headers={"Accept-Language": "pl"})
    assert body["errors"][0]["details"] == "Inny POS w tym sklepie nazywa się już „Till 1”; wybierz inną nazwę."
    # Another store may have its own "Till 1".
    assert client.post("/v1/pos_devices", {"name": "Till 1", "store_id": m.store("Second")["id"]},
                       token=m.token)[0] == 201


def test_rename_onto_a_taken_name_is_refused_and_frees_the_old_name(client):
    m = client.signup()
    store = m.store()
    first, second = m.device("Till 1", store["id"]), m.device("Till 2", store["id"])
    status, body = client.patch(f"/v1/pos_devices/{second['id']}", {"name": "TILL 1"}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (409, "NAME_TAKEN")
    assert client.get(f"/v1/pos_devices/{second['id']}", token=m.token)[1]["name"] == "Till 2"
    assert client.patch(f"/v1/pos_devices/{first['id']}", {"name": "Front till"}, token=m.token)[0] == 200
    assert client.patch(f"/v1/pos_devices/{second['id']}", {"name": "Till 1"}, token=m.token)[0] == 200
    # Changing only the case of one's own name is fine.
    assert client.patch(f"/v1/pos_devices/{second['id']}", {"name": "TILL 1"}, token=m.token)[0] == 200


def test_a_deleted_pos_frees_its_name(client, aws):
    m = client.signup()
    store = m.store()
    device = m.device("Till 1", store["id"])
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    assert client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)[0] == 201


def test_racing_creates_with_one_name_give_one_pos(client, threaded_app):
    m = client.signup()
    store = m.store()
    results = at_once(threaded_app, [lambda a: a.post("/v1/pos_devices", {"name": "Till", "store_id": store["id"]},
                                             token=m.token) for _ in range(4)])
    assert sorted(status for status, _ in results) == [201, 409, 409, 409], results


@pytest.mark.parametrize("length, status", [(100, 201), (101, 400), (250, 400)])
def test_names_over_100_characters_are_refused_not_cut(client, length, status):
    m = client.signup()
    name = ("Kasa przy wejściu " * 20)[:length - 1] + "X"
    got, body = client.post("/v1/pos_devices", {"name": name, "store_id": m.store()["id"]}, token=m.token)
    assert got == status, body
    if status == 201:
        assert body["name"] == name
    else:
        assert body["errors"][0]["field"] == "name"
        assert body["errors"][0]["details"] == "Must have at most 100 characters."


def test_move_a_pos_to_another_store(client):
    m = client.signup()
    first, second = m.store("First"), m.store("Second")
    device = m.device("Till 1", first["id"])
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": second["id"]}, token=m.token)
    assert (status, body["store_id"]) == (200, second["id"]), body
    # The first store has no POS left, so it can be deleted; the second cannot.
    assert client.delete(f"/v1/stores/{first['id']}", token=m.token)[0] == 204
    assert client.delete(f"/v1/stores/{second['id']}", token=m.token)[0] == 409
    status, events = client.get(f"/v1/events?pos_device_id={device['id']}", token=m.token)
    assert events["events"][0]["type"] == "pos_device.moved"
    assert events["events"][0]["details"] == {"from_store_id": first["id"], "to_store_id": second["id"]}


def test_moving_onto_a_taken_name_or_an_unknown_store_is_refused(client):
    m = client.signup()
    first, second = m.store("First"), m.store("Second")
    device = m.device("Till 1", first["id"])
    m.device("Till 1", second["id"])
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": second["id"]}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (409, "NAME_TAKEN")
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": "nope"}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (400, "UNKNOWN_STORE")
    # Moving with a new name at once works.
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": second["id"], "name": "Till 2"},
                                token=m.token)
    assert (status, (body["name"], body["store_id"])) == (200, ("Till 2", second["id"]))


def test_an_activated_pos_cannot_move(client):
    m = client.signup()
    device, _token = m.active_device()
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": m.store("Other")["id"]},
                                token=m.token, headers={"Accept-Language": "pl"})
    assert (status, body["errors"][0]) == (409, {
        "code": "STILL_ACTIVATED", "field": None, "details": "Przed przeniesieniem do innego sklepu dezaktywuj POS."})
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200
    assert client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": m.store("Third")["id"]},
                        token=m.token)[0] == 200


@pytest.mark.parametrize("body", [{}, {"name": None}, {"store_id": None}])
def test_patch_needs_a_field_and_refuses_null(client, body):
    m = client.signup()
    device = m.device()
    status, answer = client.patch(f"/v1/pos_devices/{device['id']}", body, token=m.token)
    assert status == 400, answer


def test_a_failed_deletion_shows_until_the_next_action(client, aws):
    m = client.signup()
    device, token = m.active_device("Till 1")
    status, _ = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 0, "open_tickets": 0,
                                                       "shift_open": True}, "receipts": [], "shifts": []}, token=token)
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, device["id"])["error"]["code"] == "SHIFT_OPEN"
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["deletion"]["status"] == "FAILED"
    assert client.patch(f"/v1/pos_devices/{device['id']}", {"name": "Till 9"}, token=m.token)[0] == 200
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["deletion"] is None


def test_a_shift_open_at_deactivation_is_flagged_and_reported(client):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    shift = {"id": "8c7f9a8e-0000-4000-8000-000000000001", "opened_at": "2026-11-24T08:00:00Z", "closed_at": None,
             "opened_by_employee": m.owner["id"], "starting_cash": 10000}
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 0, "open_tickets": 0,
                                                          "shift_open": True}, "receipts": [], "shifts": [shift]},
                               token=token)
    assert status == 200, body
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200
    [stored] = client.get("/v1/shifts", token=m.token)[1]["shifts"]
    assert stored["closed_at"] is None, stored
    assert stored["orphaned_at"], stored
    status, findings = client.get("/v1/audit/findings?status=open", token=m.token,
                                  headers={"Accept-Language": "pl"})
    [finding] = findings["findings"]
    assert finding["type"] == "SHIFT_LEFT_OPEN"
    assert finding["details"] == ("Zmiana otwarta 2026-11-24 08:00 UTC w POS „Kasa 1” była nadal otwarta, gdy POS "
                                  "został dezaktywowany; nie zostanie już zamknięta, a gotówka nie została przeliczona.")
    # The audit does not resolve it (the shift stays open), nor does deleting the POS.
    assert client.post("/v1/audit/runs", token=m.token)[0] == 202
    assert len(client.get("/v1/audit/findings?status=open", token=m.token)[1]["findings"]) == 1
