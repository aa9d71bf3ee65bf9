"""Issue 23 (DESIGN.md 3.2): team access. Managers scoped to their stores, administrators, invitations instead of
typed passwords, revocation, and who did what in the activity log. Runs on moto and on SQLite (BOTH_ENGINES)."""
import csv
import io
import uuid

import pytest

from tests.conftest import receipt

PL = {"Accept-Language": "pl"}


def _sync(client, token, number, seqs, created_at="2026-11-24T10:00:00Z"):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": max(seqs), "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(number, seq, created_at=created_at) for seq in seqs], "shifts": []}, token=token)
    assert status == 200 and body["accepted"] == len(seqs), body


def _all(client, path, key, token, limit=1):
    """Every item of a listing, page by page (short pages allowed)."""
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, body = client.get(url, token=token)
        assert status == 200, (url, body)
        items += body[key]
        cursor, pages = body["cursor"], pages + 1
        if not cursor:
            return items
        assert pages < 100


@pytest.fixture
def shop(client):
    """Two stores with an activated POS each (receipts synced), a manager of store A, and the owner."""
    m = client.signup(name="Sieć")
    a, b = m.store("Store A"), m.store("Store B")
    till_a, till_b = m.device("Kasa A", store_id=a["id"]), m.device("Kasa B", store_id=b["id"])
    token_a = m.activate(till_a["id"])["device_token"]
    token_b = m.activate(till_b["id"])["device_token"]
    _sync(client, token_a, till_a["number"], [1, 2])
    _sync(client, token_b, till_b["number"], [1, 2, 3])
    manager = m.employee("Anna Nowak", "MANAGER", password="manager pass 1", store_ids=[a["id"]])
    return type("Shop", (), {"m": m, "a": a, "b": b, "till_a": till_a, "till_b": till_b, "token_a": token_a,
                             "token_b": token_b, "manager": manager, "mt": manager["token"]})


# ---------------------------------------------------------------- store scope


def test_a_manager_sees_only_their_stores_everywhere(client, shop):
    mt = shop.mt
    assert [s["id"] for s in _all(client, "/v1/stores", "stores", mt)] == [shop.a["id"]]
    assert [d["id"] for d in _all(client, "/v1/pos_devices", "pos_devices", mt)] == [shop.till_a["id"]]
    receipts = _all(client, "/v1/receipts", "receipts", mt)
    assert sorted(r["receipt_number"] for r in receipts) == [f"{shop.till_a['number']}-1", f"{shop.till_a['number']}-2"]
    # a filter on the other store answers as a store without records (no 403, no 404: nothing to learn)
    for path, key in (("/v1/pos_devices", "pos_devices"), ("/v1/receipts", "receipts"), ("/v1/shifts", "shifts")):
        status, body = client.get(f"{path}?store_id={shop.b['id']}", token=mt)
        assert status == 200 and body == {key: [], "cursor": None}, (path, body)
    status, body = client.get(f"/v1/receipts?pos_device_id={shop.till_b['id']}", token=mt)
    assert status == 200 and body["receipts"] == [], body
    status, body = client.get(f"/v1/events?pos_device_id={shop.till_b['id']}", token=mt)
    assert status == 200 and body["events"] == [], body
    status, body = client.get(f"/v1/audit/findings?pos_device_id={shop.till_b['id']}", token=mt)
    assert status == 200 and body["findings"] == [], body
    # the export holds store A's receipts only
    response = client.http.http.get("/v1/receipts/export", headers={"Authorization": f"Bearer {mt}"})
    assert response.status_code == 200
    text = response.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == 2 and all(row[0].startswith(f"{shop.till_a['number']}-") for row in rows), rows
    # events: store A's and its POS's only
    events = _all(client, "/v1/events", "events", mt, limit=5)
    assert events and all(e["pos_device_id"] in (None, shop.till_a["id"]) for e in events), events
    assert all(e["pos_device_id"] == shop.till_a["id"] or e["details"].get("store_id") == shop.a["id"] for e in events)


