"""Listings on SQLite: keyset pages in a fixed order, with opaque cursors scoped to one listing and one merchant.

A cursor is the sort position of the last item handed out, as base64url JSON that also names the listing (its
scope and partition) and the merchant: any other listing, partition or merchant refuses it (400 INVALID_CURSOR),
exactly as the DynamoDB adapters' cursors are refused, so a cursor never reaches into another merchant's data.
"""
from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from dataclasses import dataclass

from chalicelib.errors import InvalidCursor

MAX_POSITION_BYTES = 1024  # what a DynamoDB key value may hold: a longer position was never handed out


@dataclass(frozen=True)
class Listing:
    """One listing: `scope` names it, `partition` is the value it is read in (merchant, device or store id)."""

    scope: str
    partition: str
    merchant_id: str
    columns: tuple[str, ...]  # the sort position: these columns, in this order (the last one unique)
    types: tuple[type, ...]
    newest_first: bool = False

    def page(self, conn: sqlite3.Connection, select: str, where: str, params: list, limit: int,
             cursor: str | None) -> tuple[list[tuple], str | None]:
        """Rows of `select ... WHERE where`, one page in this listing's order, and the cursor after the last one
        (None when the page is not full). `select` must return the position columns first."""
        after = self._decode(cursor)
        if after is not None:
            compare = "<" if self.newest_first else ">"
            where = f"({where}) AND ({', '.join(self.columns)}) {compare} ({', '.join('?' * len(after))})"
            params = [*params, *after]
        direction = "DESC" if self.newest_first else "ASC"
        order = ", ".join(f"{column} {direction}" for column in self.columns)
        rows = conn.execute(f"{select} WHERE {where} ORDER BY {order} LIMIT ?", [*params, limit]).fetchall()
        width = len(self.columns)
        next_cursor = self._encode(rows[-1][:width]) if rows and len(rows) == limit else None
        return [row[width:] for row in rows], next_cursor

    def _encode(self, position: tuple) -> str:
        raw = json.dumps({"~": self.scope, "p": self.partition, "m": self.merchant_id, "k": list(position)},
                         separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str | None) -> tuple | None:
        if cursor in (None, ""):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise InvalidCursor(field="cursor") from None
        if not isinstance(data, dict) or (data.get("~"), data.get("p"), data.get("m")) != (
                self.scope, self.partition, self.merchant_id):
            raise InvalidCursor(field="cursor")
        position = data.get("k")
        if not isinstance(position, list) or len(position) != len(self.columns) or not all(
                _valid(value, kind) for value, kind in zip(position, self.types)):
            raise InvalidCursor(field="cursor")
        return tuple(position)


def _valid(value, kind: type) -> bool:
    if type(value) is not kind:
        return False
    if kind is int:
        return -2 ** 63 <= value < 2 ** 63  # what SQLite's INTEGER holds
    try:
        return len(value.encode("utf-8")) <= MAX_POSITION_BYTES  # a lone surrogate is no position we made
    except UnicodeEncodeError:
        return False
