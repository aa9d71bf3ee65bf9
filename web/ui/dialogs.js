// Modal <dialog>s: the base (focus in and back, Esc), a yes/no question, and a form.
import { h, uid } from '../dom.js';
import { t } from '../i18n/index.js';
import { formErrorSlot, submitForm } from './forms.js';
import { errorAlert } from './states.js';
import { toast } from './toasts.js';

/**
 * Open a modal <dialog>. `build(close)` returns the body nodes; `close(value)` resolves the promise.
 * Esc (the dialog's cancel event) resolves with null. Focus goes to `[autofocus]` or the first
 * control, and back to the element that opened the dialog when it closes.
 */
export function openDialog({ title, build, testid = 'dialog', className = '' }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid('dialog-title');
    const dialog = h('dialog', { class: `dialog ${className}`.trim(), 'aria-labelledby': titleId, testid });
    // Which button opened it: after a session expiry the dialog opens again with its edits (return_to.js).
    if (opener instanceof Element && opener.dataset.testid) {
      dialog.dataset.opener = opener.dataset.testid;
      dialog.openerElement = opener;
    }
    let settled = false;
    const close = (value = null) => {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && typeof opener.focus === 'function' && document.contains(opener)) opener.focus();
      resolve(value);
    };
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (!dialog.dataset.busy) close(null);
    });
    dialog.addEventListener('close', () => close(dialog.returnValue === 'confirm' ? true : null));
    dialog.append(h('h2', { id: titleId, class: 'dialog__title' }, title), build(close, dialog));
    document.body.append(dialog);
    dialog.showModal();
    const focusTarget = dialog.querySelector('[autofocus]') || dialog.querySelector('input, select, textarea, button');
    // The dialog opens at its title (a button at its foot must not scroll the question away on a phone).
    if (focusTarget) focusTarget.focus({ preventScroll: true });
    dialog.scrollTop = 0;
  });
}

/** A yes/no question. Resolves with `true` or `{...extras}` when confirmed, null otherwise. */
export function confirmDialog({ title, message, confirmLabel, confirmTestId = 'confirm', danger = false, extra = null, onConfirm = null, testid = 'confirm-dialog' }) {
  return openDialog({
    title,
    testid,
    build: (close, dialog) => {
      const errorBox = h('div', { class: 'dialog__error', 'aria-live': 'assertive' });
      const cancel = h('button', { type: 'button', class: 'button button--secondary', autofocus: danger, testid: 'cancel-dialog', onclick: () => close(null) }, t('common.cancel'));
      const confirm = h('button', {
        type: 'submit', class: `button ${danger ? 'button--danger' : 'button--primary'}`, testid: confirmTestId, autofocus: !danger,
      }, confirmLabel);
      const form = h('form', {
        method: 'dialog',
        class: 'dialog__form',
        novalidate: true, // the app's own messages, in the UI's language, not the browser's
        onsubmit: async (event) => {
          event.preventDefault();
          if (!onConfirm) {
            close(true);
            return;
          }
          confirm.disabled = true;
          cancel.disabled = true;
          dialog.dataset.busy = '1';
          errorBox.replaceChildren();
          try {
            close(await onConfirm() ?? true);
          } catch (error) {
            // `shown`: the dialog's own field already says what is wrong (e.g. the final sync's hours).
            if (!error.shown) errorBox.replaceChildren(errorAlert(error));
            confirm.disabled = false;
            cancel.disabled = false;
            delete dialog.dataset.busy;
          }
        },
      },
      h('div', { class: 'dialog__body' }, Array.isArray(message) ? message : [message], extra),
      errorBox,
      h('div', { class: 'dialog__actions' }, cancel, confirm));
      return form;
    },
  });
}

/**
 * A dialog with a form. `fields(form)` returns the field nodes; `submit(values)` performs the
 * call and may throw ApiError, whose field errors are shown inline. Resolves with submit's result.
 */

/**
 * A yes/no question before a destructive request (a removal, a revocation): `request()` runs on "yes" (its error is
 * shown in the dialog); once it is done, `doneMessage` is toasted and `after()` runs (a reload). Resolves whether it
 * was done.
 */
export async function confirmDanger({ title, question, confirmLabel, confirmTestId, request, doneMessage, after }) {
  const done = await confirmDialog({
    title, message: h('p', {}, question), confirmLabel, confirmTestId, danger: true, onConfirm: () => request().then(() => true),
  });
  if (!done) return false;
  toast(doneMessage, 'success');
  await after();
  return true;
}
export function formDialog({ title, fields, submit, validate = () => ({}), submitLabel = t('common.save'), testid = 'form-dialog', submitTestId = 'dialog-submit' }) {
  return openDialog({
    title,
    testid,
    build: (close, dialog) => {
      const formError = formErrorSlot();
      const cancel = h('button', { type: 'button', class: 'button button--secondary', onclick: () => close(null) }, t('common.cancel'));
      const save = h('button', { type: 'submit', class: 'button button--primary', testid: submitTestId }, submitLabel);
      const form = h('form', { class: 'dialog__form', novalidate: true });
      form.append(h('div', { class: 'dialog__body' }, fields(form)), formError, h('div', { class: 'dialog__actions' }, cancel, save));
      return submitForm(form, {
        submitButton: save,
        formError,
        validate,
        submit,
        onSuccess: (result) => close(result),
        busy: (on) => { if (on) dialog.dataset.busy = '1'; else delete dialog.dataset.busy; },
      });
    },
  });
}
