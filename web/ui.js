// Shared UI pieces: states (loading/empty/error), toasts, dialogs, forms, tables, pagination.
import { ApiError } from './api.js';
import { h, uid } from './dom.js';
import { t } from './i18n/index.js';
import { icon } from './icons.js';

// ------------------------------------------------------------------ states

export function loading(label = t('common.loading')) {
  return h('div', { class: 'state state--loading', role: 'status', 'aria-live': 'polite', testid: 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, label));
}

export function empty(message, action = null) {
  return h('div', { class: 'state state--empty', testid: 'empty-state' }, h('p', {}, message), action);
}

/** Error messages in words: the API's `details` of each error. */
export function errorMessages(error) {
  if (error instanceof ApiError) return error.errors.map((e) => e.details);
  return [t('error.unexpected')];
}

export function errorAlert(error, { retry = null } = {}) {
  const messages = errorMessages(error);
  return h('div', { class: 'alert alert--error', role: 'alert', testid: 'error-alert' },
    icon('warning'),
    h('div', { class: 'alert__body' },
      messages.map((m) => h('p', {}, m)),
      retry ? h('button', { type: 'button', class: 'button button--secondary button--small', onclick: retry }, t('common.retry')) : null));
}

// ------------------------------------------------------------------ toasts

export function toast(message, kind = 'info') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h('div', { class: `toast toast--${kind}`, testid: 'toast' }, message);
  region.append(item);
  setTimeout(() => {
    item.classList.add('toast--leaving');
    setTimeout(() => item.remove(), 300);
  }, 5000);
}

// ------------------------------------------------------------------ dialogs

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
export function formDialog({ title, fields, submit, validate = () => ({}), submitLabel = t('common.save'), testid = 'form-dialog', submitTestId = 'dialog-submit' }) {
  return openDialog({
    title,
    testid,
    build: (close, dialog) => {
      const formError = h('div', { class: 'form-error', 'aria-live': 'assertive' });
      const cancel = h('button', { type: 'button', class: 'button button--secondary', onclick: () => close(null) }, t('common.cancel'));
      const save = h('button', { type: 'submit', class: 'button button--primary', testid: submitTestId }, submitLabel);
      const form = h('form', { class: 'dialog__form', novalidate: true });
      form.append(h('div', { class: 'dialog__body' }, fields(form)), formError, h('div', { class: 'dialog__actions' }, cancel, save));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        clearFormErrors(form, formError);
        const values = formValues(form);
        if (showFieldErrors(form, validate(values))) return;
        save.disabled = true;
        dialog.dataset.busy = '1';
        try {
          close(await submit(values));
        } catch (error) {
          showApiErrors(form, formError, error);
        } finally {
          save.disabled = false;
          delete dialog.dataset.busy;
        }
      });
      return form;
    },
  });
}

// ------------------------------------------------------------------ forms

// A field's error goes away as soon as the field is edited (the form checks again on submit).
document.addEventListener('input', clearEditedField, true);
document.addEventListener('change', clearEditedField, true);
function clearEditedField(event) {
  const control = event.target;
  if (!(control instanceof Element) || control.getAttribute('aria-invalid') !== 'true') return;
  const box = control.closest('[data-field]');
  if (!box) return;
  control.removeAttribute('aria-invalid');
  const slot = box.querySelector('.field__error');
  if (slot) {
    slot.hidden = true;
    slot.textContent = '';
  }
}

/** A labelled input with hint and an inline error slot. Its `name` is the API field name. */
export function field({ name, label, type = 'text', value = '', hint = null, testid = null, autocomplete = null, required = false, inputAttrs = {} }) {
  const id = uid(`f-${name}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h('input', {
    id, name, type, value: value ?? '', testid, autocomplete, required,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...inputAttrs,
  });
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    input,
    hint ? h('p', { id: hintId, class: 'field__hint' }, hint) : null,
    h('p', { id: errorId, class: 'field__error', testid: `error-${name}`, hidden: true }));
}

export function selectField({ name, label, options, value = '', placeholder = null, testid = null, required = false, hint = null }) {
  const id = uid(`f-${name}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const select = h('select', { id, name, testid, required, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), value },
    placeholder !== null ? h('option', { value: '' }, placeholder) : null,
    options.map((o) => h('option', { value: o.value }, o.label)));
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    select,
    hint ? h('p', { id: hintId, class: 'field__hint' }, hint) : null,
    h('p', { id: errorId, class: 'field__error', testid: `error-${name}`, hidden: true }));
}

/** A group of checkboxes sharing `name` (e.g. store_ids). */
export function checkboxGroup({ name, legend, options, values = [], emptyText = null }) {
  const chosen = new Set(values);
  const errorId = uid(`f-${name}-error`);
  return h('fieldset', { class: 'field field--group', dataset: { field: name }, 'aria-describedby': errorId },
    h('legend', {}, legend),
    options.length
      ? options.map((o) => h('label', { class: 'checkbox' },
        h('input', { type: 'checkbox', name, value: o.value, checked: chosen.has(o.value), dataset: { multi: '1' } }), ' ', o.label))
      : h('p', { class: 'muted' }, emptyText),
    h('p', { id: errorId, class: 'field__error', testid: `error-${name}`, hidden: true }));
}

