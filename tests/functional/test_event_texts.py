"""The activity log reads as sentences with names, not ids (issue 17, item 2), in the caller's language."""
from tests.conftest import receipt

PL = {"Accept-Language": "pl"}


def texts(client, m, headers=None, **query):
    path = "/v1/events" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    status, body = client.get(path, token=m.token, headers=headers)
    assert status == 200, body
    return [(e["type"], e["text"], e["actor_name"]) for e in body["events"]]


def test_a_pos_story_in_polish_sentences(client, aws):
    m = client.signup(name="Kawiarnia")
    first, second = m.store("Stare Miasto"), m.store("Przystań")
    status, ala = client.post("/v1/employees", {"name": "Ala", "role": "CASHIER", "pin": "1234"}, token=m.token)
    device = m.device("Kasa 1", first["id"])
    client.patch(f"/v1/pos_devices/{device['id']}", {"name": "Kasa główna"}, token=m.token)
    client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": second["id"]}, token=m.token)
    activated = m.activate(device["id"])
    token = activated["device_token"]
    assert client.post("/v1/pos/switch_user", {"employee_id": ala["id"], "pin": "1234"}, token=token)[0] == 200
    client.post("/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": True},
                                 "receipts": [receipt(device["number"], 1)], "shifts": []}, token=token)
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "FAILED"
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200

    events = texts(client, m, PL, pos_device_id=device["id"])
    by_type = {t: (text, actor) for t, text, actor in events}
    n = device["number"]
    owner = m.owner["name"]
    # an employee acting in the back office is named with their role (issue 23)
    assert by_type["pos_device.created"] == ("Utworzono POS „Kasa 1” w sklepie „Stare Miasto”.", f"{owner} (właściciel)")
    assert by_type["pos_device.renamed"][0] == "Zmieniono nazwę POS z „Kasa 1” na „Kasa główna”."
    assert by_type["pos_device.moved"][0] == \
        "Przeniesiono POS „Kasa główna” ze sklepu „Stare Miasto” do sklepu „Przystań”."
    assert by_type["pos_device.activated"][0] == (
        f"Aktywowano POS „Kasa główna” na nowym urządzeniu (zalogowany: {owner}); paragony są dalej numerowane "
        f"od {n}-1.")
    assert by_type["pos_device.user_switched"] == (
        f"W POS „Kasa główna” przełączono użytkownika: {owner} → Ala.", f"Aplikacja POS „Kasa główna” ({owner})")
    assert by_type["pos_device.deletion_requested"][0].startswith("Zlecono usunięcie POS „Kasa główna”; najpierw")
    assert by_type["pos_device.deletion_failed"] == (
        "Nie usunięto POS „Kasa główna”: Zamknij Zmianę w POS „Kasa główna”, poczekaj na synchronizację i usuń "
        "POS ponownie.", "System (bezpieczne usuwanie)")
    assert by_type["pos_device.deactivated"][0] == \
        "Dezaktywowano POS „Kasa główna”; utracono 2 niezsynchronizowane paragony."
    # No ids and no raw JSON in any sentence.
    for _type, text, actor in events:
        assert text, text
        assert "{" not in text, text
        assert device["id"] not in text, text
        assert m.owner["id"] not in text, text
        assert actor
        assert m.owner["id"] not in actor


def test_english_sentences_and_a_removed_employee(client):
    m = client.signup(name="Cafe")
    status, bob = client.post("/v1/employees", {"name": "Bob", "role": "CASHIER"}, token=m.token)
    assert client.delete(f"/v1/employees/{bob['id']}", token=m.token)[0] == 204
    store = m.store("Main")
    assert client.delete(f"/v1/stores/{store['id']}", token=m.token)[0] == 204
    events = texts(client, m)
    assert ("employee.deleted", "Employee removed: Bob.", f"{m.owner['name']} (owner)") in events
    assert ("employee.created", "Employee added: Bob.", f"{m.owner['name']} (owner)") in events
    assert ("store.deleted", "Store “Main” deleted.", f"{m.owner['name']} (owner)") in events
    assert ("merchant.created", "Account created.", f"{m.owner['name']} (owner)") in events



