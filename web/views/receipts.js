// "Receipts": synced receipts, newest first, filterable by POS and store, paged by cursor.
import { fetchAll } from '../api.js';
import { h, replace } from '../dom.js';
import { money, number, timeEl, translated } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { openDialog, table } from '../ui.js';
import { byId, deviceFilter, loadDevices, loadStores, storeFilter } from './common.js';
import { listPage } from './list.js';
import { apiQuery, exportButton, extraFilters, loadEmployees } from './receipt_filters.js';
import { receiptsSum } from './receipts_sum.js';

export async function receiptsView({ main, query, signal, setQuery }) {
  const filters = {
    pos_device_id: query.pos_device_id || '', store_id: query.store_id || '', receipt_number: query.receipt_number || '',
    employee_id: query.employee_id || '', payment_type: query.payment_type || '', date_from: query.date_from || '', date_to: query.date_to || '',
  };
  let storesById = new Map();
  let employees = new Map();
  const list = listPage({
    main, signal, setQuery, filters,
    testid: 'receipts-page',
    title: t('receipts.title'),
    actions: [exportButton(filters)],
    intro: t('receipts.intro'),
    path: '/v1/receipts',
    key: 'receipts',
    query: apiQuery,
    empty: ({ filtered }) => (filtered ? t('receipts.empty_filtered') : t('receipts.empty')),
    table: {
      testid: 'receipts-table',
      rowAttrs: (r) => ({ testid: 'receipt-row', dataset: { receiptNumber: r.receipt_number } }),
      columns: [
        {
          label: t('receipts.number'),
          className: 'cell-primary',
          cell: (r) => h('button', { type: 'button', class: 'link-button', testid: 'receipt-number', onclick: () => showReceipt(r) }, r.receipt_number),
        },
        { label: t('receipts.date'), cell: (r) => timeEl(r.created_at) },
        { label: t('receipts.pos'), cell: (r) => h('span', { testid: 'receipt-pos-name' }, r.pos_device_name || '—') },
        { label: t('receipts.store'), cell: (r) => storesById.get(r.store_id)?.name || '—' },
        { label: t('receipts.type'), cell: (r) => h('span', { class: `pill pill--${String(r.receipt_type).toLowerCase()}` }, translated('receipts.types', r.receipt_type)) },
        { label: t('receipts.total'), className: 'num', cell: (r) => h('span', { testid: 'receipt-total' }, money(r.total_money)) },
      ],
    },
  });

  const [stores, devices, employeeList] = await Promise.all([loadStores(signal), loadDevices(signal), loadEmployees(signal)]);
  storesById = byId(stores);
  employees = byId(employeeList);

  // On a phone the seven filters take the whole screen: one "Filters" button shows them (wider: always shown).
  const bar = list.filterBar;
  bar.id = bar.id || 'receipt-filters';
  bar.classList.add('filters--collapsible');
  const activeCount = () => Object.values(filters).filter(Boolean).length;
  const toggleLabel = () => (activeCount() ? t('receipts.filters_active', { n: activeCount() }) : t('receipts.filters'));
  const toggle = h('button', {
    type: 'button', class: 'button button--secondary filters-toggle', testid: 'receipt-filters-toggle',
    'aria-expanded': 'false', 'aria-controls': bar.id,
    onclick: () => {
      const open = !bar.classList.contains('filters--open');
      bar.classList.toggle('filters--open', open);
      toggle.setAttribute('aria-expanded', String(open));
      if (open) bar.querySelector('select, input')?.focus();
    },
  }, icon('filter'), h('span', {}, toggleLabel()));
  bar.before(toggle);
  bar.addEventListener('change', () => { toggle.lastChild.textContent = toggleLabel(); });
  bar.addEventListener('input', () => { toggle.lastChild.textContent = toggleLabel(); });

  list.filterBar.append(
    deviceFilter(devices, filters.pos_device_id, list.setter('pos_device_id')),
    storeFilter(stores, filters.store_id, list.setter('store_id')),
    ...extraFilters(filters, employeeList, () => list.reload(), (message) => {
      list.cancel();
      replace(list.results, h('div', { class: 'alert alert--warning', role: 'alert', testid: 'receipt-search-invalid' },
        h('div', { class: 'alert__body' }, h('p', {}, message))));
    }),
  );

  // The total of what is filtered, recounted after each filter change (the search box waits 300 ms itself).
  const sum = receiptsSum({ signal });
  list.results.before(sum.box);
  let sumTimer = null;
  const recount = () => {
    clearTimeout(sumTimer);
    sumTimer = setTimeout(() => sum.update(filters), 350);
  };
  bar.addEventListener('change', recount);
  bar.addEventListener('input', recount);
  sum.update(filters);

  async function employeeName(id) {
    if (!id) return '—';
    if (!employees.size) {
      try {
        for (const e of await fetchAll('/v1/employees', 'employees', { signal })) employees.set(e.id, e);
      } catch {
        /* names are a nicety; the id is shown instead */
      }
    }
    return employees.get(id)?.name || id;
  }

  async function showReceipt(r) {
    const cashier = await employeeName(r.employee_id);
    await openDialog({
      title: t('receipts.receipt_title', { number: r.receipt_number }),
      testid: 'receipt-dialog',
      // A right-hand panel over the list, as in the seed article ("po jego otwarciu po prawej stronie").
      className: 'dialog--wide dialog--panel',
      build: (close) => h('div', { class: 'dialog__form' },
        h('div', { class: 'dialog__body receipt' },
          h('dl', { class: 'details' },
            h('div', {}, h('dt', {}, t('receipts.pos')), h('dd', { testid: 'receipt-dialog-pos' }, r.pos_device_name || '—')),
            h('div', {}, h('dt', {}, t('receipts.store')), h('dd', {}, storesById.get(r.store_id)?.name || '—')),
            h('div', {}, h('dt', {}, t('receipts.date')), h('dd', {}, timeEl(r.created_at))),
            h('div', {}, h('dt', {}, t('receipts.synced_at')), h('dd', {}, timeEl(r.synced_at))),
            h('div', {}, h('dt', {}, t('receipts.employee')), h('dd', {}, cashier)),
            h('div', {}, h('dt', {}, t('receipts.type')), h('dd', {}, translated('receipts.types', r.receipt_type)))),
          h('h3', {}, t('receipts.items')),
          table({
            testid: 'receipt-items',
            items: r.line_items || [],
            columns: [
              { label: t('receipts.item'), cell: (i) => i.item_name },
              { label: t('receipts.quantity'), className: 'num', cell: (i) => number(i.quantity) },
              { label: t('receipts.price'), className: 'num', cell: (i) => money(i.price) },
              { label: t('receipts.total'), className: 'num', cell: (i) => money(i.total_money) },
            ],
          }),
          h('h3', {}, t('receipts.payments')),
          (r.payments || []).length
            ? h('ul', { class: 'plain-list' }, r.payments.map((p) => h('li', {}, translated('receipts.payment_types', p.type), ': ', money(p.money_amount))))
            : h('p', { class: 'muted' }, '—'),
          h('p', { class: 'receipt__total' }, t('receipts.total'), ': ', h('strong', {}, money(r.total_money)),
            r.total_tax ? h('span', { class: 'muted' }, ` (${t('receipts.tax')}: ${money(r.total_tax)})`) : null)),
        h('div', { class: 'dialog__actions' },
          h('button', { type: 'button', class: 'button button--primary', autofocus: true, onclick: () => close(null) }, t('common.close')))),
    });
  }

  await list.load();
}
