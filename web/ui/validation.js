// Client-side checks that mirror the API's rules, so most mistakes are caught before a request. The numbers come
// from the API's document (../limits.js); these only say what is wrong.
import { t } from '../i18n/index.js';

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