def test_another_stores_records_answer_404_exactly_as_missing_ones(client, shop):
    mt, b_id, missing = shop.mt, shop.till_b["id"], str(uuid.uuid4())
    receipt_b = f"{shop.till_b['number']}-1"
    for method, path, body in (
            ("GET", "/v1/pos_devices/{}", None), ("PATCH", "/v1/pos_devices/{}", {"name": "Mine now"}),
            ("POST", "/v1/pos_devices/{}/deactivate", {}), ("POST", "/v1/pos_devices/{}/end_final_sync", None),
            ("POST", "/v1/pos_devices/{}/pairing_code", {}), ("DELETE", "/v1/pos_devices/{}/pairing_code", None),
            ("DELETE", "/v1/pos_devices/{}", None), ("GET", "/v1/pos_devices/{}/deletion", None)):
        theirs = client.call(method, path.format(b_id), body=body, token=mt)
        nothing = client.call(method, path.format(missing), body=body, token=mt)
        assert theirs == nothing and theirs[0] == 404, (method, path, theirs, nothing)
    assert client.get(f"/v1/receipts/{receipt_b}", token=mt) == client.get("/v1/receipts/99-1", token=mt)
    assert client.get(f"/v1/receipts/{receipt_b}", token=mt)[0] == 404
    assert client.get(f"/v1/stores/{shop.b['id']}", token=mt) == client.get(f"/v1/stores/{missing}", token=mt)
    # nothing of store B changed
    status, device = client.get(f"/v1/pos_devices/{b_id}", token=shop.m.token)
    assert (device["name"], device["status"], device["deletion"]) == ("Kasa B", "ACTIVATED", None)
    # their own POS: allowed
    assert client.patch(f"/v1/pos_devices/{shop.till_a['id']}", {"name": "Kasa A1"}, token=mt)[0] == 200
    assert client.get(f"/v1/receipts/{shop.till_a['number']}-1", token=mt)[0] == 200


def test_a_manager_creates_and_moves_pos_devices_only_within_their_stores(client, shop):
    m, mt = shop.m, shop.mt
    status, body = client.post("/v1/pos_devices", {"name": "Obca", "store_id": shop.b["id"]}, token=mt)
    assert status == 400 and body["errors"][0]["code"] == "UNKNOWN_STORE", body
    status, new = client.post("/v1/pos_devices", {"name": "Kasa A2", "store_id": shop.a["id"]}, token=mt)
    assert status == 201, new
    status, body = client.patch(f"/v1/pos_devices/{new['id']}", {"store_id": shop.b["id"]}, token=mt)
    assert status == 400 and body["errors"][0]["code"] == "UNKNOWN_STORE", body
    # with a second store of their own, the move between the two is allowed
    a2 = m.store("Store A2")
    assert client.patch(f"/v1/employees/{shop.manager['id']}", {"store_ids": [shop.a["id"], a2["id"]]},
                        token=m.token)[0] == 200
    mt = client.post("/v1/auth/login", {"email": shop.manager["email"], "password": "manager pass 1"})[1]["token"]
    status, moved = client.patch(f"/v1/pos_devices/{new['id']}", {"store_id": a2["id"]}, token=mt)
    assert status == 200 and moved["store_id"] == a2["id"], moved
    # a manager of two stores lists both stores' POS devices, page by page, and nothing else
    listed = _all(client, "/v1/pos_devices", "pos_devices", mt)
    assert sorted(d["id"] for d in listed) == sorted([shop.till_a["id"], new["id"]])
    assert sorted(s["id"] for s in _all(client, "/v1/stores", "stores", mt)) == sorted([shop.a["id"], a2["id"]])


def test_an_owners_cursor_replayed_by_a_manager_shows_nothing_of_other_stores(client, shop):
    m, mt = shop.m, shop.mt
    b_numbers = {f"{shop.till_b['number']}-{seq}" for seq in (1, 2, 3)}
    cursor = client.get("/v1/receipts?limit=1", token=m.token)[1]["cursor"]
    seen = []
    while cursor:
        status, body = client.get(f"/v1/receipts?limit=1&cursor={cursor}", token=mt)
        if status != 200:  # a cursor of another listing may be refused; never answered with other stores' data
            assert status == 400, body
            break
        seen += [r["receipt_number"] for r in body["receipts"]]
        cursor = body["cursor"]
    assert not b_numbers & set(seen), seen
    for path, key in (("/v1/pos_devices", "pos_devices"), ("/v1/events", "events"), ("/v1/stores", "stores")):
        cursor = client.get(f"{path}?limit=1", token=m.token)[1]["cursor"]
        status, body = client.get(f"{path}?limit=250&cursor={cursor}", token=mt)
        assert status in (200, 400), body
        text = str(body)
        assert shop.till_b["id"] not in text and shop.b["id"] not in text, (path, body)


