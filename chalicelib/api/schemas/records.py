"""What devices produced and what the system noticed: receipts, shifts, findings, the activity log, the sales
summary, audit runs (chalicelib/api/records_routes.py)."""
from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, WithJsonSchema, model_validator

from chalicelib.api import event_text
from chalicelib.api.schemas.base import (NAMED_SCHEMAS, Id, Instant, Loose, Out, Page, Timestamp, attributes,
                                         from_context, named_enum)
from chalicelib.domain import actors, audit, sales
from chalicelib.i18n import text_of


class ReceiptQuery(Page):
    pos_device_id: Id | None = None
    store_id: Id | None = None
    created_at_min: Timestamp | None = Field(None, description="Receipts created at or after this moment; not later "
                                                               "than created_at_max")
    created_at_max: Timestamp | None = Field(None, description="Receipts created at or before this moment")
    receipt_number: Annotated[str, StringConstraints(pattern=r"^[0-9][0-9-]{0,20}$")] | None = Field(
        None, description="Receipts whose number starts with this text: '2-17' finds 2-17, 2-170 …")
    employee_id: Id | None = Field(None, description="Receipts issued by this employee")
    payment_type: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{1,30}$")] | None = Field(
        None, description="Receipts with a payment of this type (CASH, CARD …)")


class ReceiptExportQuery(ReceiptQuery):
    limit: Annotated[int, Field(ge=1, le=10_000, description="Rows in this part of the export")] = 5000
    format: Literal["csv", "excel-pl"] = Field(
        None, description="csv: comma-separated, amounts with a dot, times in UTC; excel-pl: what Polish Excel "
                          "opens right (';', decimal comma, times in the merchant's time zone, types translated). "
                          "Default: excel-pl for Accept-Language pl, else csv")


SalesGroup = named_enum("SalesGroup", Literal[sales.GROUPS],
                        "What the sales summary's groups are")


class SalesSummaryQuery(Loose):
    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    day_from: date | None = Field(None, alias="from", description="First day (YYYY-MM-DD) in the merchant's time "
                                                                  "zone; default: today there")
    day_to: date | None = Field(None, alias="to", description="Last day (YYYY-MM-DD), at most 366 days after `from`; "
                                                              "default: `from`")
    group_by: SalesGroup = "day"
    store_id: Id | None = None
    pos_device_id: Id | None = Field(None, description="One POS (then store_id, if given, must be its store)")


class ShiftQuery(Page):
    pos_device_id: Id | None = None
    store_id: Id | None = None


class FindingQuery(Page):
    status: named_enum("FindingStatus", Literal["open", "resolved"]) | None = None
    pos_device_id: Id | None = None


class EventQuery(Page):
    pos_device_id: Id | None = None
    actor_id: Id | None = Field(None, description="Only the events of this actor: an employee's, POS device's or API "
                                                  "token's id, or the system's AUDIT or WORKFLOW (or one part of it: "
                                                  "audit, final-sync, safe-deletion)")


class LineItemOut(Out):
    model_config = ConfigDict(extra="allow")  # as the POS sent it (LineItemIn)

    item_name: str
    quantity: int
    price: int = Field(description="Unit price in the currency's minor units")
    total_money: int


class PaymentOut(Out):
    model_config = ConfigDict(extra="allow")  # as the POS sent it (PaymentIn)

    type: str = Field(description="CASH, CARD … (upper-case letters and _)")
    money_amount: int


class ReceiptOut(Out):
    id: str
    receipt_number: str
    receipt_type: str
    pos_device_id: str
    pos_device_name: str
    store_id: str
    shift_id: str | None = None
    employee_id: str | None = None
    created_at: Instant
    synced_at: Instant
    line_items: list["LineItemOut"]
    payments: list["PaymentOut"]
    total_money: int
    total_tax: int


class ShiftOut(Out):
    id: str
    pos_device_id: str
    store_id: str
    opened_at: Instant
    closed_at: Instant | None = None
    opened_by_employee: str | None = None
    closed_by_employee: str | None = None
    starting_cash: int
    expected_cash: int | None = None
    actual_cash: int | None = None
    orphaned_at: Instant | None = Field(None, description="Set when the POS was deactivated or deleted while this "
                                                      "shift was open: nobody will close it")


class FindingOut(Out):
    id: str
    pos_device_id: str
    # What the audit raises and resolves, and the finding it raises once (domain/audit.py).
    type: named_enum("FindingType", Literal[(*audit.FINDING_TYPES, *sorted(audit.RAISED_ONCE))])
    details: str
    missing_receipt_numbers: list[str]
    missing_count: int
    first_seen_at: Instant
    last_seen_at: Instant
    resolved_at: Instant | None = None

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, finding):
        finding = attributes(finding)
        if not finding.get("details_key"):  # stored as a message; old records hold an English sentence
            return finding
        return finding | {"details": text_of({"key": finding["details_key"], "details": finding.get("details"),
                                              "params": finding.get("details_params") or {}})}


