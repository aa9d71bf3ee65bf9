"""Wiring only: HTTP blueprints, the safe-deletion Lambda tasks, the audit schedule and the webhooks' outbox."""
import logging
import os

from chalice import Chalice, Rate

from chalicelib import telemetry
from chalicelib.api import (
    accounts_routes,
    device_routes,
    http,
    integrations_routes,
    openapi,
    pos_routes,
    records_routes,
)
from chalicelib.workflows import steps, tasks

telemetry.configure()
app = Chalice(app_name="pos-backoffice")
app.log.setLevel(logging.INFO)
for blueprint in (accounts_routes.bp, device_routes.bp, pos_routes.bp, records_routes.bp, integrations_routes.bp,
                  openapi.bp):
    app.register_blueprint(blueprint)
app.register_middleware(http.log_requests, "http")
app.register_middleware(http.reshape_chalice_errors, "http")


def _deletion_task(task: steps.Task):
    def handler(event, context):
        return tasks.run(task.name, event)

    # Chalice names the Lambda's handler app.<__name__>: each one is a module attribute of that name (below).
    handler.__name__ = handler.__qualname__ = task.function
    return handler


# One @app.lambda_function per task of the safe-deletion workflow (chalicelib/workflows/steps.py).
for _task in steps.TASKS:
    globals()[_task.function] = app.lambda_function(name=_task.function)(_deletion_task(_task))


@app.schedule(Rate(15, unit=Rate.MINUTES), name="run_audit")
def run_audit(event):
    return tasks.scheduled_audit(event)


@app.lambda_function(name="audit_shard")
def audit_shard(event, context):
    return tasks.audit_shard(event)


@app.lambda_function(name="audit_merchant")
def audit_merchant(event, context):
    return tasks.audit_merchant(event)
# Webhooks (DESIGN.md 3.3): the events table's stream is the outbox (NEW_IMAGE); infra/template.yml points this
# mapping at EventsTable.StreamArn (the ARN below is only what `chalice package` needs to generate it), with an
# on-failure destination and an alarm. Due retries are sent every minute.
EVENTS_STREAM_ARN = os.environ.get("EVENTS_STREAM_ARN") or \
    "arn:aws:dynamodb:us-east-1:123456789012:table/pos-backoffice-dev-events/stream/2026-01-01T00:00:00.000"


@app.on_dynamodb_record(stream_arn=EVENTS_STREAM_ARN, name="webhook_outbox", batch_size=100,
                        starting_position="TRIM_HORIZON")
def webhook_outbox(event):
    return tasks.webhook_outbox(event)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="webhook_retries")
def webhook_retries(event):
    return tasks.webhook_retries(event)
