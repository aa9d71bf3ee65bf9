// Unit tests of web/deletion_progress.js (pure: it runs here in node, with no DOM).
// Run: node --test tests/web/   (tests/unit/test_web_modules.py runs them under pytest / make test)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  adviceKey, deletionSteps, endingOf, stepLabel, statusWords, titleKey,
} from '../../web/deletion_progress.js';
import en from '../../web/i18n/en.js';
import pl from '../../web/i18n/pl.js';

// The plans the API sends for each route (the backend's step registry).
const PLANS = {
  CHECKS: ['CheckOpenTickets', 'CheckShiftClosed', 'VerifyReceiptsSynced', 'Deactivate', 'Deleted'],
  DEACTIVATE: ['Deactivate', 'Deleted'],
  DELETE: ['Deleted'],
};
const ENDINGS = ['Failed', 'NotStarted', 'Stopped'];

const catalog = (dict) => (key, params) => {
  const text = dict[key];
  if (text === undefined) return null;
  return params ? text.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined ? m : String(params[name]))) : text;
};
const EN = catalog(en);
const PL = catalog(pl);

let clock = 0;
const rec = (step, details = '') => ({ step, at: `2026-11-25T10:00:${String(clock++ % 60).padStart(2, '0')}Z`, details });

function deletion({ route = 'CHECKS', status = 'RUNNING', steps = [], step = null, error = null, plan = PLANS[route] } = {}) {
  const recorded = [rec('Started', 'The checks run first.'), ...steps];
  return {
    id: 'd-1', status, step: step ?? recorded[recorded.length - 1].step, plan, steps: recorded, error,
    force: route === 'DEACTIVATE', started_at: '2026-11-25T10:00:00Z', finished_at: status === 'RUNNING' ? null : '2026-11-25T10:01:00Z',
  };
}

const states = (d) => Object.fromEntries(deletionSteps(d).map((s) => [s.step, s.state]));
const names = (d) => deletionSteps(d).map((s) => s.step);

describe('each route shows its plan, in its order', () => {
  for (const [route, plan] of Object.entries(PLANS)) {
    test(`${route}: just requested`, () => {
      const d = deletion({ route });
      assert.deepEqual(names(d), plan);
      // Nothing recorded yet: the first step is starting, the rest wait.
      assert.deepEqual(deletionSteps(d).map((s) => s.state), ['running', ...plan.slice(1).map(() => 'pending')]);
      assert.equal(statusWords(d, EN), 'Deleting the POS… — Deletion requested');
    });

    test(`${route}: SUCCEEDED has every step done`, () => {
      const d = deletion({ route, status: 'SUCCEEDED', steps: plan.map((s) => rec(s)) });
      assert.deepEqual(deletionSteps(d), plan.map((step) => ({ step, state: 'done', details: null })));
      assert.equal(statusWords(d, EN), 'The POS is deleted — Delete the POS');
      assert.equal(statusWords(d, PL), 'POS został usunięty — Usunięcie POS');
      assert.equal(endingOf(d), null);
    });
  }

  test('the order is the plan\'s, not a built-in one', () => {
    const plan = ['Deleted', 'CheckOpenTickets'];
    const d = deletion({ plan, steps: [rec('Deleted')] });
    assert.deepEqual(deletionSteps(d).map((s) => [s.step, s.state]), [['Deleted', 'running'], ['CheckOpenTickets', 'pending']]);
  });

  test('the request record (Started) is not a step row', () => {
    assert.ok(!names(deletion()).includes('Started'));
  });
});

