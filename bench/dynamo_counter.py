"""Count the DynamoDB requests a piece of code makes: request budgets in tests, figures in benchmarks.

PynamoDB builds its own botocore sessions and clients (one per Connection and thread), boto3 others,
so a hook registered on one session misses requests. Every botocore client, however it was made,
goes through two methods, and both are wrapped while a counter is active:

* `botocore.client.BaseClient._make_api_call`: once per API operation, with its parameters
  (which tables, how many items written or asked for) and its outcome;
* `botocore.endpoint.Endpoint._do_get_response`: once per HTTP attempt, botocore's retries
  included; moto answers inside it (its `before-send` hook), so attempts are counted on moto too.

Usage:

    from bench.dynamo_counter import count_dynamodb

    with count_dynamodb() as counter:
        client.post("/v1/pos/sync", ...)
    counter.requests                      # DynamoDB API calls
    counter.attempts                      # HTTP attempts (>= requests when botocore retried)
    counter.by_operation()                # Counter({"BatchGetItem": 3, "TransactWriteItems": 3, ...})
    counter.items_written("receipts")     # items written to tables whose name ends with "receipts"
    counter.writes_to("receipts")         # the calls that wrote (or tried to write) there
    counter.items_returned("receipts")    # items that reads handed back (Get/BatchGet/Query/Scan)
    counter.backend_seconds               # time spent waiting for DynamoDB (moto's own work, in process)
    counter.indexes()                     # Counter({"merchant-created-index": 2}): which indexes Query read
    counter.count("Scan")                 # a listing served by keys and indexes makes none

A counter sees the requests of every thread while it is active; counters may be nested or run side
by side (each sees everything). Only the DynamoDB service is counted.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.client import BaseClient
from botocore.endpoint import Endpoint
from botocore.exceptions import ClientError

SERVICE = "dynamodb"
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


@dataclass(frozen=True)
class Call:
    """One DynamoDB API call."""

    operation: str
    tables: tuple[str, ...]
    written: dict[str, int] = field(default_factory=dict)   # table -> items the call writes
    requested: dict[str, int] = field(default_factory=dict)  # table -> keys a Get/BatchGet/TransactGet asks for
    returned: dict[str, int] = field(default_factory=dict)   # table -> items a read handed back
    error: str | None = None                                 # the error code when the call failed
    thread: str = ""
    index: str | None = None                                 # IndexName of a Query or Scan

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def is_write(self) -> bool:
        return self.operation in WRITE_OPERATIONS


def table_matches(name: str, table: str | None) -> bool:
    """`table` is a full table name or its logical name (the end of the name, after the prefix)."""
    return table is None or name == table or name.endswith(table)


class DynamoCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.attempts = 0
        self.backend_seconds = 0.0  # summed over threads

    # ------------------------------------------------------------ recording (called by the hooks)

    def _add_call(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _add_attempt(self, seconds: float) -> None:
        with self._lock:
            self.attempts += 1
            self.backend_seconds += seconds

    def reset(self) -> None:
        with self._lock:
            self.calls = []
            self.attempts = 0
            self.backend_seconds = 0.0

    # ------------------------------------------------------------ reading

    @property
    def requests(self) -> int:
        return len(self.calls)

    def count(self, operation: str | None = None, table: str | None = None) -> int:
        return len(self.select(operation, table))

    def select(self, operation: str | None = None, table: str | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if (operation is None or c.operation == operation)
                and (table is None or any(table_matches(t, table) for t in c.tables))]

    def by_operation(self) -> Counter:
        return Counter(c.operation for c in self.select())

    def indexes(self, operation: str = "Query") -> Counter:
        """How often each index (None: the table itself) was read by `operation`."""
        return Counter(c.index for c in self.select(operation))

    def writes_to(self, table: str | None = None) -> list[Call]:
        """Calls that write (or tried to: failed ones included) to the table."""
        return [c for c in self.select() if any(table_matches(t, table) for t in c.written)]

    def items_written(self, table: str | None = None, include_failed: bool = False) -> int:
        return sum(n for c in self.select() if c.ok or include_failed
                   for t, n in c.written.items() if table_matches(t, table))

    def items_returned(self, table: str | None = None) -> int:
        return sum(n for c in self.select() for t, n in c.returned.items() if table_matches(t, table))

    def summary(self) -> dict:
        return {"requests": self.requests, "attempts": self.attempts, "by_operation": dict(self.by_operation()),
                "items_written": self.items_written(), "items_returned": self.items_returned(),
                "failed": sum(1 for c in self.select() if not c.ok)}


# ---------------------------------------------------------------- parsing one call


def _describe(operation: str, params: dict) -> tuple[tuple[str, ...], dict[str, int], dict[str, int]]:
    """(tables, written per table, keys requested per table) from the call's parameters."""
    written: Counter = Counter()
    requested: Counter = Counter()
    tables: list[str] = []
    if operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            tables.append(table)
            written[table] += len(requests)
    elif operation == "BatchGetItem":
        for table, spec in (params.get("RequestItems") or {}).items():
            tables.append(table)
            requested[table] += len(spec.get("Keys") or [])
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in params.get("TransactItems") or []:
            for kind, op in entry.items():
                table = op.get("TableName", "")
                if table not in tables:
                    tables.append(table)
                if kind in ("Put", "Update", "Delete"):
                    written[table] += 1
                elif kind == "Get":
                    requested[table] += 1
    elif "TableName" in params:
        table = params["TableName"]
        tables.append(table)
        if operation in WRITE_OPERATIONS:
            written[table] += 1
        elif operation == "GetItem":
            requested[table] += 1
    return tuple(tables), dict(written), dict(requested)


