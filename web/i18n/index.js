// Language handling: every UI string lives in en.js / pl.js; views call t('key', {params}).
import en from './en.js';
import pl from './pl.js';

const STORAGE_KEY = 'pos-backoffice.lang';
const DICTIONARIES = { en, pl };
const LOCALES = { en: 'en-GB', pl: 'pl-PL' };

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'pl', label: 'Polski' },
];

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  if (stored && DICTIONARIES[stored]) return stored;
  const preferred = (navigator.languages || [navigator.language || 'en']).map((l) => String(l).slice(0, 2).toLowerCase());
  return preferred.find((code) => DICTIONARIES[code]) || 'en';
}

let current = initialLanguage();
const listeners = new Set();

export function getLanguage() {
  return current;
}

export function locale() {
  return LOCALES[current] || 'en-GB';
}

export function setLanguage(code) {
  if (!DICTIONARIES[code] || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The plural form of `n` among `forms` ("one|other" in English, "one|few|many" in Polish, as on the server). */
export function pluralForm(n, forms, language = current) {
  const abs = Math.abs(Math.trunc(Number(n) || 0));
  let index;
  if (language === 'pl') index = abs === 1 ? 0 : ([2, 3, 4].includes(abs % 10) && ![12, 13, 14].includes(abs % 100) ? 1 : 2);
  else index = abs === 1 ? 0 : 1;
  return forms[Math.min(index, forms.length - 1)];
}

/** Translate `key`; `{name}` placeholders are filled from `params`, `{n:plural:one|few|many}` picks a form.
 * Falls back to English, then the key. */
export function t(key, params) {
  let text = DICTIONARIES[current][key];
  if (text === undefined) text = DICTIONARIES.en[key];
  if (text === undefined) {
    console.warn(`missing translation: ${key}`);
    return key;
  }
  if (params) {
    text = text.replace(/\{(\w+):plural:([^}]*)\}/g, (m, name, forms) => (params[name] === undefined ? m : pluralForm(params[name], forms.split('|'))));
    // A value that ends a sentence itself ("Kowalski Sp. z o.o.") takes the template's full stop: no "o.o..".
    text = text.replace(/\{(\w+)\}(\.?)/g, (m, name, stop) => {
      if (params[name] === undefined) return m;
      const value = String(params[name]);
      return stop && /[.!?…]$/.test(value) ? value : value + stop;
    });
  }
  return text;
}

/** True when `key` exists (used for optional translations such as event types). */
export function has(key) {
  return DICTIONARIES[current][key] !== undefined || DICTIONARIES.en[key] !== undefined;
}

document.documentElement.lang = current;
