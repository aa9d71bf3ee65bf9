// Receipts: search by number, date range, employee and payment type, and the CSV export of that filter.
import { api, ApiError, fetchAll } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { toast } from '../ui.js';
import { filterSelect } from './common.js';

export const PAYMENT_TYPES = ['CASH', 'CARD'];

export async function loadEmployees(signal) {
  try {
    return (await fetchAll('/v1/employees', 'employees', { signal })).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return []; // names are a nicety: a cashier may not list employees
  }
}

/** The view's filters as API query parameters (dates are whole local days). */
export function apiQuery(f) {
  const day = (value, end) => {
    if (!value) return null;
    const date = new Date(`${value}T00:00:00`);
    if (end) date.setDate(date.getDate() + 1);
    return new Date(date.getTime() - (end ? 1000 : 0)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  };
  return {
    pos_device_id: f.pos_device_id, store_id: f.store_id, receipt_number: f.receipt_number.trim(),
    employee_id: f.employee_id, payment_type: f.payment_type,
    created_at_min: day(f.date_from, false), created_at_max: day(f.date_to, true),
  };
}

function labelled(label, control, after = null) {
  const id = uid('filter');
  control.id = id;
  return h('div', { class: 'filter' }, h('label', { for: id }, label), control, after);
}

export const RECEIPT_NUMBER = /^[0-9][0-9-]{0,20}$/;

/** `invalid(message)`: a search that cannot match says why (instead of leaving the previous result shown). */
export function extraFilters(f, employees, changed, invalid = () => {}) {
  let timer = null;
  const errorId = uid('receipt-search-error');
  const searchError = h('p', { id: errorId, class: 'field__error', testid: 'receipt-search-error', hidden: true });
  const search = h('input', {
    type: 'search', value: f.receipt_number, testid: 'receipt-search', inputmode: 'numeric', placeholder: '2-17',
    'aria-describedby': errorId,
    oninput: (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const value = event.target.value.trim();
        if (value && !RECEIPT_NUMBER.test(value)) {
          const message = t('receipts.search_invalid');
          searchError.textContent = message;
          searchError.hidden = false;
          search.setAttribute('aria-invalid', 'true');
          invalid(message);
          return;
        }
        searchError.hidden = true;
        searchError.textContent = '';
        search.removeAttribute('aria-invalid');
        f.receipt_number = value;
        changed();
      }, 300);
    },
  });
  const date = (key, testid) => h('input', {
    type: 'date', value: f[key], testid, onchange: (event) => { f[key] = event.target.value; changed(); },
  });
  return [
    labelled(t('receipts.search'), search, searchError),
    labelled(t('receipts.date_from'), date('date_from', 'date-from')),
    labelled(t('receipts.date_to'), date('date_to', 'date-to')),
    filterSelect({
      label: t('receipts.employee'), allLabel: t('receipts.all_employees'), testid: 'employee-filter', value: f.employee_id,
      options: employees.map((e) => ({ value: e.id, label: e.name })),
      onChange: (value) => { f.employee_id = value; changed(); },
    }),
    filterSelect({
      label: t('receipts.payment_type'), allLabel: t('receipts.all_payment_types'), testid: 'payment-filter', value: f.payment_type,
      options: PAYMENT_TYPES.map((p) => ({ value: p, label: t(`receipts.payment_types.${p}`) })),
      onChange: (value) => { f.payment_type = value; changed(); },
    }),
  ];
}

/** Download the current filter as CSV: the API sends it in parts; they are joined into one file. */
export function exportButton(f) {
  const button = h('button', { type: 'button', class: 'button button--secondary', testid: 'export-csv' }, icon('download'), t('receipts.export'));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const parts = [];
      let cursor = null;
      do {
        const response = await csvPart({ ...apiQuery(f), cursor });
        parts.push(await response.text());
        cursor = response.headers.get('X-Next-Cursor');
      } while (cursor);
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }));
      const link = h('a', { href: url, download: `receipts-${new Date().toISOString().slice(0, 10)}.csv`, testid: 'export-link' });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      toast(error instanceof ApiError ? error.message : t('error.unexpected'), 'error');
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

async function csvPart(query) {
  // The API client parses JSON; a CSV part is read as text, with the same auth and language headers.
  return api.raw('GET', '/v1/receipts/export', { query });
}
