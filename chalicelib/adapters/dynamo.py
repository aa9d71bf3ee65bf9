"""Shared DynamoDB plumbing: error translation, transactions, cursors."""
import base64
import binascii
import functools
import hashlib
import inspect
import json
import logging
import re
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.indexes import Index

from chalicelib.adapters.models import bind, connection
from chalicelib.errors import DomainError, InvalidCursor, ServiceUnavailable
from chalicelib.ports import VersionConflict, WriteRefused

log = logging.getLogger(__name__)

# Limits of real DynamoDB that moto does not enforce, or not as DynamoDB does (DynamoDB answers a request past
# them with a ValidationException, i.e. a 500): the adapter checks them itself before sending
# (tests/integration/test_dynamodb_guards.py).
MAX_KEY_BYTES = 1024  # a key value (DynamoDB: 2,048 for a partition key, 1,024 for a sort key; one bound for all)
MAX_TRANSACTION_ITEMS = 100
# An item: DynamoDB's "400 KB" is 409,600 bytes as measured, moto refuses over 405,000 by its own count, and
# item_size only estimates numbers: 400,000 stays under both.
MAX_ITEM_BYTES = 400_000
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
_NUMBER = re.compile(r"-?[0-9]{1,38}")

TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable", "TransactionConflict",
    "TransactionInProgressException",
}


def _causes(exc: BaseException):
    """`exc` and what caused it: PynamoDB keeps botocore's exception in `.cause`, Python in `__cause__`."""
    seen = set()
    cause = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or getattr(cause, "cause", None)


def _error_code(exc: BaseException) -> str | None:
    # Not PynamoDB's `cause_response_code`: botocore's timeouts and closed connections also derive from
    # requests' exceptions, whose `response` attribute is None, and that property then raises AttributeError.
    for cause in _causes(exc):
        response = getattr(cause, "response", None)
        if isinstance(cause, ClientError) and isinstance(response, dict):
            return response.get("Error", {}).get("Code")
    return None


class RefusedBeforeSending(ValueError):
    """A request real DynamoDB would refuse (a key value over 1,024 bytes, more than 100 items or 4 MB in one
    transaction, an item over 400 KB), caught before it is sent. The API's schemas bound every input that reaches
    these requests, so this is a bug in the adapter's caller: it is not translated (a 500 INTERNAL), and nothing
    of the request was written."""


def _text_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def key_value(text: str) -> str:
    """`text` as a key value (a guard's composite key, an id), refused before sending when over 1,024 bytes."""
    if _text_bytes(text) > MAX_KEY_BYTES:
        raise RefusedBeforeSending(f"key value of {_text_bytes(text)} bytes (DynamoDB takes {MAX_KEY_BYTES})")
    return text


def _check_key_values(values: dict) -> None:
    for name, value in values.items():
        text = value.get("S", value.get("N")) if isinstance(value, dict) else None
        if isinstance(text, str) and _text_bytes(text) > MAX_KEY_BYTES:
            raise RefusedBeforeSending(f"key attribute {name!r}: {_text_bytes(text)} bytes "
                                       f"(DynamoDB takes {MAX_KEY_BYTES})")


def _value_size(value: dict) -> int:
    """The size DynamoDB counts for one attribute value (its name not included), rounded up where DynamoDB's
    documentation gives an approximation (numbers)."""
    (kind, data), = value.items()
    if kind == "S":
        return _text_bytes(data)
    if kind == "N":
        digits = data.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: one}) for one in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(one) for one in data)
    if kind == "M":
        return 3 + sum(1 + _text_bytes(name) + _value_size(one) for name, one in data.items())
    raise RefusedBeforeSending(f"unknown attribute value type {kind!r}")


def item_size(item: dict) -> int:
    """An item's size as DynamoDB counts it against its 400 KB: the UTF-8 bytes of every attribute name plus the
    size of its value."""
    return sum(_text_bytes(name) + _value_size(value) for name, value in item.items())


@functools.cache
def _key_names(model_cls) -> frozenset[str]:
    """The attributes of `model_cls` that are key values: its table's key and the keys of its indexes."""
    names = {name for name, attr in model_cls.get_attributes().items() if attr.is_hash_key or attr.is_range_key}
    for _name, index in inspect.getmembers(model_cls, lambda member: isinstance(member, Index)):  # its indexes
        names |= {name for name, attr in index.Meta.attributes.items() if attr.is_hash_key or attr.is_range_key}
    return frozenset(names)


