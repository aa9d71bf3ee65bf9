// The merchant's currency (set at sign-up; the API keeps money in its minor units).
import { getLanguage } from './i18n/index.js';
import { getSession } from './session.js';

export const CURRENCIES = ['PLN', 'EUR', 'USD', 'GBP', 'CZK', 'CHF', 'SEK', 'NOK', 'DKK', 'HUF', 'UAH', 'RON'];

/** The sign-up form's default: PLN for a Polish UI, EUR otherwise (the API's default too). */
export function defaultCurrency() {
  return getLanguage() === 'pl' ? 'PLN' : 'EUR';
}

/** The signed-in merchant's currency, or null for a session from before currencies were kept. */
export function merchantCurrency() {
  const code = getSession()?.merchant?.currency;
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) ? code : null;
}
