"""Request and response schemas (pydantic). They validate input and generate /v1/openapi.json."""
import re
from datetime import date, datetime, timezone
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic_core import PydanticCustomError
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints,
                      ValidationInfo, WithJsonSchema, create_model, model_validator)

from chalicelib import clock
from chalicelib.api import event_text
from chalicelib.domain import deletion as _deletion
from chalicelib.domain.devices import Status
from chalicelib.i18n import text_of
from chalicelib.services.sync import MAX_RECEIPTS_PER_BATCH, MAX_SEQ_AHEAD


# Names: trimmed, non-empty, printable.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


def _integral(value):
    # JSON Schema's integer is any number without a fraction (62.0 is one); strict pydantic takes only 62.
    return int(value) if type(value) is float and value.is_integer() else value


def integer(**constraints):
    """An int field (constraints first, so that the document shows them; then 62.0 is read as 62)."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integral)]


Money = integer(ge=0, le=10**12)


def _email(value: str) -> str:
    """An e-mail address (email_validator's syntax, no DNS look-up). Addresses at `.test` are accepted (test data);
    the other special-use names (.localhost, .invalid, .local, .onion, .arpa) and a domain without a dot are not:
    the document says so with EMAIL_SCHEMA's patterns."""
    import email_validator  # loaded with the schemas, as pydantic's EmailStr did

    try:
        return email_validator.validate_email(value, check_deliverability=False, test_environment=True).normalized
    except email_validator.EmailNotValidError as exc:
        raise PydanticCustomError("value_error", "value is not a valid email address: {reason}",
                                  {"reason": str(exc.args[0])}) from None


EMAIL_SCHEMA = {
    "type": "string", "format": "email", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$",
    "not": {"pattern": r"\.(" + "|".join("".join(f"[{c}{c.upper()}]" for c in name)
                                           for name in ("localhost", "invalid", "local", "onion", "arpa")) + ")$"},
    "description": "An e-mail address whose domain has a dot; `.test` is accepted, the other special-use names "
                   "(.localhost, .invalid, .local, .onion, .arpa) are refused with 400 VALIDATION_ERROR.",
    "examples": ["anna@example.com"]}
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email), WithJsonSchema(EMAIL_SCHEMA)]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("timestamp_zone", "needs a time zone, e.g. 2026-11-24T10:00:00Z")
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past the last UTC date Python has
        raise PydanticCustomError("timestamp_range", "is out of range") from None


def _iso_text(value):
    # ISO 8601 text only: pydantic alone would read "0", "0.0" or "1700000000" as Unix time.
    if not isinstance(value, str):
        return value  # a JSON number: refused by the (strict) datetime validator
    if not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}", value):
        raise PydanticCustomError("timestamp_format", "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00Z")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:  # "2026-13-01T00:00:00Z": pydantic's own "Value error, month must be in 1..12" is English
        raise PydanticCustomError("timestamp_format", "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00Z") \
            from None


def _time_zone(value: str) -> str:
    """An IANA time zone name the server knows (zoneinfo), e.g. Europe/Warsaw."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if value in ("localtime", "posixrules", "Factory"):  # files of the zone database that are not zones
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PydanticCustomError("time_zone", "must be an IANA time zone name, e.g. Europe/Warsaw") from None
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*$"),
                     AfterValidator(_time_zone),
                     # Not an enum of the ~600 zone names: they differ from machine to machine, and generated clients
                     # cannot name them apart (GMT0, GMT+0, GMT-0).
                     WithJsonSchema({"type": "string", "maxLength": 64, "pattern": r"^[A-Za-z][A-Za-z0-9_+/-]*$",
                                     "examples": ["Europe/Warsaw"],
                                     "description": "An IANA time zone name (what decides a day of the sales "
                                                    "summary); an unknown one: 400 UNKNOWN_TIME_ZONE."})]


Timestamp = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc),
                      WithJsonSchema({"type": "string", "format": "date-time",
                                      "description": "RFC 3339 / ISO 8601 with a time zone, e.g. 2026-11-24T10:00:00Z. "
                                                     "Refused (400 VALIDATION_ERROR): a leap second (:60) and a moment "
                                                     "outside years 0001-9999 once in UTC."})]
# A moment in a response: UTC, RFC 3339 (clock.iso), e.g. 2026-11-24T10:00:00.123Z.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]

# Enumerations get a name in the document (components/schemas/<name>), so that a generated client has a type for
# each: the field keeps its Literal (validation as before), its schema becomes {"x-ref": name}, which
# chalicelib/api/openapi.py turns into a $ref to the component NAMED_SCHEMAS[name] (pydantic cannot hold a $ref
# to a schema it did not make).
NAMED_SCHEMAS: dict[str, dict] = {}


def named_enum(name: str, literal, description: str = ""):
    values = list(literal.__args__)
    NAMED_SCHEMAS[name] = {"type": "string", "enum": values} | ({"description": description} if description else {})
    return Annotated[literal, WithJsonSchema({"x-ref": name})]


Role = named_enum("Role", Literal["OWNER", "ADMINISTRATOR", "MANAGER", "CASHIER"],
                  "OWNER is the merchant's one owner, made at sign-up: an employee cannot be created as or made OWNER "
                  "(400 ONE_OWNER), nor can the owner's role change (409 OWNER_ROLE_FIXED). ADMINISTRATOR: everything "
                  "but changing the owner or an administrator (only the owner makes one). MANAGER: the stores in "
                  "store_ids only, no store or employee management. CASHIER: the POS app only (DESIGN.md 3.2).")
DeviceStatus = named_enum("DeviceStatus", Literal["NOT_ACTIVATED", "ACTIVATED", "INACTIVE"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Loose(BaseModel):
    """Query strings arrive as text: numbers and booleans are converted, unknown names rejected."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# ---------------------------------------------------------------- requests


