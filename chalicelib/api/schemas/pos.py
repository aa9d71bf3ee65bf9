"""The POS app's side: login, activation, pairing, switching the employee, sync (chalicelib/api/pos_routes.py)."""
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (BeforeValidator, ConfigDict, Discriminator, Field, RootModel, StringConstraints, Tag,
                      ValidationInfo, WithJsonSchema, model_validator)

from chalicelib.api import presenters
from chalicelib.api.schemas.accounts import EmployeeOut
from chalicelib.api.schemas.base import (Email, Id, Money, Name, Out, Pin, Strict, Timestamp, attributes, enum_value,
                                         from_context, integer, message, named_enum)
from chalicelib.api.schemas.devices import DeviceOut, DeviceStatus
from chalicelib.services.sync import MAX_RECEIPTS_PER_BATCH, MAX_SEQ_AHEAD


class PosActivateIn(Strict):
    login_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    pos_device_id: Id
    installation_id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


InstallationId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class PairIn(Strict):
    """The code shown in the back office (8 characters, case-insensitive, a dash allowed: `K7QM-4XRT`)."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    installation_id: InstallationId


class SwitchByPassword(Strict):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class SwitchByPin(Strict):
    employee_id: Id
    pin: Pin


def _switch_shape(value) -> str:
    """The shape a switch-user body is read as: employee_id+PIN when it names either, else e-mail+password (so
    `{}` is asked for its e-mail and password)."""
    if isinstance(value, dict):
        return "pin" if {"employee_id", "pin"} & value.keys() else "password"
    return "pin" if isinstance(value, SwitchByPin) else "password"


class SwitchUserIn(RootModel[Annotated[Annotated[SwitchByPassword, Tag("password")] | Annotated[SwitchByPin, Tag("pin")],
                                       Discriminator(_switch_shape)]]):
    """Either e-mail+password (SwitchByPassword) or employee_id+PIN (SwitchByPin), never both: a tagged union whose
    shape the fields sent choose; `.root` is the one it is. Its errors name the fields of that shape (the tag is
    dropped from their path: UNION_TAG_IN_ERRORS). The document publishes it as that oneOf (OPENAPI_ONE_OF)."""

    model_config = ConfigDict(defer_build=True)
    OPENAPI_ONE_OF: ClassVar[tuple[str, ...]] = ("SwitchByPassword", "SwitchByPin")
    UNION_TAG_IN_ERRORS: ClassVar[bool] = True
    SHAPES: ClassVar[dict] = {"password": SwitchByPassword, "pin": SwitchByPin}

    @classmethod
    def shape_of(cls, value) -> type[Strict]:
        """The model a body is validated as."""
        return cls.SHAPES[_switch_shape(value)]


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


class DeviceSelfOut(DeviceOut):
    """The slot as its own installation sees it (GET /v1/pos/me)."""

    next_receipt_seq: int | None = Field(description="The seq of this installation's next receipt; null for an "
                                                     "installation in its final-sync window (it issues none)")

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, device, info: ValidationInfo):
        final_sync = from_context(info, "final_sync")  # the old installation of a final-sync window
        return presenters.device_fields(device) | {"next_receipt_seq": None if final_sync else device.next_receipt_seq}


class PosDeviceChoice(Out):
    id: str
    name: str
    number: int
    status: Annotated[DeviceStatus, BeforeValidator(enum_value)]
    store_id: str
    store_name: str | None

    @model_validator(mode="before")
    @classmethod
    def _store_name(cls, device, info: ValidationInfo):
        device = attributes(device)
        return device | {"store_name": ((from_context(info, "stores") or {}).get(device["store_id"]) or {}).get("name")}


class PosLoginOut(Out):
    login_token: str
    pos_devices: list[PosDeviceChoice]


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
        return item | {"details": message(item)}


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
