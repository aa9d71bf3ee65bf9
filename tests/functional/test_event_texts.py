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
    assert by_type["pos_device.created"] == ("Utworzono POS „Kasa 1” w sklepie „Stare Miasto”.", owner)
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
        assert text and "{" not in text and device["id"] not in text and m.owner["id"] not in text, text
        assert actor and m.owner["id"] not in actor


def test_english_sentences_and_a_removed_employee(client):
    m = client.signup(name="Cafe")
    status, bob = client.post("/v1/employees", {"name": "Bob", "role": "CASHIER"}, token=m.token)
    assert client.delete(f"/v1/employees/{bob['id']}", token=m.token)[0] == 204
    store = m.store("Main")
    assert client.delete(f"/v1/stores/{store['id']}", token=m.token)[0] == 204
    events = texts(client, m)
    assert ("employee.deleted", "Employee removed: Bob.", m.owner["name"]) in events
    assert ("employee.created", "Employee added: Bob.", m.owner["name"]) in events
    assert ("store.deleted", "Store “Main” deleted.", m.owner["name"]) in events
    assert ("merchant.created", "Account created.", m.owner["name"]) in events
