"""Lambda task entry points of SafeDeletePosDevice and the scheduled audit; the rules live in services."""
import logging
import time

from chalicelib import telemetry
from chalicelib.services import audit, deletion
from chalicelib.workflows import steps

log = logging.getLogger(__name__)

# Task name -> the service function it runs, from the one registry (chalicelib/workflows/steps.py).
STEPS = {task.name: getattr(deletion, task.service) for task in steps.TASKS}


def run(step: str, event: dict):
    """One workflow step, logged as one JSON line with the deletion id (also its correlation id: the
    execution is named after the deletion) and the step's outcome: ok, refused (a business reason, with its
    code), or failed (a fault: ERROR, with the trace)."""
    deletion_id = event.get("deletion_id")
    started = time.perf_counter()
    with telemetry.bound(correlation_id=deletion_id, deletion_id=deletion_id, step=step,
                         merchant_id=event.get("merchant_id"), pos_device_id=event.get("pos_device_id")):
        try:
            result = deletion.run_step(STEPS[step], event)
        except deletion.DeletionBlocked as refusal:
            log.info("deletion step %s refused: %s", step, refusal.code, extra={
                "event": "deletion_step", "outcome": "refused", "error_code": refusal.code,
                "duration_ms": _ms(started)})
            raise
        except Exception as exc:
            log.error("deletion step %s failed: %s", step, type(exc).__name__, exc_info=True, extra={
                "event": "deletion_step", "outcome": "failed", "duration_ms": _ms(started)})
            raise
        log.info("deletion step %s done", step, extra={"event": "deletion_step", "outcome": "ok",
                                                         "duration_ms": _ms(started)})
        return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def scheduled_audit(_event) -> dict:
    """Fans out: one `audit_shard` invocation per shard."""
    return audit.run_all()


def audit_shard(event: dict) -> dict:
    return audit.run_shard(event["shard"])


def audit_merchant(event: dict) -> dict:
    """A merchant's audit run started by POST /v1/audit/runs (invoked asynchronously)."""
    with telemetry.bound(correlation_id=event.get("run_id"), merchant_id=event.get("merchant_id")):
        return audit.run_merchant_job(event)
def webhook_outbox(stream_event) -> dict:
    """AWS: a batch of the events table's stream: new events become deliveries, then due ones are sent (a few: the
    rest by webhook_retries, every minute). Raising fails the batch: the mapping retries it, then hands it to its
    on-failure destination (infra/template.yml)."""
    from chalicelib.services import webhooks

    started = time.perf_counter()
    with telemetry.bound(function="webhook_outbox"):
        result = webhooks.on_stream(list(stream_event))
        log.info("webhook outbox batch", extra={"event": "webhook_outbox", "duration_ms": _ms(started), **result})
    return result


def webhook_retries(_event) -> dict:
    from chalicelib.services import webhooks

    started = time.perf_counter()
    with telemetry.bound(function="webhook_retries"):
        result = webhooks.deliver_due(limit=WEBHOOK_RETRY_BATCH)
        log.info("webhook retries", extra={"event": "webhook_retries", "duration_ms": _ms(started), **result})
    return result


# At most 10 s an attempt: 40 attempts fit the retries function's timeout (infra/functions.yml) with margin.
WEBHOOK_RETRY_BATCH = 40