class Actor(Out):
    """Who did it (DESIGN.md 3.2): `{type: EMPLOYEE, id, name, role}`, `{type: DEVICE, id, name, employee_id}` (a POS
    app with the employee signed in on it), `{type: API_TOKEN, id, name}` or `{type: SYSTEM, name: AUDIT|WORKFLOW,
    id}`. Events stored before v1.2 (lowercase types, no names) are read in this shape, names filled in."""

    # Keys other than type, id and name appear with some types only (role with EMPLOYEE, employee_id with DEVICE):
    # kept as they are (extra="allow") and described in the schema, never filled in with null.
    model_config = ConfigDict(extra="allow", json_schema_extra=lambda schema: schema["properties"].update(
        employee_id={"type": ["string", "null"], "description": "type DEVICE: the employee signed in on it"},
        role={"type": ["string", "null"], "description": "type EMPLOYEE: the employee's role (OWNER, ADMINISTRATOR, "
                                                         "MANAGER, CASHIER)"}))

    type: named_enum("ActorType", Literal[actors.TYPES])
    id: str | None = Field(None, description="The employee's, POS device's or API token's id; for the system, which "
                                             "part: safe-deletion, final-sync")
    name: str | None = Field(None, description="The employee's, POS device's or API token's name (as it was then, "
                                               "else as it is now); for the system AUDIT or WORKFLOW")


# An event's details depend on its type (the ids and values the sentence in `text` names): an open object.
EventDetails = Annotated[dict, WithJsonSchema({"x-ref": "EventDetails"})]
NAMED_SCHEMAS["EventDetails"] = {
    "type": "object", "additionalProperties": True,
    "description": "Values of the event, by type (e.g. pos_device.renamed: {from, to}; receipt ids, counts, store "
                   "ids). Open: new keys may appear; `text` is the event in words."}


class EventOut(Out):
    id: str
    pos_device_id: str | None = None
    type: str = Field(description="What happened, e.g. pos_device.created, pos_device.renamed (the `text` says it "
                                  "in words)")
    actor: "Actor"
    at: Instant
    details: "EventDetails"
    text: str | None = Field(None, description="The event as a sentence with names, in the Accept-Language language")
    actor_name: str | None = Field(None, description="Who did it, in words (an employee with their role: "
                                                      "\"Anna Nowak (manager)\")")
    summary: str | None = Field(None, description="Who did what in one line: \"Anna Nowak (kierownik): "
                                                   "Dezaktywowano POS „Kasa 2”; …\"")

    @model_validator(mode="before")
    @classmethod
    def _sentences(cls, event, info: ValidationInfo):
        names = from_context(info, "names")  # ids -> names (records.names_for_events); without them, no sentences
        if names is None:
            return event
        actor = event_text.full_actor(event.get("actor"), names)
        event = event | {"actor": actor}
        text, who = event_text.text(event, names), event_text.actor_name(actor, names)
        return event | {"text": text, "actor_name": who, "summary": event_text.summary(who, text)}


class SalesFigures(Out):
    receipt_count: int
    gross_sales: int = Field(description="SALE receipts' totals, in the currency's minor units")
    refunds: int = Field(description="REFUND receipts' totals")
    net_sales: int = Field(description="gross_sales - refunds")


class SalesGroupOut(SalesFigures):
    key: str = Field(description="The day (YYYY-MM-DD), store id, POS id, employee id ('-': none) or payment type")
    name: str | None = None


class PaymentTypeFigures(Out):
    payment_type: str
    receipt_count: int
    sales: int
    refunds: int
    net: int


class SalesSummaryOut(Out):
    day_from: str = Field(description="First day of the summary (YYYY-MM-DD, the merchant's time zone)")
    day_to: str = Field(description="Last day of the summary")
    group_by: str
    currency: str
    time_zone: str
    totals: SalesFigures
    by_payment_type: list[PaymentTypeFigures]
    groups: list[SalesGroupOut]


class AuditRunOut(Out):
    id: str
    status: Literal["RUNNING", "SUCCEEDED", "FAILED"]
    started_at: Instant
    finished_at: Instant | None = None
    # The counts, once SUCCEEDED (null before, and after a failure).
    devices_checked: int | None = None
    raised: int | None = None
    refreshed: int | None = None
    resolved: int | None = None
    failed_devices: int | None = None
    error: str | None = Field(None, description="FAILED: NOT_STARTED, TIMED_OUT or the failure's type")
