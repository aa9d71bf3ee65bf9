"""The slot write path: every change of a POS slot is read, apply a domain change, write with a version check,
and read again and retry when someone raced it (`change_device`).

Its own module so that the use cases which change slots (devices, pairing, final_sync, deletion, the audit) import
it and not each other: with it are the writes several of them share, the deactivation with its token revocation
(a plain one and a safe deletion's) and the closing of a final-sync window (on a read, by the audit, by the old
installation's last upload, by the owner). Numbering and window rules: domain/final_sync.py."""
import dataclasses
from collections.abc import Callable, Sequence

from chalicelib import clock
from chalicelib.domain import actors
from chalicelib.domain import final_sync as rules
from chalicelib.domain.devices import Action, Device
from chalicelib.errors import Conflict
from chalicelib.ports import WriteRefused
from chalicelib.services.common import Principal, new_event, not_found
from chalicelib.services.findings import raise_left_open_shifts
from chalicelib.services.scope import sees
from chalicelib.wiring import adapters

MAX_CONFLICT_RETRIES = 8
# The owner's next action on a slot ends the display of a failed deletion (the activity log keeps it).
CLEARS_FAILED_DELETION = {"pos_device.renamed", "pos_device.moved", "pos_device.activated",
                          "pos_device.deactivated"}
# A revoked device token is kept this long so that the old device hears DEVICE_DEACTIVATED, not "unknown token".
REVOKED_TOKEN_KEEP_SECONDS = 90 * 24 * 3600
SYSTEM_FINAL_SYNC = actors.FINAL_SYNC


@dataclasses.dataclass(frozen=True)
class SlotChange:
    """What a change makes of a slot: the slot after it, the details of its event (None: no event is written)
    and other events of the same transaction as (type, details) pairs (e.g. a final-sync window closed on the
    way). `change_device` answers the same, with the slot as written."""

    device: Device
    details: dict | None = None
    extra_events: Sequence[tuple[str, dict]] = ()


def change_device(principal: Principal | None, merchant_id: str, device_id: str,
                  change: Callable[[Device], SlotChange], event_type: str | None, actor: dict | None = None,
                  token_writes=None, leaves_store=False, token_deletes=None) -> SlotChange:
    """Read, apply the domain change, write with a version check; re-read and retry if someone raced us.

    `change(device)` raises a DomainError when the action is illegal. `token_writes(before, after)` and
    `token_deletes(before, after)` name the token records written or deleted in the same transaction."""
    for _ in range(MAX_CONFLICT_RETRIES):
        before = adapters().devices.get(merchant_id, device_id)
        if not before or not sees(principal, before.store_id):  # also when it left the caller's stores meanwhile
            raise not_found("POS device")
        outcome = change(before)
        after, details = outcome.device, outcome.details
        extra_events = [new_event(merchant_id, type_, actor or principal.actor, device_id, extra)
                        for type_, extra in outcome.extra_events]
        if event_type in CLEARS_FAILED_DELETION and (after.deletion or {}).get("status") == "FAILED":
            after = dataclasses.replace(after, deletion=None)  # the refusal was shown until this next action
        event = None
        if event_type and details is not None:  # a change that turns out to be no event (an activation retried)
            event = new_event(merchant_id, event_type, actor or principal.actor, device_id, details)
        try:
            adapters().devices.save_transition(
                before, after, event, token_writes(before, after) if token_writes else (), leaves_store=leaves_store,
                token_deletes=token_deletes(before, after) if token_deletes else (), extra_events=extra_events)
            return dataclasses.replace(outcome, device=dataclasses.replace(after, version=before.version + 1))
        except WriteRefused:
            pass  # the slot changed meanwhile (or a store it moves to is gone): read it again
    raise Conflict(code="EDIT_CONFLICT", key="EDIT_CONFLICT.retry")


# ---------------------------------------------------------------- deactivation


def deactivation(device: Device, moment, final_sync_hours: int = 0) -> SlotChange:
    """The slot deactivated (a domain transition), the details of its `pos_device.deactivated` event and the
    extra events of the same write (an earlier installation's final-sync window closed on the way).

    With `final_sync_hours` the old installation may still upload its own receipts until `final_sync_until`."""
    device.check(Action.DEACTIVATE)
    now = clock.iso(moment)
    extra = []
    if device.final_sync_open:  # one window at a time: the earlier installation's window ends here
        device, closed_details = rules.closed(device, now, rules.DEACTIVATED)
        extra.append(("pos_device.final_sync_closed", closed_details))
    if final_sync_hours:
        until = clock.iso(rules.until_from(moment.replace(microsecond=0), final_sync_hours))
        after = rules.with_window(device, now, until)
        return SlotChange(after, {"lost_receipts": 0, "installation_id": device.installation_id,
                                  "final_sync_hours": final_sync_hours, "final_sync_until": until,
                                  "owed_receipts": after.final_sync_owed}, extra)
    after, lost_now = device.deactivated(now)
    details = {"lost_receipts": lost_now, "installation_id": device.installation_id}
    if lost_now:
        details["lost_receipt_seqs"] = [device.written_off_upto + 1, device.numbering_top]
    return SlotChange(after, details, extra)


def revocation(before: Device, after: Device) -> list[dict]:
    """The token writes that revoke the slot's device token: kept a while (past the final-sync window, if one
    is open) so that the old device hears why."""
    if not before.device_token_hash:
        return []
    record = adapters().tokens.get(before.device_token_hash)
    if not record:
        return []
    keep_from = clock.epoch(clock.parse(after.final_sync_until)) if after.final_sync_until else clock.epoch()
    return [record | {"expires_at_epoch": keep_from + REVOKED_TOKEN_KEEP_SECONDS}]


# ---------------------------------------------------------------- closing a final-sync window


class _NothingToClose(Exception):
    pass


def close_final_sync(merchant_id: str, device_id: str, reason: str, activation_id: str | None, actor: dict,
                     principal: Principal | None = None, when=None) -> Device | None:
    """Close the window of `activation_id` (any open window when None) if `when(device)` still holds; the slot as
    written, or None when there was nothing to close. Closing writes the slot and `pos_device.final_sync_closed`
    together; what is still missing is added to `lost_receipts`."""

    closing: dict = {}

    def change(device: Device) -> SlotChange:
        if not device.final_sync_open or (activation_id and device.final_sync_activation_id != activation_id):
            raise _NothingToClose()
        if when and not when(device):
            raise _NothingToClose()
        closing["activation_id"] = device.final_sync_activation_id
        return SlotChange(*rules.closed(device, clock.iso(), reason))

    try:
        closed = change_device(principal, merchant_id, device_id, change, "pos_device.final_sync_closed",
                               actor=actor).device
    except _NothingToClose:
        return None
    # The old installation can no longer close its shifts: flagged, as a plain deactivation flags them.
    raise_left_open_shifts(closed, deleted=False, activation_id=closing["activation_id"])
    return closed


def close_expired_final_sync(device: Device) -> Device:
    """Close the window if its time is up (for reads, the old device's calls and the audit); the slot as it now is."""
    if not rules.expired(device, clock.iso()):
        return device
    closed = close_final_sync(device.merchant_id, device.id, rules.EXPIRED, device.final_sync_activation_id,
                              SYSTEM_FINAL_SYNC, when=lambda current: rules.expired(current, clock.iso()))
    return closed or adapters().devices.get(device.merchant_id, device.id) or device
