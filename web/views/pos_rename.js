// "Edit POS": the rename form (the shared submit flow of ../ui/forms.js).
import { api, seg } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { field, formErrorSlot, submitForm } from '../ui/forms.js';
import { toast } from '../ui/toasts.js';
import { rules, validateWith } from '../ui/validation.js';

/** `maxLength`: the API's (../limits.js posName); `onRenamed(device)` gets the renamed POS. */
export function renameForm(device, { maxLength, signal, onRenamed }) {
  const formError = formErrorSlot();
  const save = h('button', { type: 'submit', class: 'button button--primary', testid: 'rename-save' }, t('common.save'));
  const nameField = field({
    name: 'name', label: t('pos.name'), value: device.name, required: true, testid: 'pos-name-input', inputAttrs: { 'data-max-chars': maxLength },
  });
  const form = h('form', { class: 'form', novalidate: true, testid: 'rename-form' },
    h('div', { class: 'inline-form' }, nameField, save),
    formError);
  return submitForm(form, {
    submitButton: save,
    formError,
    validate: (values) => validateWith(values, { name: [rules.required, rules.maxLength(maxLength)] }),
    // The same name again is not sent: the POS stays as it is, and the answer says so.
    submit: (values) => (values.name.trim() === device.name
      ? device
      : api.patch(`/v1/pos_devices/${seg(device.id)}`, { name: values.name.trim() }, { signal })),
    onSuccess: (renamed) => {
      toast(t('pos.renamed', { name: renamed.name }), 'success');
      if (renamed !== device) onRenamed(renamed);
    },
  });
}
