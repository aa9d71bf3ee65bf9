// Forms: labelled fields with inline error slots, reading values, showing errors, and the one submit flow.
import { ApiError } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';

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

/** The slot above a form's buttons where errors without a field go. */
export function formErrorSlot() {
  return h('div', { class: 'form-error', 'aria-live': 'assertive' });
}

/**
 * The one submit flow of every form (form dialogs, the POS rename, the create forms, sign-in): on submit the old
 * errors go, the values are read and checked (`validate(values)` -> {field: message}, shown inline, nothing sent);
 * then `submit(values)` runs with the button busy (disabled, `busyLabel` on it if given, `busy(true/false)` for the
 * caller's own marks); `onSuccess(result, values)` follows. An ApiError from either goes onto its fields, the rest
 * into `formError`; an AbortError (the screen was left) is dropped. A second submit while busy is ignored.
 */
export function submitForm(form, { submitButton, formError, submit, validate = () => ({}), onSuccess = () => {}, busyLabel = null, busy = () => {} }) {
  let working = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (working) return;
    clearFormErrors(form, formError);
    const values = formValues(form);
    if (showFieldErrors(form, validate(values))) return;
    working = true;
    const label = [...submitButton.childNodes];
    submitButton.disabled = true;
    if (busyLabel) submitButton.textContent = busyLabel;
    busy(true);
    try {
      await onSuccess(await submit(values), values);
    } catch (error) {
      if (error?.name !== 'AbortError') showApiErrors(form, formError, error);
    } finally {
      working = false;
      submitButton.disabled = false;
      if (busyLabel) submitButton.replaceChildren(...label);
      busy(false);
    }
  });
  return form;
}
