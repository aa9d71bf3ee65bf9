"""Contract: the Integrations port (API tokens, webhooks, deliveries, the outbox's read side) and the outbox events
written with receipts, shifts and findings: the same on SQLite and on the DynamoDB repositories."""
import pytest

from chalicelib import ports
from chalicelib.domain import audit as audit_rules
from tests.contract.test_accounts_contract import walk
from tests.contract.world import World, event, finding, new_id, receipt, shift, stamp


def api_token(world: World, **extra) -> dict:
    return {"merchant_id": world.merchant_id, "id": new_id(), "name": "ERP", "access": "WRITE", "store_ids": None,
            "token_hash": f"hash-{new_id()}", "created_at": stamp(1), "created_by": {"type": "employee", "id": "x"}
            } | extra


def webhook(world: World, **extra) -> dict:
    return {"merchant_id": world.merchant_id, "id": new_id(), "url": "https://example.com/h",
            "event_types": ["receipts.created"], "enabled": True, "secret": "whsec_x", "created_at": stamp(1),
            "created_sk": "2026-11-24T10:01:00.000000Z", "updated_at": stamp(1)} | extra


def delivery(hook: dict, order: int, device_id: str | None = "dev-1", **extra) -> dict:
    return {"webhook_id": hook["id"], "id": new_id(), "merchant_id": hook["merchant_id"], "event_id": new_id(),
            "event_type": "receipts.created", "pos_device_id": device_id,
            "order_key": f"2026-11-24T10:00:00.{order:06d}Z#e{order}", "body": "{}", "status": "PENDING",
            "attempts": 0, "next_attempt_at": stamp(order), "created_at": stamp(0)} | extra


def test_api_token_created_listed_touched_and_revoked_with_its_bearer_record(repos):
    world, other = World(repos), World(repos)
    token = api_token(world, store_ids=["s1", "s2"], access="READ")
    repos.integrations.create_api_token(token)
    assert repos.integrations.list_api_tokens(world.merchant_id) == [token | {"store_ids": ["s1", "s2"]}]
    assert repos.integrations.list_api_tokens(other.merchant_id) == []
    bearer = repos.tokens.get(token["token_hash"])
    assert {k: bearer.get(k) for k in ("kind", "merchant_id", "api_token_id", "name", "access", "store_ids")} == {
        "kind": "api", "merchant_id": world.merchant_id, "api_token_id": token["id"], "name": "ERP",
        "access": "READ", "store_ids": ["s1", "s2"]}
    assert bearer.get("last_used_at") is None
    repos.integrations.touch_api_token(world.merchant_id, token["id"], token["token_hash"], stamp(5))
    assert repos.tokens.get(token["token_hash"])["last_used_at"] == stamp(5)
    assert repos.integrations.list_api_tokens(world.merchant_id)[0]["last_used_at"] == stamp(5)
    assert repos.integrations.revoke_api_token(other.merchant_id, token["id"]) is False  # not theirs
    assert repos.integrations.revoke_api_token(world.merchant_id, token["id"]) is True
    assert repos.tokens.get(token["token_hash"]) is None
    assert repos.integrations.list_api_tokens(world.merchant_id) == []
    assert repos.integrations.revoke_api_token(world.merchant_id, token["id"]) is False
    repos.integrations.touch_api_token(world.merchant_id, token["id"], token["token_hash"], stamp(6))  # no-op
    assert repos.tokens.get(token["token_hash"]) is None
    assert repos.integrations.list_api_tokens(world.merchant_id) == []


def test_webhooks_put_get_list_delete_per_merchant(repos):
    world, other = World(repos), World(repos)
    first, second = webhook(world), webhook(world, created_at=stamp(2), enabled=False)
    for hook in (second, first):
        repos.integrations.put_webhook(hook)
    assert repos.integrations.list_webhooks(world.merchant_id) == [first, second]
    assert repos.integrations.get_webhook(world.merchant_id, first["id"]) == first
    assert repos.integrations.get_webhook(other.merchant_id, first["id"]) is None
    changed = first | {"failing_since": stamp(3), "disabled_reason": {"code": "DELIVERIES_FAILING"}}
    repos.integrations.put_webhook(changed)
    assert repos.integrations.get_webhook(world.merchant_id, first["id"]) == changed
    assert repos.integrations.delete_webhook(other.merchant_id, first["id"]) is False
    assert repos.integrations.delete_webhook(world.merchant_id, first["id"]) is True
    assert repos.integrations.delete_webhook(world.merchant_id, first["id"]) is False
    assert repos.integrations.list_webhooks(world.merchant_id) == [second]


