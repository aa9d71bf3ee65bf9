// "Edit POS": what the card draws from a POS (its details, its store and status, the deleted notice). Drawing only:
// every action is passed in (pos_edit.js wires them).
import { h } from '../dom.js';
import { number, statusBadge, timeEl, yesNo } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { moveButton } from './pos_move.js';
import { presenceCell } from './pos_presence.js';

/** The POS's numbers and dates, with links to its receipts and activity. */
export function detailsCard(d, employeeNames) {
  const rows = [
    [t('pos.number'), h('span', { testid: 'pos-number' }, String(d.number ?? '—'))],
    [t('pos.receipt_prefix'), h('code', {}, `${d.number ?? '?'}-…`)],
    [t('pos.activated_at'), timeEl(d.activated_at)],
    [t('pos.deactivated_at'), timeEl(d.deactivated_at)],
    [t('pos.installation'), d.installation_id ? h('code', {}, d.installation_id) : '—'],
    [t('pos.last_sync'), timeEl(d.last_sync_at, 'pos.never_synced')],
    [t('pos.signed_in'), presenceCell(d, employeeNames)],
    [t('pos.last_receipt_number'), number(d.last_receipt_number)],
    [t('pos.synced_receipts'), number(d.synced_receipts)],
    [t('pos.unsynced_receipts'), h('span', { class: d.unsynced_receipts ? 'warn-text' : '', testid: 'unsynced-receipts' }, number(d.unsynced_receipts))],
    [t('pos.lost_receipts'), h('span', { testid: 'lost-receipts-total' }, number(d.lost_receipts))],
    [t('pos.shift_open'), h('span', { testid: 'shift-open' }, yesNo(d.shift_open))],
    [t('pos.open_tickets'), number(d.open_tickets)],
    [t('pos.created_at'), timeEl(d.created_at)],
  ];
  return h('section', { class: 'card', 'aria-labelledby': 'pos-details-title' },
    h('h2', { id: 'pos-details-title', class: 'card__title' }, t('pos.details')),
    h('dl', { class: 'details' }, rows.map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value)))),
    h('p', { class: 'card__links' },
      h('a', { href: `#/receipts?pos_device_id=${encodeURIComponent(d.id)}` }, t('pos.see_receipts')), ' · ',
      h('a', { href: `#/events?pos_device_id=${encodeURIComponent(d.id)}` }, t('pos.see_events'))));
}

/** The header's "Delete POS" (a trash icon on a phone). */
export function deleteButton(onClick) {
  return h('button', {
    type: 'button', class: 'button button--danger-outline', testid: 'delete-button',
    'aria-label': t('pos.delete'), title: t('pos.delete'), onclick: onClick,
  }, icon('trash'), h('span', { class: 'hide-narrow' }, t('pos.delete')));
}

/** In place of the card once the POS is deleted. */
export function deletedNotice(d) {
  return h('div', { class: 'alert alert--info', testid: 'pos-deleted-notice' },
    h('div', { class: 'alert__body' },
      h('p', {}, statusBadge(d)),
      h('p', {}, t('pos.deleted_notice', { name: d.name })),
      h('p', { class: 'muted' }, t('pos.deleted_at'), ' ', timeEl(d.deleted_at))));
}

/** The card: the rename form on top, then the store (with "Move") and the status (with "Deactivate"). */
export function deviceCard(d, { renameForm, stores, signal, deletionRunning, onMoved, onDeactivate }) {
  const storeName = stores.find((s) => s.id === d.store_id)?.name || '—';
  const canDeactivate = d.status === 'ACTIVATED' && !deletionRunning;
  return h('div', { class: 'card' },
    renameForm,
    h('dl', { class: 'fields' },
      h('div', {}, h('dt', {}, t('pos.store')), h('dd', { class: 'status-field' }, h('span', { testid: 'pos-store' }, storeName),
        moveButton(d, stores, { signal, onMoved }))),
      h('div', {}, h('dt', {}, t('pos.status')),
        h('dd', { class: 'status-field' },
          statusBadge(d),
          canDeactivate ? h('button', {
            type: 'button', class: 'button button--danger-outline button--small', testid: 'deactivate-button', onclick: onDeactivate,
          }, icon('power'), t('pos.deactivate')) : null,
          d.status !== 'ACTIVATED' && !d.deleted_at ? h('p', { class: 'field__hint' }, t(`pos.status_hint.${d.status}`)) : null))));
}
