"""API access tokens, webhook subscriptions and deliveries (issue 24), and the outbox's read side on DynamoDB.

On AWS the outbox is read from the events table's stream (app.py `webhook_outbox`), never scanned;
`outbox_after` scans the events table and serves only the local stack's poller (moto or a DynamoDB the user
points `make run` at), like `scan_with_deletion_running` serves the workflow's local redrive."""
from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib import clock
from chalicelib.adapters.dynamo import (
    decode_cursor,
    is_condition_failure,
    listing_scope,
    page,
    transaction,
    translate_all,
)
from chalicelib.adapters.models import (
    ApiTokenModel,
    DeliveryModel,
    EventModel,
    GuardModel,
    TokenModel,
    WebhookModel,
)
from chalicelib.adapters.repositories._common import attrs
from chalicelib.errors import InvalidCursor
from chalicelib.ports import WriteRefused

PENDING_SHARD = "P"  # one partition of the sparse pending index (what a single dispatcher reads)
OUTBOX_POSITION_KEY = "outbox#webhooks"
OUTBOX_REREAD_SECONDS = 5  # seconds of the log read again after the position: a later commit with an earlier stamp


def _delivery_item(delivery: dict) -> DeliveryModel:
    pending = delivery.get("status") == "PENDING"
    extra = {"pending_shard": PENDING_SHARD if pending else None,
             "pending_due": f"{delivery['next_attempt_at']}#{delivery['webhook_id']}#{delivery['id']}" if pending
             else None,
             "device_key": f"{delivery['webhook_id']}#{delivery.get('pos_device_id') or '-'}" if pending else None}
    return DeliveryModel(**{k: v for k, v in (delivery | extra).items() if v is not None})


_DELIVERY_HIDDEN = ("pending_shard", "pending_due", "device_key")