/** name -> value; checkbox groups (data-multi) -> arrays; single checkboxes -> booleans. */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox' && el.dataset.multi) {
      values[el.name] = values[el.name] || [];
      if (el.checked) values[el.name].push(el.value);
    } else if (el.type === 'checkbox') {
      values[el.name] = el.checked;
    } else {
      values[el.name] = el.value;
    }
  }
  return values;
}

export function clearFormErrors(form, formError = null) {
  for (const box of form.querySelectorAll('.field__error')) {
    box.hidden = true;
    box.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (formError) formError.replaceChildren();
}

function fieldBox(form, name) {
  if (!name) return null;
  const candidates = [name, String(name).replace(/^body\./, ''), String(name).split('.')[0], String(name).split('.').pop()];
  for (const candidate of candidates) {
    const box = [...form.querySelectorAll('[data-field]')].find((el) => el.dataset.field === candidate);
    if (box) return box;
  }
  return null;
}

/** Show {field: message} inline. Returns true when there was anything to show; focuses the first. */
export function showFieldErrors(form, errors) {
  const entries = Object.entries(errors || {}).filter(([, message]) => message);
  let first = null;
  for (const [name, message] of entries) {
    const box = fieldBox(form, name);
    if (!box) continue;
    const slot = box.querySelector('.field__error');
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.hidden = false;
    const control = box.querySelector('input, select, textarea');
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      first = first || control;
    }
  }
  if (first) first.focus();
  return entries.length > 0;
}

/** API errors with a known `field` go inline, the rest above the buttons. */
export function showApiErrors(form, formError, error) {
  const inline = {};
  const general = [];
  if (error instanceof ApiError) {
    for (const e of error.errors) {
      if (e.field && fieldBox(form, e.field)) inline[e.field] = inline[e.field] ? `${inline[e.field]} ${e.details}` : e.details;
      else general.push(e.details);
    }
  } else {
    console.error(error);
    general.push(t('error.unexpected'));
  }
  showFieldErrors(form, inline);
  if (general.length) {
    formError.replaceChildren(h('div', { class: 'alert alert--error', role: 'alert', testid: 'form-error' },
      icon('warning'), h('div', { class: 'alert__body' }, general.map((m) => h('p', {}, m)))));
  }
}

// Client-side checks that mirror the API's rules, so most mistakes are caught before a request.
export const rules = {
  required: (value) => (String(value ?? '').trim() ? null : t('validation.required')),
  maxLength: (n) => (value) => (String(value ?? '').trim().length > n ? t('validation.max_length', { n }) : null),
  minLength: (n) => (value) => (value && String(value).length < n ? t('validation.min_length', { n }) : null),
  email: (value) => (!value || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value).trim()) ? null : t('validation.email')),
  pin: (value) => (!value || /^[0-9]{4}$/.test(value) ? null : t('validation.pin')),
};

/** validateWith(values, {name: [rule, rule]}) -> {name: firstMessage} */
export function validateWith(values, spec) {
  const errors = {};
  for (const [name, checks] of Object.entries(spec)) {
    for (const check of checks) {
      const message = check(values[name]);
      if (message) {
        errors[name] = message;
        break;
      }
    }
  }
  return errors;
}

// ------------------------------------------------------------------ tables and pages

/**
 * A table that turns into stacked cards on narrow screens. columns: [{label, cell(item) -> node|string, className}]
 */
export function table({ columns, items, rowAttrs = () => ({}), caption = null, testid = 'table' }) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table', testid },
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.className }, c.label)))),
      h('tbody', {}, items.map((item) => h('tr', rowAttrs(item),
        columns.map((c) => h('td', { 'data-label': c.label, class: c.className }, c.cell(item))))))));
}

/** Cursor paging: keeps the cursors of earlier pages so "Previous page" works too. */
export class CursorPager {
  constructor() {
    this.stack = [];
    this.current = null;
    this.next = null;
  }

  reset() {
    this.stack = [];
    this.current = null;
    this.next = null;
  }

  forward() {
    this.stack.push(this.current);
    this.current = this.next;
  }

  back() {
    this.current = this.stack.pop() ?? null;
  }

  get page() {
    return this.stack.length + 1;
  }

  controls(onChange) {
    if (!this.next && !this.stack.length) return null;
    return h('nav', { class: 'pager', 'aria-label': t('pager.label') },
      h('button', {
        type: 'button', class: 'button button--secondary', testid: 'prev-page', disabled: !this.stack.length,
        onclick: () => { this.back(); onChange(); },
      }, t('pager.previous')),
      h('span', { class: 'pager__page' }, t('pager.page', { n: this.page })),
      h('button', {
        type: 'button', class: 'button button--secondary', testid: 'next-page', disabled: !this.next,
        onclick: () => { this.forward(); onChange(); },
      }, t('pager.next')));
  }
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' },
    h('h1', { tabindex: '-1', class: 'page-title' }, title),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}
