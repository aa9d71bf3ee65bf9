"""What devices produced and what the system noticed: receipts, shifts, audit findings, activity log."""
import csv
import io
from urllib.parse import urlencode

from chalice import Blueprint, Response

from chalicelib import i18n
from chalicelib.api import presenters as present
from chalicelib.api.auth import BACK_OFFICE
from chalicelib.api.http import ListOf, Reply, endpoint
from chalicelib.i18n import render
from chalicelib.services import audit, records, sales

bp = Blueprint(__name__)


@endpoint(bp, "/v1/receipts", "GET", summary="Receipts, newest first", auth=BACK_OFFICE, tag="receipts",
          query="ReceiptQuery", response=ListOf("receipts", "ReceiptOut"), errors=(400, 401), permission="records.read")
def list_receipts(ctx):
    """Filters combine; created_at_min/max are ISO 8601 with a time zone."""
    q = ctx.query
    items, cursor = records.list_receipts(ctx.principal, q.limit, q.cursor, **_receipt_filters(q))
    return {"receipts": items, "cursor": cursor}


def _receipt_filters(q) -> dict:
    return {"pos_device_id": q.pos_device_id, "store_id": q.store_id, "created_min": q.created_at_min,
            "created_max": q.created_at_max, "receipt_number": q.receipt_number, "employee_id": q.employee_id,
            "payment_type": q.payment_type}


@endpoint(bp, "/v1/receipts/export", "GET",
          summary="The receipts of a filter as CSV (same filters as GET /v1/receipts), newest first, in parts of "
                  "`limit` rows: a next part's cursor is in the X-Next-Cursor header (and Link rel=next)",
          auth=BACK_OFFICE, tag="receipts", query="ReceiptExportQuery", errors=(400, 401), permission="records.read")
def export_receipts(ctx):
    """Columns in the request's language; money in major units of the merchant's currency. Excel-ready for a Polish
    caller (or `format=excel-pl`): ';' between fields, a decimal comma, times in the merchant's time zone, receipt
    and payment types translated."""
    q = ctx.query
    excel = q.format == "excel-pl" or (q.format is None and i18n.current() == "pl")
    merchant = records.merchant(ctx.principal)
    currency, zone = merchant.get("currency") or "EUR", merchant.get("time_zone") or "UTC"
    out = io.StringIO()
    if not q.cursor:
        out.write("\ufeff")  # a BOM, so that spreadsheet programs read the UTF-8 names right
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    if not q.cursor:
        writer.writerow(render(f"csv.{column}_local" if excel and column in ("created_at", "synced_at")
                               else f"csv.{column}", {"zone": zone}) for column in present.RECEIPT_CSV_HEADER)
    chunks = records.export_receipts(ctx.principal, q.limit, q.cursor, **_receipt_filters(q))
    written = None  # characters written so far, told to the service, which ends the part past its budget
    while True:
        try:
            items, names = chunks.send(written)
        except StopIteration as done:
            cursor = done.value
            break
        writer.writerows(present.receipt_csv_row(r, names, currency, zone if excel else None) for r in items)
        written = out.tell()
    headers = {"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
               "Content-Disposition": 'attachment; filename="receipts.csv"',
               "Content-Language": i18n.current(), "Vary": "Accept-Language"}  # the header row is translated
    if cursor:
        headers["X-Next-Cursor"] = cursor
        headers["Link"] = f'<?{urlencode({**ctx.raw_query, "cursor": cursor})}>; rel="next"'
    return Response(body=out.getvalue(), status_code=200, headers=headers)


@endpoint(bp, "/v1/receipts/{receipt_number}", "GET", summary="One receipt by its number", auth=BACK_OFFICE,
          tag="receipts", response="ReceiptOut", errors=(401, 404), permission="records.read")
def get_receipt(ctx, receipt_number):
    """A receipt number is `{device number}-{seq}`, e.g. 2-17."""
    return records.get_receipt(ctx.principal, receipt_number)


@endpoint(bp, "/v1/shifts", "GET", summary="Shifts, newest first", auth=BACK_OFFICE, tag="shifts", query="ShiftQuery",
          response=ListOf("shifts", "ShiftOut"), errors=(400, 401), permission="records.read")
