// "Shifts": opened and closed shifts per POS.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { money, timeEl } from '../format.js';
import { t } from '../i18n/index.js';
import { CursorPager, empty, errorAlert, loading, pageHeader, table } from '../ui.js';
import { byId, deviceFilter, deviceLabel, loadDevices, loadStores, storeFilter } from './common.js';

export async function shiftsView({ main, query, signal, setQuery }) {
  const filters = { pos_device_id: query.pos_device_id || '', store_id: query.store_id || '' };
  const pager = new CursorPager();
  const root = h('section', { class: 'page', testid: 'shifts-page' });
  main.append(root);
  root.append(pageHeader(t('shifts.title')), h('p', { class: 'page-intro muted' }, t('shifts.intro')));
  const filterBar = h('div', { class: 'filters', role: 'search' });
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading());
  root.append(filterBar, results);

  const [stores, devices, employees] = await Promise.all([
    loadStores(signal),
    loadDevices(signal),
    api.get('/v1/employees', { query: { limit: 250 }, signal }).then((d) => d.employees || []).catch((error) => {
      if (error.name === 'AbortError') throw error;
      return [];
    }),
  ]);
  const storesById = byId(stores);
  const devicesById = byId(devices);
  const employeesById = byId(employees);
  const person = (id) => (id ? employeesById.get(id)?.name || id : '—');

  filterBar.append(
    deviceFilter(devices, filters.pos_device_id, (value) => { filters.pos_device_id = value; pager.reset(); load(); }),
    storeFilter(stores, filters.store_id, (value) => { filters.store_id = value; pager.reset(); load(); }),
  );

  async function load() {
    setQuery(filters);
    replace(results, loading());
    try {
      const data = await api.get('/v1/shifts', { signal, query: { ...filters, cursor: pager.current } });
      pager.next = data.cursor || null;
      replace(results, render(data.shifts || []));
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(results, errorAlert(error, { retry: load }));
    }
  }

  function render(shifts) {
    if (!shifts.length) return empty(filters.pos_device_id || filters.store_id ? t('shifts.empty_filtered') : t('shifts.empty'));
    return [
      table({
        caption: t('shifts.title'),
        testid: 'shifts-table',
        items: shifts,
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
      }),
      pager.controls(load),
    ];
  }

  await load();
}