# ISO 4217 codes the back office offers (money is always an integer in the currency's minor units).
Currency = named_enum("Currency", Literal["PLN", "EUR", "USD", "GBP", "CZK", "CHF", "SEK", "NOK", "DKK", "HUF", "UAH",
                                          "RON"], "ISO 4217 code; amounts are integers in its minor units")


class SignupIn(Strict):
    business_name: Name
    email: Email
    password: Password
    currency: Currency = Field(None, description="Default: PLN for Accept-Language pl, else EUR")
    owner_name: Name = Field(None, description="The owner's name (the back office greets them); default: the "
                                               "business name")
    time_zone: TimeZone = Field(None, description="Default: Europe/Warsaw for Accept-Language pl, else UTC")


class LoginIn(Strict):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class StoreIn(Strict):
    name: Name
    address: Text | None = None


class StorePatch(Strict):
    name: Name | None = None
    address: Text | None = None


class EmployeeIn(Strict):
    """No `password` (400 UNKNOWN_FIELD): nobody sets another person's password; back-office access comes with an
    invitation (POST /v1/employees/{employee_id}/invitation)."""
    name: Name
    role: Role
    email: Email | None = None
    pin: Pin | None = None
    store_ids: list[Id] = Field(default_factory=list, max_length=100)


class EmployeePatch(Strict):
    """Omitted means "unchanged"; an explicit null is refused (400) for fields an employee must have. `password`
    only on one's own record (else 400 PASSWORD_NOT_YOURS: send an invitation)."""
    name: Name = None
    role: Role = None
    email: Email | None = None
    password: Password | None = None
    pin: Pin | None = None
    store_ids: list[Id] = Field(default=None, max_length=100)


class DeviceIn(Strict):
    name: Name
    store_id: Id


class DevicePatch(Strict):
    # Both optional, neither nullable (an explicit null is refused; a default is not validated). At least one:
    # `{}` is refused with 400 REQUIRED (field name), as the document says with minProperties.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    name: Name = None
    store_id: Id = None


class PosActivateIn(Strict):
    login_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    pos_device_id: Id
    installation_id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


InstallationId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class PairingCodeIn(Strict):
    """A new pairing code for this slot; it replaces the previous one."""

    expires_in_seconds: integer(ge=60, le=86400, description="How long the code works (default 600).") = 600