def list_shifts(ctx):
    """Open and closed shifts; an open shift of a deactivated or deleted POS has `orphaned_at`."""
    q = ctx.query
    items, cursor = records.list_shifts(ctx.principal, q.limit, q.cursor, pos_device_id=q.pos_device_id,
                                        store_id=q.store_id)
    return {"shifts": items, "cursor": cursor}


@endpoint(bp, "/v1/audit/findings", "GET", summary="Audit findings (open or resolved)", auth=BACK_OFFICE, tag="audit",
          query="FindingQuery", response=ListOf("findings", "FindingOut"), errors=(400, 401), permission="records.read")
def list_findings(ctx):
    """What the audit (every 15 minutes, or POST /v1/audit/runs) found: open until resolved."""
    q = ctx.query
    items, cursor = records.list_findings(ctx.principal, q.limit, q.cursor, status=q.status,
                                          pos_device_id=q.pos_device_id)
    return {"findings": items, "cursor": cursor}


@endpoint(bp, "/v1/audit/findings/{finding_id}/acknowledge", "POST",
          summary="Acknowledge an open SHIFT_LEFT_OPEN finding: it is resolved", auth=BACK_OFFICE, tag="audit",
          response="FindingOut", errors=(401, 403, 404, 409), permission="audit.run")
def acknowledge_finding(ctx, finding_id):
    """OWNER or MANAGER. Only a SHIFT_LEFT_OPEN finding (nobody will close that shift); the others resolve
    themselves once fixed: 409 FINDING_RESOLVES_ITSELF. Not open (unknown, resolved): 404."""
    return audit.acknowledge_finding(ctx.principal, finding_id)


@endpoint(bp, "/v1/audit/runs", "POST", summary="Run the audit of this merchant's devices now", auth=BACK_OFFICE,
          tag="audit", response="AuditRunOut", status=202, errors=(401, 403, 503), permission="audit.run")
def run_audit(ctx):
    """OWNER or MANAGER. Starts checking every POS of the merchant in the background and answers the run (202):
    poll GET /v1/audit/runs/{run_id} until its status is SUCCEEDED (with the counts) or FAILED. While a run of
    the merchant is RUNNING, that run is answered: there is never a second one."""
    return audit.start_run(ctx.principal)


@endpoint(bp, "/v1/audit/runs/{run_id}", "GET", summary="One audit run: its status and counts", auth=BACK_OFFICE,
          tag="audit", response="AuditRunOut", errors=(401, 404), permission="audit.run")
def get_audit_run(ctx, run_id):
    """RUNNING, then SUCCEEDED (the counts) or FAILED (`error`); a run is kept a week."""
    return audit.get_run(ctx.principal, run_id)


@endpoint(bp, "/v1/events", "GET", summary="Activity log, newest first", auth=BACK_OFFICE, tag="events",
          query="EventQuery", response=ListOf("events", "EventOut"), errors=(400, 401), permission="records.read")
def list_events(ctx):
    """Who did what and when; `text` says it in the request's language, with names."""
    q = ctx.query
    items, cursor = records.list_events(ctx.principal, q.limit, q.cursor, pos_device_id=q.pos_device_id,
                                        actor_id=q.actor_id)
    names = records.names_for_events(ctx.principal, items)
    return Reply({"events": items, "cursor": cursor}, names=names)  # the sentences name stores, employees, POS


@endpoint(bp, "/v1/sales/summary", "GET", summary="Sales summary: receipts, gross sales, refunds and net sales of "
                                                  "a range of days, by day, store, POS, employee or payment type",
          auth=BACK_OFFICE, tag="receipts", query="SalesSummaryQuery", response="SalesSummaryOut", errors=(400, 401, 404),
          permission="records.read")
def sales_summary(ctx):
    """Days are the merchant's (its `time_zone`); money in the currency's minor units. Read from counters the sync
    keeps in the transaction that stores each receipt: exact under replays and races, and a month costs a few
    requests, not one per receipt."""
    q = ctx.query
    return sales.summary(ctx.principal, q.day_from, q.day_to, q.group_by, q.store_id, q.pos_device_id)
