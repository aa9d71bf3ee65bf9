// Unit tests of web/local_format.js (pure: amounts and local times, in node with its ICU).
// Run: node --test tests/web/   (tests/unit/test_web_modules.py runs them under pytest / make test)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatDate, formatDateTime, formatExact, formatMoney, localizeTimes } from '../../web/local_format.js';

const NBSP = '\u00a0';
const pl = { locale: 'pl-PL', currency: 'PLN' };
const warsaw = { locale: 'pl-PL', timeZone: 'Europe/Warsaw' };

describe('formatMoney', () => {
  test('groups four digits like six in Polish: one format in a column', () => {
    assert.equal(formatMoney(123456, pl), `1${NBSP}234,56${NBSP}zł`);
    assert.equal(formatMoney(12345678, pl), `123${NBSP}456,78${NBSP}zł`);
    assert.equal(formatMoney(700, pl), `7,00${NBSP}zł`);
    assert.equal(formatMoney(-123456, pl), `-1${NBSP}234,56${NBSP}zł`);
  });

  test('English and other currencies, minor units without float rounding', () => {
    assert.equal(formatMoney(123456, { locale: 'en-GB', currency: 'EUR' }), '€1,234.56');
    assert.equal(formatMoney(1, { locale: 'en-GB', currency: 'GBP' }), '£0.01');
    assert.equal(formatMoney(900719925474099, { locale: 'en-GB', currency: 'EUR' }), '€9,007,199,254,740.99');
  });

  test('no currency known: the number only; nothing to show: a dash', () => {
    assert.equal(formatMoney(123456, { locale: 'pl-PL' }), `1${NBSP}234,56`);
    for (const value of [null, undefined, '', 'abc']) assert.equal(formatMoney(value, pl), '—');
  });
});

describe('local times', () => {
  test('dd.mm.rrrr and the time in the given zone (winter and summer time)', () => {
    assert.equal(formatDateTime('2026-11-24T09:00:00Z', warsaw), '24.11.2026, 10:00');
    assert.equal(formatDateTime('2026-07-01T22:30:00Z', warsaw), '02.07.2026, 00:30');
    assert.equal(formatDate('2026-07-01T22:30:00Z', warsaw), '02.07.2026');
    assert.equal(formatDateTime('2026-11-24T09:00:00Z', { locale: 'en-GB', timeZone: 'Europe/London' }), '24/11/2026, 09:00');
  });

  test('the tooltip is the same time with seconds and names the zone', () => {
    assert.equal(formatExact('2026-11-24T09:00:05Z', warsaw), '24.11.2026, 10:00:05 (Europe/Warsaw)');
  });

  test('bad or missing input is shown as it came, never as "Invalid Date"', () => {
    assert.equal(formatDateTime(null, warsaw), '—');
    assert.equal(formatDateTime('not a date', warsaw), 'not a date');
  });

  test("a server sentence's UTC times become local ones; other numbers stay", () => {
    assert.equal(localizeTimes('Zmiana otwarta 2026-11-24 07:00 UTC w POS „Kasa 2”.', warsaw),
      'Zmiana otwarta 24.11.2026, 08:00 w POS „Kasa 2”.');
    assert.equal(localizeTimes('ważny do 2026-12-03T13:32:10Z; kod 2-17, 1234 zł', warsaw),
      'ważny do 03.12.2026, 14:32; kod 2-17, 1234 zł');
    assert.equal(localizeTimes('', warsaw), '');
    assert.equal(localizeTimes(null, warsaw), null);
  });
});
