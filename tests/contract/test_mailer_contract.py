"""The Mailer port (chalicelib/ports.py) on both adapters: SES (moto's SESv2) and the folder of .eml files that
`make run` uses. Each sends one UTF-8 message exactly as given, from INVITATION_SENDER, and refuses with MailNotSent
(never another exception) when there is no sender or the service does not take the message."""
import email
from email import policy

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import config
from chalicelib.adapters.mail_folder import FolderMailer
from chalicelib.adapters.mailer import SesMailer
from chalicelib.ports import MailNotSent

SENDER = "no-reply@shop.example"
SUBJECT = "Sklep Ewy: zaproszenie do panelu administracyjnego"
TEXT = "Dzień dobry, Ewa Kowalska!\n\nOtwórz link: https://shop.example/#/invitation?token=a%2Bb\n"


class Ses:
    def __init__(self, tmp_path):
        self.mailer = SesMailer()

    def allow_sender(self):
        boto3.client("sesv2", region_name=config.settings().region).create_email_identity(EmailIdentity=SENDER)

    def break_service(self):
        pass  # the sender is simply not a verified identity: SES refuses it

    def delivered(self) -> list[dict]:
        messages = ses_backends[DEFAULT_ACCOUNT_ID][config.settings().region].sent_messages
        return [{"from": m.source, "to": m.destinations["ToAddresses"], "subject": m.subject, "text": m.body}
                for m in messages]


class Folder:
    def __init__(self, tmp_path):
        self.folder = tmp_path / "mail"
        self.mailer = FolderMailer(str(self.folder))

    def allow_sender(self):
        pass  # nothing to verify locally

    def break_service(self):
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.folder.write_text("a file where the folder should be")

    def delivered(self) -> list[dict]:
        if not self.folder.is_dir():
            return []
        paths = sorted(self.folder.iterdir())
        assert all(path.suffix == ".eml" for path in paths), paths  # no temporary file left behind
        messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default) for path in paths]
        return [{"from": m["From"], "to": [m["To"]], "subject": m["Subject"], "text": m.get_content()}
                for m in messages]


@pytest.fixture(params=[Ses, Folder], ids=["ses", "folder"])
def mail(request, tmp_path, aws):  # aws: a fresh moto (SES) per test
    return request.param(tmp_path)


@pytest.fixture
def sender(monkeypatch):
    monkeypatch.setenv("INVITATION_SENDER", f"Sklep Ewy <{SENDER}>")
    config.reload()
    yield f"Sklep Ewy <{SENDER}>"
    monkeypatch.delenv("INVITATION_SENDER")
    config.reload()


def test_a_message_arrives_exactly_as_sent(mail, sender):
    mail.allow_sender()
    assert mail.mailer.sender() == sender
    mail.mailer.send("ewa@example.com", SUBJECT, TEXT)
    assert mail.delivered() == [{"from": sender, "to": ["ewa@example.com"], "subject": SUBJECT, "text": TEXT}]


def test_each_message_is_its_own(mail, sender):
    mail.allow_sender()
    for n in range(3):
        mail.mailer.send(f"person{n}@example.com", f"{SUBJECT} {n}", f"{TEXT}{n}\n")
    assert sorted((m["to"][0], m["subject"]) for m in mail.delivered()) == [
        (f"person{n}@example.com", f"{SUBJECT} {n}") for n in range(3)]


def test_no_sender_sends_nothing(mail):
    assert config.settings().invitation_sender is None
    assert mail.mailer.sender() is None
    with pytest.raises(MailNotSent):
        mail.mailer.send("ewa@example.com", SUBJECT, TEXT)
    assert mail.delivered() == []


def test_a_refused_message_is_mail_not_sent(mail, sender):
    mail.break_service()
    with pytest.raises(MailNotSent):
        mail.mailer.send("ewa@example.com", SUBJECT, TEXT)
    assert mail.delivered() == []
