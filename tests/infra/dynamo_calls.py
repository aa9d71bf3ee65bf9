"""Records which DynamoDB actions each Lambda function really makes, on which table or index.

Sits where moto answers every botocore request (BotocoreStubber), so it sees PynamoDB's calls as well
as boto3's; it also notes each Secrets Manager read (GetSecretValue) with its SecretId. Each request is attributed to the function that runs on the calling thread: set with
`recorder.running(name)`; the Lambda bridge's functions are wrapped to set it for the Step Functions
worker thread. A DynamoDB call made outside any function is recorded under None (the test fails on it).

Recorded as IAM sees it: one action per item operation (a TransactWriteItems Put is dynamodb:PutItem,
a ConditionCheck dynamodb:ConditionCheckItem, TransactGetItems' Get dynamodb:GetItem), and the resource
is the logical table name, or "<table>/index" for a query on one of its indexes.
"""
from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections import defaultdict

_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


class DynamoCalls:
    def __init__(self, table_prefix: str):
        self.prefix = table_prefix
        self.local = threading.local()
        self.lock = threading.Lock()
        # function -> resource -> set of actions
        self.calls: dict[str | None, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.ran: set[str] = set()  # every function that ran, whether or not it called DynamoDB
        # function -> the Lambda functions it invoked (the story notes them from the Lambda bridge's calls)
        self.invoked: dict[str, set[str]] = defaultdict(set)
        # function -> the SecretIds it read from Secrets Manager (GetSecretValue), one entry per request
        self.secret_reads: dict[str | None, list[str]] = defaultdict(list)

    # ------------------------------------------------------------ attribution
    @property
    def current(self) -> str | None:
        return getattr(self.local, "function", None)

    @contextlib.contextmanager
    def running(self, function: str):
        before, self.local.function = self.current, function
        with self.lock:
            self.ran.add(function)
        try:
            yield
        finally:
            self.local.function = before

    def wrap(self, name: str, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.running(name):
                return func(*args, **kwargs)
        return wrapper

    # ------------------------------------------------------------ recording
    def _table(self, name: str) -> str:
        assert name.startswith(self.prefix), f"a table outside the stack: {name}"
        return name[len(self.prefix):]

    def record(self, operation: str, body: dict) -> None:
        found: list[tuple[str, str]] = []
        if operation in ("TransactWriteItems", "TransactGetItems"):
            for item in body.get("TransactItems", []):
                (kind, spec), = item.items()
                found.append((_TRANSACT_ACTIONS[kind], self._table(spec["TableName"])))
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            found += [(operation, self._table(name)) for name in body.get("RequestItems", {})]
        elif "TableName" in body:
            resource = self._table(body["TableName"])
            if body.get("IndexName"):
                resource += "/index"
            found.append((operation, resource))
        else:
            found.append((operation, "*"))
        with self.lock:
            for action, resource in found:
                self.calls[self.current][resource].add(action)

    def as_grants(self) -> dict[str | None, dict[str, set[str]]]:
        """function -> resource -> actions; a function that ran without a DynamoDB call maps to {}."""
        return {function: {resource: set(actions) for resource, actions in self.calls.get(function, {}).items()}
                for function in self.ran | set(self.calls)}

    @contextlib.contextmanager
    def installed(self):
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request
        recorder = self

        def process_request(stubber, request):
            target = (request.headers.get("X-Amz-Target") or b"")
            target = target.decode() if isinstance(target, bytes) else target
            if target.startswith("DynamoDB_"):
                raw = request.body or b"{}"
                recorder.record(target.split(".", 1)[1], json.loads(raw.decode() if isinstance(raw, bytes) else raw))
            elif target.startswith("secretsmanager."):
                raw = request.body or b"{}"
                body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
                assert target == "secretsmanager.GetSecretValue", f"an unexpected Secrets Manager call: {target}"
                with recorder.lock:
                    recorder.secret_reads[recorder.current].append(body["SecretId"])
            return original(stubber, request)

        BotocoreStubber.process_request = process_request
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original
