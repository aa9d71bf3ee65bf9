// "Sales summary": receipts, gross sales, refunds and net sales of a range of the merchant's days, grouped by day,
// store, POS, employee or payment type (GET /v1/sales/summary, read from counters, so a month is cheap).
import { api } from '../api.js';
import { h } from '../dom.js';
import { money, number, translated } from '../format.js';
import { t } from '../i18n/index.js';
import { getSession } from '../session.js';
import { errorAlert, loading, pageHeader } from '../ui.js';
import { presetRange } from '../sales_days.js';

export const GROUPS = ['day', 'store', 'pos_device', 'employee', 'payment_type'];
export const PRESETS = ['today', 'yesterday', 'last7', 'this_month', 'custom'];


function merchantZone() {
  return getSession()?.merchant?.time_zone || 'UTC';
}

function dayLabel(day) {
  const [y, m, d] = day.split('-');
  return `${d}.${m}.${y}`;
}

export async function salesView({ main, query, signal, setQuery }) {
  const zone = merchantZone();
  const state = {
    preset: PRESETS.includes(query.preset) ? query.preset : 'today',
    group_by: GROUPS.includes(query.group_by) ? query.group_by : 'day',
    from: query.from || '',
    to: query.to || '',
  };
  const root = h('section', { class: 'page', testid: 'sales-page' });
  main.append(root);
  const result = h('div', { testid: 'sales-result', 'aria-live': 'polite' });

  const presetSelect = h('select', { id: 'sales-preset', testid: 'sales-preset' },
    PRESETS.map((p) => h('option', { value: p }, t(`sales.preset.${p}`))));
  presetSelect.value = state.preset;
  const groupSelect = h('select', { id: 'sales-group', testid: 'sales-group' },
    GROUPS.map((g) => h('option', { value: g }, t(`sales.group.${g}`))));
  groupSelect.value = state.group_by;
  const fromInput = h('input', { id: 'sales-from', type: 'date', testid: 'sales-from' });
  const toInput = h('input', { id: 'sales-to', type: 'date', testid: 'sales-to' });
  const custom = h('div', { class: 'filter-bar__group', testid: 'sales-custom' },
    h('label', { for: 'sales-from' }, t('sales.from')), fromInput,
    h('label', { for: 'sales-to' }, t('sales.to')), toInput);

  function syncInputs() {
    if (state.preset !== 'custom' || !state.from) [state.from, state.to] = presetRange(state.preset, zone);
    fromInput.value = state.from;
    toInput.value = state.to;
    custom.hidden = state.preset !== 'custom';
  }

  async function load() {
    setQuery({ preset: state.preset, group_by: state.group_by, from: state.preset === 'custom' ? state.from : '',
      to: state.preset === 'custom' ? state.to : '' });
    result.replaceChildren(loading());
    try {
      const data = await api.get('/v1/sales/summary', { query: { from: state.from, to: state.to || state.from, group_by: state.group_by }, signal });
      result.replaceChildren(render(data));
    } catch (error) {
      if (error.name === 'AbortError') return;
      result.replaceChildren(errorAlert(error, { retry: load }));
    }
  }

  function render(data) {
    const totals = data.totals;
    const tile = (key, value, testid) => h('div', { class: 'card stat', testid },
      h('div', { class: 'muted small' }, t(key)), h('div', { class: 'stat__value' }, value));
    const groupName = (g) => {
      if (state.group_by === 'day') return dayLabel(g.key);
      if (state.group_by === 'payment_type') return translated('receipts.payment_types', g.key);
      if (state.group_by === 'employee' && g.key === '-') return t('sales.no_employee');
      return g.name || g.key;
    };
    return h('div', {},
      h('p', { class: 'muted', testid: 'sales-range' },
        t('sales.range', { from: dayLabel(data.day_from), to: dayLabel(data.day_to), zone: data.time_zone })),
      h('div', { class: 'stats' },
        tile('sales.receipts', number(totals.receipt_count), 'sales-receipts'),
        tile('sales.gross', money(totals.gross_sales), 'sales-gross'),
        tile('sales.refunds', money(totals.refunds), 'sales-refunds'),
        tile('sales.net', money(totals.net_sales), 'sales-net')),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'table', testid: 'sales-table' },
          h('caption', { class: 'visually-hidden' }, t('sales.title')),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t(`sales.group.${state.group_by}`)),
            h('th', { scope: 'col', class: 'num' }, t('sales.receipts')),
            h('th', { scope: 'col', class: 'num' }, t('sales.gross')),
            h('th', { scope: 'col', class: 'num' }, t('sales.refunds')),
            h('th', { scope: 'col', class: 'num' }, t('sales.net')))),
          h('tbody', {}, data.groups.map((g) => h('tr', { testid: 'sales-row' },
            h('th', { scope: 'row', class: 'cell-primary' }, groupName(g)),
            h('td', { class: 'num' }, number(g.receipt_count)),
            h('td', { class: 'num' }, money(g.gross_sales)),
            h('td', { class: 'num' }, money(g.refunds)),
            h('td', { class: 'num' }, money(g.net_sales))))))),
      data.by_payment_type.length ? h('div', {},
        h('h2', {}, t('sales.by_payment_type')),
        h('ul', { class: 'plain-list', testid: 'sales-payments' }, data.by_payment_type.map((p) => h('li', {},
          `${translated('receipts.payment_types', p.payment_type)}: ${money(p.net)}`)))) : null);
  }

  presetSelect.addEventListener('change', () => {
    state.preset = presetSelect.value;
    if (state.preset === 'custom') [state.from, state.to] = presetRange('today', zone);
    syncInputs();
    load();
  });
  groupSelect.addEventListener('change', () => { state.group_by = groupSelect.value; load(); });
  for (const input of [fromInput, toInput]) {
    input.addEventListener('change', () => {
      state.from = fromInput.value;
      state.to = toInput.value || fromInput.value;
      if (state.from) load();
    });
  }

  root.append(
    pageHeader(t('sales.title')),
    h('p', { class: 'muted' }, t('sales.intro')),
    h('div', { class: 'filter-bar', testid: 'sales-filters' },
      h('div', { class: 'filter-bar__group' }, h('label', { for: 'sales-preset' }, t('sales.period')), presetSelect),
      custom,
      h('div', { class: 'filter-bar__group' }, h('label', { for: 'sales-group' }, t('sales.group_by')), groupSelect)),
    result);
  syncInputs();
  await load();
}