def test_a_manager_has_no_store_or_employee_management(client, shop):
    mt, m = shop.mt, shop.m
    for method, path, body in (("POST", "/v1/stores", {"name": "X"}), ("PATCH", f"/v1/stores/{shop.a['id']}",
                                                                       {"name": "X"}),
                               ("DELETE", f"/v1/stores/{shop.a['id']}", None),
                               ("POST", "/v1/employees", {"name": "X", "role": "CASHIER"}),
                               ("PATCH", f"/v1/employees/{shop.manager['id']}", {"role": "OWNER"}),
                               ("PATCH", f"/v1/employees/{shop.manager['id']}", {"store_ids": [shop.b["id"]]}),
                               ("POST", f"/v1/employees/{shop.manager['id']}/invitation", None),
                               ("DELETE", f"/v1/employees/{m.owner['id']}/access", None)):
        status, answer = client.call(method, path, body=body, token=mt)
        assert status == 403 and answer["errors"][0]["code"] == "FORBIDDEN", (method, path, answer)
    status, me = client.get(f"/v1/stores/{shop.a['id']}", token=mt)
    assert status == 200 and me["name"] == "Store A"
    # the people list: themselves, the owner (whose name receipts show), the staff of their stores; not store B's
    status, b_staff = client.post("/v1/employees", {"name": "Bea", "role": "CASHIER", "store_ids": [shop.b["id"]]},
                                  token=m.token)
    status, a_staff = client.post("/v1/employees", {"name": "Ala", "role": "CASHIER", "store_ids": [shop.a["id"]]},
                                  token=m.token)
    seen = {e["id"] for e in _all(client, "/v1/employees", "employees", mt)}
    assert seen == {shop.manager["id"], m.owner["id"], a_staff["id"]}, seen


# ---------------------------------------------------------------- administrators


def test_an_administrator_does_everything_but_change_the_owner_or_administrators(client, shop):
    m = shop.m
    admin = m.employee("Adam Admin", "ADMINISTRATOR", password="admin pass 1")
    other_admin = m.employee("Ola Admin", "ADMINISTRATOR", password="admin pass 2")
    at = admin["token"]
    # everything of every store
    assert len(_all(client, "/v1/pos_devices", "pos_devices", at)) == 2
    assert client.post("/v1/stores", {"name": "Nowy"}, token=at)[0] == 201
    status, cas = client.post("/v1/employees", {"name": "Kasia", "role": "CASHIER", "pin": "1357"}, token=at)
    assert status == 201, cas
    assert client.patch(f"/v1/employees/{shop.manager['id']}", {"store_ids": [shop.b["id"]]}, token=at)[0] == 200
    # not the owner, not another administrator, not making one
    for method, path, body in (("PATCH", f"/v1/employees/{m.owner['id']}", {"name": "X"}),
                               ("DELETE", f"/v1/employees/{m.owner['id']}", None),
                               ("DELETE", f"/v1/employees/{m.owner['id']}/access", None),
                               ("PATCH", f"/v1/employees/{other_admin['id']}", {"role": "MANAGER"}),
                               ("DELETE", f"/v1/employees/{other_admin['id']}", None),
                               ("DELETE", f"/v1/employees/{other_admin['id']}/access", None),
                               ("POST", f"/v1/employees/{other_admin['id']}/invitation", None),
                               ("PATCH", f"/v1/employees/{cas['id']}", {"role": "ADMINISTRATOR"}),
                               ("POST", "/v1/employees", {"name": "Y", "role": "ADMINISTRATOR"}),
                               ("PATCH", f"/v1/employees/{admin['id']}", {"role": "MANAGER"})):
        status, answer = client.call(method, path, body=body, token=at)
        assert status == 403, (method, path, answer)
    # their own name: allowed; the other administrator still has access
    assert client.patch(f"/v1/employees/{admin['id']}", {"name": "Adam A."}, token=at)[0] == 200
    assert client.get("/v1/stores", token=other_admin["token"])[0] == 200
    # the owner may demote an administrator
    assert client.patch(f"/v1/employees/{other_admin['id']}", {"role": "MANAGER"}, token=m.token)[0] == 200


# ---------------------------------------------------------------- invitations and access


