"""Webhooks (DESIGN.md 3.3): subscriptions, the fan-out of outbox events into deliveries, and their delivery.

The outbox is the activity log: every change worth a webhook writes its event in the transaction of the change
(the adapters' `event` parameters), so no change is without its event and no event without its change. The
dispatcher reads new events (on AWS from the events table's stream, app.py `webhook_outbox`; locally by polling,
`run_once`), turns each into one delivery per enabled subscription of its type (a delivery's id is derived from
the subscription and the event, so reading an event twice adds nothing), and sends due deliveries:

- at least once: a delivery is marked DELIVERED only after a 2xx answer; a crash before that sends it again;
- in order per POS device: a delivery waits while an earlier one of the same subscription and device is PENDING;
- each event has one id (POS-Event-Id, the body's `id`) for the receiver's de-duplication;
- signed: `POS-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
- retried with exponential backoff (POS_WEBHOOK_RETRY_BASE_SECONDS) for 24 h, then FAILED; a subscription whose
  deliveries keep failing for 3 days (no 2xx meanwhile) is disabled, with the reason in its GET.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from datetime import timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.domain.roles import ADMIN_ROLES, require_role
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.common import Principal, new_id
from chalicelib.wiring import adapters, stream_events, webhook_sender

log = logging.getLogger(__name__)

# Activity-log type -> webhook event type (the contract's names).
WEBHOOK_TYPE_OF = {
    "pos_device.created": "pos_device.created",
    "pos_device.activated": "pos_device.activated",
    "pos_device.deactivated": "pos_device.deactivated",
    "pos_device.moved": "pos_device.moved",
    "pos_device.deleted": "pos_device.deleted",
    "pos_device.final_sync_closed": "pos_device.final_sync_closed",
    "pos_device.deletion_failed": "deletion.failed",
    "receipts.created": "receipts.created",
    "shift.closed": "shift.closed",
    "audit.finding_raised": "audit.finding_raised",
    "audit.finding_resolved": "audit.finding_resolved",
}
TEST_TYPE = "webhook.test"
EVENT_TYPES = (*sorted(set(WEBHOOK_TYPE_OF.values())), TEST_TYPE)
RETRY_FOR = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=3)
SECRET_PREFIX = "whsec_"
_DELIVERY_NAMESPACE = uuid.UUID("6f1c8a52-54d5-4c1e-9a37-3d3a4b1f0c24")
_RECEIPT_INTERNAL = ("created_sk", "activation_id", "merchant_id")
_SHIFT_INTERNAL = ("opened_sk", "activation_id", "merchant_id")


# ---------------------------------------------------------------- subscriptions


def _check_url(url: str) -> None:
    sender = webhook_sender()
    try:
        sender.check_url(url, settings().webhook_strict_urls)
    except sender.UrlRefused as refused:
        raise InvalidInput(field="url", code="WEBHOOK_URL_REFUSED",
                           key=_URL_REFUSED_KEYS.get(refused.reason, "WEBHOOK_URL_REFUSED")) from None


_URL_REFUSED_KEYS = {"scheme": "WEBHOOK_URL_REFUSED.scheme", "credentials": "WEBHOOK_URL_REFUSED.credentials",
                     "https_required": "WEBHOOK_URL_REFUSED.https_required", "port": "WEBHOOK_URL_REFUSED.port",
                     "unresolvable": "WEBHOOK_URL_REFUSED.unresolvable",
                     "private_address": "WEBHOOK_URL_REFUSED.private_address"}


def _check_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(field="event_types", code="UNKNOWN_EVENT_TYPE", params={"types": ", ".join(unknown)})
    return sorted(set(event_types))


def create(principal: Principal, url: str, event_types: list[str], enabled: bool = True) -> dict:
    require_role(principal.role, ADMIN_ROLES, "manage webhooks")
    types = _check_types(event_types)
    _check_url(url)
    moment = clock.now()
    now = clock.iso(moment)
    webhook = {"merchant_id": principal.merchant_id, "id": new_id(), "url": url, "event_types": types,
               "enabled": enabled, "secret": SECRET_PREFIX + secrets.token_urlsafe(32), "created_at": now,
               "created_sk": clock.sort_key(moment), "updated_at": now}
    adapters().integrations.put_webhook(webhook)
    return webhook


def get(principal: Principal, webhook_id: str) -> dict:
    require_role(principal.role, ADMIN_ROLES, "manage webhooks")
    webhook = adapters().integrations.get_webhook(principal.merchant_id, webhook_id)
    if not webhook:
        raise NotFound(key="NOT_FOUND.webhook")
    return webhook


def list_webhooks(principal: Principal) -> list[dict]:
    require_role(principal.role, ADMIN_ROLES, "manage webhooks")
    return adapters().integrations.list_webhooks(principal.merchant_id)


def update(principal: Principal, webhook_id: str, changes: dict) -> dict:
    webhook = get(principal, webhook_id)
    if "url" in changes:
        _check_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _check_types(changes["event_types"])
    updated = webhook | changes | {"updated_at": clock.iso()}
    if changes.get("enabled"):  # enabled again by a person: the failure count starts over
        updated |= {"failing_since": None, "disabled_reason": None, "disabled_at": None}
    adapters().integrations.put_webhook(updated)
    return updated


def delete(principal: Principal, webhook_id: str) -> None:
    get(principal, webhook_id)
    adapters().integrations.delete_webhook(principal.merchant_id, webhook_id)


def send_test(principal: Principal, webhook_id: str) -> dict:
    webhook = get(principal, webhook_id)
    moment = clock.now()
    event = {"id": new_id(), "merchant_id": principal.merchant_id, "type": TEST_TYPE, "pos_device_id": None,
             "actor": principal.actor, "at": clock.iso(moment), "details": {},
             "sk": f"{clock.sort_key(moment)}#test"}
    delivery = _delivery(webhook, event, TEST_TYPE, {"webhook_id": webhook_id})
    adapters().integrations.add_delivery(delivery)
    return delivery


def list_deliveries(principal: Principal, webhook_id: str, limit: int, cursor: str | None):
    get(principal, webhook_id)
    return adapters().integrations.list_deliveries(principal.merchant_id, webhook_id, limit, cursor)


def resend(principal: Principal, webhook_id: str, delivery_id: str) -> dict:
    get(principal, webhook_id)
    delivery = adapters().integrations.get_delivery(webhook_id, delivery_id)
    if not delivery or delivery["merchant_id"] != principal.merchant_id:
        raise NotFound(key="NOT_FOUND.delivery")
    # Again from the start: a new 24 h of retries, at once (keeping its place in the device's order).
    delivery = delivery | {"status": "PENDING", "next_attempt_at": clock.iso(), "created_at": clock.iso(),
                           "delivered_at": None}
    adapters().integrations.put_delivery(delivery)
    return delivery


# ---------------------------------------------------------------- fan-out


def _data(event: dict) -> dict:
    details = dict(event.get("details") or {})
    data = {"pos_device_id": event.get("pos_device_id"), "actor": event.get("actor")}
    type_ = event["type"]
    if type_ == "receipts.created":
        numbers = details.pop("receipt_numbers", [])
        found = adapters().receipts.get_many(event["merchant_id"], numbers)  # receipts are immutable once stored
        data["receipts"] = [{k: v for k, v in found[n].items() if k not in _RECEIPT_INTERNAL}
                            for n in numbers if n in found]
    elif type_ == "shift.closed":
        shift_id = details.pop("shift_id", None)
        shift = adapters().shifts.get_many(event["merchant_id"], [shift_id]).get(shift_id) if shift_id else None
        data["shift"] = {k: v for k, v in (shift or {}).items() if k not in _SHIFT_INTERNAL} or None
    return data | details


def _delivery(webhook: dict, event: dict, webhook_type: str, data: dict) -> dict:
    body = json.dumps({"id": event["id"], "type": webhook_type, "created_at": event["at"],
                       "merchant_id": event["merchant_id"], "data": data}, ensure_ascii=False, separators=(",", ":"))
    now = clock.iso()
    return {"webhook_id": webhook["id"], "id": str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{webhook['id']}:{event['id']}")),
            "merchant_id": event["merchant_id"], "event_id": event["id"], "event_type": webhook_type,
            "pos_device_id": event.get("pos_device_id"), "order_key": event["sk"], "body": body, "status": "PENDING",
            "attempts": 0, "next_attempt_at": now, "created_at": now}


def fan_out(events: list[dict]) -> int:
    """One delivery per enabled subscription of each event's type; returns how many were new. Idempotent."""
    added = 0
    subscriptions: dict[str, list[dict]] = {}
    for event in events:
        webhook_type = WEBHOOK_TYPE_OF.get(event.get("type"))
        if not webhook_type:
            continue
        merchant_id = event["merchant_id"]
        if merchant_id not in subscriptions:
            subscriptions[merchant_id] = [w for w in adapters().integrations.list_webhooks(merchant_id)
                                          if w.get("enabled")]
        # A subscription gets the events written after it was made (the outbox may be read again later).
        wanted = [w for w in subscriptions[merchant_id] if webhook_type in w.get("event_types", [])
                  and event["sk"] >= w.get("created_sk", "")]
        if not wanted:
            continue
        data = _data(event)
        for webhook in wanted:
            added += adapters().integrations.add_delivery(_delivery(webhook, event, webhook_type, data))
    return added


