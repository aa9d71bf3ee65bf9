// Pure formatting (no DOM, no i18n state): amounts and local times, so every screen shows them one way.
// format.js passes the UI's locale, the merchant's currency and the time zone; tests/web runs these in node.
//
// Time zone: the API gives no merchant time zone yet, so times are shown in the browser's time zone
// (`browserTimeZone()`), and the tooltips say which one it is.

/** The browser's IANA time zone ("Europe/Warsaw"), or "UTC" when the browser does not say. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * 123456 (minor units) -> "1 234,56 zł" (pl-PL, PLN) / "€1,234.56" (en-GB, EUR); no currency -> the number only.
 * Integer arithmetic (no float rounding); thousands are grouped in every amount, also 4-digit ones, which
 * Polish rules otherwise leave ungrouped ("1234,56 zł" beside "123 456,78 zł" in one column).
 */
export function formatMoney(minor, { locale = 'en-GB', currency = null } = {}) {
  if (minor === null || minor === undefined || minor === '') return '—';
  const value = Number(minor);
  if (!Number.isFinite(value)) return '—';
  const negative = value < 0;
  const abs = Math.abs(Math.trunc(value));
  const whole = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  const style = currency ? { style: 'currency', currency } : {};
  const format = new Intl.NumberFormat(locale, {
    ...style, minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: 'always',
  });
  const text = format.format(`${negative ? '-' : ''}${whole}.${cents}`);
  if (format.resolvedOptions().useGrouping === 'always' || whole < 1000) return text;
  // An engine without `useGrouping: "always"`: group the integer digits with the locale's own separator.
  const group = new Intl.NumberFormat(locale, { useGrouping: true }).formatToParts(1234567).find((p) => p.type === 'group')?.value ?? ',';
  const digits = String(whole);
  return text.replace(digits, digits.replace(/\B(?=(\d{3})+(?!\d))/g, group));
}

function parseIso(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "03.12.2026, 14:05" (pl) / "03/12/2026, 14:05" (en): the local date and time, in `timeZone`. */
export function formatDateTime(iso, { locale = 'en-GB', timeZone = browserTimeZone() } = {}) {
  const date = parseIso(iso);
  if (!date) return iso ? String(iso) : '—';
  return new Intl.DateTimeFormat(locale, {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone,
  }).format(date);
}

/** "03.12.2026" (pl): the local date alone. */
export function formatDate(iso, { locale = 'en-GB', timeZone = browserTimeZone() } = {}) {
  const date = parseIso(iso);
  if (!date) return iso ? String(iso) : '—';
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }).format(date);
}

/** The tooltip: the same time with seconds and the time zone's name, "03.12.2026, 14:05:09 (Europe/Warsaw)". */
export function formatExact(iso, { locale = 'en-GB', timeZone = browserTimeZone() } = {}) {
  const date = parseIso(iso);
  if (!date) return iso ? String(iso) : '';
  const text = new Intl.DateTimeFormat(locale, {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZone,
  }).format(date);
  return `${text} (${timeZone})`;
}

// The API writes times into its sentences as "2026-11-24 08:00 UTC" (chalicelib/i18n `{t:time}`), and
// sometimes as a bare ISO stamp; both become the local time the tables show.
const UTC_STAMP = /\b(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?(?: ?UTC|Z)/g;

/** A server sentence with its UTC times rewritten as local ones: "… 11:31 UTC" -> "… 03.12.2026, 12:31". */
export function localizeTimes(text, options = {}) {
  if (typeof text !== 'string' || !text) return text;
  return text.replace(UTC_STAMP, (match, day, time, seconds) => formatDateTime(`${day}T${time}:${seconds || '00'}Z`, options));
}
