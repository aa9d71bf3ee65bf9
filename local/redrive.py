"""Deletions cut off by a stop of the local server, started again on the next start.

moto keeps Step Functions executions in memory, so a deletion that was RUNNING when the server
stopped has no execution any more. Its record on the device item holds all the workflow needs (route,
force), and every step is safe to repeat (the checks look at the slot as it is now, Deactivate skips a
slot already INACTIVE, Delete skips one already deleted), so the same deletion is run again under its
own id, as the execution's name: the slot ends as that deletion would have left it.
"""
from chalicelib.config import settings
from chalicelib.wiring import adapters


def redrive_running_deletions() -> list[tuple[str, str, str]]:
    """(merchant_id, pos_device_id, deletion_id) of every deletion started again."""
    cfg = settings()
    resumed = []
    for device in adapters().devices.scan_with_deletion_running():
        deletion = device.deletion
        adapters().workflow.start(name=deletion["id"], execution_input={
            "merchant_id": device.merchant_id, "pos_device_id": device.id, "deletion_id": deletion["id"],
            "route": deletion.get("route") or "CHECKS", "force": bool(deletion.get("force")),
            "wait_seconds": cfg.sync_wait_seconds, "max_attempts": cfg.sync_wait_attempts, "sync": {"waits": 0},
        })
        resumed.append((device.merchant_id, device.id, deletion["id"]))
    return resumed
