// "Shifts": opened and closed shifts per POS.
import { fetchAll } from '../api.js';
import { h } from '../dom.js';
import { money, timeEl } from '../format.js';
import { t } from '../i18n/index.js';
import { byId, deviceFilter, deviceLabel, loadDevices, loadStores, storeFilter } from './common.js';
import { listPage } from './list.js';

export async function shiftsView({ main, query, signal, setQuery }) {
  const filters = { pos_device_id: query.pos_device_id || '', store_id: query.store_id || '' };
  let storesById = new Map();
  let devicesById = new Map();
  let employeesById = new Map();
  const person = (id) => (id ? employeesById.get(id)?.name || id : '—');
  const list = listPage({
    main, signal, setQuery, filters,
    testid: 'shifts-page',
    title: t('shifts.title'),
    intro: t('shifts.intro'),
    path: '/v1/shifts',
    key: 'shifts',
    empty: ({ filtered }) => (filtered ? t('shifts.empty_filtered') : t('shifts.empty')),
    table: {
      testid: 'shifts-table',
      rowAttrs: (s) => ({ testid: 'shift-row', dataset: { shiftId: s.id } }),
      columns: [
        { label: t('shifts.pos'), className: 'cell-primary', cell: (s) => deviceLabel(devicesById.get(s.pos_device_id)) },
        { label: t('shifts.store'), cell: (s) => storesById.get(s.store_id)?.name || '—' },
        { label: t('shifts.opened'), cell: (s) => [timeEl(s.opened_at), h('br'), h('span', { class: 'muted small' }, person(s.opened_by_employee))] },
        {
          label: t('shifts.closed'),
          cell: (s) => (s.closed_at
            ? [timeEl(s.closed_at), h('br'), h('span', { class: 'muted small' }, person(s.closed_by_employee))]
            : s.orphaned_at
              ? h('span', { class: 'pill pill--finding', testid: 'shift-left-open', title: t('shifts.left_open_hint') }, t('shifts.left_open'))
              : h('span', { class: 'pill pill--open' }, t('shifts.open_now'))),
        },
        { label: t('shifts.starting_cash'), className: 'num', cell: (s) => money(s.starting_cash) },
        { label: t('shifts.expected_cash'), className: 'num', cell: (s) => money(s.expected_cash) },
        { label: t('shifts.actual_cash'), className: 'num', cell: (s) => money(s.actual_cash) },
        {
          label: t('shifts.difference'),
          className: 'num',
          cell: (s) => {
            if (s.actual_cash === null || s.actual_cash === undefined || s.expected_cash === null || s.expected_cash === undefined) return '—';
            const diff = s.actual_cash - s.expected_cash;
            return h('span', { class: diff ? 'warn-text' : '' }, money(diff));
          },
        },
      ],
    },
  });

  const [stores, devices, employees] = await Promise.all([
    loadStores(signal),
    loadDevices(signal),
    fetchAll('/v1/employees', 'employees', { signal }).catch((error) => {
      if (error.name === 'AbortError') throw error;
      return [];
    }),
  ]);
  storesById = byId(stores);
  devicesById = byId(devices);
  employeesById = byId(employees);

  list.filterBar.append(
    deviceFilter(devices, filters.pos_device_id, list.setter('pos_device_id')),
    storeFilter(stores, filters.store_id, list.setter('store_id')),
  );

  await list.load();
}
