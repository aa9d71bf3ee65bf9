// A POS deletion's progress as data: which steps it runs, which are done, running, failed or left out,
// and the words that say where it is. Pure (no DOM, no i18n state): the view renders it and passes `tr`.
//
// The API's deletion object (`GET /v1/pos_devices/{id}/deletion`, and `deletion` on a POS):
//   plan:   the step names this deletion's route runs, in order (e.g. CheckOpenTickets … Deleted);
//   steps:  what it recorded so far, oldest first: [{step, at, details}] — `Started` (the request), then the
//           plan's steps as they run (a step waiting is recorded again, each time with new details), and on
//           FAILED its ending (`Failed`, `NotStarted`, `Stopped`), which is also `deletion.step`;
//   status: RUNNING | SUCCEEDED | FAILED.
// No step order is known here: it comes from `plan`. A recorded step outside the plan is shown as sent,
// where it was recorded.

/** The request's own record, first in `steps`: not a step the workflow runs. */
export const REQUESTED = 'Started';

const TITLE_KEYS = { RUNNING: 'deletion.running', SUCCEEDED: 'deletion.succeeded', FAILED: 'deletion.failed' };

function nameOf(entry) {
  if (typeof entry === 'string') return entry;
  return entry && typeof entry.step === 'string' ? entry.step : null;
}

function detailsOf(entry) {
  if (!entry || typeof entry !== 'object') return null;
  return entry.details || entry.text || null;
}

/** The failed deletion's ending (`Failed`, `NotStarted`, `Stopped`, …): its last step when that is not in the plan. */
export function endingOf(deletion) {
  if (!deletion || deletion.status !== 'FAILED') return null;
  const plan = Array.isArray(deletion.plan) ? deletion.plan : [];
  const steps = Array.isArray(deletion.steps) ? deletion.steps : [];
  const last = deletion.step || nameOf(steps[steps.length - 1]);
  return last && !plan.includes(last) && last !== REQUESTED ? last : null;
}

/**
 * [{step, state, details}], state one of done | running | failed | pending | skipped:
 * the plan's steps in order, with any recorded step outside the plan inserted where it was recorded;
 * `details` is the latest record's text for that step (e.g. "… (wait 1 of 10)"), or null.
 */
export function deletionSteps(deletion) {
  if (!deletion) return [];
  const plan = Array.isArray(deletion.plan) ? deletion.plan.filter((s) => typeof s === 'string') : [];
  const ending = endingOf(deletion);
  const rows = [...new Set(plan)];
  const latest = new Map(); // step -> its latest record
  let anchor = -1; // the row of the last record placed so far
  let lastRecorded = null;
  for (const entry of Array.isArray(deletion.steps) ? deletion.steps : []) {
    const name = nameOf(entry);
    if (!name || name === REQUESTED || name === ending) continue;
    let index = rows.indexOf(name);
    if (index === -1) {
      index = anchor + 1;
      rows.splice(index, 0, name);
    }
    anchor = Math.max(anchor, index);
    latest.set(name, entry);
    lastRecorded = name;
  }

  const status = deletion.status;
  // The step in progress (RUNNING) or the one that did not finish (FAILED): the last one recorded.
  let current = lastRecorded;
  if (status === 'RUNNING' && current === null) current = rows[0] ?? null; // nothing recorded yet: the first is starting
  const currentIndex = current === null ? -1 : rows.indexOf(current);

  return rows.map((step, index) => {
    let state;
    if (status === 'SUCCEEDED') state = 'done';
    else if (index < currentIndex) state = 'done';
    else if (index === currentIndex) state = status === 'FAILED' ? 'failed' : 'running';
    else state = status === 'FAILED' ? 'skipped' : 'pending';
    // A step the workflow recorded after the current one cannot have been left out: keep it done.
    if (state !== 'done' && index > currentIndex && latest.has(step)) state = 'done';
    return { step, state, details: detailsOf(latest.get(step)) };
  });
}

/** The catalog key of the panel's title for a deletion status. */
export function titleKey(status) {
  return TITLE_KEYS[status] || TITLE_KEYS.RUNNING;
}

/**
 * A step's label from the catalog (`deletion.step.<name>`), or its name as sent when the catalog has none.
 * `tr(key)` returns the sentence, or null/undefined for a key the catalog does not have.
 */
export function stepLabel(step, tr) {
  return tr(`deletion.step.${step}`) ?? String(step);
}

/** The catalog key of what to do after a failure: advice for the error's code, else the general advice. */
export function adviceKey(error, tr) {
  const key = `deletion.advice.${error?.code}`;
  return error?.code && tr(key) != null ? key : 'deletion.advice.INTERNAL';
}

/** "Deleting the POS… — Check that the shift is closed": the status and the step it is at (or ended with). */
export function statusWords(deletion, tr) {
  const title = tr(titleKey(deletion?.status)) ?? String(deletion?.status ?? '');
  const step = deletion?.step;
  return step ? `${title} — ${stepLabel(step, tr)}` : title;
}
