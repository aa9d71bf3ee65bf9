// The sales summary's date presets, in the merchant's days (pure: tested in node, tests/web/sales_days.test.mjs).

/** YYYY-MM-DD of `date` in `zone` (the merchant's time zone decides what a day is). */
export function dayIn(zone, date = new Date()) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(date);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function shift(day, days) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** [from, to] of a preset, in the merchant's days. */
export function presetRange(preset, zone, now = new Date()) {
  const today = dayIn(zone, now);
  if (preset === 'yesterday') return [shift(today, -1), shift(today, -1)];
  if (preset === 'last7') return [shift(today, -6), today];
  if (preset === 'this_month') return [`${today.slice(0, 8)}01`, today];
  return [today, today];
}
