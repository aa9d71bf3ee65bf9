// "Total of this filter" above the receipts list (issue 25): GET /v1/sales/summary over the same store, POS and
// days. The summary counts whole days in the merchant's time zone, by day, store, POS and employee, so a total is
// shown only where it is the total of exactly the listed receipts, and otherwise the box says why there is none:
// - no "From" date (the list then runs back to the first receipt): no total;
// - a search by receipt number or payment type (the summary has no such split): no total;
// - the browser's days are not the merchant's (the list's dates are the browser's local days): no total;
// - an employee: the summary grouped by employee, that employee's group.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { money, number } from '../format.js';
import { t } from '../i18n/index.js';
import { browserTimeZone } from '../local_format.js';
import { dayIn } from '../sales_days.js';
import { getSession } from '../session.js';
import { errorAlert, loading } from '../ui.js';

function dayLabel(day) {
  const [y, m, d] = day.split('-');
  return `${d}.${m}.${y}`;
}

/** The box and its `update(filters)`; a newer update wins over a slower earlier answer. */
export function receiptsSum({ signal }) {
  const box = h('section', { class: 'card receipts-sum', testid: 'receipts-sum', 'aria-labelledby': 'receipts-sum-title', 'aria-live': 'polite' });
  const body = h('div', {});
  box.append(h('h2', { id: 'receipts-sum-title', class: 'card__title' }, t('receipts.sum.title')), body);
  let latest = 0;

  const note = (key, params) => replace(body, h('p', { class: 'muted', testid: 'receipts-sum-note' }, t(key, params)));

  async function update(f) {
    const mine = ++latest;
    const zone = getSession()?.merchant?.time_zone || 'UTC';
    const browser = browserTimeZone();
    if (f.receipt_number || f.payment_type) return note('receipts.sum.not_for_filter');
    if (!f.date_from) return note('receipts.sum.need_dates');
    if (zone !== browser) return note('receipts.sum.other_zone', { zone, browser });
    const from = f.date_from;
    const to = f.date_to || dayIn(zone);
    replace(body, loading());
    try {
      const data = await api.get('/v1/sales/summary', {
        signal,
        query: { from, to, store_id: f.store_id, pos_device_id: f.pos_device_id, group_by: f.employee_id ? 'employee' : 'day' },
      });
      if (mine !== latest) return;
      const zero = { receipt_count: 0, gross_sales: 0, refunds: 0, net_sales: 0 };
      const totals = f.employee_id ? (data.groups.find((g) => g.key === f.employee_id) || zero) : data.totals;
      const item = (key, value, testid) => h('div', {}, h('dt', {}, t(key)), h('dd', { testid }, value));
      replace(body,
        h('dl', { class: 'details' },
          item('receipts.sum.count', number(totals.receipt_count), 'receipts-sum-count'),
          item('receipts.sum.gross', money(totals.gross_sales), 'receipts-sum-gross'),
          item('receipts.sum.refunds', money(totals.refunds), 'receipts-sum-refunds'),
          item('receipts.sum.net', money(totals.net_sales), 'receipts-sum-net')),
        h('p', { class: 'muted small', testid: 'receipts-sum-range' },
          t('receipts.sum.range', { from: dayLabel(data.day_from), to: dayLabel(data.day_to), zone: data.time_zone })));
    } catch (error) {
      if (error.name === 'AbortError' || mine !== latest) return;
      replace(body, errorAlert(error));
    }
  }

  return { box, update };
}
