// Safe deletion on the "Edit POS" card: the question, the progress panel, and following the workflow.
// What the progress says is worked out by ../deletion_progress.js; this file only draws it.
import { api, NOT_MODIFIED, seg } from '../api.js';
import { adviceKey, deletionSteps, stepLabel, statusWords, titleKey } from '../deletion_progress.js';
import { h } from '../dom.js';
import { localText, timeEl } from '../format.js';
import { has, t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { isOwner } from '../session.js';
import { waitMinutes } from '../openapi_limits.js';
import { confirmDialog } from '../ui/dialogs.js';

const POLL_MS = 1000;
const STEP_ICONS = { done: 'check', failed: 'cross', running: 'refresh', pending: 'dot', skipped: 'dot' };

/** The catalog as deletion_progress.js reads it: the sentence, or null for a key it does not have. */
const tr = (key, params) => (has(key) ? t(key, params) : null);

export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    }, { once: true });
  });
}

/**
 * Ask, then request the deletion. Resolves with the started deletion, or null when cancelled. `syncWaitSeconds`:
 * how long the deletion waits for the POS to sync its receipts (the server's POS_SYNC_WAIT_SECONDS x
 * POS_SYNC_WAIT_ATTEMPTS, published in its OpenAPI document, ../limits.js), said in the question so that nobody
 * stares at a spinner wondering; nothing is said when the server does not wait.
 */
export async function confirmDeletion(device, { signal, syncWaitSeconds }) {
  const waitNote = syncWaitSeconds > 0
    ? [' ', h('span', { testid: 'delete-wait' }, t('pos.delete_wait', { minutes: waitMinutes(syncWaitSeconds) }))]
    : null;
  const owner = isOwner();
  const forceWarning = h('p', { class: 'warning-text', testid: 'force-warning', hidden: true }, icon('warning'), ' ', t('pos.force_warning'));
  const forceBox = owner ? h('div', { class: 'force' },
    h('label', { class: 'checkbox' },
      h('input', {
        type: 'checkbox', name: 'force', testid: 'force-delete',
        onchange: (event) => { forceWarning.hidden = !event.target.checked; },
      }),
      ' ', t('pos.force_label')),
    forceWarning) : null;
  // What the card already knows would stop (or hold up) the deletion: said before it starts, with what to do.
  const activated = device.status === 'ACTIVATED';
  const blockers = [
    activated && device.open_tickets ? h('li', { testid: 'delete-blocker-tickets' }, t('pos.delete_blocker_tickets', { n: device.open_tickets })) : null,
    activated && device.shift_open ? h('li', { testid: 'delete-blocker-shift' }, t('pos.delete_blocker_shift')) : null,
    device.unsynced_receipts ? h('li', { testid: 'delete-blocker-unsynced' }, t('pos.delete_blocker_unsynced', { n: device.unsynced_receipts }),
      waitNote) : null,
  ].filter(Boolean);
  const message = [
    h('p', {}, t('pos.delete_question', { name: device.name })),
    blockers.length ? h('div', { class: 'alert alert--warning', testid: 'delete-blockers' }, icon('warning'),
      h('div', { class: 'alert__body' },
        h('p', {}, h('strong', {}, t('pos.delete_blockers_title'))),
        h('ul', { class: 'plain-list' }, blockers),
        h('p', {}, t('pos.delete_blockers_then', { button: t('pos.delete') })))) : null,
    h('p', { class: 'notice' }, h('strong', {}, t('pos.delete_important')), ' ', t('pos.delete_requirements')),
    h('p', {}, t('pos.delete_keeps_receipts')),
  ];
  const confirmed = await confirmDialog({
    title: t('pos.delete_title'),
    message,
    extra: forceBox,
    confirmLabel: t('pos.delete'),
    confirmTestId: 'confirm-delete',
    testid: 'delete-dialog',
    danger: true,
    onConfirm: async () => {
      const force = Boolean(forceBox?.querySelector('input')?.checked);
      const data = await api.del(`/v1/pos_devices/${seg(device.id)}`, { query: { force: force ? 'true' : null }, signal });
      return { deletion: data?.deletion ?? data };
    },
  });
  return confirmed && confirmed !== true ? confirmed.deletion : null;
}

