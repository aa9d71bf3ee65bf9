"""Sends e-mail through Amazon SES (API v2): the invitations of DESIGN.md 3.2.

The sender is INVITATION_SENDER, an identity verified in SES; the API function may send only from it (the stack's
policy conditions ses:SendEmail on ses:FromAddress). The client is made at the first send, and its calls are
bounded (2 attempts x (1 s connect + 3 s read) + under 1 s of backoff, 9 s at worst) so that a slow SES cannot take
the request past its budget: the caller then shows the link instead."""
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws_clients
from chalicelib.config import settings
from chalicelib.ports import MailNotSent

CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 2
_CONFIG = aws_clients.bounded(MAX_ATTEMPTS, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


def _client():
    return aws_clients.client("sesv2", _CONFIG)


def required_sender() -> str:
    """INVITATION_SENDER; without one no message goes out, whichever adapter sends (MailNotSent)."""
    sender = settings().invitation_sender
    if not sender:
        raise MailNotSent("no sender configured (INVITATION_SENDER)")
    return sender


class SesMailer:
    @staticmethod
    def sender() -> str | None:
        return settings().invitation_sender

    @staticmethod
    def send(to: str, subject: str, text: str) -> None:
        sender = required_sender()
        try:
            _client().send_email(
                FromEmailAddress=sender, Destination={"ToAddresses": [to]},
                Content={"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"},
                                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}}})
        except (ClientError, BotoCoreError) as exc:
            raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
