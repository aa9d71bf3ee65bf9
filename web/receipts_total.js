// Which receipts filters have an exact total from GET /v1/sales/summary (pure: tested in node,
// tests/web/receipts_total.test.mjs). The summary counts whole days in the merchant's time zone per day, store,
// POS and employee; the receipts list's dates are the browser's local days. So a total is offered only when it is
// the total of exactly the listed receipts, and otherwise the reason is named:
// - a search by receipt number or payment type: the summary has no such split ('not_for_filter');
// - no "From" date (the list then runs back to the first receipt): 'need_dates';
// - the browser's days are not the merchant's: 'other_zone';
// - an employee: the summary grouped by employee, that employee's group (`employee`).
import { dayIn } from './sales_days.js';

/** {note} or {query, employee}: the summary's query for the receipts filter `f`. */
export function totalPlan(f, { zone, browserZone, now = new Date() }) {
  if (f.receipt_number || f.payment_type) return { note: 'not_for_filter' };
  if (!f.date_from) return { note: 'need_dates' };
  if (zone !== browserZone) return { note: 'other_zone' };
  const today = dayIn(zone, now);
  // Without "To" the list runs up to now: today (or the "From" day itself when that is still to come).
  const to = f.date_to || (f.date_from > today ? f.date_from : today);
  return {
    query: {
      from: f.date_from, to, store_id: f.store_id || null, pos_device_id: f.pos_device_id || null,
      group_by: f.employee_id ? 'employee' : 'day',
    },
    employee: f.employee_id || null,
  };
}

const ZERO = { receipt_count: 0, gross_sales: 0, refunds: 0, net_sales: 0 };

/** The totals of a summary answer for the plan: the whole range's, or the one employee's group (zero if none). */
export function planTotals(plan, summary) {
  if (!plan.employee) return summary.totals;
  return summary.groups.find((g) => g.key === plan.employee) || ZERO;
}
