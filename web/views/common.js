// Lookups and filter controls shared by several screens.
import { fetchAll } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n/index.js';

export async function loadStores(signal) {
  const stores = await fetchAll('/v1/stores', 'stores', { signal });
  return stores.sort((a, b) => a.name.localeCompare(b.name));
}

/** All POS devices, deleted ones included (receipts and shifts still point at them). */
export async function loadDevices(signal, { showDeleted = true } = {}) {
  const devices = await fetchAll('/v1/pos_devices', 'pos_devices', { signal, query: { show_deleted: showDeleted ? 'true' : null } });
  return devices.sort((a, b) => a.name.localeCompare(b.name) || (a.number ?? 0) - (b.number ?? 0));
}

export function byId(items) {
  return new Map(items.map((item) => [item.id, item]));
}

export function deviceLabel(device) {
  if (!device) return '—';
  return device.deleted_at ? `${device.name} (${t('status.DELETED').toLowerCase()})` : device.name;
}

/** A labelled <select> for a filter bar; `onChange(value)` fires on change. */
export function filterSelect({ label, allLabel, options, value, testid, onChange }) {
  const id = uid('filter');
  return h('div', { class: 'filter' },
    h('label', { for: id }, label),
    h('select', { id, testid, value: value || '', onchange: (event) => onChange(event.target.value) },
      h('option', { value: '' }, allLabel),
      options.map((o) => h('option', { value: o.value }, o.label))));
}

export function storeFilter(stores, value, onChange) {
  return filterSelect({
    label: t('filters.store'), allLabel: t('filters.all_stores'), testid: 'store-filter', value, onChange,
    options: stores.map((s) => ({ value: s.id, label: s.name })),
  });
}

export function deviceFilter(devices, value, onChange) {
  return filterSelect({
    label: t('filters.pos'), allLabel: t('filters.all_pos'), testid: 'pos-filter', value, onChange,
    options: devices.map((d) => ({ value: d.id, label: deviceLabel(d) })),
  });
}
