"""Lambda task entry points of SafeDeletePosDevice and the scheduled audit; the rules live in services."""
from chalicelib.services import audit, deletion

STEPS = {
    "check_open_tickets": deletion.step_check_open_tickets,
    "check_shift_closed": deletion.step_check_shift_closed,
    "verify_receipts_synced": deletion.step_verify_receipts_synced,
    "deactivate": deletion.step_deactivate,
    "delete": deletion.step_delete,
    "record_failure": deletion.step_record_failure,
}


def run(step: str, event: dict):
    return deletion.run_step(STEPS[step], event)


def scheduled_audit(_event) -> dict:
    """Fans out: one `audit_shard` invocation per shard."""
    return audit.run_all()


def audit_shard(event: dict) -> dict:
    return audit.run_shard(event["shard"])