class PairIn(Strict):
    """The code shown in the back office (8 characters, case-insensitive, a dash allowed: `K7QM-4XRT`)."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    installation_id: InstallationId


class DeactivateIn(Strict):
    """Deactivate, optionally with a final-sync window.

    With `final_sync_hours` > 0 the slot is INACTIVE at once and may be activated on a new device at once,
    while the old installation may still call `POST /v1/pos/sync` and `GET /v1/pos/me` (and nothing else)
    until `final_sync_until` to upload its own receipts. Numbering rule: every activation owns one range
    of seqs. The old installation's range is reserved up to the highest seq taken so far + 1000; a new
    activation made during the window starts right above that reservation, so the two never share a
    number and receipts stay `{number}-{seq}`. The old installation's receipts outside its own range are
    rejected with RECEIPT_OUTSIDE_FINAL_SYNC. When the window closes (time up, everything it reported
    uploaded, or `end_final_sync`), what it reported but did not upload is added to `lost_receipts`, and
    the reserved numbers it never used are skipped: the audit and the safe deletion look for missing
    numbers per activation range only, never in the gap between two ranges."""

    final_sync_hours: integer(ge=0, le=168, description=(
        "0 (default): the token is revoked at once and unsynced receipts are lost. 1-168: how long the old "
        "installation may still upload its unsynced receipts.")) = 0


class SwitchUserIn(Strict):
    """Either e-mail+password (SwitchByPassword) or employee_id+PIN (SwitchByPin); checked by the route. The
    document publishes it as that oneOf (OPENAPI_ONE_OF)."""

    OPENAPI_ONE_OF: ClassVar[tuple[str, ...]] = ("SwitchByPassword", "SwitchByPin")

    email: Email | None = None
    password: str | None = None
    employee_id: Id | None = None
    pin: Pin | None = None


class SwitchByPassword(Strict):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class SwitchByPin(Strict):
    employee_id: Id
    pin: Pin


class SyncState(Strict):
    # A receipt's seq has at most 9 digits; the service also bounds it to what the server recorded + 100,000.
    last_receipt_number: integer(ge=0, le=999_999_999, description=(
        "The seq of the POS's last receipt. At most what the server recorded (or wrote off) + "
        f"{MAX_SEQ_AHEAD:,}: more is refused with 400 LAST_RECEIPT_NUMBER_OUT_OF_RANGE and nothing is written."))
    open_tickets: integer(ge=0, le=10**6)
    shift_open: bool


class ShiftIn(Strict):
    id: Id
    opened_at: Timestamp
    closed_at: Timestamp | None = None
    opened_by_employee: Id | None = None
    closed_by_employee: Id | None = None
    starting_cash: Money = 0
    expected_cash: Money | None = None
    actual_cash: Money | None = None


ReceiptType = named_enum("ReceiptType", Literal["SALE", "REFUND"])


class LineItemIn(Strict):
    item_name: Name
    quantity: integer(ge=1, le=10**6)
    price: Money
    total_money: Money


class PaymentIn(Strict):
    type: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{1,30}$")]
    money_amount: Money


class ReceiptIn(Strict):
    id: Id
    receipt_number: Annotated[str, StringConstraints(max_length=21)]
    receipt_type: ReceiptType = "SALE"
    created_at: Timestamp
    employee_id: Id | None = None
    shift_id: Id | None = None
    line_items: list[LineItemIn] = Field(min_length=1, max_length=500)
    payments: list[PaymentIn] = Field(max_length=20)
    total_money: Money
    total_tax: Money = 0


class SyncIn(Strict):
    state: SyncState | None = None
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=50)
    # Receipts are checked one by one (a bad one is rejected, the rest stored); the count is checked first (413).
    # The server takes any list here: the document describes what a receipt must be (ReceiptIn).
    receipts: Annotated[list[Any], WithJsonSchema({
        "type": "array", "maxItems": MAX_RECEIPTS_PER_BATCH, "items": {"x-ref": "ReceiptIn"},
        "description": f"At most {MAX_RECEIPTS_PER_BATCH} (more: 413 BATCH_TOO_LARGE). Each receipt is checked on its "
                       "own: one that does not match ReceiptIn is not stored and comes back in `rejected` with "
                       "INVALID_RECEIPT (200), the others are stored. Sending a receipt again is a duplicate, "
                       "not an error."})] = Field(default_factory=list)


class Page(Loose):
    limit: Annotated[int, Field(ge=1, le=250)] = 50
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None


class DeviceQuery(Page):
    store_id: Id | None = None
    status: DeviceStatus | None = None
    show_deleted: bool = False


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


SalesGroup = named_enum("SalesGroup", Literal["day", "store", "pos_device", "employee", "payment_type"],
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
                                                  "token's id (or a system part: safe-deletion, final-sync)")


class DeleteQuery(Loose):
    force: bool = False


class NoQuery(Loose):
    pass


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


# ---------------------------------------------------------------- responses
# A response model is also what builds the response (chalicelib/api/http.py validates a handler's result with
# the route's model and dumps it): it reads its fields from a stored record (a dict) or a domain object
# (attributes) and drops everything else, secrets included. Only what is derived is written out below.
# Fields with a default are still always in the response, so the document lists them as required.


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore", json_schema_serialization_defaults_required=True,
                              defer_build=True)


def _attributes(source) -> dict:
    """A response's source as a dict: a stored record is one; a domain object (a dataclass) gives its fields."""
    return source if isinstance(source, dict) else vars(source)


def _context(info: ValidationInfo, name: str):
    return (info.context or {}).get(name)


def _message(record: dict) -> str:
    """A stored message (`{key, params}`, or an old record's sentence) in the request's language."""
    return text_of(record) or record.get("details") or ""