/** The progress panel: a step list from the deletion's plan, and on failure the reason and what to do. */
export function deletionPanel(deletion, { onRetry }) {
  const steps = deletionSteps(deletion);
  const error = deletion.error;
  return h('section', {
    class: `card deletion deletion--${String(deletion.status).toLowerCase()}`,
    testid: 'deletion-progress',
    dataset: { status: deletion.status, step: deletion.step || '' },
    tabindex: '-1',
    'aria-labelledby': 'deletion-title',
  },
  h('h2', { id: 'deletion-title', class: 'card__title' },
    deletion.status === 'RUNNING' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon(deletion.status === 'SUCCEEDED' ? 'check' : 'warning'),
    ' ', t(titleKey(deletion.status))),
  deletion.force ? h('p', { class: 'pill pill--force', testid: 'deletion-forced' }, t('deletion.forced')) : null,
  steps.length
    ? h('ol', { class: 'steps', testid: 'deletion-steps' }, steps.map((s) => h('li', {
      class: `step step--${s.state}`, testid: 'deletion-step', dataset: { step: s.step, state: s.state },
    }, icon(STEP_ICONS[s.state] || 'dot'),
    h('span', { class: 'step__text' },
      h('span', { class: 'step__label' }, stepLabel(s.step, tr)),
      s.details && s.state === 'running' ? h('span', { class: 'step__details', testid: 'deletion-step-details' }, localText(s.details)) : null),
    h('span', { class: 'step__state' }, t(`deletion.state.${s.state}`)))))
    : h('p', { class: 'muted' }, t('deletion.starting')),
  deletion.status === 'FAILED' ? h('div', { class: 'alert alert--error', role: 'alert', testid: 'deletion-error' },
    icon('warning'),
    h('div', { class: 'alert__body' },
      h('p', { testid: 'deletion-error-details' }, error?.details ? localText(error.details) : t('deletion.error_unknown')),
      h('p', { testid: 'deletion-advice' }, h('strong', {}, t('deletion.what_to_do')), ' ',
        t(adviceKey(error, tr))),
      isOwner() && error?.code !== 'INTERNAL' ? h('p', { class: 'muted' }, t('deletion.advice_force')) : null,
      h('button', { type: 'button', class: 'button button--secondary button--small', testid: 'retry-delete', onclick: onRetry }, t('deletion.try_again'))))
    : null,
  deletion.status === 'SUCCEEDED' ? h('p', { testid: 'deletion-done' }, t('deletion.done_redirect')) : null,
  deletion.finished_at ? h('p', { class: 'muted small' }, t('deletion.finished_at'), ' ', timeEl(deletion.finished_at)) : null);
}

/** What a screen reader hears: the status and the current step, in words. */
export function deletionWords(deletion) {
  return statusWords(deletion, tr);
}

/**
 * Poll the deletion until it ends. `onProgress(deletion)` is called for each RUNNING answer that differs from the
 * last: every poll is conditional (If-None-Match with the last answer's ETag), so while nothing moves the API
 * answers 304 with no body. Resolves with the finished deletion; with null when the API has none or could not be
 * reached (then `onError(error)` was called).
 */
export async function followDeletion(deviceId, { signal, onProgress, onError }) {
  let failures = 0;
  let etag = null;
  while (!signal.aborted) {
    await sleep(POLL_MS, signal);
    let deletion;
    try {
      const data = await api.get(`/v1/pos_devices/${seg(deviceId)}/deletion`, {
        signal, ifNoneMatch: etag, onEtag: (tag) => { etag = tag; },
      });
      failures = 0;
      if (data === NOT_MODIFIED) continue; // still as last seen (RUNNING)
      deletion = data?.deletion !== undefined ? data.deletion : data;
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      failures += 1;
      if (error.status === 401 || failures >= 5) {
        onError(error);
        return null;
      }
      continue;
    }
    if (!deletion) return null;
    if (deletion.status !== 'RUNNING') return deletion;
    onProgress(deletion);
  }
  return null;
}
