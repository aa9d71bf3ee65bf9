"""Reads a secret's value from AWS Secrets Manager at first use and keeps it for the life of the container.

Used for the PINs' HMAC key (services/security.py): on AWS the API function gets only the secret's ARN
(PIN_HASH_SECRET_ARN), never the key, so whoever can read the function's configuration cannot test PINs. The
client is made at the first read (a cold start that never checks a PIN pays nothing for it); its calls are
bounded: 2 attempts x (1 s connect + 2 s read) + under 1 s of backoff, about 7 s at worst, inside the API
function's timeout with the storage budget of chalicelib/config.py."""
import logging
import threading

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws_clients
from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)
_values: dict[str, str] = {}
_lock = threading.Lock()
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 2
MAX_ATTEMPTS = 2
_CONFIG = aws_clients.bounded(MAX_ATTEMPTS, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


def _client():
    return aws_clients.client("secretsmanager", _CONFIG)


class SecretsManagerReader:
    @staticmethod
    def secret_value(secret_id: str) -> str:
        """The secret's SecretString, read once per container; ServiceUnavailable (503) if it cannot be read now."""
        value = _values.get(secret_id)
        if value is not None:
            return value
        with _lock:
            value = _values.get(secret_id)
            if value is None:
                try:
                    value = _client().get_secret_value(SecretId=secret_id)["SecretString"]
                except (ClientError, BotoCoreError) as exc:
                    # Never the value; the id is an ARN, not a secret.
                    log.error("could not read secret %s: %s", secret_id, type(exc).__name__)
                    raise ServiceUnavailable() from exc
                _values[secret_id] = value
        return value
