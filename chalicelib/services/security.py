"""Password hashing (argon2id, memory-hard), PINs as keyed hashes, opaque tokens stored only as SHA-256 hashes."""
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from chalicelib.config import settings
from chalicelib.wiring import adapters


@lru_cache(maxsize=2)
def _hasher(profile: str):
    # argon2 (and cffi) load with the first password checked, not at cold start: most requests carry a token.
    from argon2 import PasswordHasher

    if profile == "fast":  # tests and the local demo only: same algorithm, tiny cost
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    # OWASP's argon2id minimum (19 MiB, 2 passes) fits a 128 MB Lambda.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher(settings().password_hash_profile).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so that timing does not tell which e-mails exist.
        _hasher(settings().password_hash_profile).hash(password)
        return False
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher(settings().password_hash_profile).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


DEV_PIN_HASH_SECRET = "pos-backoffice-local-development-only-pin-key"


def _pin_key() -> bytes:
    cfg = settings()
    if cfg.pin_hash_secret_arn:
        # On AWS: the key is in Secrets Manager, read at the first PIN hashed and kept by the adapter.
        secret = adapters().secrets.secret_value(cfg.pin_hash_secret_arn)
    else:
        secret = cfg.pin_hash_secret
    if not secret:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            raise RuntimeError("Neither PIN_HASH_SECRET_ARN nor PIN_HASH_SECRET is set: the PIN key is required on "
                               "AWS (see infra/template.yml).")
        secret = DEV_PIN_HASH_SECRET
    return secret.encode("utf-8")


def hash_pin(merchant_id: str, pin: str) -> str:
    """HMAC-SHA256 of a merchant's PIN under PIN_HASH_SECRET.

    A PIN has only 10,000 values, so any unkeyed hash (even argon2) is reversed offline by trying them all. The
    key is not in the database: whoever reads the tables (a backup, an export) cannot test a single guess without
    it. Equal PINs of two merchants hash differently (the merchant id is part of the message). It is also
    deterministic, which the uniqueness guard (one PIN per employee within a merchant) and the lookup need."""
    return hmac.new(_pin_key(), f"{merchant_id}:{pin}".encode("utf-8"), hashlib.sha256).hexdigest()
