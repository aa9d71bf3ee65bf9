// Formatting of API values for people: money in minor units, timestamps, statuses.
import { h } from './dom.js';
import { merchantCurrency } from './currency.js';
import { has, locale, t } from './i18n/index.js';

/** 700 -> "€7.00" (en) / "7,00 zł" (pl): in the merchant's currency when known. Integer arithmetic. */
export function money(minor) {
  if (minor === null || minor === undefined || minor === '') return '—';
  const value = Number(minor);
  if (!Number.isFinite(value)) return '—';
  const negative = value < 0;
  const abs = Math.abs(Math.trunc(value));
  const whole = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  const currency = merchantCurrency();
  const style = currency ? { style: 'currency', currency } : {};
  const formatted = new Intl.NumberFormat(locale(), { ...style, minimumFractionDigits: 2, maximumFractionDigits: 2 })
    .format(`${negative ? '-' : ''}${whole}.${cents}`);
  return formatted;
}

export function dateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A <time> element with the exact timestamp as its tooltip. */
export function timeEl(iso, fallbackKey = null) {
  if (!iso) return h('span', { class: 'muted' }, fallbackKey ? t(fallbackKey) : '—');
  return h('time', { datetime: iso, title: iso }, dateTime(iso));
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
