"""The local stand-in for SES: each e-mail becomes one `.eml` file in a folder (POS_MAIL_FOLDER).

`make run` has no mail server. With INVITATION_SENDER set it writes the invitations here (`<state dir>/mail`), so a
developer can follow the e-mailed flow end to end: open the file in a mail client, or copy the link from it. Without
a sender nothing is written and the back office shows the link, as on AWS without one."""
import logging
import os
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from chalicelib.adapters.mailer import required_sender
from chalicelib.config import settings
from chalicelib.ports import MailNotSent

log = logging.getLogger(__name__)


class FolderMailer:
    def __init__(self, folder: str):
        self.folder = Path(folder)

    @staticmethod
    def sender() -> str | None:
        return settings().invitation_sender

    def send(self, to: str, subject: str, text: str) -> None:
        sender = required_sender()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message["Date"], message["Message-ID"] = formatdate(usegmt=True), make_msgid(domain="pos.local")
        message.set_content(text)
        # Named by when it was sent, so that a listing is in order.
        path = self.folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_whole(path, bytes(message))
        except OSError as exc:
            raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
        log.info("e-mail to %s saved as %s", to, path, extra={"event": "mail_saved"})


def _write_whole(path: Path, data: bytes) -> None:
    """Written whole or not at all: a reader never sees half a message (a temporary file, then a rename)."""
    temporary = path.with_name(path.name + ".tmp")  # as unique as `path`
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