def on_stream(records) -> dict:
    """AWS: a batch of the events table's stream (app.py `webhook_outbox`): fan out, then send what is due. An
    exception fails the batch, which the event source mapping retries (then its on-failure destination)."""
    added = fan_out(stream_events(records))
    return {"deliveries_added": added, **deliver_due(limit=STREAM_DELIVERY_BATCH)}


STREAM_DELIVERY_BATCH = 20  # sent at once from a stream batch (10 s each at most); the rest by the retries


# ---------------------------------------------------------------- delivery


def signature(secret: str, timestamp: int, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver_due(now=None, limit: int = 100) -> dict:
    """Attempt every due delivery (oldest event first, never ahead of an earlier pending one of the same device)."""
    moment = now or clock.now()
    stamp = clock.iso(moment)
    counts = {"delivered": 0, "failed_attempts": 0, "waiting": 0}
    due = sorted(adapters().integrations.due_deliveries(stamp, limit), key=lambda d: (d["order_key"], d["id"]))
    webhooks: dict[tuple[str, str], dict | None] = {}
    for delivery in due:
        if adapters().integrations.pending_before(delivery):
            counts["waiting"] += 1
            continue
        key = (delivery["merchant_id"], delivery["webhook_id"])
        if key not in webhooks:
            webhooks[key] = adapters().integrations.get_webhook(*key)
        webhook = webhooks[key]
        if webhook is None or not webhook.get("enabled"):
            reason = "webhook deleted" if webhook is None else "webhook disabled"
            adapters().integrations.put_delivery(delivery | {"status": "FAILED", "last_error": reason,
                                                             "next_attempt_at": None})
            continue
        ok = attempt(webhook, delivery, moment)
        counts["delivered" if ok else "failed_attempts"] += 1
    return counts


def attempt(webhook: dict, delivery: dict, moment) -> bool:
    cfg = settings()
    timestamp = clock.epoch(moment)
    headers = {"Content-Type": "application/json", "User-Agent": "pos-backoffice-webhooks/1",
               "POS-Event-Id": delivery["event_id"], "POS-Event-Type": delivery["event_type"],
               "POS-Signature": signature(webhook["secret"], timestamp, delivery["body"])}
    answer = webhook_sender().send(webhook["url"], delivery["body"].encode(), headers, cfg.webhook_timeout_seconds,
                                 cfg.webhook_strict_urls)
    stamp = clock.iso(moment)
    attempts = int(delivery.get("attempts") or 0) + 1
    ok = answer.status is not None and 200 <= answer.status < 300
    updated = delivery | {"attempts": attempts, "last_status_code": answer.status, "last_error": answer.error}
    if ok:
        updated |= {"status": "DELIVERED", "delivered_at": stamp, "next_attempt_at": None}
    else:
        give_up_at = clock.parse(delivery["created_at"]) + RETRY_FOR
        if moment >= give_up_at:
            updated |= {"status": "FAILED", "next_attempt_at": None}
        else:
            delay = timedelta(seconds=cfg.webhook_retry_base_seconds * 2 ** (attempts - 1))
            updated["next_attempt_at"] = clock.iso(min(moment + delay, give_up_at))
    adapters().integrations.put_delivery(updated)
    _record_health(webhook, ok, moment)
    log.info("webhook delivery %s -> %s", delivery["id"], answer.status or answer.error,
             extra={"event": "webhook_delivery", "delivered": ok, "webhook_id": webhook["id"]})
    return ok


def _record_health(webhook: dict, ok: bool, moment) -> None:
    """A subscription failing for 3 days (no 2xx meanwhile) is disabled, with the reason in its GET."""
    if ok:
        if webhook.get("failing_since"):
            webhook.pop("failing_since")
            adapters().integrations.put_webhook(webhook | {"failing_since": None})
        return
    if not webhook.get("failing_since"):
        webhook["failing_since"] = clock.iso(moment)
        adapters().integrations.put_webhook(webhook)
    elif moment - clock.parse(webhook["failing_since"]) >= DISABLE_AFTER:
        webhook |= {"enabled": False, "disabled_at": clock.iso(moment),
                    "disabled_reason": {"code": "DELIVERIES_FAILING", "since": webhook["failing_since"]}}
        adapters().integrations.put_webhook(webhook)
        log.warning("webhook %s disabled: failing since %s", webhook["id"], webhook["failing_since"],
                    extra={"event": "webhook_disabled", "webhook_id": webhook["id"]})


def run_once(now=None, batch: int = 500) -> dict:
    """One pass of the local dispatcher (`make run`'s thread, the tests): new outbox events into deliveries,
    then the due deliveries. The position is saved after the fan-out: a crash in between reads the events
    again, which adds nothing twice."""
    integrations = adapters().integrations
    position = integrations.outbox_position()
    added = 0
    while True:
        events, new_position = integrations.outbox_after(position, batch)
        added += fan_out(events)
        if new_position and new_position != position:
            integrations.set_outbox_position(new_position)
        if len(events) < batch or new_position == position:
            break
        position = new_position
    return {"deliveries_added": added, **deliver_due(now)}
