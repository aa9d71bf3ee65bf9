// Unit tests of web/sales_days.js: the sales summary's presets are the merchant's days, not the browser's.
// Run: node --test tests/web/   (tests/unit/test_web_modules.py runs them under pytest / make test)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { dayIn, presetRange } from '../../web/sales_days.js';

describe('presetRange', () => {
  // 23:30 UTC on 30 Nov is already 1 Dec in Warsaw.
  const late = new Date('2026-11-30T23:30:00Z');

  test('today and yesterday are the merchant zone\'s days', () => {
    assert.equal(dayIn('Europe/Warsaw', late), '2026-12-01');
    assert.equal(dayIn('UTC', late), '2026-11-30');
    assert.deepEqual(presetRange('today', 'Europe/Warsaw', late), ['2026-12-01', '2026-12-01']);
    assert.deepEqual(presetRange('yesterday', 'Europe/Warsaw', late), ['2026-11-30', '2026-11-30']);
  });

  test('the last 7 days end today; this month starts on the 1st', () => {
    assert.deepEqual(presetRange('last7', 'UTC', late), ['2026-11-24', '2026-11-30']);
    assert.deepEqual(presetRange('this_month', 'UTC', late), ['2026-11-01', '2026-11-30']);
    assert.deepEqual(presetRange('this_month', 'Europe/Warsaw', late), ['2026-12-01', '2026-12-01']);
    assert.deepEqual(presetRange('last7', 'UTC', new Date('2026-03-02T10:00:00Z')), ['2026-02-24', '2026-03-02']);
  });
});
