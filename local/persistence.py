"""Keeps the local tables across restarts: a JSON snapshot of every table, written after changes."""
import json
import os
import threading
import time
from pathlib import Path

import boto3
from botocore.exceptions import ClientError, ParamValidationError


ATTRIBUTE_TYPES = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


class SnapshotError(Exception):
    pass


class Snapshot:
    def __init__(self, path: Path, table_names: list[str], region: str):
        self.path = path
        self.table_names = table_names
        self.region = region
        self._dirty = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _client(self):
        return boto3.client("dynamodb", region_name=self.region)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict:
        """The stored tables, checked for shape: {table name: [DynamoDB items]}. Cheap, so the server calls
        it before starting anything; a file that fails stops the start and is kept, untouched."""
        try:
            tables = json.loads(self.path.read_text())["tables"]
            if not isinstance(tables, dict):
                raise ValueError('"tables" is not a map of table names to lists of items')
            for name, items in tables.items():
                if not isinstance(items, list):
                    raise ValueError(f"table {name}: not a list of items")
                for position, item in enumerate(items):
                    if not (isinstance(item, dict) and item and all(
                            isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ATTRIBUTE_TYPES
                            for value in item.values())):
                        raise ValueError(f"table {name}, item {position}: not a DynamoDB item")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotError(f"cannot read {self.path}: {exc}") from exc
        return tables

    def load(self, tables: dict | None = None) -> int:
        """Put every stored item back (`tables` as `read` gave them, or read now)."""
        tables = self.read() if tables is None else tables
        client, count = self._client(), 0
        for name, items in tables.items():
            if name not in self.table_names:
                continue
            for start in range(0, len(items), 25):
                requests = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
                pending = {name: requests}
                try:
                    while pending:
                        pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                except (ClientError, ParamValidationError) as exc:
                    raise SnapshotError(f"{self.path}: an item of table {name} cannot be stored: {exc}") from exc
            count += len(items)
        return count

    def save(self) -> None:
        with self._lock:
            self._dirty.clear()
            client = self._client()
            tables = {}
            for name in self.table_names:
                items = []
                for page in client.get_paginator("scan").paginate(TableName=name):
                    items += page["Items"]
                tables[name] = items
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"saved_at": time.time(), "tables": tables}))
            os.replace(tmp, self.path)  # atomic: a crash never leaves half a snapshot

    def mark_dirty(self) -> None:
        self._dirty.set()

    def start(self, interval: float = 1.0) -> None:
        def loop():
            while not self._stop.wait(interval):
                if self._dirty.is_set():
                    try:
                        self.save()
                    except Exception as exc:  # noqa: BLE001 - keep serving; say so
                        print(f"[local] snapshot failed: {exc}", flush=True)

        self._thread = threading.Thread(target=loop, name="snapshot", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.save()
