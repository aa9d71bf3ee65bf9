"""Real DynamoDB's limits, which moto does not enforce, checked by the DynamoDB adapter itself before a request is
sent (DESIGN.md 6.1; chalicelib/adapters/dynamo.py): key values over 1,024 bytes, empty TransactWriteItems,
more than 100 items or 4 MB in a transaction, items over 400 KB, and one ClientRequestToken on every attempt of
a transaction. These tests run on moto and assert on the requests that reach it (`sent`), or that botocore sends
(a `before-send` hook on the client the adapter uses), since moto itself would take what DynamoDB refuses."""
import contextlib
import dataclasses
import json
import uuid

import botocore.exceptions
import pytest

from chalicelib.adapters import models
from chalicelib.adapters.dynamo import (
    MAX_ITEM_BYTES, MAX_KEY_BYTES, MAX_TRANSACTION_ITEMS, RefusedBeforeSending, item_size,
    transaction,
)
from chalicelib.adapters.models import GuardModel, ReceiptModel
from chalicelib.adapters.repositories import AccountRepository, DeviceRepository, ReceiptRepository
from chalicelib.services import sync
from tests.conftest import receipt
from tests.robustness.test_key_limits import dynamodb_key_limit


@dataclasses.dataclass
class Sent:
    operation: str
    body: dict

    @property
    def transact_items(self) -> list[dict]:
        return [next(iter(entry.values())) for entry in self.body.get("TransactItems", [])]


