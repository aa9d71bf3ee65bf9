"""The POS app's side: log in, activate a slot, switch user, sync, see itself."""
import json

from chalice import Blueprint

from chalicelib.api import presenters as present
from chalicelib.api.auth import DEVICE, DEVICE_OR_FINAL_SYNC
from chalicelib.api.http import Reply, endpoint, schema, validation_failed
from chalicelib.services import device_input, devices, final_sync, pairing, sync

bp = Blueprint(__name__)


@endpoint(bp, "/v1/pos/login", "POST", summary="Owner or manager credentials -> a login token and the POS slots to take",
          auth=None, tag="pos", body="LoginIn", response="PosLoginOut", errors=(400, 401, 403, 429),
          operation_id="posLogin")
def pos_login(ctx):
    """An OWNER or MANAGER signs in on the POS (a CASHIER: 403): a short-lived login token and the POS slots to
    choose from (with their stores' names)."""
    result = devices.pos_login(ctx.body.email, ctx.body.password)
    return Reply(result, stores=result["stores"])  # each device with its store's name


@endpoint(bp, "/v1/pos/activate", "POST", summary="Bind a slot to this installation; returns the device token",
          auth=None, tag="pos", body="PosActivateIn", response="ActivateOut", errors=(400, 401, 404, 409),
          operation_id="activatePosDevice")
def activate(ctx):
    """The login token from POST /v1/pos/login, the chosen slot and this installation's id. An ACTIVATED slot: 409
    SLOT_TAKEN. The answer has the device token and `next_receipt_seq`."""
    body = ctx.body
    return devices.activate_device(body.login_token, body.pos_device_id, body.installation_id)


@endpoint(bp, "/v1/pos/pair", "POST",
          summary="Activate a slot with a pairing code from the back office (no password on the device)",
          auth=None, tag="pos", body="PairIn", response="ActivateOut", errors=(400, 401, 429),
          operation_id="pairPosDevice")
def pair(ctx):
    """Same answer as activate. A wrong, used or expired code: 401 PAIRING_CODE_INVALID; repeated failures: 429 with
    Retry-After."""
    body = ctx.body
    return pairing.pair(body.code, body.installation_id, ctx.source_ip)


@endpoint(bp, "/v1/pos/switch_user", "POST", summary="Switch the POS's signed-in employee (e-mail+password or id+PIN)",
          auth=DEVICE, tag="pos", body="SwitchUserIn", response="EmployeeOnly", errors=(400, 401, 403, 429),
          operation_id="switchPosUser")
def switch_user(ctx):
    """Either e-mail and password or employee_id and PIN (one of the two shapes, never both). The employee must work in
    the slot's store (403 WRONG_STORE)."""
    principal = ctx.principal
    return {"employee": devices.switch_user(principal, principal.device, ctx.body.root.model_dump())}


@endpoint(bp, "/v1/pos/sync", "POST", summary="Push receipts, shift events and the device's state (idempotent)",
          auth=DEVICE_OR_FINAL_SYNC, tag="pos", body="SyncIn", response="SyncOut", errors=(400, 401, 413, 503),
          operation_id="syncPosDevice")
def sync_batch(ctx):
    """Receipts, shifts and the POS's state in one call; safe to repeat (a receipt or shift sent again is a duplicate).
    Each receipt and shift is checked on its own and a bad one comes back in `rejected`/`rejected_shifts` while
    the rest are stored. state.last_receipt_number may be at most what the server recorded + 100,000 (else 400
    LAST_RECEIPT_NUMBER_OUT_OF_RANGE, nothing written). Also accepted from an installation in its final-sync
    window."""
    principal, body = ctx.principal, ctx.body
    sync.check_batch_size(len(body.receipts))
    receipts, rejected = _parse_receipts(body.receipts)
    # Unknown employees and impossible device times are refused per item before the sync sorts the rest.
    receipts, refused, shifts, refused_shifts = device_input.screen(
        principal, receipts, [shift.model_dump() for shift in body.shifts])
    run = final_sync.final_sync_batch if principal.final_sync else sync.sync_batch
    result = run(principal, principal.device, receipts, rejected + refused, shifts,
                 body.state.model_dump() if body.state else None)
    result.rejected_shifts = refused_shifts + result.rejected_shifts
    shown = result.device
    if principal.final_sync:
        open_still = result.device.final_sync_activation_id == principal.activation_id
        # Its own window as this sync left it (or as it was before the window closed).
        shown = present.device_for_final_sync(result.window or principal.device,
                                              result.device.final_sync_until if open_still else None)
    return {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": result.rejected,
            "rejected_shifts": result.rejected_shifts, "pos_device": shown}


def _parse_receipts(raw_receipts: list) -> tuple[list[dict], list[dict]]:
    """Each receipt on its own: one malformed receipt is rejected, never the whole batch."""
    from pydantic import ValidationError  # loaded already: the body was validated

    receipt_in = schema("ReceiptIn")
    valid, rejected = [], []
    for position, raw in enumerate(raw_receipts):
        receipt_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            valid.append(receipt_in.model_validate_json(json.dumps(raw)).model_dump())
        except ValidationError as exc:
            error = validation_failed(exc, prefix=f"receipts.{position}")
            first = error.errors[0] if getattr(error, "errors", None) else error.to_dict()
            reason = {"key": first.get("key") or error.key, "params": first.get("params") or error.params,
                      "details": first.get("details")}
            rejected.append(sync.rejection(receipt_id, "INVALID_RECEIPT",
                                           params={"field": first.get("field") or "receipts", "reason": reason}))
    return valid, rejected


@endpoint(bp, "/v1/pos/me", "GET", summary="The slot as the device should see it", auth=DEVICE_OR_FINAL_SYNC,
          tag="pos", response="DeviceSelfOut", errors=(401,), operation_id="getPosSelf")
def me(ctx):
    """The slot as its installation sees it, with the seq of its next receipt."""
    principal = ctx.principal
    device = principal.device
    if principal.final_sync:
        return Reply(present.device_for_final_sync(device, device.final_sync_until), final_sync=True)
    return device
