// Unit tests of web/receipts_total.js: a receipts filter gets a total only where the sales summary counts exactly
// the listed receipts. Run: node --test tests/web/ (tests/unit/test_web_modules.py runs them under pytest).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { planTotals, totalPlan } from '../../web/receipts_total.js';

const none = { pos_device_id: '', store_id: '', receipt_number: '', employee_id: '', payment_type: '', date_from: '', date_to: '' };
const warsaw = { zone: 'Europe/Warsaw', browserZone: 'Europe/Warsaw', now: new Date('2026-11-30T23:30:00Z') };

describe('totalPlan', () => {
  test('no "From" date: no total', () => {
    assert.deepEqual(totalPlan(none, warsaw), { note: 'need_dates' });
    assert.deepEqual(totalPlan({ ...none, date_to: '2026-11-10' }, warsaw), { note: 'need_dates' });
  });

  test('a search by number or payment type: no total, whatever the dates', () => {
    const days = { ...none, date_from: '2026-11-01', date_to: '2026-11-02' };
    assert.deepEqual(totalPlan({ ...days, receipt_number: '2-17' }, warsaw), { note: 'not_for_filter' });
    assert.deepEqual(totalPlan({ ...days, payment_type: 'CARD' }, warsaw), { note: 'not_for_filter' });
  });

  test('the browser\'s days are not the merchant\'s: no total', () => {
    const f = { ...none, date_from: '2026-11-01' };
    assert.deepEqual(totalPlan(f, { ...warsaw, browserZone: 'UTC' }), { note: 'other_zone' });
  });

  test('store, POS and days go to the summary; without "To" the range ends today in the merchant\'s zone', () => {
    const plan = totalPlan({ ...none, date_from: '2026-11-10', store_id: 's1', pos_device_id: 'p1' }, warsaw);
    // 23:30 UTC on 30 Nov is 1 Dec in Warsaw
    assert.deepEqual(plan, {
      query: { from: '2026-11-10', to: '2026-12-01', store_id: 's1', pos_device_id: 'p1', group_by: 'day' }, employee: null,
    });
    assert.equal(totalPlan({ ...none, date_from: '2026-11-10', date_to: '2026-11-11' }, warsaw).query.to, '2026-11-11');
    assert.equal(totalPlan({ ...none, date_from: '2026-12-24' }, warsaw).query.to, '2026-12-24');
  });

  test('an employee: grouped by employee, that group taken (zero when they sold nothing)', () => {
    const plan = totalPlan({ ...none, date_from: '2026-11-10', employee_id: 'e1' }, warsaw);
    assert.equal(plan.query.group_by, 'employee');
    const summary = {
      totals: { receipt_count: 3, gross_sales: 900, refunds: 0, net_sales: 900 },
      groups: [{ key: 'e1', receipt_count: 1, gross_sales: 100, refunds: 0, net_sales: 100 },
        { key: 'e2', receipt_count: 2, gross_sales: 800, refunds: 0, net_sales: 800 }],
    };
    assert.equal(planTotals(plan, summary).net_sales, 100);
    assert.equal(planTotals({ ...plan, employee: 'e3' }, summary).receipt_count, 0);
    assert.equal(planTotals(totalPlan({ ...none, date_from: '2026-11-10' }, warsaw), summary).net_sales, 900);
  });
});
