"""Settings read from environment variables, read when first asked for (never at import)."""
import os
from dataclasses import dataclass
from functools import lru_cache


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    table_name_prefix: str
    region: str
    dynamodb_host: str | None
    state_machine_arn: str | None
    sync_wait_seconds: int
    sync_wait_attempts: int
    silent_hours: int
    shift_max_hours: int
    password_hash_profile: str
    pin_hash_secret: str | None
    pin_hash_secret_arn: str | None
    user_token_ttl_seconds: int
    login_token_ttl_seconds: int
    max_body_bytes: int
    dynamodb_connect_timeout_seconds: float
    dynamodb_read_timeout_seconds: float
    dynamodb_max_attempts: int
    request_budget_seconds: float
    audit_shard_function: str
    audit_merchant_function: str
    audit_run_seconds: int
    audit_fanout_workers: int
    audit_shard_attempts: int
    audit_retry_base_seconds: float
    storage: str
    sqlite_path: str
    webhook_retry_base_seconds: float
    webhook_timeout_seconds: float
    webhook_strict_urls: bool
    webhook_poll_seconds: float
    # The SPA's address for links the API hands out (invitations): APP_URL, else the request's own origin.
    app_url: str | None = None
    # The verified SES sender of invitation e-mails (INVITATION_SENDER, "Shop <no-reply@shop.example>" or a bare
    # address); unset, no e-mail is sent and the back office shows the link to hand over (DESIGN.md 3.2).
    invitation_sender: str | None = None
    # Locally (`make run`, POS_MAIL_FOLDER): e-mails are saved there as .eml files instead of going through SES.
    mail_folder: str | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        table_name_prefix=os.environ.get("TABLE_NAME_PREFIX", "pos-backoffice-dev-"),
        region=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
        dynamodb_host=os.environ.get("DYNAMODB_HOST") or None,
        state_machine_arn=os.environ.get("STATE_MACHINE_ARN") or None,
        sync_wait_seconds=_int("POS_SYNC_WAIT_SECONDS", 60),
        sync_wait_attempts=_int("POS_SYNC_WAIT_ATTEMPTS", 10),
        silent_hours=_int("POS_SILENT_HOURS", 24),
        shift_max_hours=_int("POS_SHIFT_MAX_HOURS", 24),
        password_hash_profile=os.environ.get("PASSWORD_HASH_PROFILE", "default"),
        # The key of the PINs' HMAC. On AWS the function gets only the ARN of the Secrets Manager secret that holds
        # it (read at first use, services/security.py), never the key itself; without an ARN the key is read from
        # PIN_HASH_SECRET (local runs, tests), and only off Lambda is a fixed development key the fallback.
        pin_hash_secret=os.environ.get("PIN_HASH_SECRET") or None,
        pin_hash_secret_arn=os.environ.get("PIN_HASH_SECRET_ARN") or None,
        user_token_ttl_seconds=_int("USER_TOKEN_TTL_SECONDS", 12 * 3600),
        login_token_ttl_seconds=_int("LOGIN_TOKEN_TTL_SECONDS", 10 * 60),
        # API Gateway caps payloads at 10 MB; a 250-receipt batch is well under 1 MB.
        max_body_bytes=_int("MAX_BODY_BYTES", 1024 * 1024),
        # Every DynamoDB call is bounded: at most max_attempts x (connect + read timeout) plus botocore's
        # backoff (under 1 + 2 s for 3 attempts), i.e. 3 x (1 + 3) + 3 = 15 s by default, so that a storage
        # fault answers 503 well inside API Gateway's 29 s. DynamoDB answers in milliseconds when it answers
        # (a 100-item transaction included); the first failing call ends the request with a 503.
        dynamodb_connect_timeout_seconds=_float("DYNAMODB_CONNECT_TIMEOUT_SECONDS", 1.0),
        dynamodb_read_timeout_seconds=_float("DYNAMODB_READ_TIMEOUT_SECONDS", 3.0),
        dynamodb_max_attempts=_int("DYNAMODB_MAX_ATTEMPTS", 3),
        # The whole API request's budget (chalicelib/deadline.py): storage sends no attempt after it, the request
        # answers 503. Under the API function's 20 s timeout with one attempt's 4 s (connect + read) to spare,
        # and so under API Gateway's 29 s.
        request_budget_seconds=_float("REQUEST_BUDGET_SECONDS", 14.0),
        # The scheduled audit invokes this Lambda once per shard (infra sets the deployed name).
        audit_shard_function=os.environ.get("AUDIT_SHARD_FUNCTION") or "pos-backoffice-dev-audit_shard",
        # POST /v1/audit/runs invokes this Lambda asynchronously (infra sets the deployed name); a run still
        # RUNNING after audit_run_seconds (the function's timeout and more) counts as FAILED.
        audit_merchant_function=os.environ.get("AUDIT_MERCHANT_FUNCTION") or "pos-backoffice-dev-audit_merchant",
        audit_run_seconds=_int("AUDIT_RUN_SECONDS", 900),
        audit_fanout_workers=_int("AUDIT_FANOUT_WORKERS", 32),
        audit_shard_attempts=max(1, _int("AUDIT_SHARD_ATTEMPTS", 3)),
        audit_retry_base_seconds=float(os.environ.get("AUDIT_RETRY_BASE_SECONDS") or 1.0),
        # Where the data lives: DynamoDB (AWS, or an endpoint the user provides), or SQLite (`make run`'s
        # embedded default and the fast tests; ":memory:" for a database of one process).
        storage=_storage(os.environ.get("POS_STORAGE") or "dynamodb"),
        sqlite_path=os.environ.get("POS_SQLITE_PATH") or ".local/pos.sqlite3",
        app_url=(os.environ.get("APP_URL") or "").rstrip("/") or None,
        invitation_sender=(os.environ.get("INVITATION_SENDER") or "").strip() or None,
        mail_folder=os.environ.get("POS_MAIL_FOLDER") or None,
        # Webhooks (DESIGN.md 3.3): exponential backoff from this base for 24 h; 10 s per attempt. On AWS (or with
        # POS_WEBHOOK_STRICT_URLS=1) a URL must be https and resolve to public addresses only; locally (`make run`)
        # http://127.0.0.1 is allowed, so that a developer can point a webhook at their own machine.
        webhook_retry_base_seconds=_float("POS_WEBHOOK_RETRY_BASE_SECONDS", 30.0),
        webhook_timeout_seconds=_float("POS_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_strict_urls=bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        or os.environ.get("POS_WEBHOOK_STRICT_URLS", "") in ("1", "true"),
        webhook_poll_seconds=_float("POS_WEBHOOK_POLL_SECONDS", 1.0),
    )


STORAGES = ("dynamodb", "sqlite")


def _storage(name: str) -> str:
    if name not in STORAGES:
        raise ValueError(f"POS_STORAGE={name!r}: use one of {', '.join(STORAGES)}")
    return name


def reload() -> Settings:
    """For tests and the local stack, which set variables after import."""
    settings.cache_clear()
    return settings()
