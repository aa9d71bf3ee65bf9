"""Invokes the audit's per-shard Lambda (`audit_shard`) and hands back its summary or raises its error.

Synchronous invocations run on the dispatcher's threads, so that each shard runs in its own Lambda, at
once, and the dispatcher sees each shard's outcome (to retry it, and to report it). Locally and in tests
the call is answered in process by local/bridge.py (a hook on boto3's default session)."""
import json

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws_clients
from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailable
from chalicelib.ports import ShardFailed

_CONFIGS = {
    # A shard may run up to Lambda's 15 minutes; retries are the dispatcher's (it knows the shard).
    "shard": Config(read_timeout=900, connect_timeout=10, retries={"max_attempts": 0}, max_pool_connections=64),
    # An asynchronous invocation is answered at once: the API request that makes it stays well under 29 s.
    "event": Config(read_timeout=5, connect_timeout=2, retries={"max_attempts": 2}),
}


def _client(purpose: str = "shard"):
    return aws_clients.client("lambda", _CONFIGS[purpose], purpose)


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

    @staticmethod
    def start_run(event: dict) -> None:
        """Queues the merchant's run with Lambda (InvocationType Event: answered 202 at once; the function has no
        retries, its outcome goes to the run's record)."""
        try:
            _client("event").invoke(FunctionName=settings().audit_merchant_function, InvocationType="Event",
                             Payload=json.dumps(event).encode())
        except (ClientError, BotoCoreError) as exc:
            raise ServiceUnavailable() from exc
