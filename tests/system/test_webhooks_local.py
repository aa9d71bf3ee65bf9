"""Issue 24 on `make run`: the local dispatcher thread delivers from the outbox, and a crash (kill -9) between the
change and its delivery loses nothing: the next start delivers what was written before the crash."""
import json
import time

from tests.helpers import serve_posts
from tests.system.test_local_server import _start, merchant_with_pos, ok, servers  # noqa: F401
from tests.system.test_local_server import http as call


def _receiver():
    received = []

    def answer(_path, _headers, body):
        received.append(json.loads(body))
        return 204

    return serve_posts(answer), received


def test_a_change_made_just_before_a_crash_is_delivered_after_the_restart(tmp_path, servers):  # noqa: F811
    receiver, received = _receiver()
    try:
        state_dir = tmp_path / "state"
        # A dispatcher that would not run before the crash: the change is only in the outbox.
        server = _start(servers, state_dir, POS_WEBHOOK_POLL_SECONDS="3600")
        owner = merchant_with_pos(server.base_url, "Till 1")
        ok(call(server.base_url, "POST", "/v1/webhooks", {
            "url": f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "event_types": ["pos_device.created"]},
            owner["token"]), 201)
        device = ok(call(server.base_url, "POST", "/v1/pos_devices", {"name": "Till 2",
                                                                      "store_id": owner["device"]["store_id"]},
                         owner["token"]), 201)
        server.kill()  # kill -9 of make run: the event was written, never delivered
        assert received == []
        restarted = _start(servers, state_dir, POS_WEBHOOK_POLL_SECONDS="0.2")
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [(b["type"], b["data"]["pos_device_id"]) for b in received] == [("pos_device.created", device["id"])]
        assert "webhooks:" in restarted.output
    finally:
        receiver.shutdown()
        receiver.server_close()