def _final_sync_story(client, at):
    """Pairing code created, replaced, revoked, created again and used; 5 receipts reported, 3 synced; deactivated
    with a 72-hour final sync; the old device uploads one more; the owner ends the window (1 receipt lost). A second
    POS's window runs out (closed by the system)."""
    m = client.signup(name="Kawiarnia")
    device = m.device("Kasa 1")
    path = f"/v1/pos_devices/{device['id']}/pairing_code"
    for _ in range(2):
        assert client.post(path, {"expires_in_seconds": 3600}, token=m.token)[0] == 201
    assert client.delete(path, token=m.token)[0] == 204
    status, code = client.post(path, None, token=m.token)
    status, paired = client.post("/v1/pos/pair", {"code": code["code"], "installation_id": "tablet-1"})
    assert status == 200, paired
    token, n = paired["device_token"], device["number"]
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 5, "open_tickets": 0,
                                                          "shift_open": False},
                                                "receipts": [receipt(n, s) for s in (1, 2, 3)], "shifts": []},
                               token=token)
    assert (status, body["accepted"]) == (200, 3), body
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", {"final_sync_hours": 72}, token=m.token)[0] == 200
    at(hours=1)
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, 4)], "shifts": []}, token=token)
    assert (status, body["accepted"]) == (200, 1), body
    status, ended = client.post(f"/v1/pos_devices/{device['id']}/end_final_sync", token=m.token)
    assert (status, ended["lost_receipts"]) == (200, 1), ended

    other, other_token = m.active_device("Kasa 2")
    assert client.post(f"/v1/pos_devices/{other['id']}/deactivate", {"final_sync_hours": 1}, token=m.token)[0] == 200
    at(hours=3)
    assert client.get(f"/v1/pos_devices/{other['id']}", token=m.token)[1]["final_sync_until"] is None
    return m, device, other


def test_pairing_and_final_sync_read_as_sentences_in_polish_and_english(client, at):
    m, device, other = _final_sync_story(client, at)
    owner, n = m.owner["name"], device["number"]
    for headers, expected in ((PL, [
        ("pos_device.pairing_code_created", "Wygenerowano kod parowania dla POS „Kasa 1”, ważny do 2026-11-24 13:00 UTC."),
        ("pos_device.pairing_code_created", "Wygenerowano nowy kod parowania dla POS „Kasa 1”, ważny do "
                                            "2026-11-24 13:00 UTC; poprzedni kod już nie działa."),
        ("pos_device.pairing_code_revoked", "Unieważniono kod parowania dla POS „Kasa 1”; kod już nie działa."),
        ("pos_device.pairing_code_created", "Wygenerowano kod parowania dla POS „Kasa 1”, ważny do 2026-11-24 12:10 UTC."),
        ("pos_device.activated", f"Aktywowano POS „Kasa 1” na nowym urządzeniu kodem parowania (kod wygenerował: "
                                 f"{owner}); paragony są dalej numerowane od {n}-1."),
        ("pos_device.deactivated", "Dezaktywowano POS „Kasa 1” z synchronizacją końcową: stare urządzenie może "
                                   "przesłać swoje paragony do 2026-11-27 12:00 UTC; czekamy jeszcze na 2 "
                                   "niezsynchronizowane paragony."),
        ("pos_device.final_sync_closed", "Zakończono synchronizację końcową POS „Kasa 1” (na żądanie z Panelu "
                                         "Administracyjnego): odebrano 1 paragon, utracono 1."),
    ]), ({}, [
        ("pos_device.pairing_code_created", "Pairing code for POS “Kasa 1” generated; it works until 2026-11-24 13:00 UTC."),
        ("pos_device.pairing_code_created", "New pairing code for POS “Kasa 1” generated, valid until "
                                            "2026-11-24 13:00 UTC; the previous code no longer works."),
        ("pos_device.pairing_code_revoked", "Pairing code for POS “Kasa 1” revoked; it no longer works."),
        ("pos_device.pairing_code_created", "Pairing code for POS “Kasa 1” generated; it works until 2026-11-24 12:10 UTC."),
        ("pos_device.activated", f"POS “Kasa 1” activated on a new device with a pairing code generated by {owner}; "
                                 f"its receipts continue at number {n}-1."),
        ("pos_device.deactivated", "POS “Kasa 1” deactivated with a final sync: the old device may upload its receipts "
                                   "until 2026-11-27 12:00 UTC; 2 unsynced receipts are expected from it."),
        ("pos_device.final_sync_closed", "Final sync of POS “Kasa 1” closed (ended in the back office): 1 receipt "
                                         "received, 1 lost."),
    ])):
        events = texts(client, m, headers, pos_device_id=device["id"])
        shown = [(t, text) for t, text, _actor in events if t != "pos_device.created"]
        assert sorted(shown) == sorted(expected)  # (several events share one clock time: no fixed order)
    # The second POS: nothing owed, its window ran out and the system closed it.
    by_type = {t: (text, actor) for t, text, actor in texts(client, m, PL, pos_device_id=other["id"])}
    assert by_type["pos_device.deactivated"][0] == (
        "Dezaktywowano POS „Kasa 2” z synchronizacją końcową: stare urządzenie może przesłać swoje paragony do "
        "2026-11-24 14:00 UTC.")
    assert by_type["pos_device.final_sync_closed"] == (
        "Zakończono synchronizację końcową POS „Kasa 2” (minął czas): odebrano 0 paragonów, utracono 0.",
        "System (synchronizacja końcowa)")
    by_type = {t: (text, actor) for t, text, actor in texts(client, m, pos_device_id=other["id"])}
    assert by_type["pos_device.final_sync_closed"] == (
        "Final sync of POS “Kasa 2” closed (its time was up): 0 receipts received, 0 lost.", "System (final sync)")