def _enum_value(value):
    return value.value if isinstance(value, Enum) else value


class ErrorItem(BaseModel):
    code: str
    details: str
    field: str | None


class ErrorOut(BaseModel):
    errors: list[ErrorItem]


class MerchantOut(Out):
    id: str
    business_name: str
    # Accounts made before currencies were kept: EUR, the old implied default.
    currency: Annotated[str, BeforeValidator(lambda value: value or "EUR")] = "EUR"
    # Accounts made before time zones were kept: UTC.
    time_zone: Annotated[str, BeforeValidator(lambda value: value or "UTC")] = "UTC"
    created_at: Instant


class EmployeeOut(Out):
    id: str
    name: str
    email: str | None = None
    role: Role
    store_ids: Annotated[list[str], BeforeValidator(lambda value: list(value or []))] = []
    # PINs and password hashes are write-only: only whether a PIN is set.
    has_pin: Annotated[bool, BeforeValidator(bool)] = Field(False, validation_alias="pin_hash")
    access: Literal["NONE", "INVITED", "ACTIVE"] = Field(
        "NONE", description="Back-office access: NONE (no password, no live invitation), INVITED (an invitation "
                            "is waiting to be accepted until invitation_expires_at), ACTIVE (the employee has set "
                            "a password).")
    invitation_expires_at: Instant | None = Field(None, description="When the live invitation expires; null when "
                                                                     "none is waiting.")
    created_at: Instant
    updated_at: Instant

    @model_validator(mode="before")
    @classmethod
    def _access(cls, employee):
        from chalicelib.services.accounts import access_state

        employee = _attributes(employee)
        state = access_state(employee)
        return employee | {"access": state,
                           "invitation_expires_at": employee.get("invitation_expires_at") if state == "INVITED" else None}


class StoreOut(Out):
    id: str
    name: str
    address: str | None = None
    created_at: Instant


# The workflow's names, from the one registry (chalicelib/domain/deletion.py), inlined as string enums.
DeletionStatus = named_enum("DeletionStatus", Literal[tuple(s.value for s in _deletion.DeletionStatus)])
DeletionRoute = named_enum("DeletionRoute", Literal[tuple(r.value for r in _deletion.Route)],
                           "CHECKS: an activated slot, checked first; DEACTIVATE: forced, checks skipped; DELETE: a "
                           "slot that is not activated, deleted at once.")
StepName = named_enum("DeletionStepName", Literal[tuple(s.value for s in _deletion.Step)])


class DeletionStep(Out):
    step: StepName
    at: Instant | None = None
    details: str = ""

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, step):
        return step | {"details": text_of(step) or ""}


class DeletionError(Out):
    code: named_enum("DeletionErrorCode", Literal["OPEN_TICKETS", "SHIFT_OPEN", "RECEIPTS_NOT_SYNCED", "INTERNAL"])
    details: str

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, error):
        return error | {"details": text_of(error) or ""}


class DeletionOut(Out):
    id: str
    status: DeletionStatus
    step: StepName | None = None
    steps: list[DeletionStep] = []
    error: Annotated[DeletionError | None, BeforeValidator(lambda value: value or None)] = None
    force: Annotated[bool, BeforeValidator(bool)] = False
    started_at: Instant
    finished_at: Instant | None = None
    route: DeletionRoute = Field(description="CHECKS: an activated slot, checked first; DEACTIVATE: forced, checks "
                                             "skipped; DELETE: a slot that is not activated, deleted at once.")
    plan: list[StepName] = Field(description="The steps this deletion's route runs after Started, in order "
                                             "(ending with Deleted); `step` and `steps` name the ones reached.")

    @model_validator(mode="before")
    @classmethod
    def _route_and_plan(cls, record):
        # Records made before routes were kept get theirs from the domain's reading of the record.
        deletion = _deletion.Deletion.from_dict(record)
        return record | {"route": deletion.route.value, "plan": deletion.plan}


Deletion = Annotated[DeletionOut | None, BeforeValidator(lambda value: value or None)]  # {} is no deletion


class DeviceOut(Out):
    id: str
    name: str
    store_id: str
    number: int
    status: Annotated[DeviceStatus, BeforeValidator(_enum_value)]
    activated: bool
    installation_id: str | None
    activated_at: Instant | None
    deactivated_at: Instant | None
    current_employee_id: str | None
    last_sync_at: Instant | None
    last_receipt_number: int
    synced_receipts: int
    unsynced_receipts: int
    lost_receipts: int
    shift_open: bool
    open_tickets: int
    pairing_code_expires_at: Instant | None
    final_sync_until: str | None
    final_sync_owed_receipts: int
    deletion: Deletion
    created_at: Instant
    updated_at: Instant
    deleted_at: Instant | None

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, device):
        return _device_fields(device)