@translate_all
class IntegrationRepository:
    @staticmethod
    def create_api_token(token: dict) -> None:
        with transaction() as tx:
            tx.save(ApiTokenModel(**{k: v for k, v in token.items() if v is not None}),
                    condition=ApiTokenModel.id.does_not_exist())
            tx.save(TokenModel(token_hash=token["token_hash"], kind="api", merchant_id=token["merchant_id"],
                               api_token_id=token["id"], name=token["name"], access=token["access"],
                               store_ids=token.get("store_ids")), condition=TokenModel.token_hash.does_not_exist())

    @staticmethod
    def list_api_tokens(merchant_id: str) -> list[dict]:
        items = [attrs(i) for i in ApiTokenModel.query(merchant_id)]
        return sorted(items, key=lambda t: (t["created_at"], t["id"]))

    @staticmethod
    def revoke_api_token(merchant_id: str, token_id: str) -> bool:
        try:
            token = ApiTokenModel.get(merchant_id, token_id, consistent_read=True)
        except DoesNotExist:
            return False
        try:
            with transaction() as tx:
                tx.delete(ApiTokenModel(merchant_id=merchant_id, id=token_id), condition=ApiTokenModel.id.exists())
                tx.delete(TokenModel(token_hash=token.token_hash))
        except WriteRefused:
            return False
        return True

    @staticmethod
    def touch_api_token(merchant_id: str, token_id: str, token_hash: str, at: str) -> None:
        try:
            with transaction() as tx:
                tx.update(ApiTokenModel(merchant_id=merchant_id, id=token_id),
                          actions=[ApiTokenModel.last_used_at.set(at)], condition=ApiTokenModel.id.exists())
                tx.update(TokenModel(token_hash=token_hash), actions=[TokenModel.last_used_at.set(at)],
                          condition=TokenModel.token_hash.exists())
        except WriteRefused:
            return  # revoked meanwhile: nothing to touch

    @staticmethod
    def put_webhook(webhook: dict) -> None:
        WebhookModel(**{k: v for k, v in webhook.items() if v is not None}).save()

    @staticmethod
    def get_webhook(merchant_id: str, webhook_id: str) -> dict | None:
        try:
            return attrs(WebhookModel.get(merchant_id, webhook_id, consistent_read=True))
        except DoesNotExist:
            return None

    @staticmethod
    def list_webhooks(merchant_id: str) -> list[dict]:
        items = [attrs(i) for i in WebhookModel.query(merchant_id, consistent_read=True)]
        return sorted(items, key=lambda w: (w["created_at"], w["id"]))

    @staticmethod
    def delete_webhook(merchant_id: str, webhook_id: str) -> bool:
        return _delete_if_exists(WebhookModel(merchant_id=merchant_id, id=webhook_id))

    @staticmethod
    def add_delivery(delivery: dict) -> bool:
        try:
            _delivery_item(delivery).save(condition=DeliveryModel.id.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    @staticmethod
    def get_delivery(webhook_id: str, delivery_id: str) -> dict | None:
        try:
            return attrs(DeliveryModel.get(webhook_id, delivery_id, consistent_read=True), exclude=_DELIVERY_HIDDEN)
        except DoesNotExist:
            return None

    @staticmethod
    def put_delivery(delivery: dict) -> None:
        _delivery_item(delivery).save()

    @staticmethod
    def list_deliveries(merchant_id: str, webhook_id: str, limit: int, cursor: str | None):
        # The partition is the subscription's (its keys hold no merchant id: the cursor is checked against the
        # subscription, which the service has read as the caller's merchant's); other merchants' items are filtered.
        index = DeliveryModel.order_index
        start = decode_cursor(cursor, ("webhook_id", webhook_id), {"webhook_id", "id", "order_key"})
        scope = listing_scope(DeliveryModel, index)
        if start is not None and start.scope != scope:
            raise InvalidCursor(field="cursor")
        result = index.query(webhook_id, filter_condition=DeliveryModel.merchant_id == merchant_id,
                             scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items, next_cursor = page(result, limit, scope)
        return [attrs(i, exclude=_DELIVERY_HIDDEN) for i in items], next_cursor

    @staticmethod
    def due_deliveries(now: str, limit: int) -> list[dict]:
        result = DeliveryModel.pending_index.query(PENDING_SHARD, DeliveryModel.pending_due <= now + "\uffff",
                                                   limit=limit)
        # The index is eventually consistent: read each one again (it may have been delivered meanwhile).
        keys = [(i.webhook_id, i.id) for i in result]
        fresh = {(i.webhook_id, i.id): i for i in DeliveryModel.batch_get(keys, consistent_read=True)} if keys else {}
        return [attrs(fresh[k], exclude=_DELIVERY_HIDDEN) for k in keys
                if k in fresh and fresh[k].status == "PENDING"]

    @staticmethod
    def pending_before(delivery: dict) -> bool:
        key = f"{delivery['webhook_id']}#{delivery.get('pos_device_id') or '-'}"
        for item in DeliveryModel.device_pending_index.query(key, DeliveryModel.order_key < delivery["order_key"]):
            try:  # the index lags: read the delivery itself
                if DeliveryModel.get(item.webhook_id, item.id, consistent_read=True).status == "PENDING":
                    return True
            except DoesNotExist:
                continue
        return False

    @staticmethod
    def outbox_after(position: str | None, limit: int) -> tuple[list[dict], str | None]:
        """Local stack only (a scan): the events after `position` (an event's sk), oldest first, plus the
        last few seconds before it again (the fan-out is idempotent)."""
        events = sorted((attrs(i) for i in EventModel.scan()), key=lambda e: e["sk"])
        if position:
            moment = clock.parse(position.split("#", 1)[0]) - timedelta(seconds=OUTBOX_REREAD_SECONDS)
            floor = clock.sort_key(moment)
            events = [e for e in events if e["sk"] > floor]
        events = events[:limit]
        return events, (events[-1]["sk"] if events else position)

    @staticmethod
    def set_outbox_position(position: str) -> None:
        GuardModel(pk=OUTBOX_POSITION_KEY, owner_id=position).save()

    @staticmethod
    def outbox_position() -> str | None:
        try:
            return GuardModel.get(OUTBOX_POSITION_KEY, consistent_read=True).owner_id
        except DoesNotExist:
            return None


def _delete_if_exists(item) -> bool:
    try:
        item.delete(condition=type(item).id.exists())
    except DeleteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
