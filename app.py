"""Wiring only: HTTP blueprints, the safe-deletion Lambda tasks and the audit schedule."""
import logging

from chalice import Chalice, Rate

from chalicelib import telemetry
from chalicelib.api import accounts_routes, device_routes, http, openapi, pos_routes, records_routes
from chalicelib.workflows import tasks

telemetry.configure()
app = Chalice(app_name="pos-backoffice")
app.log.setLevel(logging.INFO)
for blueprint in (accounts_routes.bp, device_routes.bp, pos_routes.bp, records_routes.bp, openapi.bp):
    app.register_blueprint(blueprint)
app.register_middleware(http.log_requests, "http")
app.register_middleware(http.reshape_chalice_errors, "http")


@app.lambda_function(name="deletion_check_open_tickets")
def deletion_check_open_tickets(event, context):
    return tasks.run("check_open_tickets", event)


@app.lambda_function(name="deletion_check_shift_closed")
def deletion_check_shift_closed(event, context):
    return tasks.run("check_shift_closed", event)


@app.lambda_function(name="deletion_verify_receipts_synced")
def deletion_verify_receipts_synced(event, context):
    return tasks.run("verify_receipts_synced", event)


@app.lambda_function(name="deletion_deactivate")
def deletion_deactivate(event, context):
    return tasks.run("deactivate", event)


@app.lambda_function(name="deletion_delete")
def deletion_delete(event, context):
    return tasks.run("delete", event)


@app.lambda_function(name="deletion_record_failure")
def deletion_record_failure(event, context):
    return tasks.run("record_failure", event)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="run_audit")
def run_audit(event):
    return tasks.scheduled_audit(event)


@app.lambda_function(name="audit_shard")
def audit_shard(event, context):
    return tasks.audit_shard(event)
