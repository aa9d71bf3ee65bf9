// A screen's states: loading, empty, and an error in words (with "Try again").
import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';

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
