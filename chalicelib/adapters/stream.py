"""The events table's DynamoDB Stream (NEW_IMAGE) as the adapters' event records: the outbox's read side on AWS."""
from __future__ import annotations

import json

JSON_ATTRIBUTES = ("actor", "details")  # JSONAttribute: stored as a JSON string


def _plain(value: dict):
    (kind, raw), = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    return raw


def event_of_record(record) -> dict | None:
    """An INSERT's new image as an event dict (with its `sk`); None for other records. `record` is Chalice's
    DynamoDBRecord or the raw dict of the stream event."""
    if isinstance(record, dict):
        name, image = record.get("eventName"), (record.get("dynamodb") or {}).get("NewImage")
    else:
        name, image = record.event_name, record.new_image
    if name != "INSERT" or not image:
        return None
    event = {name: _plain(value) for name, value in image.items()}
    for name in JSON_ATTRIBUTES:
        if isinstance(event.get(name), str):
            event[name] = json.loads(event[name])
    return event if event.get("type") and event.get("sk") else None
