// Pieces of the POS list that say who works on a POS now and what happened to it:
// the signed-in employee and whether the app is online, a failed deletion's reason, "show deleted".
import { fetchAll } from '../api.js';
import { h, uid } from '../dom.js';
import { dateTime, localText } from '../format.js';
import { t } from '../i18n/index.js';

// A POS app syncs every few minutes while it runs; silent for longer, it is shown offline.
export const ONLINE_WITHIN_MS = 10 * 60 * 1000;

/** employee id -> name (empty when the caller may not list employees). */
export async function loadEmployeeNames(signal) {
  try {
    const employees = await fetchAll('/v1/employees', 'employees', { signal });
    return new Map(employees.map((e) => [e.id, e.name]));
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return new Map();
  }
}

export function isOnline(device, now = Date.now()) {
  if (device.status !== 'ACTIVATED' || !device.last_sync_at) return false;
  return now - new Date(device.last_sync_at).getTime() < ONLINE_WITHIN_MS;
}

/** "Anna Nowak" + "Online" / "Offline, last seen 24 Nov 2026, 10:00". */
export function presenceCell(device, employeeNames) {
  if (device.status !== 'ACTIVATED' || device.deleted_at) return h('span', { class: 'muted', testid: 'signed-in' }, '—');
  const name = device.current_employee_id ? employeeNames.get(device.current_employee_id) || t('pos.unknown_employee') : '—';
  const online = isOnline(device);
  return h('span', { class: 'presence', testid: 'signed-in' },
    h('span', { testid: 'signed-in-name' }, name),
    h('span', { class: `presence__state ${online ? 'presence__state--online' : ''}`, testid: 'online-state' },
      h('span', { class: 'presence__dot', 'aria-hidden': 'true' }),
      online ? t('pos.online') : (device.last_sync_at ? t('pos.last_seen', { when: dateTime(device.last_sync_at) }) : t('pos.offline'))));
}

/** The failed deletion, shown until the owner's next action on the POS; its reason on hover and on click. */
export function deletionFailedNote(deletion) {
  const reason = deletion.error?.details ? localText(deletion.error.details) : t('deletion.error_unknown');
  return h('details', { class: 'deletion-note', testid: 'deletion-failed' },
    h('summary', { class: 'pill pill--finding', title: reason }, t('deletion.failed')),
    h('p', { class: 'deletion-note__reason small', testid: 'deletion-failed-reason' }, reason));
}

export function showDeletedToggle(checked, onChange) {
  const id = uid('show-deleted');
  return h('div', { class: 'filter filter--toggle' },
    h('input', { type: 'checkbox', id, checked, testid: 'show-deleted', onchange: (event) => onChange(event.target.checked) }),
    h('label', { for: id }, t('pos.show_deleted')));
}
