"""Integrations (DESIGN.md 3.3): API access tokens and webhooks, for an OWNER or ADMINISTRATOR."""
from chalice import Blueprint

from chalicelib.api.auth import BACK_OFFICE
from chalicelib.api.http import ListOf, endpoint
from chalicelib.services import api_tokens, webhooks

bp = Blueprint(__name__)


@endpoint(bp, "/v1/api_tokens", "POST", summary="Create an API access token (shown only in this answer)",
          auth=BACK_OFFICE, tag="integrations", body="ApiTokenIn", response="ApiTokenCreatedOut", status=201,
          errors=(400, 401), permission="integrations.manage")
def create_api_token(ctx):
    """Use it as `Authorization: Bearer <token>` on the back-office API (never on the POS app API)."""
    b = ctx.body
    return api_tokens.create(ctx.principal, b.name, b.access, b.store_ids)


@endpoint(bp, "/v1/api_tokens", "GET", summary="API access tokens, with their last use (never the token)",
          auth=BACK_OFFICE, tag="integrations", response=ListOf("api_tokens", "ApiTokenOut"), errors=(401,),
          permission="integrations.manage")
def list_api_tokens(ctx):
    return {"api_tokens": api_tokens.list_tokens(ctx.principal), "cursor": None}


@endpoint(bp, "/v1/api_tokens/{token_id}", "DELETE", summary="Revoke an API access token at once", auth=BACK_OFFICE,
          tag="integrations", status=204, errors=(401, 404), permission="integrations.manage")
def revoke_api_token(ctx, token_id):
    api_tokens.revoke(ctx.principal, token_id)


@endpoint(bp, "/v1/webhooks", "POST", summary="Subscribe a URL to events (the secret is shown only here)",
          auth=BACK_OFFICE, tag="integrations", body="WebhookIn", response="WebhookCreatedOut", status=201,
          errors=(400, 401), permission="integrations.manage")
def create_webhook(ctx):
    """Deliveries are signed: `POS-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`."""
    b = ctx.body
    return webhooks.create(ctx.principal, b.url, list(b.event_types), b.enabled)


@endpoint(bp, "/v1/webhooks", "GET", summary="Webhook subscriptions", auth=BACK_OFFICE, tag="integrations",
          response=ListOf("webhooks", "WebhookOut"), errors=(401,), permission="integrations.manage")
def list_webhooks(ctx):
    return {"webhooks": webhooks.list_webhooks(ctx.principal), "cursor": None}


@endpoint(bp, "/v1/webhooks/{webhook_id}", "GET", summary="One webhook subscription", auth=BACK_OFFICE,
          tag="integrations", response="WebhookOut", errors=(401, 404), permission="integrations.manage")
def get_webhook(ctx, webhook_id):
    """A subscription the system disabled shows why in `disabled_reason`."""
    return webhooks.get(ctx.principal, webhook_id)


@endpoint(bp, "/v1/webhooks/{webhook_id}", "PATCH", summary="Change a webhook's URL, events or enabled flag",
          auth=BACK_OFFICE, tag="integrations", body="WebhookPatch", response="WebhookOut",
          errors=(400, 401, 404), permission="integrations.manage")
def update_webhook(ctx, webhook_id):
    changes = ctx.body.model_dump(exclude_unset=True)  # an explicit null is refused by the model (400)
    return webhooks.update(ctx.principal, webhook_id, changes)


@endpoint(bp, "/v1/webhooks/{webhook_id}", "DELETE", summary="Delete a webhook subscription", auth=BACK_OFFICE,
          tag="integrations", status=204, errors=(401, 404), permission="integrations.manage")
def delete_webhook(ctx, webhook_id):
    webhooks.delete(ctx.principal, webhook_id)


@endpoint(bp, "/v1/webhooks/{webhook_id}/test", "POST", summary="Send a webhook.test event to this URL",
          auth=BACK_OFFICE, tag="integrations", response="DeliveryOut", status=202, errors=(401, 404),
          permission="integrations.manage")
def test_webhook(ctx, webhook_id):
    return webhooks.send_test(ctx.principal, webhook_id)


@endpoint(bp, "/v1/webhooks/{webhook_id}/deliveries", "GET", summary="The delivery log, newest first",
          auth=BACK_OFFICE, tag="integrations", query="Page", response="DeliveryList",
          errors=(400, 401, 404), permission="integrations.manage")
def list_deliveries(ctx, webhook_id):
    q = ctx.query
    items, cursor = webhooks.list_deliveries(ctx.principal, webhook_id, q.limit, q.cursor)
    return {"deliveries": items, "next_cursor": cursor, "cursor": cursor}


@endpoint(bp, "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", "POST",
          summary="Send a delivery again (a new 24 h of retries)", auth=BACK_OFFICE, tag="integrations",
          response="DeliveryOut", status=202, errors=(401, 404),
          permission="integrations.manage")
def resend_delivery(ctx, webhook_id, delivery_id):
    return webhooks.resend(ctx.principal, webhook_id, delivery_id)
