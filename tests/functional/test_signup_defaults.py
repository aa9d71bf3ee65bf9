"""Sign-up (issue 25): the merchant's time zone, the owner's own name, and a first store so the back office's
first screen is not a dead end."""
import uuid

import pytest


def _signup(client, language=None, **extra):
    body = {"business_name": "Piekarnia Ola", "email": f"ola-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct horse 1"} | extra
    headers = {"Accept-Language": language} if language else None
    return client.post("/v1/signup", body, headers=headers)


def test_a_polish_signup_gets_warsaw_time_and_a_first_store_named_after_the_business(client):
    status, body = _signup(client, "pl-PL,pl;q=0.9", owner_name="Ola Nowak")
    assert status == 201, body
    assert body["merchant"]["time_zone"] == "Europe/Warsaw" and body["merchant"]["currency"] == "PLN"
    assert body["employee"]["name"] == "Ola Nowak"
    assert body["store"]["name"] == "Piekarnia Ola"
    token = body["token"]
    stores = client.get("/v1/stores", token=token)[1]["stores"]
    assert [(s["id"], s["name"]) for s in stores] == [(body["store"]["id"], "Piekarnia Ola")]
    # The first store is usable at once: a POS can be added to it.
    status, device = client.post("/v1/pos_devices", {"name": "Kasa 1", "store_id": body["store"]["id"]}, token=token)
    assert status == 201, device
    # Logging in later shows the same merchant (time zone included).
    status, me = client.post("/v1/auth/login", {"email": body["employee"]["email"], "password": "correct horse 1"})
    assert status == 200 and me["merchant"]["time_zone"] == "Europe/Warsaw"


def test_an_english_signup_defaults_to_utc_and_the_owner_is_named_after_the_business(client):
    status, body = _signup(client)
    assert status == 201, body
    assert body["merchant"]["time_zone"] == "UTC"
    assert body["employee"]["name"] == "Piekarnia Ola"


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC", "Europe/Warsaw"])
def test_a_chosen_time_zone_is_kept(client, zone):
    status, body = _signup(client, "pl", time_zone=zone)
    assert status == 201, body
    assert body["merchant"]["time_zone"] == zone


@pytest.mark.parametrize(("zone", "code"), [
    # well-formed names the zone database does not know: their own code (a rule the schema cannot say)
    ("Mars/Olympus", "UNKNOWN_TIME_ZONE"), ("localtime", "UNKNOWN_TIME_ZONE"),
    # not even the shape of a zone name
    ("Europe/../../etc/passwd", "VALIDATION_ERROR"), ("", "VALIDATION_ERROR"), ("x" * 65, "VALIDATION_ERROR"),
    (5, "VALIDATION_ERROR"), ("Europe/Warsaw\n", "VALIDATION_ERROR")])
def test_an_unknown_time_zone_is_refused_and_nothing_is_made(client, zone, code):
    email = f"tz-{uuid.uuid4().hex[:8]}@example.com"
    status, body = client.post("/v1/signup", {"business_name": "Cafe", "email": email, "password": "correct horse 1",
                                              "time_zone": zone}, headers={"Accept-Language": "pl"})
    assert status == 400, body
    (error,) = body["errors"]
    assert (error["field"], error["code"]) == ("time_zone", code), error
    assert error["details"]
    # Nothing was written: the e-mail is still free.
    status, body = client.post("/v1/signup", {"business_name": "Cafe", "email": email, "password": "correct horse 1"})
    assert status == 201, body


def test_owner_name_is_validated_like_any_name(client):
    status, body = _signup(client, owner_name="   ")
    assert status == 400 and body["errors"][0]["field"] == "owner_name"


def test_store_names_are_unique_per_merchant(client):
    m = client.signup(name="Cafe")
    status, body = client.post("/v1/stores", {"name": "cafe "}, token=m.token, headers={"Accept-Language": "pl"})
    assert status == 409 and body["errors"][0]["code"] == "NAME_TAKEN" and body["errors"][0]["field"] == "name"
    assert "sklep" in body["errors"][0]["details"].lower()
    north = m.store("North")
    south = m.store("South")
    status, body = client.patch(f"/v1/stores/{south['id']}", {"name": "NORTH"}, token=m.token)
    assert status == 409 and body["errors"][0]["code"] == "NAME_TAKEN"
    # A rename frees the old name; a deleted store frees its name; other merchants are not affected.
    assert client.patch(f"/v1/stores/{north['id']}", {"name": "North 2"}, token=m.token)[0] == 200
    assert client.patch(f"/v1/stores/{south['id']}", {"name": "North"}, token=m.token)[0] == 200
    assert client.patch(f"/v1/stores/{south['id']}", {"address": "1 Main St"}, token=m.token)[0] == 200
    assert client.delete(f"/v1/stores/{south['id']}", token=m.token)[0] == 204
    assert client.post("/v1/stores", {"name": "North"}, token=m.token)[0] == 201
    other = client.signup(name="Cafe")
    assert client.post("/v1/stores", {"name": "North"}, token=other.token)[0] == 201
    names = sorted(s["name"] for s in client.get("/v1/stores", token=m.token)[1]["stores"])
    assert names == ["Cafe", "North", "North 2"]