def _returned(operation: str, params: dict, response: dict) -> dict[str, int]:
    if operation == "GetItem":
        return {params.get("TableName", ""): 1 if response.get("Item") else 0}
    if operation in ("Query", "Scan"):
        return {params.get("TableName", ""): int(response.get("Count") or 0)}
    if operation == "BatchGetItem":
        return {table: len(items) for table, items in (response.get("Responses") or {}).items()}
    if operation == "TransactGetItems":
        counts: Counter = Counter()
        for entry, result in zip(params.get("TransactItems") or [], response.get("Responses") or []):
            if result.get("Item"):
                counts[entry["Get"].get("TableName", "")] += 1
        return dict(counts)
    return {}


# ---------------------------------------------------------------- the hooks


_state_lock = threading.Lock()
_active: list[DynamoCounter] = []
_originals: dict[str, object] = {}


def _counters() -> list[DynamoCounter]:
    with _state_lock:
        return list(_active)


def _wrapped_make_api_call(self, operation_name, api_params):
    original = _originals["make_api_call"]
    if self.meta.service_model.service_name != SERVICE:
        return original(self, operation_name, api_params)
    counters = _counters()
    if not counters:
        return original(self, operation_name, api_params)
    tables, written, requested = _describe(operation_name, api_params or {})
    thread, index = threading.current_thread().name, (api_params or {}).get("IndexName")
    try:
        response = original(self, operation_name, api_params)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code") or type(exc).__name__
        for counter in counters:
            counter._add_call(Call(operation_name, tables, written, requested, {}, code, thread, index))
        raise
    except Exception as exc:
        for counter in counters:
            counter._add_call(Call(operation_name, tables, written, requested, {}, type(exc).__name__, thread, index))
        raise
    returned = _returned(operation_name, api_params or {}, response or {})
    for counter in counters:
        counter._add_call(Call(operation_name, tables, written, requested, returned, None, thread, index))
    return response


def _wrapped_do_get_response(self, request, operation_model, context):
    original = _originals["do_get_response"]
    if operation_model.service_model.service_name != SERVICE:
        return original(self, request, operation_model, context)
    started = time.perf_counter()
    try:
        return original(self, request, operation_model, context)
    finally:
        elapsed = time.perf_counter() - started
        for counter in _counters():
            counter._add_attempt(elapsed)


def _install() -> None:
    _originals["make_api_call"] = BaseClient._make_api_call
    _originals["do_get_response"] = Endpoint._do_get_response
    BaseClient._make_api_call = _wrapped_make_api_call
    Endpoint._do_get_response = _wrapped_do_get_response


def _uninstall() -> None:
    # The originals stay in `_originals`: a call still running on another thread may need them.
    BaseClient._make_api_call = _originals["make_api_call"]
    Endpoint._do_get_response = _originals["do_get_response"]


@contextmanager
def count_dynamodb():
    """Count every DynamoDB request made (by any thread) inside the block."""
    counter = DynamoCounter()
    with _state_lock:
        if not _active:
            _install()
        _active.append(counter)
    try:
        yield counter
    finally:
        with _state_lock:
            _active.remove(counter)
            if not _active:
                _uninstall()