@contextlib.contextmanager
def sent():
    """Every DynamoDB request that reaches moto, in order (what DynamoDB would have received)."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request
    requests: list[Sent] = []

    def process_request(self, request):
        if "dynamodb." in request.url:
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else target
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            requests.append(Sent(target.rsplit(".", 1)[-1], json.loads(body or "{}")))
        return original(self, request)

    BotocoreStubber.process_request = process_request
    try:
        yield requests
    finally:
        BotocoreStubber.process_request = original


def _transactions(requests: list[Sent]) -> list[Sent]:
    return [r for r in requests if r.operation == "TransactWriteItems"]


def _guard_count(pk: str) -> int:
    """How many guard items with this key are stored (0 or 1)."""
    return sum(1 for _ in GuardModel.query(pk, consistent_read=True))


# ---------------------------------------------------------------- 1. key values up to 1,024 bytes

def test_a_pos_name_whose_key_would_pass_1024_bytes_is_stored_and_kept_unique(client):
    """A valid name (100 characters) whose unique key expands under NFKC to 3,300 bytes: before, its guard's key
    reached DynamoDB (ValidationException: 500 INTERNAL on AWS); now the guard holds its hash, the device is
    created and the name stays unique in the store, and no request carries a key DynamoDB would refuse."""
    m = client.signup()
    store = m.store()
    long_name = "\ufdfa" * 100  # ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM: NFKC gives 18 characters
    with dynamodb_key_limit() as refused:
        status, device = client.post("/v1/pos_devices", {"name": long_name, "store_id": store["id"]}, token=m.token)
        assert status == 201, device
        status, again = client.post("/v1/pos_devices", {"name": long_name, "store_id": store["id"]}, token=m.token)
        assert (status, again["errors"][0]["code"]) == (409, "NAME_TAKEN"), again
        status, other = client.post("/v1/pos_devices", {"name": "\ufdfa" * 99, "store_id": store["id"]},
                                    token=m.token)
        assert status == 201, other
        # Renaming frees the long name's guard: it can be taken again.
        status, renamed = client.patch(f"/v1/pos_devices/{device['id']}", {"name": "Till 1"}, token=m.token)
        assert status == 200, renamed
        status, third = client.post("/v1/pos_devices", {"name": long_name, "store_id": store["id"]}, token=m.token)
        assert status == 201, third
    assert refused == [], refused


def test_a_transaction_item_with_a_key_over_1024_bytes_is_refused_before_sending(aws):
    with sent() as requests:
        with pytest.raises(RefusedBeforeSending, match="key attribute 'pk'"):
            with transaction() as tx:
                tx.save(GuardModel(pk="ok", owner_id="a"))
                tx.save(GuardModel(pk="k" * (MAX_KEY_BYTES + 1), owner_id="a"))
        with pytest.raises(RefusedBeforeSending, match="key attribute"):
            with transaction() as tx:  # 342 three-byte characters: 1,026 bytes, though only 342 characters
                tx.update(GuardModel(pk="\u20ac" * 342), actions=[GuardModel.count.add(1)])
        with transaction() as tx:  # exactly 1,024 bytes is what DynamoDB takes
            tx.save(GuardModel(pk="k" * MAX_KEY_BYTES, owner_id="a"))
    assert [r.operation for r in requests] == ["TransactWriteItems"]
    assert (_guard_count("ok"), _guard_count("k" * MAX_KEY_BYTES)) == (0, 1)


def test_user_strings_that_become_guard_keys_are_refused_before_sending(aws, caplog):
    """E-mails (254 bytes), attempt keys and receipt ids (64 characters) are bounded by the API's schemas
    (tests/robustness/test_key_limits.py); the adapter refuses one that is not, instead of sending it."""
    long = "\u00e9" * 600 + "@example.com"  # 1,212 bytes
    device = _device()
    with sent() as requests:
        for call in (lambda: AccountRepository.reserve_attempt(long, 0, 5, 900),
                     lambda: AccountRepository.clear_attempts(long),
                     lambda: AccountRepository.release_attempt(long),
                     lambda: AccountRepository.find_employee_by_email(long),
                     lambda: AccountRepository.save_employee({"merchant_id": "m1", "id": "e1", "email": long}, None,
                                                             {}),
                     lambda: ReceiptRepository.ids_taken("m1", ["r" * 1100]),
                     lambda: ReceiptRepository.store_batch(device, [_receipt_item(device, 1, id="r" * 1100)])):
            with pytest.raises(RefusedBeforeSending):
                call()
    assert requests == []
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(m.startswith("AccountRepository.reserve_attempt: a request DynamoDB would refuse") for m in logged)


# ---------------------------------------------------------------- 2. no empty TransactWriteItems

def test_an_empty_transaction_sends_nothing_and_is_a_no_op(aws):
    with sent() as requests:
        with transaction():
            pass
    assert requests == []


def test_a_locked_out_attempt_window_sends_no_transaction(aws):
    """reserve_attempt once left `with transaction()` with nothing added when the window was full: DynamoDB
    refused the empty TransactWriteItems (a 500 instead of the 429)."""
    for now in range(3):
        assert AccountRepository.reserve_attempt("a@example.com", 1000 + now, 3, 900) is None
    with sent() as requests:
        assert AccountRepository.reserve_attempt("a@example.com", 1003, 3, 900) == 1000
    assert _transactions(requests) == []
    assert GuardModel.get("login#a@example.com").count == 3


# ---------------------------------------------------------------- 3. at most 100 items in a transaction

def test_a_transaction_of_more_than_100_items_is_refused_before_sending(aws):
    with sent() as requests:
        with pytest.raises(RefusedBeforeSending, match="101 items"):
            with transaction() as tx:
                for n in range(MAX_TRANSACTION_ITEMS + 1):
                    tx.save(GuardModel(pk=f"g{n}", owner_id="a"))
        with transaction() as tx:
            for n in range(MAX_TRANSACTION_ITEMS):
                tx.save(GuardModel(pk=f"h{n}", owner_id="a"))
    assert [len(r.transact_items) for r in _transactions(requests)] == [100]
    assert (_guard_count("g0"), _guard_count("h99")) == (0, 1)


def test_store_batch_takes_43_receipts_over_4_days_in_99_items_and_refuses_more(aws):
    """ReceiptRepository.per_transaction = 43: two items a receipt (the receipt, its id guard), the slot's
    counter and the sales counters (3 rows per local day, at most sales.MAX_DAYS_PER_BATCH = 4 days)."""
    device = _stored_device()
    per = ReceiptRepository.per_transaction

    def on_days(seqs):
        return [_receipt_item(device, seq, created_at=sync.datetime.fromisoformat(
            f"2026-11-{21 + seq % 4:02d}T10:00:00+00:00")) for seq in seqs]

    with sent() as requests:
        with pytest.raises(RefusedBeforeSending, match="101 items"):
            ReceiptRepository.store_batch(device, on_days(range(1, per + 2)))
        ReceiptRepository.store_batch(device, on_days(range(1, per + 1)))
    assert [len(r.transact_items) for r in _transactions(requests)] == [99]
    assert DeviceRepository.get(device.merchant_id, device.id).synced_receipts == 43


def test_a_sync_of_250_receipts_sends_transactions_of_at_most_100_items(client):
    m = client.signup()
    device, token = m.active_device()
    receipts = [receipt(device["number"], seq) for seq in range(1, 251)]
    with sent() as requests:
        status, body = client.post("/v1/pos/sync", {"receipts": receipts}, token=token)
    assert (status, body["accepted"]) == (200, 250), body
    sizes = [len(r.transact_items) for r in _transactions(requests)]
    # each receipt: its item and its number's guard; each transaction: the slot's check, its receipts.created
    # event (the webhooks' outbox) and 3 sales counter rows (one local day)
    assert sum(sizes) == 250 * 2 + 5 * len(sizes), sizes
    assert max(sizes) <= MAX_TRANSACTION_ITEMS, sizes


def test_a_sync_of_receipts_over_many_days_stays_under_100_items_a_transaction(client):
    """A tablet back from a month offline: every receipt on another day; a transaction takes at most 4 days."""
    m = client.signup()
    device, token = m.active_device()
    receipts = [receipt(device["number"], seq, created_at=f"2026-10-{1 + seq % 30:02d}T10:00:00Z")
                for seq in range(1, 201)]
    with sent() as requests:
        status, body = client.post("/v1/pos/sync", {"receipts": receipts}, token=token)
    assert (status, body["accepted"]) == (200, 200), body
    sizes = [len(r.transact_items) for r in _transactions(requests)]
    assert max(sizes) <= MAX_TRANSACTION_ITEMS, sizes
    status, summary = client.get("/v1/sales/summary?from=2026-10-01&to=2026-10-31&group_by=day", token=m.token)
    assert (status, summary["totals"]["receipt_count"]) == (200, 200)
    assert (len(summary["groups"]), sum(1 for g in summary["groups"] if g["receipt_count"])) == (31, 30)


# ---------------------------------------------------------------- 4. items under 400 KB, transactions under 4 MB

def test_item_size_counts_names_and_values_as_dynamodb_does():
    """The examples of DynamoDB's documentation (Item sizes and formats): strings are UTF-8 bytes, a number
    about one byte per two significant digits plus one, a list or map 3 bytes plus one per element."""
    assert item_size({"name": {"S": "abc"}}) == 4 + 3
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"n": {"N": "-1.500"}}) == 1 + 2
    assert item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    assert item_size({"l": {"L": [{"S": "ab"}, {"N": "7"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert item_size({"m": {"M": {"k": {"S": "\u00e9"}}}}) == 1 + 3 + (1 + 1 + 2)


def test_an_item_over_400_kb_is_refused_before_sending(aws):
    name = "owner_id"
    with sent() as requests:
        with pytest.raises(RefusedBeforeSending, match="GuardModel item"):
            with transaction() as tx:
                tx.save(GuardModel(pk="big", owner_id="x" * MAX_ITEM_BYTES))
        just_under = MAX_ITEM_BYTES - len("pk") - len("small") - len("count") - 2 - len(name)
        with transaction() as tx:
            tx.save(GuardModel(pk="small", owner_id="x" * just_under))
    [written] = _transactions(requests)
    assert item_size(written.transact_items[0]["Item"]) == MAX_ITEM_BYTES
    assert (_guard_count("big"), _guard_count("small")) == (0, 1)


def test_a_transaction_over_4_mb_is_refused_before_sending(aws):
    with sent() as requests:
        with pytest.raises(RefusedBeforeSending, match="bytes in one transaction"):
            with transaction() as tx:
                for n in range(11):  # 11 x 390 KB
                    tx.save(GuardModel(pk=f"g{n}", owner_id="x" * (390 * 1024)))
    assert requests == []
    assert _guard_count("g0") == 0


def test_the_largest_receipt_the_api_takes_stays_under_400_kb(client):
    """Why the item guard is a programming error: the schema's largest receipt (500 line items, 100-character
    names of four-byte characters) is stored, at about 220 KB; and a request body holds at most 1 MB
    (MAX_BODY_BYTES), so no sync reaches a transaction's 4 MB either."""
    m = client.signup()
    device, token = m.active_device()
    lines = [{"item_name": "\U00010428" * 100, "quantity": 10**6, "price": 10**12, "total_money": 10**12}] * 500
    big = receipt(device["number"], 1, total=10**12, line_items=lines)
    with sent() as requests:
        status, body = client.post("/v1/pos/sync", {"receipts": [big]}, token=token)
    assert (status, body["accepted"]) == (200, 1), body
    [stored] = [one["Item"] for r in _transactions(requests) for one in r.transact_items if "line_items" in
                one.get("Item", {})]
    assert 200 * 1024 < item_size(stored) < MAX_ITEM_BYTES


