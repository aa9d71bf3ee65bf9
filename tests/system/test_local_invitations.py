"""`make run` has no mail server (issue 23, DESIGN.md 3.2): without INVITATION_SENDER the back office shows the
invitation link and the server prints it; nothing is e-mailed. (With a sender the e-mail is saved as an .eml file:
tests/e2e/test_invitation_mail_spa.py follows that in the browser.)"""
import re

from tests.system.test_local_server import _start, http, merchant_with_pos, ok, servers  # noqa: F401 - fixture


def test_the_invitation_link_is_shown_and_printed(tmp_path, servers):  # noqa: F811 - the fixture
    server = _start(servers, tmp_path / "state")
    assert "invitations:       the link is shown in the back office and printed here" in server.output, server.output
    owner = merchant_with_pos(server.base_url)
    employee = ok(http(server.base_url, "POST", "/v1/employees",
                       {"name": "Ewa Kowalska", "role": "MANAGER", "email": "ewa@example.com",
                        "store_ids": [owner["store"]["id"]]}, owner["token"]), 201)
    invitation = ok(http(server.base_url, "POST", f"/v1/employees/{employee['id']}/invitation",
                         token=owner["token"]), 201)
    assert (invitation["sent_to"], invitation["invitation_url"].startswith(server.base_url)) == (None, True)
    printed = re.findall(r"\[invitation\] for (\S+): (\S+)", server.output)
    assert printed == [("ewa@example.com", invitation["invitation_url"])], server.output[-2000:]
    assert not (tmp_path / "state" / "mail").exists()
    # the printed link is the working one
    token = printed[0][1].rsplit("token=", 1)[1]
    session = ok(http(server.base_url, "POST", "/v1/invitations/accept", {"token": token, "password": "ewa pass 12"}))
    assert session["employee"]["access"] == "ACTIVE"
