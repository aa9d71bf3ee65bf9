// "Edit POS": Deactivate (with the final-sync option) and what it did. Safe deletion is pos_deletion.js.
import { api, seg } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { confirmDialog } from '../ui/dialogs.js';
import { finalSyncOption } from './final_sync.js';

/** Ask, then deactivate. Resolves with the deactivated POS, or null when cancelled. `maxHours`: the API's limit. */
export async function askDeactivate(d, { maxHours, signal }) {
  const option = finalSyncOption({ maxHours });
  const result = await confirmDialog({
    title: t('pos.deactivate_title', { name: d.name }),
    message: [
      h('p', { class: 'warning-text', testid: 'deactivate-warning' }, icon('warning'), ' ', t('final_sync.deactivate_warning')),
      h('p', {}, t('pos.deactivate_explain')),
      d.unsynced_receipts ? h('p', { class: 'warn-text' }, t('pos.deactivate_unsynced', { n: d.unsynced_receipts })) : null,
    ],
    extra: option.node,
    confirmLabel: t('pos.deactivate'),
    confirmTestId: 'confirm-deactivate',
    testid: 'deactivate-dialog',
    danger: true,
    onConfirm: () => {
      const hours = option.hours();
      // `shown`: the option already says what is wrong under the number.
      if (hours === null) throw Object.assign(new Error(t('final_sync.hours_invalid', { max: maxHours })), { shown: true });
      return api.post(`/v1/pos_devices/${seg(d.id)}/deactivate`, hours ? { final_sync_hours: hours } : undefined, { signal });
    },
  });
  return result && result !== true ? result : null;
}

/** What the deactivation did: the final-sync window it opened, or the receipts lost since `before`. */
export function deactivationNotice(result, before) {
  const lost = (result.lost_receipts ?? 0) - (before.lost_receipts ?? 0);
  return h('div', { class: `alert ${lost ? 'alert--warning' : 'alert--success'}`, testid: 'deactivation-result' },
    icon(lost ? 'warning' : 'check'),
    h('div', { class: 'alert__body' },
      h('p', {}, t('pos.deactivated', { name: result.name })),
      result.final_sync_until
        ? h('p', { testid: 'final-sync-result' }, t('final_sync.result', { n: result.final_sync_owed_receipts ?? 0 }))
        : h('p', { testid: 'lost-receipts' }, t('pos.lost_receipts_result', { n: lost }))));
}