def _device_fields(device) -> dict:
    if isinstance(device, dict):
        return device
    expires = device.pairing_code_expires_at
    return vars(device) | {
        "activated": device.status == Status.ACTIVATED, "unsynced_receipts": device.unsynced_receipts,
        # A stored receipt reports its number too (its sync's state report may have lost a race).
        "last_receipt_number": max(device.last_receipt_number, device.stored_seq_high),
        "pairing_code_expires_at": expires if expires and expires > clock.iso() else None,  # a live code only
        "final_sync_until": device.final_sync_until if device.final_sync_open else None,
        "final_sync_owed_receipts": device.final_sync_owed}


class DeviceSelfOut(DeviceOut):
    """The slot as its own installation sees it (GET /v1/pos/me)."""

    next_receipt_seq: int | None = Field(description="The seq of this installation's next receipt; null for an "
                                                     "installation in its final-sync window (it issues none)")

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, device, info: ValidationInfo):
        final_sync = _context(info, "final_sync")  # the old installation of a final-sync window
        return _device_fields(device) | {"next_receipt_seq": None if final_sync else device.next_receipt_seq}


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
    type: named_enum("FindingType", Literal["UNSYNCED_RECEIPTS", "DEVICE_SILENT", "SHIFT_OPEN_TOO_LONG",
                                            "SHIFT_LEFT_OPEN"])
    details: str
    missing_receipt_numbers: list[str]
    missing_count: int
    first_seen_at: Instant
    last_seen_at: Instant
    resolved_at: Instant | None = None

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, finding):
        finding = _attributes(finding)
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

    type: named_enum("ActorType", Literal["EMPLOYEE", "DEVICE", "API_TOKEN", "SYSTEM"])
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
        names = _context(info, "names")  # ids -> names (records.names_for_events); without them, no sentences
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


class SignupOut(Out):
    merchant: MerchantOut
    employee: EmployeeOut
    store: "StoreOut"
    token: str
    expires_at: Instant


class LoginOut(Out):
    token: str
    expires_at: Instant
    employee: EmployeeOut
    merchant: MerchantOut


class PosDeviceChoice(Out):
    id: str
    name: str
    number: int
    status: Annotated[DeviceStatus, BeforeValidator(_enum_value)]
    store_id: str
    store_name: str | None

    @model_validator(mode="before")
    @classmethod
    def _store_name(cls, device, info: ValidationInfo):
        device = _attributes(device)
        return device | {"store_name": ((_context(info, "stores") or {}).get(device["store_id"]) or {}).get("name")}


class PosLoginOut(Out):
    login_token: str
    pos_devices: list[PosDeviceChoice]


class InvitationOut(Out):
    invitation_url: str | None = Field(description="The SPA's page that sets the password: "
                                                   "<origin>/#/invitation?token=…; shown once, give it to the employee; "
                                                   "null when it was e-mailed (`sent_to`).")
    token: str | None = Field(description="The invitation's token (the link carries it); null when it was e-mailed.")
    sent_to: str | None = Field(description="The address the link was e-mailed to (a mail sender is configured: "
                                            "INVITATION_SENDER); null when the link is returned instead.")
    expires_at: Instant
    employee: EmployeeOut


class InvitationAcceptIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Password


class InvitationAcceptOut(Out):
    token: str
    expires_at: Instant
    employee: EmployeeOut


class PairingCodeOut(Out):
    code: str
    expires_at: Instant
    pos_device_id: str


class ActivateOut(Out):
    device_token: str
    pos_device: DeviceOut
    next_receipt_seq: int
    employee: EmployeeOut


class EmployeeOnly(Out):
    employee: EmployeeOut


class Rejected(Out):
    """A receipt or shift the sync refused: `{id, code, details}`, the sentence in the request's language."""

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, item):
        return item | {"details": _message(item)}


class RejectedReceipt(Rejected):
    id: str | None = None
    code: str
    details: str


class RejectedShift(Rejected):
    id: str
    code: str
    details: str


class SyncOut(Out):
    accepted: int
    duplicates: int
    rejected: list[RejectedReceipt]
    rejected_shifts: list[RejectedShift]
    pos_device: DeviceOut


class DeletionAccepted(Out):
    deletion: DeletionOut


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


def list_schema(key: str, item: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{item.__name__.removesuffix('Out')}List", __base__=Out, **{key: (list[item], ...)},
                        cursor=(str | None, ...))
