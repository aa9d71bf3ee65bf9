"""The webhook sender's SSRF guard and HTTP behaviour, and the stream records' reading (issue 24)."""
import json

import pytest

from chalicelib.adapters import stream, webhook_sender
from chalicelib.adapters.models import EventModel
from chalicelib.services import webhooks
from tests.helpers import serve_posts


@pytest.mark.parametrize("url,reason", [
    ("ftp://example.com/x", "scheme"), ("https://user:pw@example.com/x", "credentials"),
    ("http://example.com/x", "https_required"), ("https://127.0.0.1/x", "private_address"),
    ("https://10.0.0.8/x", "private_address"), ("https://172.16.3.4/x", "private_address"),
    ("https://169.254.169.254/", "private_address"), ("https://[fe80::1]/x", "private_address"),
    ("https://[::ffff:127.0.0.1]/x", "private_address"), ("https://100.64.0.1/x", "private_address"),
    ("https://240.0.0.1/x", "private_address"), ("https://localhost/x", "private_address"),
    ("https://no-such-host.invalid/x", "unresolvable"), ("https://example.com:99999/x", "port"),
])
def test_strict_mode_refuses_what_is_not_a_public_https_address(url, reason):
    with pytest.raises(webhook_sender.UrlRefused) as refused:
        webhook_sender.check_url(url, strict=True)
    assert refused.value.reason == reason


def test_a_host_resolving_to_a_private_address_among_public_ones_is_refused(monkeypatch):
    monkeypatch.setattr(webhook_sender.socket, "getaddrinfo", lambda host, port, **kw: [
        (2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.0.0.5", port))])
    with pytest.raises(webhook_sender.UrlRefused):
        webhook_sender.check_url("https://rebinding.example/x", strict=True)
    monkeypatch.setattr(webhook_sender.socket, "getaddrinfo", lambda host, port, **kw: [
        (2, 1, 6, "", ("93.184.216.34", port))])
    assert webhook_sender.check_url("https://public.example/x", strict=True) == (
        "https", "public.example", 443, "93.184.216.34")  # the checked address is the one connected to


def test_locally_loopback_http_is_allowed():
    assert webhook_sender.check_url("http://127.0.0.1:8080/h", strict=False)[3] == "127.0.0.1"


def test_redirects_are_not_followed_and_only_2xx_delivers():
    hits = []

    def answer(path, _headers, _body):
        hits.append(path)
        return (302 if path == "/moved" else 204), {"Location": "http://127.0.0.1:1/elsewhere"}

    server = serve_posts(answer)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        answer = webhook_sender.send(base + "/moved", b"{}", {}, timeout=2, strict=False)
        assert (answer.status, answer.error) == (302, "HTTP 302") and hits == ["/moved"]
        assert webhook_sender.send(base + "/ok?x=1", b"{}", {}, timeout=2, strict=False).status == 204
        assert hits == ["/moved", "/ok?x=1"]
        refused = webhook_sender.send(base + "/ok", b"{}", {}, timeout=2, strict=True)
        assert refused.status is None and "refused" in refused.error and len(hits) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac
    expected = hmac.new(b"whsec_k", b"1764000000.{\"a\":1}", hashlib.sha256).hexdigest()
    assert webhooks.signature("whsec_k", 1764000000, '{"a":1}') == f"t=1764000000,v1={expected}"


def test_stream_records_read_as_the_events_the_adapters_wrote():
    item = EventModel(merchant_id="m", sk="2026-11-24T10:00:00.000001Z#e1", id="e1", pos_device_id="d",
                      type="pos_device.created", actor={"type": "employee", "id": "x"}, at="2026-11-24T10:00:00Z",
                      details={"name": "Till", "n": 2})
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": item.serialize()}}
    event = stream.event_of_record(record)
    assert event == {"merchant_id": "m", "sk": "2026-11-24T10:00:00.000001Z#e1", "id": "e1", "pos_device_id": "d",
                     "type": "pos_device.created", "actor": {"type": "employee", "id": "x"},
                     "at": "2026-11-24T10:00:00Z", "details": {"name": "Till", "n": 2}}
    assert stream.event_of_record({"eventName": "MODIFY", "dynamodb": {"NewImage": item.serialize()}}) is None
    assert stream.event_of_record({"eventName": "REMOVE", "dynamodb": {}}) is None
    assert json.dumps(event)  # plain JSON types only
