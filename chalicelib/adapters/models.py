"""PynamoDB models. Table names, region and host are bound from settings on first use (`bind`)."""
import threading

import pynamodb.connection.base as _pynamodb_connection
from botocore.session import get_session as _botocore_session
from pynamodb.attributes import (
    BooleanAttribute, JSONAttribute, ListAttribute, MapAttribute, NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.connection.base import MetaTable
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib import deadline
from chalicelib.config import settings


def _session_with_deadline():
    """PynamoDB's botocore session, with the request's budget checked before every attempt a client of it sends
    (its retries included): chalicelib/deadline.py. First, so that nothing is sent once the budget is spent."""
    session = _botocore_session()
    session.get_component("event_emitter").register_first("before-send.dynamodb", deadline.before_send,
                                                           unique_id="pos-request-deadline")
    return session


_pynamodb_connection.get_session = _session_with_deadline  # every Connection's session (models' and ours)


class _Meta:
    region = "us-east-1"
    host = None
    billing_mode = "PAY_PER_REQUEST"


def _meta(logical: str):
    return type("Meta", (_Meta,), {"table_name": logical, "logical_name": logical})


def _gsi(name: str, hash_attr: str, range_attr: str | None = None, projection=None):
    """An index on string keys, projecting every attribute unless told (`KeysOnlyProjection()`)."""
    meta = type("Meta", (), {"index_name": name, "projection": projection or AllProjection(),
                             "billing_mode": "PAY_PER_REQUEST"})
    attrs = {"Meta": meta, hash_attr: UnicodeAttribute(hash_key=True)}
    if range_attr:
        attrs[range_attr] = UnicodeAttribute(range_key=True)
    return type(f"{name}-gsi", (GlobalSecondaryIndex,), attrs)()


class _NumberIndex(GlobalSecondaryIndex):
    """A merchant's POS devices in `number` order (what the back office lists)."""

    class Meta:
        index_name = "merchant-number-index"
        projection = AllProjection()
        billing_mode = "PAY_PER_REQUEST"

    merchant_id = UnicodeAttribute(hash_key=True)
    number = NumberAttribute(range_key=True)


class _AuditIndex(GlobalSecondaryIndex):
    """Devices that need the audit's look (domain.audit.needs_audit), spread over shards and sorted by when
    they are due (domain.audit.audit_due). Sparse: only items carrying `audit_shard` are in it. KEYS_ONLY: a sync that changes a device's counters but not its
    membership writes nothing here; the audit reads the devices themselves, 100 per BatchGetItem."""

    class Meta:
        index_name = "audit-index"
        projection = KeysOnlyProjection()
        billing_mode = "PAY_PER_REQUEST"

    audit_shard = UnicodeAttribute(hash_key=True)
    audit_due = UnicodeAttribute(range_key=True)  # "{due at}#{id}": the audit reads only what is due


class _OpenFindingIndex(GlobalSecondaryIndex):
    """Open findings, spread over the same shards as their devices. Sparse: `open_shard` is removed when a
    finding is resolved. It carries what the audit needs to refresh or resolve a finding without reading it."""

    class Meta:
        index_name = "open-finding-index"
        projection = IncludeProjection(["pos_device_id", "type", "missing_receipt_numbers", "missing_count",
                                        "checked_from", "checked_upto"])
        billing_mode = "PAY_PER_REQUEST"

    open_shard = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class MerchantModel(Model):
    Meta = _meta("merchants")
    id = UnicodeAttribute(hash_key=True)
    business_name = UnicodeAttribute()
    currency = UnicodeAttribute(null=True)  # ISO 4217, set at sign-up; money stays in its minor units
    time_zone = UnicodeAttribute(null=True)  # IANA name, set at sign-up: what a day of the sales summary is
    pos_number_counter = NumberAttribute(default=0)
    created_at = UnicodeAttribute()


class EmployeeModel(Model):
    Meta = _meta("employees")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    store_ids = ListAttribute(of=UnicodeAttribute, default=list)
    # HMAC-SHA256 of the PIN under PIN_HASH_SECRET (services/security.py); the PIN itself is never stored.
    pin_hash = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    # Raised when the password, e-mail, role or stores change: tokens issued under an older value are void.
    session_epoch = NumberAttribute(null=True)
    # A live invitation (DESIGN.md 3.2): the SHA-256 of its token (the newest one only) and when it expires.
    invitation_hash = UnicodeAttribute(null=True)
    invitation_expires_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    email_index = _gsi("email-index", "email")


class StoreModel(Model):
    Meta = _meta("stores")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    # Live (not deleted) POS devices: a store with any cannot be deleted; kept in the same transactions.
    device_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class PosDeviceModel(Model):
    Meta = _meta("pos_devices")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    store_id = UnicodeAttribute()
    number = NumberAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute(default=0)
    # Set only while the device needs the audit's look (domain.audit.audit_shard): the sparse audit index.
    audit_shard = UnicodeAttribute(null=True)
    audit_due = UnicodeAttribute(null=True)
    installation_id = UnicodeAttribute(null=True)
    activation_id = UnicodeAttribute(null=True)
    device_token_hash = UnicodeAttribute(null=True)
    activated_at = UnicodeAttribute(null=True)
    deactivated_at = UnicodeAttribute(null=True)
    current_employee_id = UnicodeAttribute(null=True)
    last_sync_at = UnicodeAttribute(null=True)
    last_receipt_number = NumberAttribute(default=0)
    stored_seq_high = NumberAttribute(default=0)
    synced_receipts = NumberAttribute(default=0)
    lost_receipts = NumberAttribute(default=0)
    written_off_upto = NumberAttribute(default=0)
    complete_upto = NumberAttribute(default=0)
    shift_open = BooleanAttribute(default=False)
    open_shift_id = UnicodeAttribute(null=True)
    shift_opened_at = UnicodeAttribute(null=True)
    open_tickets = NumberAttribute(default=0)
    first_seq = NumberAttribute(default=0)
    skipped_receipts = NumberAttribute(default=0)
    pairing_code_hash = UnicodeAttribute(null=True)
    pairing_code_expires_at = UnicodeAttribute(null=True)
    final_sync_until = UnicodeAttribute(null=True)
    final_sync_activation_id = UnicodeAttribute(null=True)
    final_sync_installation_id = UnicodeAttribute(null=True)
    final_sync_last_seq = NumberAttribute(default=0)
    final_sync_upto = NumberAttribute(default=0)
    final_sync_held = NumberAttribute(default=0)
    final_sync_received = NumberAttribute(default=0)
    final_sync_store_id = UnicodeAttribute(null=True)
    final_sync_employee_id = UnicodeAttribute(null=True)
    final_sync_activated_at = UnicodeAttribute(null=True)
    deletion = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted_at = UnicodeAttribute(null=True)
    audit_index = _AuditIndex()
    merchant_number_index = _NumberIndex()


class TokenModel(Model):
    Meta = _meta("tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # user | login | device | pairing | invitation
    merchant_id = UnicodeAttribute()
    employee_id = UnicodeAttribute(null=True)
    pos_device_id = UnicodeAttribute(null=True)
    activation_id = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
    session_epoch = NumberAttribute(null=True)  # user and login tokens: the employee's session_epoch at issue
    # kind "api" (issue 24): the API access token's id, name, scope and last use (also on ApiTokenModel)
    api_token_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    access = UnicodeAttribute(null=True)
    store_ids = ListAttribute(of=UnicodeAttribute, null=True)
    last_used_at = UnicodeAttribute(null=True)


class AuditRunModel(Model):
    """The back office's audit runs, in the tokens table beside the tokens (short-lived too: TTL): the run itself
    (`audit_run#{merchant}#{id}`, its record in `run`) and the merchant's lock on running one
    (`audit_run_lock#{merchant}`, naming the run that holds it until `running_until_epoch`)."""

    Meta = _meta("tokens")
    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # audit_run | audit_run_lock
    merchant_id = UnicodeAttribute()
    run_id = UnicodeAttribute()
    run = JSONAttribute(null=True)
    running_until_epoch = NumberAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class GuardModel(Model):
    """Uniqueness claims (e-mails, PINs) and login-failure windows."""

    Meta = _meta("guards")
    pk = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute(null=True)
    count = NumberAttribute(default=0)
    window_start_epoch = NumberAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class EventModel(Model):
    Meta = _meta("events")
    merchant_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "{at}#{id}": newest first by querying backwards
    id = UnicodeAttribute()
    pos_device_id = UnicodeAttribute(null=True)
    type = UnicodeAttribute()
    actor = JSONAttribute()
    at = UnicodeAttribute()
    details = JSONAttribute(default=dict)
    device_index = _gsi("device-index", "pos_device_id", "sk")


class LineItem(MapAttribute):
    item_name = UnicodeAttribute()
    quantity = NumberAttribute()
    price = NumberAttribute()
    total_money = NumberAttribute()


class Payment(MapAttribute):
    type = UnicodeAttribute()
    money_amount = NumberAttribute()


class ReceiptModel(Model):
    Meta = _meta("receipts")
    merchant_id = UnicodeAttribute(hash_key=True)
    receipt_number = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    receipt_type = UnicodeAttribute()
    pos_device_id = UnicodeAttribute()
    pos_device_name = UnicodeAttribute()
    store_id = UnicodeAttribute()
    shift_id = UnicodeAttribute(null=True)
    employee_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_sk = UnicodeAttribute()  # "{created_at}#{receipt_number}": a stable newest-first order
    sales_day = UnicodeAttribute(null=True)  # the merchant's local day it counts on in the sales summary
    synced_at = UnicodeAttribute()
    line_items = ListAttribute(of=LineItem)
    payments = ListAttribute(of=Payment)
    total_money = NumberAttribute()
    total_tax = NumberAttribute()
    merchant_created_index = _gsi("merchant-created-index", "merchant_id", "created_sk")
    device_created_index = _gsi("device-created-index", "pos_device_id", "created_sk")
    store_created_index = _gsi("store-created-index", "store_id", "created_sk")


class ShiftModel(Model):
    Meta = _meta("shifts")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    pos_device_id = UnicodeAttribute()
    store_id = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    opened_sk = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    opened_by_employee = UnicodeAttribute(null=True)
    closed_by_employee = UnicodeAttribute(null=True)
    starting_cash = NumberAttribute(default=0)
    expected_cash = NumberAttribute(null=True)
    actual_cash = NumberAttribute(null=True)
    # Set when the slot was deactivated (or deleted) while this shift was still open: nobody will close it.
    orphaned_at = UnicodeAttribute(null=True)
    # The activation (installation) that first sent it: only that one may write it again (close it). Shifts
    # stored before issue 22 have none: any activation of their slot may close them.
    activation_id = UnicodeAttribute(null=True)
    device_opened_index = _gsi("device-opened-index", "pos_device_id", "opened_sk")
    store_opened_index = _gsi("store-opened-index", "store_id", "opened_sk")
    merchant_opened_index = _gsi("merchant-opened-index", "merchant_id", "opened_sk")


class FindingModel(Model):
    Meta = _meta("findings")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    pos_device_id = UnicodeAttribute()
    type = UnicodeAttribute()
    details = UnicodeAttribute(null=True)  # an English sentence in records written before details_key
    details_key = UnicodeAttribute(null=True)
    details_params = JSONAttribute(null=True)
    missing_receipt_numbers = ListAttribute(of=UnicodeAttribute, default=list)
    missing_count = NumberAttribute(default=0)
    first_seen_at = UnicodeAttribute()
    last_seen_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    # Set only while open (the device's shard): the sparse index the scheduled audit reads.
    open_shard = UnicodeAttribute(null=True)
    # How far the missing numbers were checked (domain.audit.GapState), so that no run re-reads every receipt.
    checked_from = NumberAttribute(null=True)
    checked_upto = NumberAttribute(null=True)
    device_index = _gsi("device-index", "pos_device_id", "first_seen_at")
    merchant_seen_index = _gsi("merchant-seen-index", "merchant_id", "first_seen_at")
    open_index = _OpenFindingIndex()


class ApiTokenModel(Model):
    """An API access token's description (its bearer record, keyed by the hash, is a TokenModel of kind "api")."""

    Meta = _meta("api_tokens")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    access = UnicodeAttribute()  # READ | WRITE
    store_ids = ListAttribute(of=UnicodeAttribute, null=True)
    token_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = JSONAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True)


class WebhookModel(Model):
    Meta = _meta("webhooks")
    merchant_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    event_types = ListAttribute(of=UnicodeAttribute)
    enabled = BooleanAttribute()
    secret = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_sk = UnicodeAttribute(null=True)  # clock.sort_key of its creation: it gets the events written after it
    updated_at = UnicodeAttribute(null=True)
    failing_since = UnicodeAttribute(null=True)
    disabled_reason = JSONAttribute(null=True)
    disabled_at = UnicodeAttribute(null=True)


class DeliveryModel(Model):
    Meta = _meta("webhook_deliveries")
    webhook_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    merchant_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    pos_device_id = UnicodeAttribute(null=True)
    order_key = UnicodeAttribute()  # the event's "{at}#{id}"
    body = UnicodeAttribute()  # the JSON text every attempt sends
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    # Set only while PENDING: the sparse indexes below.
    pending_shard = UnicodeAttribute(null=True)
    pending_due = UnicodeAttribute(null=True)  # "{next_attempt_at}#{webhook_id}#{id}"
    device_key = UnicodeAttribute(null=True)  # "{webhook_id}#{pos_device_id or -}"
    order_index = _gsi("webhook-order-index", "webhook_id", "order_key")
    # Deliveries waiting for an attempt, by when it is due.
    pending_index = _gsi("pending-index", "pending_shard", "pending_due")
    # A subscription's pending deliveries of one POS device in event order (delivery in order per device).
    device_pending_index = _gsi("device-pending-index", "device_key", "order_key", KeysOnlyProjection())


class SalesCounterModel(Model):
    """The sales summary's counters of one scope and local day (chalicelib/domain/sales.py): besides the key,
    numbers named by counter ("n", "g", "r", "p#CASH#g", "e#<employee>#n" ...), added to by the transaction
    that stores the receipts (Receipts.store_batch) and read a range of days per query."""

    Meta = _meta("sales_counters")
    pk = UnicodeAttribute(hash_key=True)  # "{merchant_id}#{scope}"
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD in the merchant's time zone
    merchant_id = UnicodeAttribute()


ALL_MODELS = [
    MerchantModel, EmployeeModel, StoreModel, PosDeviceModel, TokenModel, GuardModel,
    EventModel, ReceiptModel, ShiftModel, FindingModel, ApiTokenModel, WebhookModel, DeliveryModel,
    SalesCounterModel,
]
# Models of other kinds of items in a table of ALL_MODELS (bound with it, never created on their own).
SHARED_TABLE_MODELS = [AuditRunModel]

_bound: tuple | None = None
_lock = threading.Lock()
_shared = type("ProcessWide", (), {"conn": None, "bound": None})()
_conn_lock = threading.Lock()


def _limits(cfg) -> dict:
    """Bounded time per DynamoDB call (PynamoDB's defaults, 15 s connect + 30 s read x 4 attempts, are minutes)."""
    return {"connect_timeout_seconds": cfg.dynamodb_connect_timeout_seconds,
            "read_timeout_seconds": cfg.dynamodb_read_timeout_seconds,
            # PynamoDB counts retries: total attempts = 1 + max_retry_attempts (botocore's standard mode).
            "max_retry_attempts": max(0, cfg.dynamodb_max_attempts - 1)}


def bind() -> None:
    """Point every model at the configured tables; cheap when nothing changed."""
    global _bound
    cfg = settings()
    key = (cfg.table_name_prefix, cfg.region, cfg.dynamodb_host, *_limits(cfg).values())
    if _bound == key:
        return
    with _lock:
        for model in ALL_MODELS + SHARED_TABLE_MODELS:
            model.Meta.table_name = cfg.table_name_prefix + model.Meta.logical_name
            model.Meta.region = cfg.region
            model.Meta.host = cfg.dynamodb_host
            for name, value in _limits(cfg).items():
                setattr(model.Meta, name, value)
            # PynamoDB keeps a model's connection while its table name stays: a new host or limits need a new one.
            model._connection = None
        _bound = key


def connection() -> Connection:
    """An explicit connection for TransactWrite/TransactGet (PynamoDB requires one).

    One per process, shared by all threads like the models' own: a botocore client is thread-safe once
    made, but making one (a new session, endpoints.json parsed again) costs 0.2-2 s of CPU, which a
    per-thread connection paid on every request of a threaded server (the local one)."""
    bind()
    cfg = settings()
    with _conn_lock:
        if _shared.conn is None or _shared.bound != _bound:
            conn = Connection(region=cfg.region, host=cfg.dynamodb_host, **_limits(cfg))
            conn.client  # noqa: B018 - botocore client creation is not thread-safe: make it under the lock
            _shared.conn, _shared.bound = conn, _bound
        return _shared.conn


def create_tables() -> None:
    """Local stack and tests only; on AWS the tables come from infra/."""
    bind()
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)


_table_connections: dict = {}


def table_connection(model) -> TableConnection:
    """A connection to `model`'s table that knows its key schema (no DescribeTable), for items with attributes
    the model does not declare (the sales counters). Built from the model's public attributes (the model's own
    is PynamoDB's private `_get_connection`); one per model and binding, like the models' own."""
    bind()
    with _conn_lock:
        bound, held = _table_connections.get(model, (None, None))
        if held is None or bound != _bound:
            # The table's key as DescribeTable states it (DynamoDB's own names).
            keys = [(attr.attr_name, attr.attr_type, "HASH" if attr.is_hash_key else "RANGE")
                    for attr in model.get_attributes().values() if attr.is_hash_key or attr.is_range_key]
            schema = MetaTable({
                "TableName": model.Meta.table_name,
                "KeySchema": [{"AttributeName": name, "KeyType": kind} for name, _type, kind in keys],
                "AttributeDefinitions": [{"AttributeName": name, "AttributeType": type_} for name, type_, _k in keys]})
            cfg = settings()
            held = TableConnection(model.Meta.table_name, region=cfg.region, host=cfg.dynamodb_host, **_limits(cfg),
                                   meta_table=schema)
            _table_connections[model] = (_bound, held)
        return held