# ---------------------------------------------------------------- 5. one ClientRequestToken on every attempt

class FailFirstAttempt:
    """A `before-send` hook on the client the adapter's transactions use: records each attempt's
    ClientRequestToken, and fails the first attempt with a closed connection (retryable) before it reaches moto,
    so botocore sends the same request again."""

    def __init__(self):
        self.armed, self.tokens = False, []

    def __call__(self, request, **_kwargs):
        self.tokens.append(_token(request))
        if self.armed:
            self.armed = False
            raise botocore.exceptions.ConnectionClosedError(endpoint_url=request.url)


def _token(request) -> str | None:
    return json.loads(request.body.decode() if isinstance(request.body, bytes) else request.body).get(
        "ClientRequestToken")


@contextlib.contextmanager
def hooked(hook):
    """`hook` first among the `before-send` handlers of TransactWriteItems on the adapter's client (before moto's,
    which answers in process)."""
    events = models.connection().client.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", hook, unique_id="test-dynamodb-guards")
    try:
        yield hook
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="test-dynamodb-guards")


@pytest.fixture
def fail_first_attempt(aws):
    with hooked(FailFirstAttempt()) as hook:
        yield hook


def test_a_retried_transaction_carries_the_same_client_request_token(client, fail_first_attempt):
    m = client.signup()
    store = m.store()
    fail_first_attempt.armed, fail_first_attempt.tokens = True, []
    status, device = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)
    assert status == 201, device
    first, retry = fail_first_attempt.tokens
    assert first, fail_first_attempt.tokens
    assert first == retry, fail_first_attempt.tokens
    status, listed = client.get("/v1/pos_devices", token=m.token)
    assert [(d["id"], d["number"]) for d in listed["pos_devices"]] == [(device["id"], 1)]


