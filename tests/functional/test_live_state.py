"""Issue 25.4: the POS list, a POS card and a deletion's progress answer conditional requests (ETag / 304), so the
back office can poll them every few seconds cheaply and still see a sync, a rename or a deletion's step at once."""
from tests.conftest import receipt


def get(client, path, token, etag=None, language=None):
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    if language:
        headers["Accept-Language"] = language
    return client.http.http.get(path, headers=headers)


def test_the_pos_list_and_card_answer_304_until_something_changes(client):
    m = client.signup()
    device, token = m.active_device()
    for path in ("/v1/pos_devices", f"/v1/pos_devices/{device['id']}"):
        first = get(client, path, m.token)
        assert first.status_code == 200
        tag = first.headers["ETag"]
        assert tag.startswith('W/"') and tag.endswith('"')
        again = get(client, path, m.token, etag=tag)
        assert again.status_code == 304 and again.body in (b"", "") and again.headers["ETag"] == tag
        # Another tag, or a list of tags holding this one.
        assert get(client, path, m.token, etag='W/"other"').status_code == 200
        assert get(client, path, m.token, etag=f'W/"x", {tag}').status_code == 304
        # Another language is another body (its sentences): not the same tag.
        assert get(client, path, m.token, etag=tag, language="pl").status_code == 200
    card = f"/v1/pos_devices/{device['id']}"
    tag = get(client, card, m.token).headers["ETag"]
    list_tag = get(client, "/v1/pos_devices", m.token).headers["ETag"]
    # A sync changes the counts: the next poll gets the new state at once.
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(device["number"], 1)], "state": {
        "last_receipt_number": 2, "open_tickets": 0, "shift_open": False}}, token=token)
    assert status == 200 and body["accepted"] == 1, body
    changed = get(client, card, m.token, etag=tag)
    assert changed.status_code == 200 and changed.json_body["unsynced_receipts"] == 1
    assert changed.headers["ETag"] != tag
    assert get(client, "/v1/pos_devices", m.token, etag=list_tag).status_code == 200
    # Without the right to see it, the tag is no key: 401 / 404 as always.
    assert get(client, card, "nope", etag=tag).status_code == 401
    other = client.signup()
    assert get(client, card, other.token, etag=changed.headers["ETag"]).status_code == 404


def test_a_deletions_progress_answers_304_while_nothing_moves(client):
    m = client.signup()
    device = m.device()
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    finished = client.wait_for_deletion(m.token, device["id"])
    path = f"/v1/pos_devices/{device['id']}/deletion"
    first = get(client, path, m.token)
    assert first.status_code == 200 and first.json_body == finished
    assert get(client, path, m.token, etag=first.headers["ETag"]).status_code == 304


def test_cors_lets_the_back_office_send_if_none_match_and_read_the_etag():
    from chalicelib.api.http import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS

    assert "If-None-Match" in CORS_ALLOW_HEADERS and "ETag" in CORS_EXPOSE_HEADERS
