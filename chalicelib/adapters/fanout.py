"""Invokes the audit's per-shard Lambda (`audit_shard`) and hands back its summary or raises its error.

Synchronous invocations run on the dispatcher's threads, so that each shard runs in its own Lambda, at
once, and the dispatcher sees each shard's outcome (to retry it, and to report it). Locally and in tests
the call is answered in process by local/bridge.py (a hook on boto3's default session)."""
import json
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import settings
from chalicelib.ports import ShardFailed

_shared = type("ProcessWide", (), {"client": None, "key": None})()
_lock = threading.Lock()


def _client():
    cfg = settings()
    key = (id(boto3.DEFAULT_SESSION), cfg.region)
    with _lock:
        if _shared.client is None or _shared.key != key:
            # A shard may run up to Lambda's 15 minutes; retries are the dispatcher's (it knows the shard).
            _shared.client = boto3.client("lambda", region_name=cfg.region, config=Config(
                read_timeout=900, connect_timeout=10, retries={"max_attempts": 0}, max_pool_connections=64))
            _shared.key = key
        return _shared.client


class ShardInvoker:
    @staticmethod
    def invoke(shard: str) -> dict:
        """The shard's summary; ShardFailed when its function raised (its error type and message are kept) or
        could not be invoked."""
        try:
            response = _client().invoke(FunctionName=settings().audit_shard_function,
                                        InvocationType="RequestResponse", Payload=json.dumps({"shard": shard}).encode())
            raw = response["Payload"].read()
        except (ClientError, BotoCoreError) as exc:
            raise ShardFailed(f"{type(exc).__name__}: {exc}") from exc
        payload = json.loads(raw) if raw else None
        if response.get("FunctionError"):
            error = payload or {}
            raise ShardFailed(f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}")
        if not isinstance(payload, dict):
            raise ShardFailed(f"unexpected answer: {raw[:200]!r}")
        return payload
