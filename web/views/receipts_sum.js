// "Total of this filter" above the receipts list (issue 25): GET /v1/sales/summary over the same store, POS, employee
// and days, where that is exactly the listed receipts' total (web/receipts_total.js decides); otherwise it says why.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { money, number } from '../format.js';
import { t } from '../i18n/index.js';
import { browserTimeZone } from '../local_format.js';
import { planTotals, totalPlan } from '../receipts_total.js';
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
    const plan = totalPlan(f, { zone, browserZone: browser });
    if (plan.note) {
      note(`receipts.sum.${plan.note}`, { zone, browser });
      return;
    }
    replace(body, loading());
    try {
      const data = await api.get('/v1/sales/summary', { signal, query: plan.query });
      if (mine !== latest) return;
      const totals = planTotals(plan, data);
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