def test_a_retried_attempt_count_carries_the_same_token_and_counts_once(aws, fail_first_attempt):
    """reserve_attempt's one-item transaction: its retry is the same request, so a lost answer is not a second
    failed login (on DynamoDB, which applies a token once; moto ignores it, so here the first attempt fails
    before it is applied)."""
    fail_first_attempt.armed = True
    assert AccountRepository.reserve_attempt("b@example.com", 1000, 5, 900) is None
    first, retry = fail_first_attempt.tokens
    assert first
    assert first == retry
    assert GuardModel.get("login#b@example.com", consistent_read=True).count == 1
    assert AccountRepository.reserve_attempt("b@example.com", 1001, 5, 900) is None
    assert len(set(fail_first_attempt.tokens)) == 2  # another transaction, another token


# ---------------------------------------------------------------- helpers

def _device():
    from chalicelib.domain.devices import Device, Status

    return Device(merchant_id="m1", id=str(uuid.uuid4()), name="Till 1", store_id="s1", number=1,
                  status=Status.ACTIVATED, activation_id="a1", created_at="2026-11-24T10:00:00Z",
                  updated_at="2026-11-24T10:00:00Z")


def _stored_device():
    from chalicelib.adapters.repositories.devices import _device_item

    device = _device()
    _device_item(device).save()
    return device


def _receipt_item(device, seq: int, **extra) -> dict:
    item = sync._receipt_item(device, {
        "id": str(uuid.uuid4()), "receipt_number": f"{device.number}-{seq}", "receipt_type": "SALE",
        "created_at": sync.datetime.fromisoformat("2026-11-24T10:00:00+00:00"), "shift_id": None,
        "line_items": [{"item_name": "Tea", "quantity": 1, "price": 700, "total_money": 700}],
        "payments": [{"type": "CASH", "money_amount": 700}], "total_money": 700, "total_tax": 0,
    } | extra, "2026-11-24T10:00:00Z", "UTC")
    assert set(item) <= set(ReceiptModel.get_attributes())
    return item
