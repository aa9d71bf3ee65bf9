"""Issue 23 in the browser, with a mail sender configured: the owner's invitation goes out by e-mail, the SPA says
to whom and never shows the link, and the employee gets in with the link from the e-mail.

`make run` has no mail server; with INVITATION_SENDER set it saves each e-mail as an .eml file in its state directory
(chalicelib/adapters/mail_folder.py), which is where this test reads the message the employee would receive."""
import email
import re
import uuid
from email import policy

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import Api, local_server, login_ui
from tests.e2e.test_issue25_spa import polish, signup_pl

SENDER = "Sieć Zosia <no-reply@zosia.example>"


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory):
    """A second local server, this one with a mail sender; yields its URL and its mail folder."""
    state_dir = tmp_path_factory.mktemp("pos-mail-state")
    with local_server(state_dir, log_name="server-mail.log", INVITATION_SENDER=SENDER) as base_url:
        yield base_url, state_dir / "mail"


def _received(mail_folder, to: str):
    messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(mail_folder.glob("*.eml"))]
    return [message for message in messages if message["To"] == to]


def test_the_invitation_is_emailed_and_its_link_lets_the_manager_in(browser, mail_server):
    base_url, mail_folder = mail_server
    api = Api(base_url)
    owner = signup_pl(api, "Sieć Zosia")
    store = api.create_store(owner["token"], "Stare Miasto")
    api.create_device(owner["token"], "Kasa A", store["id"])
    address = f"anna-{uuid.uuid4().hex[:8]}@example.com"
    api.ok("POST", "/v1/employees", {"name": "Anna Nowak", "role": "MANAGER", "email": address,
                                     "store_ids": [store["id"]]}, token=owner["token"], status=201)

    with polish(browser, base_url, name="mail-owner") as page:
        login_ui(page, owner["email"])
        page.goto("#/employees")
        row = page.get_by_test_id("employee-row").filter(has_text="Anna Nowak")
        row.get_by_test_id("invite-employee").click()
        expect(page.get_by_test_id("toast").filter(has_text="Wysłano zaproszenie")).to_contain_text(address)
        expect(row.get_by_test_id("employee-access")).to_contain_text("Zaproszony")
        # the inviter never holds the link: no dialog with it, nothing on the page
        expect(page.get_by_test_id("invitation-dialog")).to_have_count(0)
        assert "#/invitation?token=" not in page.content()
        assert not axe_violations(page, "invitation e-mailed")

    [message] = _received(mail_folder, address)
    assert (message["From"], message["Subject"]) == (SENDER, "Sieć Zosia: zaproszenie do panelu administracyjnego")
    text = message.get_content()
    assert "Dzień dobry, Anna Nowak" in text, text
    link = re.search(r"https?://\S+/#/invitation\?token=\S+", text)
    assert link and link.group(0).startswith(base_url), text

    with polish(browser, base_url, name="mail-manager") as page:
        page.goto(link.group(0))
        expect(page.get_by_test_id("invitation-form")).to_be_visible()
        page.get_by_test_id("invitation-password").fill("hasło Anny 1")
        page.get_by_test_id("invitation-submit").click()
        expect(page.get_by_test_id("pos-list-page")).to_be_visible()
        expect(page.get_by_test_id("whoami")).to_contain_text("Anna Nowak")
        expect(page.get_by_test_id("pos-name")).to_have_text("Kasa A")