describe('running', () => {
  test('the last recorded step runs, the earlier ones are done, the later ones wait', () => {
    const d = deletion({ steps: [rec('CheckOpenTickets', 'Checking for open tickets.'), rec('CheckShiftClosed', 'Checking that the shift is closed.')] });
    assert.deepEqual(states(d), {
      CheckOpenTickets: 'done', CheckShiftClosed: 'running', VerifyReceiptsSynced: 'pending', Deactivate: 'pending', Deleted: 'pending',
    });
    assert.equal(deletionSteps(d)[1].details, 'Checking that the shift is closed.');
    assert.equal(statusWords(d, EN), 'Deleting the POS… — Check that the shift is closed');
  });

  test('waiting for a late sync: one row, with the latest wait\'s words', () => {
    const checks = [rec('CheckOpenTickets'), rec('CheckShiftClosed')];
    const first = deletion({ steps: [...checks, rec('VerifyReceiptsSynced', 'Waiting for 2 receipts to sync (wait 1 of 10).')] });
    let rows = deletionSteps(first);
    assert.deepEqual(rows.map((s) => s.step), PLANS.CHECKS);
    assert.deepEqual(rows[2], { step: 'VerifyReceiptsSynced', state: 'running', details: 'Waiting for 2 receipts to sync (wait 1 of 10).' });

    const second = deletion({
      steps: [...checks,
        rec('VerifyReceiptsSynced', 'Waiting for 2 receipts to sync (wait 1 of 10).'),
        rec('VerifyReceiptsSynced', 'Waiting for 1 receipt to sync (wait 2 of 10).')],
    });
    rows = deletionSteps(second);
    assert.equal(rows.filter((s) => s.step === 'VerifyReceiptsSynced').length, 1);
    assert.deepEqual(rows[2], { step: 'VerifyReceiptsSynced', state: 'running', details: 'Waiting for 1 receipt to sync (wait 2 of 10).' });
    assert.deepEqual(rows.slice(3).map((s) => s.state), ['pending', 'pending']);
    assert.equal(statusWords(second, PL), 'Usuwanie POS… — Sprawdzenie, czy wszystkie paragony są zsynchronizowane');
  });

  test('forced (DEACTIVATE route): deactivating, then deleting', () => {
    const d = deletion({ route: 'DEACTIVATE', steps: [rec('Deactivate', "Revoking the device's token.")] });
    assert.deepEqual(states(d), { Deactivate: 'running', Deleted: 'pending' });
  });
});

describe('refused by a check (FAILED with the check\'s error code)', () => {
  const REFUSALS = [
    ['CheckOpenTickets', 'OPEN_TICKETS', 'There are 2 open tickets on the POS.'],
    ['CheckShiftClosed', 'SHIFT_OPEN', 'The shift on the POS is open.'],
    ['VerifyReceiptsSynced', 'RECEIPTS_NOT_SYNCED', '3 receipts are not synced.'],
  ];
  for (const [check, code, details] of REFUSALS) {
    test(`${check} → ${code}`, () => {
      const upTo = PLANS.CHECKS.slice(0, PLANS.CHECKS.indexOf(check) + 1);
      const d = deletion({
        status: 'FAILED', step: 'Failed', error: { code, details },
        steps: [...upTo.map((s) => rec(s)), rec('Failed', details)],
      });
      const expected = Object.fromEntries(PLANS.CHECKS.map((s, i) => {
        const at = PLANS.CHECKS.indexOf(check);
        return [s, i < at ? 'done' : i === at ? 'failed' : 'skipped'];
      }));
      assert.deepEqual(states(d), expected);
      assert.ok(!names(d).includes('Failed'), 'the ending is not a step row');
      assert.equal(endingOf(d), 'Failed');
      assert.equal(titleKey(d.status), 'deletion.failed');
      assert.equal(statusWords(d, EN), 'The POS could not be deleted — Failed');
      assert.equal(statusWords(d, PL), 'Nie udało się usunąć POS — Niepowodzenie');
      assert.equal(adviceKey(d.error, EN), `deletion.advice.${code}`);
    });
  }

  test('the receipts check fails after waiting: its last words stay on the failed row', () => {
    const d = deletion({
      status: 'FAILED', step: 'Failed', error: { code: 'RECEIPTS_NOT_SYNCED', details: '1 receipt is not synced.' },
      steps: [rec('CheckOpenTickets'), rec('CheckShiftClosed'),
        rec('VerifyReceiptsSynced', 'Waiting for 1 receipt to sync (wait 1 of 2).'),
        rec('VerifyReceiptsSynced', 'Waiting for 1 receipt to sync (wait 2 of 2).'),
        rec('Failed', '1 receipt is not synced.')],
    });
    assert.deepEqual(deletionSteps(d)[2], { step: 'VerifyReceiptsSynced', state: 'failed', details: 'Waiting for 1 receipt to sync (wait 2 of 2).' });
  });
});

