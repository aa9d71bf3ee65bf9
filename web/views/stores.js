// "Stores": list, create, rename, delete.
import { api, seg } from '../api.js';
import { h } from '../dom.js';
import { timeEl } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { loadLimits } from '../limits.js';
import { isAdmin } from '../session.js';
import { confirmDanger, formDialog } from '../ui/dialogs.js';
import { field, formErrorSlot, submitForm } from '../ui/forms.js';
import { toast } from '../ui/toasts.js';
import { rules, validateWith } from '../ui/validation.js';
import { listPage } from './list.js';

export async function storesView({ main, signal }) {
  const limits = await loadLimits();
  const validateStore = (v) => validateWith(v, {
    name: [rules.required, rules.maxLength(limits.storeName)], address: [rules.maxLength(limits.storeAddress)],
  });
  const nameAttrs = { maxlength: limits.storeName };
  const addressAttrs = { maxlength: limits.storeAddress };
  // A MANAGER sees their own stores only and manages none (DESIGN.md 3.2): no form, no edit or delete buttons.
  const admin = isAdmin();
  // Create form, always visible: a store is the first thing a new owner needs.
  const formError = formErrorSlot();
  const add = h('button', { type: 'submit', class: 'button button--primary', testid: 'save-store' }, icon('plus'), t('stores.add'));
  const form = h('form', { class: 'card form', novalidate: true, testid: 'create-store-form', 'aria-labelledby': 'create-store-title' },
    h('h2', { id: 'create-store-title', class: 'card__title' }, t('stores.create_title')),
    h('div', { class: 'form-row' },
      field({ name: 'name', label: t('stores.name'), required: true, testid: 'store-name-input', inputAttrs: nameAttrs }),
      field({ name: 'address', label: t('stores.address'), testid: 'store-address-input', inputAttrs: addressAttrs })),
    formError,
    h('div', { class: 'form__actions' }, add));
  submitForm(form, {
    submitButton: add,
    formError,
    validate: validateStore,
    submit: (values) => api.post('/v1/stores', { name: values.name.trim(), address: values.address.trim() || null }, { signal }),
    onSuccess: async (store) => {
      toast(t('stores.created', { name: store.name }), 'success');
      form.reset();
      await list.reload();
    },
  });

  const list = listPage({
    main, signal,
    testid: 'stores-page',
    title: t('stores.title'),
    intro: t('stores.intro'),
    before: admin ? [form] : [],
    filterBar: false,
    path: '/v1/stores',
    key: 'stores',
    empty: () => t('stores.empty'),
    table: {
      testid: 'stores-table',
      rowAttrs: (s) => ({ testid: 'store-row', dataset: { storeId: s.id } }),
      columns: [
        { label: t('stores.name'), className: 'cell-primary', cell: (s) => h('span', { testid: 'store-name' }, s.name) },
        { label: t('stores.address'), cell: (s) => s.address || h('span', { class: 'muted' }, '—') },
        { label: t('stores.created_at'), cell: (s) => timeEl(s.created_at) },
        { label: t('stores.pos'), cell: (s) => h('a', { href: `#/pos?store_id=${encodeURIComponent(s.id)}` }, t('stores.see_pos')) },
        admin && {
          label: t('common.actions'),
          className: 'cell-actions',
          cell: (s) => h('div', { class: 'row-actions' },
            h('button', { type: 'button', class: 'button button--secondary button--small', testid: 'edit-store', onclick: () => edit(s) }, icon('pencil'), t('common.edit')),
            h('button', {
              type: 'button', class: 'button button--danger-outline button--small', testid: 'delete-store', 'aria-label': t('stores.delete_named', { name: s.name }), onclick: () => remove(s),
            }, icon('trash'), h('span', { class: 'hide-narrow' }, t('common.delete')))),
        },
      ].filter(Boolean),
    },
  });

  async function edit(store) {
    const updated = await formDialog({
      title: t('stores.edit_title'),
      testid: 'store-dialog',
      submitTestId: 'store-dialog-save',
      fields: () => [
        field({ name: 'name', label: t('stores.name'), value: store.name, required: true, testid: 'store-edit-name', inputAttrs: { ...nameAttrs, autofocus: true } }),
        field({ name: 'address', label: t('stores.address'), value: store.address || '', testid: 'store-edit-address', inputAttrs: addressAttrs }),
      ],
      validate: validateStore,
      submit: (v) => api.patch(`/v1/stores/${seg(store.id)}`, { name: v.name.trim(), address: v.address.trim() || null }, { signal }),
    });
    if (updated) {
      toast(t('stores.updated', { name: updated.name }), 'success');
      await list.load();
    }
  }

  async function remove(store) {
    await confirmDanger({
      title: t('stores.delete_title'),
      question: t('stores.delete_question', { name: store.name }),
      confirmLabel: t('common.delete'),
      confirmTestId: 'confirm-delete-store',
      request: () => api.del(`/v1/stores/${seg(store.id)}`, { signal }),
      doneMessage: t('stores.deleted', { name: store.name }),
      after: () => list.reload(),
    });
  }

  await list.load();
}
