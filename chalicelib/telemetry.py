"""Structured logs: one JSON object per line, with the request's or the deletion's context.

Standard library only (json, logging, contextvars): importing it costs nothing at cold start. Powertools
for AWS Lambda's Logger does the same job but adds its own import time, and the app needs only a
formatter and a context; see infra/README.md ("Logs").

    telemetry.configure()                    # once, at import of app.py: level from LOG_LEVEL, JSON on Lambda
    with telemetry.bound(correlation_id=...):  # every record inside carries these fields
        log.info("...", extra={"event": "request", "status": 200})

A record's fields: timestamp, level, logger, message, the bound context (correlation_id, merchant_id,
deletion_id ...), the record's `extra` fields, and exception (the traceback) when there is one. Fields
whose name says they hold a secret (token, password, pin, authorization, secret, a pairing code) are never written.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import time

_context: contextvars.ContextVar[dict] = contextvars.ContextVar("pos_log_context", default={})

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_SECRET = re.compile(r"token|password|passwd|(^|_)pins?($|_)|authorization|secret|cookie|^(pairing_)?code$",
                     re.IGNORECASE)
REDACTED = "[redacted]"
SDK_LOGGERS = ("botocore", "boto3", "urllib3", "pynamodb", "s3transfer")
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def _redacted(fields: dict) -> dict:
    return {key: (REDACTED if _SECRET.search(key) else value) for key, value in fields.items()}


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON (what CloudWatch Logs metric filters and Insights read)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                         + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_redacted(_context.get()))
        entry.update(_redacted({k: v for k, v in vars(record).items() if k not in _STANDARD}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
            entry["exception_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps({k: v for k, v in entry.items() if v is not None}, default=str, ensure_ascii=False)


def configure() -> None:
    """Root logger level from LOG_LEVEL (default INFO). On Lambda (or with LOG_FORMAT=json), every root
    handler writes JSON; elsewhere (tests, `make run`) handlers keep their format."""
    root = logging.getLogger()
    name = os.environ.get("LOG_LEVEL", "INFO").upper()
    level = logging.getLevelNamesMapping().get(name, logging.INFO)
    root.setLevel(level)
    # The SDKs' DEBUG output is the wire: request and response bodies, item attributes included. Never
    # below INFO, so that LOG_LEVEL=DEBUG cannot put stored secrets (hashes, PINs) into the logs.
    for sdk in SDK_LOGGERS:
        logging.getLogger(sdk).setLevel(max(level, logging.INFO))
    want_json = os.environ.get("LOG_FORMAT", "").lower() == "json" or (
        "AWS_LAMBDA_FUNCTION_NAME" in os.environ and os.environ.get("LOG_FORMAT", "json").lower() == "json")
    if not want_json:
        return
    if not root.handlers:  # Lambda's Python runtime installs one handler; add ours when there is none
        root.addHandler(logging.StreamHandler(sys.stdout))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())


def context() -> dict:
    return dict(_context.get())


def bind(**fields) -> None:
    """Add fields to the current context (e.g. merchant_id once the caller is authenticated)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


@contextlib.contextmanager
def bound(**fields):
    token = _context.set({k: v for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _context.reset(token)


def correlation_id(incoming: str | None, fallback: str | None) -> str:
    """The caller's X-Correlation-Id when it is a sane token, else API Gateway's request id, else a new one."""
    if incoming and _CORRELATION_ID.fullmatch(incoming):
        return incoming
    if fallback and _CORRELATION_ID.fullmatch(fallback):
        return fallback
    import uuid

    return str(uuid.uuid4())
