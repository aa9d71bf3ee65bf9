// "Activity log": who did what to which POS, newest first.
import { api, fetchAll } from '../api.js';
import { h, uid } from '../dom.js';
import { localText, money, timeEl, translated } from '../format.js';
import { has, t } from '../i18n/index.js';
import { isAdmin } from '../session.js';
import { byId, deviceFilter, deviceLabel, loadDevices, loadStores } from './common.js';
import { listPage } from './list.js';

const MONEY_KEYS = /(_money|_cash|_amount)$/;

/** "Anna" for an employee, "POS app: Till 1 (Anna)" for a device, "System" for the workflow. */
function actorLabel(actor, lookups) {
  if (!actor || typeof actor !== 'object') return '—';
  // v1.2 actors (EMPLOYEE, DEVICE, API_TOKEN, SYSTEM) read as the older lowercase ones; the API's actor_name wins.
  const kind = ({ EMPLOYEE: 'employee', DEVICE: 'pos_device', SYSTEM: 'system', API_TOKEN: 'system' })[actor.type]
    || actor.type || actor.kind || '';
  const person = (id) => (id ? lookups.employees.get(id)?.name || null : null);
  if (kind === 'employee' || kind === 'user') return person(actor.id) || actor.name || actor.email || translated('events.actor', kind);
  if (kind === 'pos_device') {
    const device = lookups.devices.get(actor.id);
    const who = person(actor.employee_id);
    return `${translated('events.actor', kind)}${device ? `: ${device.name}` : ''}${who ? ` (${who})` : ''}`;
  }
  return actor.name || actor.email || translated('events.actor', kind || 'system');
}

function detailValue(key, value, lookups) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string' && has(`events.value.${key}.${value}`)) return t(`events.value.${key}.${value}`);
  if (key === 'store_id' && lookups.stores.has(value)) return lookups.stores.get(value).name;
  if (key.endsWith('employee_id') && lookups.employees.has(value)) return lookups.employees.get(value).name;
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number' && MONEY_KEYS.test(key)) return money(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function detailsList(details, lookups) {
  const entries = Object.entries(details || {});
  if (!entries.length) return '—';
  return h('dl', { class: 'kv' }, entries.map(([key, value]) => h('div', {},
    h('dt', {}, has(`events.detail.${key}`) ? t(`events.detail.${key}`) : translated('events.detail', key)),
    h('dd', {}, detailValue(key, value, lookups)))));
}

// The system's two actors (DESIGN.md 3.2): ?actor_id=AUDIT or WORKFLOW filters by every part of each.
const SYSTEM_ACTORS = ['AUDIT', 'WORKFLOW'];

/** "By whom": the employees, the API tokens for whoever may list them, and the system (GET /v1/events?actor_id=). */
function actorFilter(employees, tokens, value, onChange) {
  const id = uid('filter');
  const group = (key, items) => (items.length
    ? h('optgroup', { label: t(`events.actor_group.${key}`) }, items.map((x) => h('option', { value: x.id }, x.name)))
    : null);
  return h('div', { class: 'filter' },
    h('label', { for: id }, t('events.actor_filter')),
    h('select', { id, testid: 'actor-filter', value: value || '', onchange: (event) => onChange(event.target.value) },
      h('option', { value: '' }, t('events.all_actors')),
      group('employees', employees),
      group('api_tokens', tokens),
      group('system', SYSTEM_ACTORS.map((name) => ({ id: name, name: t(`events.system_actor.${name}`) })))));
}

export async function eventsView({ main, query, signal, setQuery }) {
  const filters = { pos_device_id: query.pos_device_id || '', actor_id: query.actor_id || '' };
  let devicesById = new Map();
  let lookups = { devices: devicesById, stores: new Map(), employees: new Map() };
  const list = listPage({
    main, signal, setQuery, filters,
    testid: 'events-page',
    title: t('events.title'),
    intro: t('events.intro'),
    path: '/v1/events',
    key: 'events',
    empty: ({ filtered }) => {
      if (filters.actor_id) return t('events.empty_actor');
      return filtered ? t('events.empty_filtered') : t('events.empty');
    },
    table: {
      testid: 'events-table',
      rowAttrs: (e) => ({ testid: 'event-row', dataset: { type: e.type } }),
      columns: [
        { label: t('events.at'), cell: (e) => timeEl(e.at) },
        { label: t('events.type'), className: 'cell-primary', cell: (e) => h('span', { testid: 'event-type' }, translated('events.types', e.type)) },
        { label: t('events.pos'), cell: (e) => (e.pos_device_id ? deviceLabel(devicesById.get(e.pos_device_id)) : '—') },
        // The API writes the sentence (with names, in the UI's language); the key/value list is for
        // event types it has no sentence for.
        { label: t('events.actor_label'), cell: (e) => e.actor_name || actorLabel(e.actor, lookups) },
        { label: t('events.details'), cell: (e) => (e.text ? h('span', { testid: 'event-text' }, localText(e.text)) : detailsList(e.details, lookups)) },
      ],
    },
  });

  const optional = (promise) => promise.catch((error) => {
    if (error.name === 'AbortError') throw error;
    return []; // names and the actor picker are a nicety
  });
  const [devices, stores, employees, tokens] = await Promise.all([
    loadDevices(signal),
    loadStores(signal),
    optional(fetchAll('/v1/employees', 'employees', { signal })),
    isAdmin() ? optional(api.get('/v1/api_tokens', { signal }).then((d) => d.api_tokens || [])) : [],
  ]);
  devicesById = byId(devices);
  lookups = { devices: devicesById, stores: byId(stores), employees: byId(employees) };
  const byName = (a, b) => a.name.localeCompare(b.name);
  list.filterBar.append(
    deviceFilter(devices, filters.pos_device_id, list.setter('pos_device_id')),
    actorFilter([...employees].sort(byName), [...tokens].sort(byName), filters.actor_id, list.setter('actor_id')),
  );

  await list.load();
}
