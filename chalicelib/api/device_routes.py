"""POS devices in the back office: list, create, rename, deactivate, safe deletion."""
from chalice import Blueprint

from chalicelib.api.auth import BACK_OFFICE
from chalicelib.api.http import ListOf, endpoint
from chalicelib.errors import InvalidInput
from chalicelib.services import deletion, devices, final_sync, pairing

bp = Blueprint(__name__)


@endpoint(bp, "/v1/pos_devices", "GET", summary="List POS devices", auth=BACK_OFFICE, tag="pos_devices",
          query="DeviceQuery", response=ListOf("pos_devices", "DeviceOut"), errors=(400, 401),
          operation_id="listPosDevices", permission="devices.read", etag=True)
def list_devices(ctx):
    """The merchant's POS slots, by store and status; deleted ones only with show_deleted=true."""
    q = ctx.query
    items, cursor = devices.list_devices(ctx.principal, limit=q.limit, cursor=q.cursor, store_id=q.store_id,
                                         status=q.status, show_deleted=q.show_deleted)
    return {"pos_devices": items, "cursor": cursor}


@endpoint(bp, "/v1/pos_devices", "POST",
          summary="Create a POS (status NOT_ACTIVATED); 409 NAME_TAKEN when another POS of the store has the name",
          auth=BACK_OFFICE, tag="pos_devices", body="DeviceIn", response="DeviceOut", status=201, errors=(400, 401, 403, 409),
          operation_id="createPosDevice", permission="devices.write")
def create_device(ctx):
    """A POS slot in a store: NOT_ACTIVATED until a POS app activates it (POST /v1/pos/activate or /v1/pos/pair). Its
    `number` starts its receipts' numbers."""
    return devices.create_device(ctx.principal, ctx.body.name, ctx.body.store_id)


@endpoint(bp, "/v1/pos_devices/{device_id}", "GET", summary="One POS device (also a deleted one)", auth=BACK_OFFICE,
          tag="pos_devices", response="DeviceOut", errors=(401, 404), operation_id="getPosDevice",
          permission="devices.read", etag=True)
def get_device(ctx, device_id):
    """One POS slot with its counters (synced, unsynced, lost receipts), its final-sync window and its deletion, if
    any."""
    return devices.get_device(ctx.principal, device_id)


@endpoint(bp, "/v1/pos_devices/{device_id}", "PATCH",
          summary="Rename a POS (unique within its store) or move it to another store (only while NOT_ACTIVATED "
                  "or INACTIVE)", auth=BACK_OFFICE, tag="pos_devices",
          body="DevicePatch", response="DeviceOut", errors=(400, 401, 403, 404, 409), operation_id="updatePosDevice", permission="devices.write")
def rename_device(ctx, device_id):
    """At least one of name and store_id (`{}` is refused: 400 REQUIRED). A store of another merchant or none: 400
    UNKNOWN_STORE."""
    body = ctx.body
    if body.name is None and body.store_id is None:
        raise InvalidInput(field="name", code="REQUIRED")
    return devices.update_device(ctx.principal, device_id, name=body.name, store_id=body.store_id)


@endpoint(bp, "/v1/pos_devices/{device_id}/deactivate", "POST",
          summary="Deactivate a device: the slot is INACTIVE at once; with final_sync_hours > 0 the old installation "
                  "may still upload its own receipts until final_sync_until (numbering rule: DeactivateIn)",
          auth=BACK_OFFICE, tag="pos_devices", body="DeactivateIn", response="DeviceOut", errors=(401, 403, 404, 409),
          operation_id="deactivatePosDevice", permission="devices.write")
def deactivate_device(ctx, device_id):
    """See DeactivateIn for the final-sync window and the numbering rule. A slot that is not ACTIVATED: 409
    NOT_ACTIVATED or ALREADY_INACTIVE."""
    device, _lost_now = devices.deactivate_device(ctx.principal, device_id,
                                                  final_sync_hours=ctx.body.final_sync_hours)
    return device


@endpoint(bp, "/v1/pos_devices/{device_id}/end_final_sync", "POST",
          summary="End the final-sync window now (a stolen device): its token dies, what it still owes is lost",
          auth=BACK_OFFICE, tag="pos_devices", response="DeviceOut", errors=(401, 403, 404, 409),
          operation_id="endFinalSync", permission="devices.write")
def end_final_sync(ctx, device_id):
    """Only while a final-sync window is open (else 409 NO_FINAL_SYNC)."""
    return final_sync.end_final_sync(ctx.principal, device_id)


@endpoint(bp, "/v1/pos_devices/{device_id}/pairing_code", "POST",
          summary="A pairing code to activate this slot on a POS without a password (replaces the previous code)",
          auth=BACK_OFFICE, tag="pos_devices", body="PairingCodeIn", response="PairingCodeOut", status=201,
          errors=(401, 403, 404, 409), operation_id="createPairingCode", permission="devices.write")
def create_pairing_code(ctx, device_id):
    """The code is shown once; the POS sends it to POST /v1/pos/pair. A slot that is ACTIVATED, deleted or being
    deleted: 409."""
    return pairing.create_code(ctx.principal, device_id, ctx.body.expires_in_seconds)


@endpoint(bp, "/v1/pos_devices/{device_id}/pairing_code", "DELETE", summary="Revoke the pairing code at once",
          auth=BACK_OFFICE, tag="pos_devices", status=204, errors=(401, 403, 404), operation_id="revokePairingCode", permission="devices.write")
def revoke_pairing_code(ctx, device_id):
    """A slot without a live code answers 204 too."""
    pairing.revoke_code(ctx.principal, device_id)


@endpoint(bp, "/v1/pos_devices/{device_id}", "DELETE",
          summary="Start the safe-deletion workflow (force=true: OWNER only, skips the checks)", auth=BACK_OFFICE,
          tag="pos_devices", query="DeleteQuery", response="DeletionAccepted", status=202,
          errors=(400, 401, 403, 404, 409), operation_id="deletePosDevice", permission="devices.write")
def delete_device(ctx, device_id):
    """Answers 202 at once with the deletion; poll GET /v1/pos_devices/{device_id}/deletion. An ACTIVATED slot is
    checked first (no open tickets, shift closed, every receipt synced: else the deletion FAILS with the reason
    and the slot stays); force=true (OWNER only, 403 FORCE_OWNER_ONLY) deactivates and deletes without the
    checks."""
    return {"deletion": deletion.request_deletion(ctx.principal, device_id, ctx.query.force)}


@endpoint(bp, "/v1/pos_devices/{device_id}/deletion", "GET", summary="The safe deletion's progress", auth=BACK_OFFICE,
          tag="pos_devices", response="DeletionOut", errors=(401, 404), operation_id="getPosDeviceDeletion",
          permission="devices.read", etag=True)
def get_deletion(ctx, device_id):
    """The latest deletion of the slot: status, the steps reached with their sentences, the error of a failed one. A
    slot never deleted: 404 NO_DELETION (an unknown slot: 404 NOT_FOUND)."""
    return deletion.get_deletion(ctx.principal, device_id)
