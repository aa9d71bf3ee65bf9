"""What devices produced and what the system noticed: receipts, shifts, audit findings, activity log."""
from chalice import Blueprint

from chalicelib.api import presenters as present
from chalicelib.api import schemas as s
from chalicelib.api.http import endpoint
from chalicelib.services import audit, records

bp = Blueprint(__name__)


@endpoint(bp, "/v1/receipts", "GET", summary="Receipts, newest first", auth="user", tag="receipts",
          query=s.ReceiptQuery, response=s.list_schema("receipts", s.ReceiptOut), errors=(400, 401))
def list_receipts(ctx):
    q = ctx["query"]
    items, cursor = records.list_receipts(ctx["principal"], q.limit, q.cursor, pos_device_id=q.pos_device_id,
                                          store_id=q.store_id, created_min=q.created_at_min,
                                          created_max=q.created_at_max)
    return present.listing("receipts", items, cursor, present.receipt)


@endpoint(bp, "/v1/receipts/{receipt_number}", "GET", summary="One receipt by its number", auth="user",
          tag="receipts", response=s.ReceiptOut, errors=(401, 404))
def get_receipt(ctx, receipt_number):
    return present.receipt(records.get_receipt(ctx["principal"], receipt_number))


@endpoint(bp, "/v1/shifts", "GET", summary="Shifts, newest first", auth="user", tag="shifts", query=s.ShiftQuery,
          response=s.list_schema("shifts", s.ShiftOut), errors=(400, 401))
def list_shifts(ctx):
    q = ctx["query"]
    items, cursor = records.list_shifts(ctx["principal"], q.limit, q.cursor, pos_device_id=q.pos_device_id,
                                        store_id=q.store_id)
    return present.listing("shifts", items, cursor, present.shift)


@endpoint(bp, "/v1/audit/findings", "GET", summary="Audit findings (open or resolved)", auth="user", tag="audit",
          query=s.FindingQuery, response=s.list_schema("findings", s.FindingOut), errors=(400, 401))
def list_findings(ctx):
    q = ctx["query"]
    items, cursor = records.list_findings(ctx["principal"], q.limit, q.cursor, status=q.status,
                                          pos_device_id=q.pos_device_id)
    return present.listing("findings", items, cursor, present.finding)


@endpoint(bp, "/v1/audit/runs", "POST", summary="Run the audit of this merchant's devices now", auth="user",
          tag="audit", response=s.AuditRunOut, errors=(401, 403))
def run_audit(ctx):
    return audit.run_for_merchant(ctx["principal"])


@endpoint(bp, "/v1/events", "GET", summary="Activity log, newest first", auth="user", tag="events",
          query=s.EventQuery, response=s.list_schema("events", s.EventOut), errors=(400, 401))
def list_events(ctx):
    q = ctx["query"]
    items, cursor = records.list_events(ctx["principal"], q.limit, q.cursor, pos_device_id=q.pos_device_id)
    names = records.names_for_events(ctx["principal"], items)
    return present.listing("events", items, cursor, lambda e: present.event(e, names))