def test_deliveries_added_once_listed_newest_first_due_and_ordered_per_device(repos):
    world, other = World(repos), World(repos)
    hook = webhook(world)
    repos.integrations.put_webhook(hook)
    made = [delivery(hook, n, device_id="dev-1" if n % 2 else "dev-2") for n in range(1, 8)]
    for one in made:
        assert repos.integrations.add_delivery(one) is True
    assert repos.integrations.add_delivery(made[0] | {"body": "changed"}) is False  # the same id: kept as it was
    assert repos.integrations.get_delivery(hook["id"], made[0]["id"]) == made[0]
    assert repos.integrations.get_delivery(hook["id"], new_id()) is None
    listed, pages = walk(lambda limit, cursor: repos.integrations.list_deliveries(world.merchant_id, hook["id"],
                                                                                 limit, cursor), 3)
    assert [d["id"] for d in listed] == [d["id"] for d in reversed(made)] and pages >= 3
    assert repos.integrations.list_deliveries(other.merchant_id, hook["id"], 50, None) == ([], None)
    # Due: pending with next_attempt_at <= now.
    assert {d["id"] for d in repos.integrations.due_deliveries(stamp(3), 100)} == {d["id"] for d in made[:3]}
    # Ordered per device: a later delivery of the same device waits while an earlier one is pending.
    assert repos.integrations.pending_before(made[0]) is False
    assert repos.integrations.pending_before(made[2]) is True  # made[0] (dev-1) is pending
    assert repos.integrations.pending_before(made[1]) is False  # first of dev-2
    repos.integrations.put_delivery(made[0] | {"status": "DELIVERED", "attempts": 1, "delivered_at": stamp(4),
                                               "next_attempt_at": None, "last_status_code": 200})
    assert repos.integrations.pending_before(made[2]) is False
    assert repos.integrations.get_delivery(hook["id"], made[0]["id"])["status"] == "DELIVERED"
    assert made[0]["id"] not in {d["id"] for d in repos.integrations.due_deliveries(stamp(9), 100)}
    repos.integrations.put_delivery(made[2] | {"status": "FAILED", "next_attempt_at": None})
    assert repos.integrations.pending_before(made[4]) is False  # a FAILED one no longer holds the device back
    without = delivery(hook, 20, device_id=None)
    repos.integrations.add_delivery(without)
    assert repos.integrations.pending_before(without) is False


def test_outbox_reads_new_events_after_its_position(repos):
    world = World(repos)
    till = world.active_device()
    events, position = repos.integrations.outbox_after(None, 1000)
    assert [e["type"] for e in events][-2:] == ["pos_device.created", "pos_device.activated"]
    assert all(e.get("sk") for e in events) and position
    repos.integrations.set_outbox_position(position)
    assert repos.integrations.outbox_position() == position
    repos.receipts.store_batch(till, [receipt(till, 1)], event=event(world.merchant_id, "receipts.created", till.id,
                                                                     {"receipt_numbers": ["1-1"]}))
    later, _ = repos.integrations.outbox_after(position, 1000)
    new = [e for e in later if e["type"] == "receipts.created"]
    assert len(new) == 1 and new[0]["details"] == {"receipt_numbers": ["1-1"]} and new[0]["pos_device_id"] == till.id


def _types(repos, merchant_id: str) -> list[str]:
    events, _ = repos.integrations.outbox_after(None, 10000)
    return [e["type"] for e in events if e["merchant_id"] == merchant_id]


def test_outbox_events_are_written_with_their_change_or_not_at_all(repos):
    world = World(repos)
    till = world.active_device()
    first = receipt(till, 1)
    repos.receipts.store_batch(till, [first], event=event(world.merchant_id, "receipts.created", till.id))
    till = repos.devices.get(world.merchant_id, till.id)
    with pytest.raises(ports.AlreadyStored):
        repos.receipts.store_batch(till, [receipt(till, 2), receipt(till, 1)],
                                   event=event(world.merchant_id, "receipts.created", till.id))
    assert _types(repos, world.merchant_id).count("receipts.created") == 1
    # GET /v1/events does not list the outbox-only types.
    listed, _ = repos.events.list(world.merchant_id, 50, None)
    assert "receipts.created" not in [e["type"] for e in listed]
    # Shifts: with their shift.closed events; a refused store writes none.
    closed = shift(till, minute=1, closed_minute=5)
    repos.shifts.store(till, [closed], events=[event(world.merchant_id, "shift.closed", till.id)])
    with pytest.raises(ports.AlreadyStored):
        repos.shifts.store(till, [closed], events=[event(world.merchant_id, "shift.closed", till.id)])
    assert _types(repos, world.merchant_id).count("shift.closed") == 1
    # Findings: raised and resolved with their events; a refused one writes none.
    raised = finding(till, audit_rules.UNSYNCED_RECEIPTS)
    assert repos.findings.raise_finding(raised, till.activation_id,
                                        event=event(world.merchant_id, "audit.finding_raised", till.id)) is True
    assert repos.findings.raise_finding(finding(till, audit_rules.UNSYNCED_RECEIPTS), till.activation_id,
                                        event=event(world.merchant_id, "audit.finding_raised", till.id)) is False
    repos.findings.put(finding(till, audit_rules.SHIFT_LEFT_OPEN),
                       event=event(world.merchant_id, "audit.finding_raised", till.id))
    assert repos.findings.resolve(world.merchant_id, till.id, raised["type"], raised["id"], stamp(9),
                                  event=event(world.merchant_id, "audit.finding_resolved", till.id)) is True
    assert repos.findings.resolve(world.merchant_id, till.id, raised["type"], raised["id"], stamp(9),
                                  event=event(world.merchant_id, "audit.finding_resolved", till.id)) is False
    types = _types(repos, world.merchant_id)
    assert (types.count("audit.finding_raised"), types.count("audit.finding_resolved")) == (2, 1)


def test_a_full_dynamodb_sized_batch_fits_one_transaction_with_its_event(repos):
    """per_transaction receipts x (receipt + id guard) + the slot's counters + the event + the sales counters: at
    most 100 items on DynamoDB (43 receipts there)."""
    world = World(repos)
    till = world.active_device()
    per = repos.receipts.per_transaction if repos.receipts.per_transaction < 100 else 49
    batch = [receipt(till, seq) for seq in range(1, per + 1)]
    repos.receipts.store_batch(till, batch, event=event(world.merchant_id, "receipts.created", till.id,
                                                        {"receipt_numbers": [r["receipt_number"] for r in batch]}))
    assert len(repos.receipts.get_many(world.merchant_id, [r["receipt_number"] for r in batch])) == per
    assert _types(repos, world.merchant_id).count("receipts.created") == 1