def cancellation_codes(exc: TransactWriteError) -> list[str | None]:
    return [reason.code if reason else None for reason in (exc.cancellation_reasons or [])]


def is_condition_failure(exc: BaseException) -> bool:
    """A single-item write whose condition did not hold (a transaction's: see Transaction.commit)."""
    return _error_code(exc) == "ConditionalCheckFailedException"


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransactWriteError) and exc.cancellation_reasons:
        codes = set(cancellation_codes(exc)) - {None, "None"}
        return bool(codes) and codes <= TRANSIENT_CODES
    # Connection faults (connect and read timeouts, closed or refused connections) outlived botocore's retries.
    if any(isinstance(cause, BotoCoreError) for cause in _causes(exc)):
        return True
    return _error_code(exc) in TRANSIENT_CODES


def translated(func):
    """Storage failures that botocore's retries could not cure become a 503, never a 500. (A transaction whose
    condition did not hold raises the ports' refusal from `Transaction.commit`, so use cases never see
    PynamoDB's types.) A request refused before sending (RefusedBeforeSending) is logged with the repository
    method that built it and stays a programming error."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bind()
        try:
            return func(*args, **kwargs)
        except DomainError:
            raise
        except RefusedBeforeSending as exc:
            log.error("%s: a request DynamoDB would refuse, not sent: %s", func.__qualname__, exc)
            raise
        except (PynamoDBException, ClientError, BotoCoreError) as exc:
            if is_transient(exc):
                log.warning("transient storage failure in %s: %s", func.__qualname__, _error_code(exc))
                raise ServiceUnavailable() from exc
            raise

    return wrapper


def translate_all(cls):
    for name, value in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        # A staticmethod is callable too (Python 3.10+): test it first, so it stays static (callable on instances).
        if isinstance(value, staticmethod):
            setattr(cls, name, staticmethod(translated(value.__func__)))
        elif callable(value):
            setattr(cls, name, translated(value))
    return cls


class Transaction:
    """One TransactWriteItems, all or nothing, in which every item knows what its failed condition means.

    Each item is added with `refused`, the error (a `ports.WriteRefused`, or a `Conflict` naming a taken unique
    value) that a failure of its condition stands for; VersionConflict by default. DynamoDB answers a cancelled
    transaction with one reason per item, in the order the items were sent: this class builds the four lists that
    PynamoDB's public `Connection.transact_write_items(condition_check_items, delete_items, put_items,
    update_items)` takes and sends in that order, so it knows which item each reason belongs to.

    When several conditions failed, `commit` raises the refusal of the first such item *in the order they were
    added*: add first the items whose refusal should win (a taken name before a stale counter, a revoked slot
    before receipts stored meanwhile). Botocore gives the call a ClientRequestToken and keeps it across its
    retries, so a transaction whose answer was lost is not applied twice.

    Real DynamoDB's limits are checked before anything is sent (RefusedBeforeSending, nothing written): a key
    value over 1,024 bytes or an item over 400 KB when it is added, more than 100 items or 4 MB when it is
    committed. A transaction with no items sends nothing: DynamoDB refuses an empty TransactWriteItems, and
    there is nothing to write and no condition to fail, so committing it is a no-op."""

    KINDS = ("condition_check", "delete", "put", "update")  # the order Connection.transact_write_items sends

    def __init__(self):
        self._added = 0
        self._bytes = 0
        self._items: dict[str, list[tuple[int, WriteRefused | DomainError, dict]]] = {kind: [] for kind in self.KINDS}

    def _add(self, kind: str, refused, operation: dict, model_cls) -> None:
        _check_key_values(operation.get("Key") or {})
        item = operation.get("Item")
        if item is not None:
            _check_key_values({name: value for name, value in item.items() if name in _key_names(model_cls)})
        size = item_size(item if item is not None else operation.get("Key") or {})
        if size > MAX_ITEM_BYTES:
            raise RefusedBeforeSending(f"{model_cls.__name__} item of {size} bytes (DynamoDB takes {MAX_ITEM_BYTES})")
        self._bytes += size
        self._items[kind].append((self._added, refused if refused is not None else VersionConflict(), operation))
        self._added += 1

    def condition_check(self, model_cls, hash_key, range_key=None, *, condition, refused=None) -> None:
        self._add("condition_check", refused,
                  model_cls.get_operation_kwargs_from_class(hash_key, range_key=range_key, condition=condition),
                  model_cls)

    def delete(self, model, condition=None, *, refused=None) -> None:
        self._add("delete", refused, model.get_delete_kwargs_from_instance(condition=condition), type(model))

    def save(self, model, condition=None, *, refused=None) -> None:
        self._add("put", refused, model.get_save_kwargs_from_instance(condition=condition), type(model))

    def update(self, model, actions: list, condition=None, *, refused=None) -> None:
        self._add("update", refused, model.get_update_kwargs_from_instance(actions=actions, condition=condition),
                  type(model))

    def sent(self) -> list[tuple[int, WriteRefused | DomainError]]:
        """(position added, refusal) of each item, in the order the items are sent."""
        return [(added, refused) for kind in self.KINDS for added, refused, _ in self._items[kind]]

    def commit(self) -> None:
        if not self._added:
            return  # DynamoDB refuses an empty TransactWriteItems; nothing to write, no condition to fail
        if self._added > MAX_TRANSACTION_ITEMS:
            raise RefusedBeforeSending(f"{self._added} items in one transaction "
                                       f"(DynamoDB takes {MAX_TRANSACTION_ITEMS})")
        if self._bytes > MAX_TRANSACTION_BYTES:
            raise RefusedBeforeSending(f"{self._bytes} bytes in one transaction "
                                       f"(DynamoDB takes {MAX_TRANSACTION_BYTES})")
        lists = {kind: [operation for _, _, operation in self._items[kind]] for kind in self.KINDS}
        try:
            connection().transact_write_items(
                condition_check_items=lists["condition_check"], delete_items=lists["delete"],
                put_items=lists["put"], update_items=lists["update"])
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            failed = [item for item, code in zip(self.sent(), codes) if code == "ConditionalCheckFailed"]
            if failed:
                raise min(failed, key=lambda item: item[0])[1] from exc
            raise


@contextmanager
def transaction():
    """Collect the items of one transaction; it is sent when the block ends (nothing is sent if the block
    raises, or added nothing)."""
    tx = Transaction()
    yield tx
    tx.commit()


# Cursors: the DynamoDB LastEvaluatedKey, base64url JSON. Decoding checks its shape and that it
# belongs to the partition being read, so a cursor never reaches into another merchant's data.

class _CursorKey(dict):
    """A decoded cursor's key, remembering which listing (table and index) issued it."""

    scope: str | None = None


def listing_scope(model, index=None) -> str:
    """Which table and index a listing reads: stores and employees keys look alike ({merchant_id, id}), so a cursor
    carries this and is refused by any other listing."""
    index_name = index.Meta.index_name if index is not None else ""
    return hashlib.sha256(f"{model.Meta.table_name}/{index_name}".encode()).hexdigest()[:8]


def encode_cursor(last_key: dict | None, scope: str | None = None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(dict(last_key) | ({"~": scope} if scope else {}), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, partition: tuple[str, str], allowed_attrs: set[str],
                  merchant_id: str | None = None) -> dict | None:
    if cursor in (None, ""):
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidCursor(field="cursor") from None
    scope = key.pop("~", None) if isinstance(key, dict) else None
    if not isinstance(key, dict) or not key or set(key) - allowed_attrs:
        raise InvalidCursor(field="cursor")
    for value in key.values():
        if not (isinstance(value, dict) and len(value) == 1
                and next(iter(value)) in ("S", "N") and isinstance(next(iter(value.values())), str)):
            raise InvalidCursor(field="cursor")
        # DynamoDB refuses key values over 1,024 bytes (a ValidationException, i.e. a 500); ours are far shorter.
        text = next(iter(value.values()))
        if not text or len(text.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES or (
                "N" in value and not _NUMBER.fullmatch(text)):
            raise InvalidCursor(field="cursor")
    attr, expected = partition
    if key.get(attr, {}).get("S") != expected:
        raise InvalidCursor(field="cursor")
    # An index's cursor also holds the table key: it must be the caller's merchant's, too.
    if merchant_id is not None and key.get("merchant_id", {}).get("S") != merchant_id:
        raise InvalidCursor(field="cursor")
    key = _CursorKey(key)
    key.scope = scope
    return key


def page(result_iterator, limit: int, scope: str) -> tuple[list, str | None]:
    """Drain up to `limit` items and the cursor (of the listing `scope`) to continue after the last one (None at
    the end)."""
    items = list(result_iterator)
    # PynamoDB gives the key of the last item handed out when it stopped at `limit`.
    return items[:limit], encode_cursor(result_iterator.last_evaluated_key, scope)
