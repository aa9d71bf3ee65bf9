"""Issue 23 (DESIGN.md 3.2): with a mail sender configured, the invitation link goes to the employee's e-mail through
SES (moto's) and the inviter never sees it; without one, or when SES refuses the message, the link is shown."""
import re

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import config

SENDER = "no-reply@shop.example"
PL = {"Accept-Language": "pl"}


@pytest.fixture
def sender(monkeypatch):
    monkeypatch.setenv("INVITATION_SENDER", f"Sklep Ewy <{SENDER}>")
    config.reload()
    yield
    monkeypatch.delenv("INVITATION_SENDER")
    config.reload()


def _sent_messages():
    return ses_backends[DEFAULT_ACCOUNT_ID][config.settings().region].sent_messages


def _invitee(m, email="ewa@example.com"):
    return m.employee("Ewa Kowalska", "MANAGER", email=email)


def test_the_link_is_emailed_and_not_shown(client, sender):
    boto3.client("sesv2", region_name=config.settings().region).create_email_identity(EmailIdentity=SENDER)
    m = client.signup(name="Sklep Ewy")
    ewa = _invitee(m)
    status, body = client.post(f"/v1/employees/{ewa['id']}/invitation", token=m.token, headers=PL)
    assert status == 201, body
    assert (body["sent_to"], body["invitation_url"], body["token"], body["employee"]["access"]) == (
        "ewa@example.com", None, None, "INVITED")
    [mail] = _sent_messages()
    assert (mail.source, mail.destinations["ToAddresses"]) == (f"Sklep Ewy <{SENDER}>", ["ewa@example.com"])
    assert mail.subject == "Sklep Ewy: zaproszenie do panelu administracyjnego", mail.subject
    assert "Dzień dobry, Ewa Kowalska" in mail.body and body["expires_at"][:10] in mail.body, mail.body
    # the e-mailed link is the working one: the employee sets a password with it and gets a session
    link = re.search(r"https?://\S+/#/invitation\?token=(\S+)", mail.body)
    assert link, mail.body
    status, accepted = client.post("/v1/invitations/accept", {"token": link.group(1), "password": "ewa's pass 1"})
    assert (status, accepted["employee"]["access"]) == (200, "ACTIVE"), accepted
    assert client.get("/v1/pos_devices", token=accepted["token"])[0] == 200


def test_a_refused_message_falls_back_to_the_shown_link(client, sender):
    # the sender is not a verified identity: SES (moto) refuses the message; the invitation stands, shown instead
    m = client.signup(name="Sklep Ewy")
    ewa = _invitee(m)
    status, body = client.post(f"/v1/employees/{ewa['id']}/invitation", token=m.token)
    assert (status, body["sent_to"], body["employee"]["access"]) == (201, None, "INVITED"), body
    assert body["invitation_url"].endswith(f"/#/invitation?token={body['token']}")
    assert list(_sent_messages()) == []
    status, accepted = client.post("/v1/invitations/accept", {"token": body["token"], "password": "ewa's pass 1"})
    assert status == 200, accepted


def test_no_sender_no_mail(client):
    assert config.settings().invitation_sender is None
    m = client.signup(name="Sklep Ewy")
    body = m.invite(_invitee(m)["id"])
    assert (body["sent_to"], body["invitation_url"].endswith(body["token"])) == (None, True), body
    assert list(_sent_messages()) == []
