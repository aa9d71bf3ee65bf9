"""Issue 27.2: on AWS the PINs' HMAC key comes from Secrets Manager (PIN_HASH_SECRET_ARN), read through the
Secrets port, never from an environment variable; without an ARN the key is PIN_HASH_SECRET (local, tests)."""
import hashlib
import hmac

import pytest

from chalicelib import config, wiring
from chalicelib.errors import ServiceUnavailable
from chalicelib.services.security import hash_pin
from tests.unit.aws_fakes import sqlite_adapters

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pin-key-AbCdEf"


@pytest.fixture
def adapters(monkeypatch):
    monkeypatch.setenv("PIN_HASH_SECRET_ARN", ARN)
    monkeypatch.setenv("PIN_HASH_SECRET", "an-environment-key-that-must-not-be-used")
    config.reload()
    with wiring.use(sqlite_adapters()) as fakes:
        yield fakes
    monkeypatch.undo()
    config.reload()


def test_with_an_arn_the_key_is_the_secrets_value_not_the_environments(adapters):
    adapters.secrets.values[ARN] = "the-key-in-secrets-manager"
    expected = hmac.new(b"the-key-in-secrets-manager", b"m-1:4321", hashlib.sha256).hexdigest()
    assert hash_pin("m-1", "4321") == expected
    assert adapters.secrets.reads == [ARN]


def test_a_secret_that_cannot_be_read_is_a_503_not_a_fallback_key(adapters):
    with pytest.raises(ServiceUnavailable):
        hash_pin("m-1", "4321")