def test_nobody_sets_another_persons_password(client, shop):
    m = shop.m
    status, body = client.post("/v1/employees", {"name": "P", "role": "MANAGER", "email": "p@example.com",
                                                 "password": "typed by the owner"}, token=m.token)
    assert status == 400 and body["errors"][0]["code"] == "UNKNOWN_FIELD" and body["errors"][0]["field"] == "password"
    status, body = client.patch(f"/v1/employees/{shop.manager['id']}", {"password": "typed by the owner"},
                                token=m.token, headers=PL)
    assert status == 400 and body["errors"][0]["code"] == "PASSWORD_NOT_YOURS", body
    assert body["errors"][0]["details"] == "Nikt nie ustawia hasła innej osobie: wyślij jej zaproszenie."
    # one's own password: still allowed
    assert client.patch(f"/v1/employees/{m.owner['id']}", {"password": "my own new one"}, token=m.token)[0] == 200
    assert client.post("/v1/auth/login", {"email": m.email, "password": "my own new one"})[0] == 200


def test_the_invitation_story(client, shop, at):
    m = shop.m
    at()
    status, ewa = client.post("/v1/employees", {"name": "Ewa", "role": "MANAGER", "email": "Ewa@Example.com",
                                                "store_ids": [shop.b["id"]]}, token=m.token)
    assert status == 201 and (ewa["access"], ewa["invitation_expires_at"]) == ("NONE", None), ewa
    first = m.invite(ewa["id"])
    assert (set(first), first["sent_to"]) == ({"invitation_url", "token", "sent_to", "expires_at", "employee"}, None)
    assert first["invitation_url"].endswith(f"/#/invitation?token={first['token']}")
    assert first["expires_at"] == "2026-11-27T12:00:00Z", first  # 72 h after the frozen now
    assert first["employee"]["access"] == "INVITED"
    listed = {e["id"]: e for e in client.get("/v1/employees", token=m.token)[1]["employees"]}
    assert (listed[ewa["id"]]["access"], listed[ewa["id"]]["invitation_expires_at"]) == ("INVITED", first["expires_at"])
    assert first["token"] not in str(listed)
    # a new invitation voids the previous one
    second = m.invite(ewa["id"])
    status, body = client.post("/v1/invitations/accept", {"token": first["token"], "password": "ewa's pass 1"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body
    status, accepted = client.post("/v1/invitations/accept", {"token": second["token"], "password": "ewa's pass 1"})
    assert status == 200 and accepted["employee"]["access"] == "ACTIVE", accepted
    assert [s["id"] for s in client.get("/v1/stores", token=accepted["token"])[1]["stores"]] == [shop.b["id"]]
    # single use
    status, body = client.post("/v1/invitations/accept", {"token": second["token"], "password": "another pass 2"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body
    assert client.post("/v1/auth/login", {"email": "ewa@example.com", "password": "ewa's pass 1"})[0] == 200
    # already has access: revoke first
    status, body = client.post(f"/v1/employees/{ewa['id']}/invitation", token=m.token)
    assert status == 409 and body["errors"][0]["code"] == "ALREADY_HAS_ACCESS", body
    # revoke: the session ends at once, the password is gone
    assert client.delete(f"/v1/employees/{ewa['id']}/access", token=m.token)[0] == 204
    status, body = client.get("/v1/stores", token=accepted["token"])
    assert status == 401, body
    assert client.post("/v1/auth/login", {"email": "ewa@example.com", "password": "ewa's pass 1"})[0] == 401
    listed = {e["id"]: e for e in client.get("/v1/employees", token=m.token)[1]["employees"]}
    assert listed[ewa["id"]]["access"] == "NONE"
    # 72 hours: an invitation accepted later is invalid
    third = m.invite(ewa["id"])
    at(hours=72, seconds=1)
    status, body = client.post("/v1/invitations/accept", {"token": third["token"], "password": "late pass 1"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body
    assert {e["id"]: e for e in client.get("/v1/employees", token=m.token)[1]["employees"]}[ewa["id"]]["access"] == "NONE"


def test_who_may_be_invited(client, shop):
    m = shop.m
    status, cas = client.post("/v1/employees", {"name": "Kas", "role": "CASHIER", "email": "kas@example.com"},
                              token=m.token)
    status, body = client.post(f"/v1/employees/{cas['id']}/invitation", token=m.token)
    assert status == 400 and body["errors"][0]["code"] == "INVITATION_NOT_FOR_CASHIER", body
    status, no_mail = client.post("/v1/employees", {"name": "Bez", "role": "MANAGER"}, token=m.token)
    status, body = client.post(f"/v1/employees/{no_mail['id']}/invitation", token=m.token)
    assert status == 400 and body["errors"][0]["code"] == "INVITATION_NEEDS_EMAIL", body
    status, body = client.post(f"/v1/employees/{uuid.uuid4()}/invitation", token=m.token)
    assert status == 404, body
    # an invitation made before the employee became a cashier no longer works
    status, mia = client.post("/v1/employees", {"name": "Mia", "role": "MANAGER", "email": "mia@example.com"},
                              token=m.token)
    invitation = m.invite(mia["id"])
    assert client.patch(f"/v1/employees/{mia['id']}", {"role": "CASHIER"}, token=m.token)[0] == 200
    status, body = client.post("/v1/invitations/accept", {"token": invitation["token"], "password": "mia pass 12"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body


# ---------------------------------------------------------------- who did what


def test_events_name_their_actor_and_filter_by_it(client, shop):
    m, mt = shop.m, shop.mt
    assert client.post(f"/v1/pos_devices/{shop.till_a['id']}/deactivate", {}, token=mt)[0] == 200
    status, body = client.get(f"/v1/events?actor_id={shop.manager['id']}", token=m.token, headers=PL)
    assert status == 200, body
    [deactivated] = [e for e in body["events"] if e["type"] == "pos_device.deactivated"]
    assert deactivated["actor"] == {"type": "EMPLOYEE", "id": shop.manager["id"], "name": "Anna Nowak",
                                    "role": "MANAGER"}
    assert deactivated["actor_name"] == "Anna Nowak (kierownik)"
    assert deactivated["summary"].startswith("Anna Nowak (kierownik): Dezaktywowano POS „Kasa A”"), deactivated
    assert all(e["actor"]["id"] == shop.manager["id"] for e in body["events"])
    # the POS app's events: a DEVICE actor with its name; the owner's: EMPLOYEE OWNER
    events = _all(client, "/v1/events", "events", m.token, limit=50)
    by_type = {e["type"]: e for e in events}
    assert by_type["merchant.created"]["actor"]["type"] == "EMPLOYEE"
    assert by_type["merchant.created"]["actor"]["role"] == "OWNER"
    synced = _all(client, f"/v1/events?actor_id={shop.till_b['id']}", "events", m.token, limit=50)
    assert all(e["actor"]["type"] == "DEVICE" and e["actor"]["id"] == shop.till_b["id"] for e in synced)
    # unknown actor: nothing
    assert client.get(f"/v1/events?actor_id={uuid.uuid4()}", token=m.token)[1]["events"] == []


def test_the_audit_and_the_deletion_workflow_are_actors_to_filter_by(client, at, shop):
    """DESIGN.md 3.2: the system's actor is {type: SYSTEM, name: AUDIT|WORKFLOW}; ?actor_id=AUDIT (or WORKFLOW)
    filters by it, every part of it included (the audit's findings and the final-sync windows it closes)."""
    m, mt = shop.m, shop.mt
    _sync(client, shop.token_b, shop.till_b["number"], [5])  # receipt 4 of Kasa B never comes: the audit finds it
    at(hours=2)
    status, run = client.post("/v1/audit/runs", token=m.token)
    assert (status, run["status"], run["raised"]) == (202, "SUCCEEDED", 1), run
    assert client.delete(f"/v1/pos_devices/{shop.till_a['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, shop.till_a["id"])["status"] == "SUCCEEDED"

    by_audit = _all(client, "/v1/events?actor_id=AUDIT", "events", m.token, limit=50)
    by_workflow = _all(client, "/v1/events?actor_id=WORKFLOW", "events", m.token, limit=50)
    assert [(e["type"], e["pos_device_id"], e["actor"]["type"], e["actor"]["name"]) for e in by_audit] == [
        ("audit.finding_raised", shop.till_b["id"], "SYSTEM", "AUDIT")]
    assert {(e["pos_device_id"], e["actor"]["type"], e["actor"]["name"]) for e in by_workflow} == {
        (shop.till_a["id"], "SYSTEM", "WORKFLOW")}
    assert "pos_device.deleted" in {e["type"] for e in by_workflow}
    everything = _all(client, "/v1/events", "events", m.token, limit=50)
    assert sorted(e["id"] for e in everything if e["actor"]["type"] == "SYSTEM") == sorted(
        e["id"] for e in by_audit + by_workflow)
    # a part of the system by its own id still works; a manager of store A sees no audit event of store B
    assert [e["id"] for e in _all(client, "/v1/events?actor_id=audit", "events", m.token, limit=50)] == [
        e["id"] for e in by_audit]
    assert _all(client, "/v1/events?actor_id=AUDIT", "events", mt, limit=50) == []
