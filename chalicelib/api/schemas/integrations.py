"""Integrations (DESIGN.md 3.3): API access tokens, webhooks and their deliveries
(chalicelib/api/integrations_routes.py)."""
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.api.schemas.base import Id, Instant, Name, Out, Strict, named_enum

# ---------------------------------------------------------------- integrations (issue 24)

ApiTokenAccess = named_enum("ApiTokenAccess", Literal["READ", "WRITE"], "READ: GET only; WRITE: also changes")
WebhookEventType = named_enum("WebhookEventType", Literal[
    "pos_device.created", "pos_device.activated", "pos_device.deactivated", "pos_device.moved", "pos_device.deleted",
    "pos_device.final_sync_closed", "deletion.failed", "receipts.created", "shift.closed", "audit.finding_raised",
    "audit.finding_resolved", "webhook.test"])
WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")]


class ApiTokenIn(Strict):
    name: Name
    access: ApiTokenAccess
    store_ids: list[Id] | None = Field(None, max_length=100, description="Limit the token to these stores "
                                                                          "(as a manager's); default: every store")


class WebhookIn(Strict):
    url: WebhookUrl = Field(description="https (on AWS it must resolve to public addresses only); locally "
                                        "http://127.0.0.1 is allowed")
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=20)
    enabled: bool = True


class WebhookPatch(Strict):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    url: WebhookUrl = None
    event_types: list[WebhookEventType] = Field(None, min_length=1, max_length=20)
    enabled: bool = None


class ApiTokenOut(Out):
    id: str
    name: str
    access: ApiTokenAccess
    store_ids: list[str] | None = None
    created_at: Instant
    last_used_at: Instant | None = None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(description="The bearer token, shown only in this answer")


class WebhookOut(Out):
    id: str
    url: str
    event_types: list[str]
    enabled: bool
    created_at: Instant
    updated_at: Instant | None = None
    failing_since: Instant | None = Field(None, description="The first failed attempt since the last delivery")
    disabled_reason: dict | None = Field(None, description="Why the system disabled it: {code: DELIVERIES_FAILING, "
                                                           "since}")
    disabled_at: Instant | None = None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret, shown only in this answer")


DeliveryStatus = named_enum("DeliveryStatus", Literal["PENDING", "DELIVERED", "FAILED"])


class DeliveryOut(Out):
    id: str
    event_id: str
    event_type: str
    pos_device_id: str | None = None
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: Instant | None = None
    delivered_at: Instant | None = None
    created_at: Instant


class DeliveryList(Out):
    deliveries: list[DeliveryOut]
    next_cursor: str | None
    cursor: str | None
