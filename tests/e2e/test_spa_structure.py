"""Issue 26 item 6 and issue 25's leftovers in the browser: the SPA reads its limits and the deletion's wait from the
served OpenAPI document (once per page load), the deletion question says the server's own wait, and the deletion's
progress is polled with If-None-Match (304 while nothing moves).

The wait needs a server that waits: a second local server (POS_SYNC_WAIT_SECONDS=45 x POS_SYNC_WAIT_ATTEMPTS=4, i.e.
3 minutes) for this module; the session's server does not wait (tests/e2e/test_issue25_spa.py: no wait promised)."""
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    PASSWORD,
    Api,
    _open_page,
    local_server,
    login_ui,
    receipt,
)


@pytest.fixture(scope="module")
def waiting_server(tmp_path_factory):
    with local_server(tmp_path_factory.mktemp("pos-waiting-state"), log_name="waiting-server.log",
                      POS_SYNC_WAIT_SECONDS="45", POS_SYNC_WAIT_ATTEMPTS="4") as base_url:
        yield base_url


@pytest.fixture
def waiting_page(browser, request, waiting_server):
    yield from _open_page(browser, request, waiting_server, {"width": 1280, "height": 860})


def _till_with_an_unsynced_receipt(api: Api) -> tuple[dict, dict]:
    """An owner and an ACTIVATED POS that numbered 2 receipts and synced 1 (no open shift, no open tickets)."""
    owner = api.signup(f"Waiting shop {uuid.uuid4().hex[:6]}")
    store = api.create_store(owner["token"], "High Street")
    api.create_device(owner["token"], "Till 1", store["id"])
    till = api.activate(owner["email"], PASSWORD, "Till 1")
    api.sync(till["device_token"], {"state": {"last_receipt_number": 2, "open_tickets": 0, "shift_open": False},
                                    "receipts": [receipt(till["device"]["number"], 1, 450)]})
    return owner, till["device"]


def test_the_question_says_the_servers_wait_and_the_poll_is_conditional(waiting_page, waiting_server):
    api = Api(waiting_server)
    status, document = api.call("GET", "/v1/openapi.json")
    assert status == 200
    assert document["paths"]["/v1/pos_devices/{device_id}"]["delete"]["x-sync-wait-seconds"] == 180
    owner, device = _till_with_an_unsynced_receipt(api)
    page = waiting_page

    polls = []  # (If-None-Match sent, status answered, ETag answered) of each GET .../deletion
    page.on("response", lambda response: polls.append(
        (response.request.headers.get("if-none-match"), response.status, response.headers.get("etag")))
        if response.url.endswith(f"/v1/pos_devices/{device['id']}/deletion") else None)

    login_ui(page, owner["email"])
    page.goto(f"/#/pos/{device['id']}")
    page.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("delete-blocker-unsynced")).to_have_text(
        "1 receipt is not synced: connect the device to the Internet so that it uploads it. "
        "The deletion waits for the sync, up to 3 min.")
    dialog.get_by_test_id("confirm-delete").click()

    # The deletion waits (45 s) for the missing receipt: its record does not change, so after the first answer
    # every poll names that answer's ETag and gets 304 with no body.
    progress = page.get_by_test_id("deletion-progress")
    expect(progress).to_have_attribute("data-status", "RUNNING")
    deadline = time.monotonic() + 30
    while sum(1 for _, status, _ in polls if status == 304) < 3:
        assert time.monotonic() < deadline, polls
        page.wait_for_timeout(250)
    first_sent, first_status, first_etag = polls[0]
    assert (first_sent, first_status) == (None, 200) and first_etag, polls
    for index, (sent, status, _) in enumerate(polls[1:], start=1):
        # Each poll names the ETag of the last full answer before it (a step's new words give a new one).
        latest = [etag for _, answered, etag in polls[:index] if answered == 200][-1]
        assert (sent, status in (200, 304)) == (latest, True), (index, polls)
    expect(progress).to_have_attribute("data-status", "RUNNING")  # the 304s kept the panel as it was


def test_the_document_is_read_once_per_page_load_and_feeds_the_forms(page, api: Api):
    owner = api.signup("Limits shop")
    api.create_store(owner["token"], "Old Town")
    reads = []
    page.on("request", lambda request: reads.append(request.url) if request.url.endswith("/v1/openapi.json") else None)
    login_ui(page, owner["email"])
    for path, screen in [("/stores", "stores-page"), ("/pos/new", "pos-create-page"), ("/employees", "employees-page"),
                         ("/pos", "pos-list-page")]:
        page.goto(f"/#{path}")
        expect(page.get_by_test_id(screen)).to_be_visible()
    assert len(reads) == 1, reads

    # The document's numbers on the forms: the store name's maxLength, the POS name's counter and check.
    page.goto("/#/stores")
    expect(page.get_by_test_id("store-name-input")).to_have_attribute("maxlength", "100")
    expect(page.get_by_test_id("store-address-input")).to_have_attribute("maxlength", "500")
    page.goto("/#/pos/new")
    page.get_by_test_id("pos-name-input").fill("P" * 101)
    expect(page.get_by_test_id("counter-name")).to_have_text("101 / 100 characters: 1 too many")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("error-name")).to_have_text("Use at most 100 characters.")
    assert len(reads) == 1, reads
