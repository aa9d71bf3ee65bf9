// Formatting of API values for people: money in minor units, timestamps, statuses.
import { h } from './dom.js';
import { merchantCurrency } from './currency.js';
import { has, locale, t } from './i18n/index.js';
import { formatDateTime, formatExact, formatMoney, localizeTimes } from './local_format.js';

/** 123456 -> "1 234,56 zł" (pl) / "€1,234.56" (en): in the merchant's currency when known; one format everywhere. */
export function money(minor) {
  return formatMoney(minor, { locale: locale(), currency: merchantCurrency() });
}

/** "03.12.2026, 14:05" (pl): local date and time in the browser's time zone (the API has no merchant zone yet). */
export function dateTime(iso) {
  return formatDateTime(iso, { locale: locale() });
}

/** A server sentence with its "2026-12-03 11:31 UTC" times shown as local ones, like the tables. */
export function localText(text) {
  return localizeTimes(text, { locale: locale() });
}

/** A <time> element; its tooltip is the same local time with seconds and the time zone's name. */
export function timeEl(iso, fallbackKey = null) {
  if (!iso) return h('span', { class: 'muted' }, fallbackKey ? t(fallbackKey) : '—');
  return h('time', { datetime: iso, title: formatExact(iso, { locale: locale() }) }, dateTime(iso));
}

export function number(value) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(locale()).format(value);
}

export const STATUSES = ['NOT_ACTIVATED', 'ACTIVATED', 'INACTIVE'];

export function statusLabel(status) {
  return has(`status.${status}`) ? t(`status.${status}`) : String(status);
}

export function statusBadge(device) {
  if (device.deleted_at) {
    return h('span', { class: 'badge badge--deleted', testid: 'status-badge', dataset: { status: 'DELETED' } }, t('status.DELETED'));
  }
  return h('span', { class: `badge badge--${String(device.status).toLowerCase().replace(/_/g, '-')}`, testid: 'status-badge', dataset: { status: device.status } },
    statusLabel(device.status));
}

export function yesNo(value) {
  return value ? t('common.yes') : t('common.no');
}

/** "POS_DEVICE_CREATED" -> "Pos device created" when no translation exists. */
export function humanize(code) {
  const text = String(code || '').toLowerCase().replace(/[_.]+/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

export function translated(prefix, code) {
  const key = `${prefix}.${code}`;
  return has(key) ? t(key) : humanize(code);
}
