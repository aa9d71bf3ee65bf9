"""POS slots in the back office: create, change, pairing codes, deactivation, the safe deletion
(chalicelib/api/device_routes.py)."""
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.api import presenters
from chalicelib.api.schemas.base import Id, Instant, Loose, Name, Out, Page, Strict, enum_value, integer, named_enum
from chalicelib.domain import deletion as deletion_domain
from chalicelib.domain.devices import Status
from chalicelib.domain.final_sync import MAX_FINAL_SYNC_HOURS
from chalicelib.i18n import text_of
from chalicelib.services import deletion, pairing

# The public statuses: a deleted slot keeps the status it had and shows `deleted_at` (Status.DELETED is not one).
DeviceStatus = named_enum("DeviceStatus", Literal[tuple(s.value for s in Status if s != Status.DELETED)])


class DeviceIn(Strict):
    name: Name
    store_id: Id


class DevicePatch(Strict):
    # Both optional, neither nullable (an explicit null is refused; a default is not validated). At least one:
    # `{}` is refused with 400 REQUIRED (field name), as the document says with minProperties.
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    name: Name = None
    store_id: Id = None


class PairingCodeIn(Strict):
    """A new pairing code for this slot; it replaces the previous one."""

    expires_in_seconds: integer(ge=pairing.MIN_EXPIRES_IN, le=pairing.MAX_EXPIRES_IN, description=(
        f"How long the code works (default {pairing.DEFAULT_EXPIRES_IN}).")) = pairing.DEFAULT_EXPIRES_IN


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

    final_sync_hours: integer(ge=0, le=MAX_FINAL_SYNC_HOURS, description=(
        f"0 (default): the token is revoked at once and unsynced receipts are lost. 1-{MAX_FINAL_SYNC_HOURS}: how "
        "long the old "
        "installation may still upload its unsynced receipts.")) = 0


class DeviceQuery(Page):
    store_id: Id | None = None
    status: DeviceStatus | None = None
    show_deleted: bool = False


class DeleteQuery(Loose):
    force: bool = False


# The workflow's names, from the one registry (chalicelib/domain/deletion.py), inlined as string enums.
DeletionStatus = named_enum("DeletionStatus", Literal[tuple(s.value for s in deletion_domain.DeletionStatus)])
DeletionRoute = named_enum("DeletionRoute", Literal[tuple(r.value for r in deletion_domain.Route)],
                           "CHECKS: an activated slot, checked first; DEACTIVATE: forced, checks skipped; DELETE: a "
                           "slot that is not activated, deleted at once.")
StepName = named_enum("DeletionStepName", Literal[tuple(s.value for s in deletion_domain.Step)])


class DeletionStep(Out):
    step: StepName
    at: Instant | None = None
    details: str = ""

    @model_validator(mode="before")
    @classmethod
    def _sentence(cls, step):
        return step | {"details": text_of(step) or ""}


class DeletionError(Out):
    # What the workflow's checks refuse with (services/deletion.py), or INTERNAL for any other failure.
    code: named_enum("DeletionErrorCode", Literal[(*deletion.ERROR_CODES.values(), deletion.DeletionBlocked.code)])
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
        return presenters.deletion_fields(record)


Deletion = Annotated[DeletionOut | None, BeforeValidator(lambda value: value or None)]  # {} is no deletion


class DeviceOut(Out):
    id: str
    name: str
    store_id: str
    number: int
    status: Annotated[DeviceStatus, BeforeValidator(enum_value)]
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
        return presenters.device_fields(device)


class PairingCodeOut(Out):
    code: str
    expires_at: Instant
    pos_device_id: str


class DeletionAccepted(Out):
    deletion: DeletionOut
