// "POS devices" list and the "Create POS" form.
import { api } from '../api.js';
import { h } from '../dom.js';
import { number, STATUSES, statusBadge, statusLabel, timeEl, yesNo } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { loadLimits } from '../limits.js';
import { field, formErrorSlot, selectField, submitForm } from '../ui/forms.js';
import { pageHeader } from '../ui/page.js';
import { empty, loading } from '../ui/states.js';
import { toast } from '../ui/toasts.js';
import { rules, validateWith } from '../ui/validation.js';
import { byId, filterSelect, loadStores, storeFilter } from './common.js';
import { listPage } from './list.js';
import { deletionFailedNote, loadEmployeeNames, presenceCell, showDeletedToggle } from './pos_presence.js';

export async function posListView({ main, query, signal, setQuery }) {
  const filters = { store_id: query.store_id || '', status: query.status || '', show_deleted: query.show_deleted === 'true' ? 'true' : '' };
  let stores = [];
  let storesById = new Map();
  let employeeNames = new Map();
  const list = listPage({
    main, signal, setQuery, filters,
    testid: 'pos-list-page',
    title: t('pos.title'),
    actions: [h('a', { class: 'button button--primary', href: '#/pos/new', testid: 'add-pos' }, icon('plus'), t('pos.add'))],
    intro: t('pos.intro'),
    path: '/v1/pos_devices',
    key: 'pos_devices',
    live: true, // unsynced counts, last sync and a deletion's progress change without a reload
    empty: ({ filtered }) => {
      if (filtered) return t('pos.empty_filtered');
      if (!stores.length) return empty(t('pos.empty_no_stores'), h('a', { class: 'button button--primary', href: '#/stores' }, t('stores.add')));
      return empty(t('pos.empty'), h('a', { class: 'button button--primary', href: '#/pos/new' }, icon('plus'), t('pos.add')));
    },
    table: {
      testid: 'pos-table',
      rowAttrs: (d) => ({ testid: 'pos-row', class: d.deleted_at ? 'row--deleted' : null, dataset: { posId: d.id, status: d.status } }),
      columns: [
        {
          label: t('pos.name'),
          className: 'cell-primary',
          cell: (d) => h('a', { href: `#/pos/${encodeURIComponent(d.id)}`, testid: 'pos-name' }, d.name),
        },
        { label: t('pos.store'), cell: (d) => storesById.get(d.store_id)?.name || '—' },
        {
          label: t('pos.status'),
          cell: (d) => h('span', { class: 'status-cell status-cell--stacked' },
            statusBadge(d),
            d.deletion?.status === 'RUNNING' ? h('span', { class: 'pill pill--force', testid: 'deleting' }, t('deletion.running')) : null,
            d.deletion?.status === 'FAILED' && !d.deleted_at ? deletionFailedNote(d.deletion) : null),
        },
        { label: t('pos.signed_in'), cell: (d) => presenceCell(d, employeeNames) },
        { label: t('pos.last_sync'), cell: (d) => timeEl(d.last_sync_at, 'pos.never_synced') },
        {
          label: t('pos.unsynced_receipts'),
          className: 'num',
          cell: (d) => h('span', { class: d.unsynced_receipts ? 'warn-text' : '', testid: 'unsynced-receipts' }, number(d.unsynced_receipts)),
        },
        {
          label: t('pos.shift_open'),
          cell: (d) => h('span', { class: d.shift_open ? 'pill pill--open' : 'muted', testid: 'shift-open' }, yesNo(d.shift_open)),
        },
      ],
    },
  });

  [stores, employeeNames] = await Promise.all([loadStores(signal), loadEmployeeNames(signal)]);
  storesById = byId(stores);

  list.filterBar.append(
    storeFilter(stores, filters.store_id, list.setter('store_id')),
    filterSelect({
      label: t('filters.status'), allLabel: t('filters.all_statuses'), testid: 'status-filter', value: filters.status,
      options: STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
      onChange: list.setter('status'),
    }),
    showDeletedToggle(Boolean(filters.show_deleted), (value) => list.setter('show_deleted')(value ? 'true' : '')),
  );

  await list.load();
}

export async function posCreateView({ main, signal, navigate }) {
  const root = h('section', { class: 'page page--narrow', testid: 'pos-create-page' });
  main.append(root);
  root.append(
    h('a', { class: 'back-link', href: '#/pos' }, icon('back'), t('pos.back_to_list')),
    pageHeader(t('pos.create_title')),
    loading(),
  );
  const [stores, limits] = await Promise.all([loadStores(signal), loadLimits()]);
  root.lastChild.remove();

  if (!stores.length) {
    root.append(empty(t('pos.empty_no_stores'), h('a', { class: 'button button--primary', href: '#/stores' }, t('stores.add'))));
    return;
  }

  const formError = formErrorSlot();
  const save = h('button', { type: 'submit', class: 'button button--primary', testid: 'save-pos' }, t('common.save'));
  const form = h('form', { class: 'form card', novalidate: true, testid: 'create-pos-form' },
    field({ name: 'name', label: t('pos.name'), required: true, testid: 'pos-name-input', inputAttrs: { 'data-max-chars': limits.posName } }),
    selectField({
      name: 'store_id', label: t('pos.store'), required: true, testid: 'pos-store-select',
      placeholder: t('pos.choose_store'), value: stores.length === 1 ? stores[0].id : '',
      options: stores.map((s) => ({ value: s.id, label: s.name })),
      hint: t('pos.store_hint'),
    }),
    formError,
    h('div', { class: 'form__actions' },
      h('a', { class: 'button button--secondary', href: '#/pos' }, t('common.cancel')),
      save));
  submitForm(form, {
    submitButton: save,
    formError,
    validate: (values) => validateWith(values, {
      name: [rules.required, rules.maxLength(limits.posName)],
      store_id: [(v) => (v ? null : t('validation.choose_store'))],
    }),
    submit: (values) => api.post('/v1/pos_devices', { name: values.name.trim(), store_id: values.store_id }, { signal }),
    onSuccess: (device) => {
      toast(t('pos.created', { name: device.name }), 'success');
      navigate('/pos');
    },
  });
  root.append(form);
  form.querySelector('input').focus();
}
