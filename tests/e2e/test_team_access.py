"""Issue 23 in the browser, in Polish: the owner invites a manager from the employees screen (the link is shown to
copy), the manager opens the link, sets their own password, and then sees only their store everywhere (POS list,
store filter, stores), without the employees screen in the navigation. An axe-core scan of the new screens."""
import time
import uuid

from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import PASSWORD, login_ui, receipt
from tests.e2e.test_issue25_spa import polish, signup_pl


def test_a_manager_invited_in_polish_sees_only_their_store(browser, server, api):
    owner = signup_pl(api, "Sieć Zosia")
    token = owner["token"]
    mine, theirs = api.create_store(token, "Stare Miasto"), api.create_store(token, "Przystań")
    api.create_device(token, "Kasa A", mine["id"])
    api.create_device(token, "Kasa B", theirs["id"])
    email = f"anna-{uuid.uuid4().hex[:8]}@example.com"
    anna = api.ok("POST", "/v1/employees", {"name": "Anna Nowak", "role": "MANAGER", "email": email,
                                            "store_ids": [mine["id"]]}, token=token, status=201)
    assert anna["access"] == "NONE"

    with polish(browser, server, name="team-owner") as page:
        login_ui(page, owner["email"])
        page.goto("#/employees")
        row = page.get_by_test_id("employee-row").filter(has_text="Anna Nowak")
        expect(row.get_by_test_id("employee-access")).to_have_text("Brak")
        row.get_by_test_id("invite-employee").click()
        dialog = page.get_by_test_id("invitation-dialog")
        expect(dialog).to_be_visible()
        link = dialog.get_by_test_id("invitation-link").input_value()
        assert "/#/invitation?token=" in link, link
        assert not axe_violations(page, "invitation dialog")
        dialog.get_by_test_id("cancel-dialog").click()
        expect(row.get_by_test_id("employee-access")).to_contain_text("Zaproszony")

    with polish(browser, server, name="team-manager") as page:
        page.goto(link)
        expect(page.get_by_test_id("invitation-form")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ustaw swoje hasło")
        assert not axe_violations(page, "invitation page")
        page.get_by_test_id("invitation-password").fill("hasło Anny 1")
        page.get_by_test_id("invitation-submit").click()
        expect(page.get_by_test_id("pos-list-page")).to_be_visible()
        expect(page.get_by_test_id("whoami")).to_contain_text("Anna Nowak")
        # only their store's POS, no employees screen
        expect(page.get_by_test_id("pos-row")).to_have_count(1)
        expect(page.get_by_test_id("pos-name")).to_have_text("Kasa A")
        expect(page.get_by_test_id("nav-employees")).to_have_count(0)
        page.goto("#/stores")
        expect(page.get_by_test_id("store-row")).to_have_count(1)
        expect(page.get_by_test_id("store-name")).to_have_text("Stare Miasto")
        expect(page.get_by_test_id("create-store-form")).to_have_count(0)
        expect(page.get_by_test_id("edit-store")).to_have_count(0)
        assert not axe_violations(page, "manager's stores")

    # the link worked once
    status, body = api.call("POST", "/v1/invitations/accept", {"token": link.split("token=")[1], "password": PASSWORD})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body


def test_the_activity_log_filters_by_the_audit_and_the_deletion_workflow(browser, server, api):
    """The system is an actor too (DESIGN.md 3.2): "Kto" offers the audit and the safe deletion."""
    owner = signup_pl(api, "Kawiarnia Systemowa")
    token = owner["token"]
    store = api.create_store(token, "Stare Miasto")
    api.create_device(token, "Kasa główna", store["id"])
    old = api.create_device(token, "Kasa stara", store["id"])
    till = api.activate(owner["email"], PASSWORD, "Kasa główna")
    api.sync(till["device_token"], {  # receipts 2 and 3 never come: the audit raises a finding
        "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False}, "shifts": [],
        "receipts": [receipt(till["device"]["number"], 1, 500, created_at="2026-11-20T09:00:00Z")]})
    assert api.run_audit(token)["raised"] == 1
    api.ok("DELETE", f"/v1/pos_devices/{old['id']}", token=token, status=202)
    deadline = time.monotonic() + 60
    while api.ok("GET", f"/v1/pos_devices/{old['id']}/deletion", token=token)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the deletion did not end"
        time.sleep(0.2)

    with polish(browser, server, name="system-actors") as page:
        login_ui(page, owner["email"])
        page.goto("#/events")
        page.get_by_label("Kto").select_option(label="Audyt")
        expect(page.get_by_test_id("event-row")).to_have_count(1)
        expect(page.get_by_test_id("event-row")).to_contain_text("System (audyt)")
        assert "actor_id=AUDIT" in page.url
        page.get_by_label("Kto").select_option(label="Bezpieczne usuwanie")
        expect(page.get_by_test_id("event-row").filter(has_text="Kasa stara").first).to_be_visible()
        for row in page.get_by_test_id("event-row").all():
            expect(row).to_contain_text("System (bezpieczne usuwanie)")
        assert "actor_id=WORKFLOW" in page.url
        assert not axe_violations(page, "activity log of the deletion workflow")
