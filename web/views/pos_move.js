// "Move to another store" on the POS card: only while no app is bound to the POS (NOT_ACTIVATED, INACTIVE).
import { api, seg } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { formDialog } from '../ui/dialogs.js';
import { selectField } from '../ui/forms.js';
import { toast } from '../ui/toasts.js';
import { rules, validateWith } from '../ui/validation.js';

/** A small button beside the store; `onMoved(device)` gets the moved POS. Null when a move is not allowed. */
export function moveButton(device, stores, { signal, onMoved }) {
  if (device.deleted_at || device.status === 'ACTIVATED' || device.deletion?.status === 'RUNNING') return null;
  const others = stores.filter((s) => s.id !== device.store_id);
  if (!others.length) return null;
  return h('button', {
    type: 'button', class: 'button button--secondary button--small', testid: 'move-button',
    onclick: async () => {
      const moved = await formDialog({
        title: t('pos.move_title', { name: device.name }),
        testid: 'move-dialog',
        submitTestId: 'move-save',
        submitLabel: t('pos.move'),
        fields: () => [
          h('p', { class: 'muted' }, t('pos.move_explain')),
          selectField({
            name: 'store_id', label: t('pos.store'), testid: 'move-store-select', required: true,
            placeholder: t('pos.choose_store'), options: others.map((s) => ({ value: s.id, label: s.name })),
          }),
        ],
        validate: (v) => validateWith(v, { store_id: [rules.required] }),
        submit: (v) => api.patch(`/v1/pos_devices/${seg(device.id)}`, { store_id: v.store_id }, { signal }),
      });
      if (moved) {
        toast(t('pos.moved', { name: moved.name, store: stores.find((s) => s.id === moved.store_id)?.name || '' }), 'success');
        onMoved(moved);
      }
    },
  }, t('pos.move'));
}