describe('other endings', () => {
  test('Stopped: the workflow ended without recording why; the step it was at did not finish', () => {
    const d = deletion({
      status: 'FAILED', step: 'Stopped', error: { code: 'INTERNAL', details: 'The deletion stopped unexpectedly.' },
      steps: [rec('CheckOpenTickets'), rec('CheckShiftClosed'), rec('Stopped', 'The deletion stopped unexpectedly.')],
    });
    assert.deepEqual(states(d), {
      CheckOpenTickets: 'done', CheckShiftClosed: 'failed', VerifyReceiptsSynced: 'skipped', Deactivate: 'skipped', Deleted: 'skipped',
    });
    assert.equal(endingOf(d), 'Stopped');
    assert.equal(statusWords(d, EN), 'The POS could not be deleted — Stopped');
    assert.equal(statusWords(d, PL), 'Nie udało się usunąć POS — Zatrzymano');
    assert.equal(adviceKey(d.error, EN), 'deletion.advice.INTERNAL');
  });

  test('NotStarted: the workflow could not be started; no step ran', () => {
    const d = deletion({
      status: 'FAILED', step: 'NotStarted', error: { code: 'INTERNAL', details: 'The deletion could not be started.' },
      steps: [rec('NotStarted', 'The deletion could not be started.')],
    });
    assert.deepEqual(deletionSteps(d).map((s) => s.state), PLANS.CHECKS.map(() => 'skipped'));
    assert.equal(endingOf(d), 'NotStarted');
    assert.equal(statusWords(d, EN), 'The POS could not be deleted — Not started');
    assert.equal(statusWords(d, PL), 'Nie udało się usunąć POS — Nie rozpoczęto');
  });

  test('an error code with no advice gets the general advice', () => {
    assert.equal(adviceKey({ code: 'SOMETHING_NEW', details: '…' }, EN), 'deletion.advice.INTERNAL');
    assert.equal(adviceKey(null, EN), 'deletion.advice.INTERNAL');
  });
});

describe('step names the catalog does not know', () => {
  test('a recorded step outside the plan is shown as sent, where it was recorded', () => {
    const d = deletion({ steps: [rec('CheckOpenTickets'), rec('AskTheManager', 'Asked.'), rec('CheckShiftClosed')] });
    assert.deepEqual(names(d), ['CheckOpenTickets', 'AskTheManager', 'CheckShiftClosed', 'VerifyReceiptsSynced', 'Deactivate', 'Deleted']);
    assert.deepEqual(states(d), {
      CheckOpenTickets: 'done', AskTheManager: 'done', CheckShiftClosed: 'running', VerifyReceiptsSynced: 'pending', Deactivate: 'pending', Deleted: 'pending',
    });
    assert.equal(stepLabel('AskTheManager', EN), 'AskTheManager');
    assert.equal(stepLabel('AskTheManager', PL), 'AskTheManager');
  });

  test('an unknown step running now, and as the current step in the words', () => {
    const d = deletion({ steps: [rec('CheckOpenTickets'), rec('Audit_Check', 'Looking.')] });
    const rows = deletionSteps(d);
    assert.deepEqual(rows[1], { step: 'Audit_Check', state: 'running', details: 'Looking.' });
    assert.equal(statusWords(d, EN), 'Deleting the POS… — Audit_Check');
  });

  test('an unknown ending is not a row and is named as sent', () => {
    const d = deletion({ status: 'FAILED', step: 'TimedOut', error: { code: 'INTERNAL', details: '…' }, steps: [rec('CheckOpenTickets'), rec('TimedOut')] });
    assert.deepEqual(states(d), { CheckOpenTickets: 'failed', CheckShiftClosed: 'skipped', VerifyReceiptsSynced: 'skipped', Deactivate: 'skipped', Deleted: 'skipped' });
    assert.equal(statusWords(d, EN), 'The POS could not be deleted — TimedOut');
  });

  test('without a plan (an older API) the recorded steps are shown in their order', () => {
    const d = deletion({ plan: null, status: 'SUCCEEDED', step: 'Deleted', steps: [rec('Deactivate'), rec('Deleted')] });
    assert.deepEqual(deletionSteps(d).map((s) => [s.step, s.state]), [['Deactivate', 'done'], ['Deleted', 'done']]);
  });

  test('no deletion, no rows', () => {
    assert.deepEqual(deletionSteps(null), []);
  });
});

describe('labels', () => {
  const everyName = [...new Set([...Object.values(PLANS).flat(), 'Started', ...ENDINGS])];
  for (const [language, dict] of [['en', en], ['pl', pl]]) {
    test(`every step name and ending has a ${language} label`, () => {
      const missing = everyName.filter((s) => !String(dict[`deletion.step.${s}`] ?? '').trim());
      assert.deepEqual(missing, []);
    });
    test(`every title and step state has a ${language} word`, () => {
      for (const status of ['RUNNING', 'SUCCEEDED', 'FAILED']) assert.ok(dict[titleKey(status)], status);
      for (const state of ['done', 'running', 'failed', 'pending', 'skipped']) assert.ok(dict[`deletion.state.${state}`], state);
    });
  }
  test('Polish labels are not the English ones', () => {
    const same = everyName.filter((s) => en[`deletion.step.${s}`] === pl[`deletion.step.${s}`]);
    assert.deepEqual(same, []);
  });
});
