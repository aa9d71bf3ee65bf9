// Deactivation with a final sync: the dialog's option, and the card's panel while the window is open.
import { api, seg } from '../api.js';
import { h, uid } from '../dom.js';
import { number, timeEl } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { confirmDialog } from '../ui/dialogs.js';
import { toast } from '../ui/toasts.js';

export const DEFAULT_FINAL_SYNC_HOURS = 72;

/** The Deactivate dialog's option; `hours()` reads the choice (0 when switched off). `maxHours`: the API's
 * limit (../limits.js, finalSyncHoursMax). */
export function finalSyncOption({ maxHours }) {
  const hoursInput = h('input', {
    type: 'number', name: 'final_sync_hours', min: '1', max: String(maxHours), step: '1',
    value: String(Math.min(DEFAULT_FINAL_SYNC_HOURS, maxHours)), testid: 'final-sync-hours', class: 'final-sync__hours',
    'aria-label': t('final_sync.hours_label'),
  });
  const enabled = h('input', { type: 'checkbox', name: 'final_sync', checked: true, testid: 'final-sync-enable' });
  const error = h('p', { class: 'field__error', testid: 'error-final_sync_hours', hidden: true }, t('final_sync.hours_invalid', { max: maxHours }));
  const errorId = uid('final-sync-hours-error');
  error.id = errorId;
  hoursInput.setAttribute('aria-describedby', errorId);
  const check = () => {
    const value = Number(hoursInput.value);
    const ok = !enabled.checked || (hoursInput.value.trim() !== '' && Number.isInteger(value) && value >= 1 && value <= maxHours);
    error.hidden = ok;
    if (ok) hoursInput.removeAttribute('aria-invalid');
    else hoursInput.setAttribute('aria-invalid', 'true');
    return ok;
  };
  enabled.addEventListener('change', () => { hoursInput.disabled = !enabled.checked; if (!error.hidden) check(); });
  // Once shown, the message goes away as soon as the number is fixed.
  hoursInput.addEventListener('input', () => { if (!error.hidden) check(); });
  const node = h('div', { class: 'final-sync-option', testid: 'final-sync-option' },
    h('label', { class: 'checkbox' }, enabled, ' ', t('final_sync.option_before'), ' ', hoursInput, ' ', t('final_sync.option_after')),
    error,
    h('p', { class: 'field__hint' }, t('final_sync.option_hint')),
    h('p', { class: 'warning-text', testid: 'final-sync-stolen-warning' }, icon('warning'), ' ', t('final_sync.stolen_warning')));
  return {
    node,
    /** The hours to send, or null when the number is not valid (the error is shown). */
    hours() {
      if (!enabled.checked) return 0;
      if (!check()) {
        hoursInput.focus();
        return null;
      }
      return Number(hoursInput.value);
    },
  };
}

/** The card's panel while the old installation may still upload; `onChange(device)` after "End final sync". */
export function finalSyncPanel({ device, signal, onChange }) {
  if (!device.final_sync_until || device.deleted_at) return null;
  const owed = device.final_sync_owed_receipts ?? 0;
  async function end() {
    const result = await confirmDialog({
      title: t('final_sync.end_title', { name: device.name }),
      message: [
        h('p', {}, t('final_sync.end_explain')),
        owed ? h('p', { class: 'warning-text', testid: 'end-final-sync-loss' }, icon('warning'), ' ', t('final_sync.end_loss', { n: owed })) : null,
      ],
      confirmLabel: t('final_sync.end'),
      confirmTestId: 'confirm-end-final-sync',
      testid: 'end-final-sync-dialog',
      danger: true,
      onConfirm: () => api.post(`/v1/pos_devices/${seg(device.id)}/end_final_sync`, undefined, { signal }),
    });
    if (!result || result === true) return;
    toast(t('final_sync.ended', { n: result.lost_receipts - device.lost_receipts }), 'success');
    onChange?.(result);
  }
  return h('section', { class: 'alert alert--info final-sync', testid: 'final-sync-panel', role: 'status' },
    icon('refresh'),
    h('div', { class: 'alert__body' },
      h('p', {}, h('strong', {}, t('final_sync.open_title'))),
      h('p', {}, t('final_sync.open_until'), ' ', h('span', { testid: 'final-sync-until' }, timeEl(device.final_sync_until))),
      h('p', { testid: 'final-sync-owed' }, owed
        ? t('final_sync.owed', { n: number(owed) })
        : t('final_sync.owed_none')),
      h('p', { class: 'muted' }, t('final_sync.closes_hint')),
      h('button', { type: 'button', class: 'button button--danger-outline button--small', testid: 'end-final-sync', onclick: end },
        icon('power'), t('final_sync.end'))));
}
